/**
 * The one interface every text encoder implements, and the JSON spec that rebuilds an encoder.
 *
 * An encoder turns a text into a token set (see src/tokens/token-set.ts): a flat Float32Array of
 * `numTokens` rows of `dim` values, plus, for each row, the token's text and its character span
 * `[start, end)` in the original string (UTF-16 indices, as `String.prototype.slice` takes them),
 * so a front end can highlight the words a query matched. A marker or special token that stands
 * for no text ([CLS], [SEP], a query prefix, [MASK] padding) has an empty span (`start === end`).
 */

/** One row of an encoded text: what the token is and where it came from. */
export interface TokenInfo {
  /** The token as the encoder's vocabulary spells it (`"running"`, `"##ing"`, `"[MASK]"`). */
  text: string;
  /** First UTF-16 index of the token in the original text. */
  start: number;
  /** One past the last index; equal to `start` for markers and special tokens. */
  end: number;
}

/** A text encoded as a token set: `data` is numTokens x dim, row i described by `tokens[i]`. */
export interface TokenEncoding {
  data: Float32Array;
  dim: number;
  numTokens: number;
  tokens: TokenInfo[];
}

/** A batch of encodings in the library's batch layout: flat rows plus offsets in rows. */
export interface TokenBatch {
  data: Float32Array;
  dim: number;
  /** Set i is rows `offsets[i]` to `offsets[i + 1]`; length is the number of texts + 1. */
  offsets: Uint32Array;
  tokens: TokenInfo[][];
}

/** Spec of a static word-vector encoder (src/encoders/static-encoder.ts). */
export interface StaticEncoderSpec {
  kind: 'static';
  /** The folder or `.vec` file the vectors were read from. */
  path: string;
  dim: number;
  vocabSize: number;
  /** Stop words removed from queries and documents: the project's list, a custom list, or none. */
  stopWords: 'english' | string[] | null;
  /** Keep each word once per document (queries keep repeats unless `uniqueQueryTokens`). */
  uniqueDocumentTokens: boolean;
  uniqueQueryTokens: boolean;
  /** Rows scaled to unit length. */
  normalize: boolean;
}

/** Spec of a ColBERT-family model run through ONNX (src/encoders/colbert-onnx.ts). */
export interface ColbertEncoderSpec {
  kind: 'colbert';
  /** Hugging Face model id, or an absolute path to a local folder. */
  model: string;
  /** Hugging Face revision (branch, tag or commit), or null for the default branch. */
  revision: string | null;
  /** ONNX weight variant: `fp32`, `fp16`, `q8`, ... as transformers.js names them. */
  dtype: string;
  /** Output dimension after the projection layer. */
  dim: number;
  queryLength: number;
  documentLength: number;
}

/** Enough JSON to rebuild an encoder; a collection stores it so text queries use the same one. */
export type EncoderSpec = StaticEncoderSpec | ColbertEncoderSpec;

/**
 * Text to token vectors. Queries and documents go through the same model but may be encoded
 * differently (markers, query augmentation, stop words, unique tokens).
 */
export interface TokenEncoder {
  /** Width of every token row. */
  readonly dim: number;
  /** JSON that {@link loadEncoder} turns back into an equal encoder. */
  readonly spec: EncoderSpec;
  /** Encodes one query. Throws `empty-input` when nothing of the text is left to encode. */
  encodeQuery(text: string): Promise<TokenEncoding>;
  /** Encodes one document. Throws `empty-input` when nothing of the text is left to encode. */
  encodeDocument(text: string): Promise<TokenEncoding>;
  /** Encodes queries; equal, row for row, to encoding each alone (to the encoder's tolerance). */
  encodeQueries(texts: readonly string[]): Promise<TokenEncoding[]>;
  /** Encodes documents; equal, row for row, to encoding each alone. */
  encodeDocuments(texts: readonly string[]): Promise<TokenEncoding[]>;
  /** Frees model sessions, if any. The encoder must not be used afterwards. */
  dispose(): Promise<void>;
}
