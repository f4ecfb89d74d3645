/**
 * A static token encoder: each word of a text becomes the vector the table holds for it.
 *
 * A weak but real multi-vector encoder, useful where no neural model can run: a document is the
 * set of its (stop-word-filtered, by default unique) word vectors, a query the list of its word
 * vectors, and Chamfer similarity sums each query word's best cosine in the document.
 *
 * Steps, the same for queries and documents: split the text into lower-case words
 * (src/encoders/word-tokens.ts), drop stop words, drop out-of-vocabulary words, drop repeats when
 * asked (documents by default), copy each word's row. Rows are scaled to unit length once, at
 * load time, when `normalize` is on.
 *
 * Out-of-vocabulary words (and words whose vector is all zero) get no row: they are dropped, and
 * counted at debug log level. A text left with no row throws `empty-input`.
 */
import { resolve } from 'node:path';
import { DEFAULTS } from '../defaults.js';
import { invalidArgument, MuveraError } from '../errors.js';
import { logger } from '../log.js';
import { ENGLISH_STOP_WORDS } from './stop-words.js';
import type { StaticEncoderSpec, TokenEncoder, TokenEncoding, TokenInfo } from './types.js';
import { wordTokens } from './word-tokens.js';
import { readWordVectors, type WordVectors } from './word-vectors.js';

/** Options of {@link StaticTokenEncoder}; defaults in `DEFAULTS.encoders.static`. */
export interface StaticEncoderOptions {
  /** Stop words to remove: `'english'` (the project's list), your own lower-case words, or null. */
  stopWords?: 'english' | readonly string[] | null;
  /** Keep each word once per document. */
  uniqueDocumentTokens?: boolean;
  /** Keep each word once per query. */
  uniqueQueryTokens?: boolean;
  /** Scale every vector to unit length (cosine Chamfer). */
  normalize?: boolean;
}

/** Word vectors as a {@link TokenEncoder}. Build one with {@link StaticTokenEncoder.load}. */
export class StaticTokenEncoder implements TokenEncoder {
  readonly dim: number;
  readonly spec: StaticEncoderSpec;
  /** The word table as used (unit rows when `normalize`): vocabSize x dim, row i for word i. */
  readonly vectors: Float32Array;
  private readonly index = new Map<string, number>();
  private readonly stopWords: ReadonlySet<string>;

  /**
   * Loads a `.vec` file or matrix folder (see src/encoders/word-vectors.ts); the spec records
   * its absolute path.
   */
  static async load(path: string, options: StaticEncoderOptions = {}): Promise<StaticTokenEncoder> {
    const absolute = resolve(path);
    return new StaticTokenEncoder(await readWordVectors(absolute), absolute, options);
  }

  /** Wraps a table already in memory; `path` is recorded in the spec. */
  constructor(table: WordVectors, path: string, options: StaticEncoderOptions = {}) {
    const settings = { ...DEFAULTS.encoders.static, ...options };
    this.dim = table.dim;
    this.vectors = settings.normalize ? normalizeRows(table.vectors, table.dim) : table.vectors;
    table.words.forEach((word, row) => {
      if (!this.index.has(word) && !isZeroRow(this.vectors, row, table.dim))
        this.index.set(word, row);
    });
    this.stopWords = stopWordSet(settings.stopWords);
    this.spec = {
      kind: 'static',
      path,
      dim: table.dim,
      vocabSize: table.words.length,
      stopWords:
        typeof settings.stopWords === 'string' || settings.stopWords === null
          ? settings.stopWords
          : [...this.stopWords],
      uniqueDocumentTokens: settings.uniqueDocumentTokens,
      uniqueQueryTokens: settings.uniqueQueryTokens,
      normalize: settings.normalize,
    };
  }

  /** Row of `word` in the table, or -1 when it has none (out of vocabulary or all zero). */
  wordIndex(word: string): number {
    return this.index.get(word) ?? -1;
  }

  async encodeQuery(text: string): Promise<TokenEncoding> {
    return this.encode(text, this.spec.uniqueQueryTokens, 'query');
  }

  async encodeDocument(text: string): Promise<TokenEncoding> {
    return this.encode(text, this.spec.uniqueDocumentTokens, 'document');
  }

  async encodeQueries(texts: readonly string[]): Promise<TokenEncoding[]> {
    return texts.map((text) => this.encode(text, this.spec.uniqueQueryTokens, 'query'));
  }

  async encodeDocuments(texts: readonly string[]): Promise<TokenEncoding[]> {
    return texts.map((text) => this.encode(text, this.spec.uniqueDocumentTokens, 'document'));
  }

  async dispose(): Promise<void> {}

  private encode(text: string, unique: boolean, kind: string): TokenEncoding {
    const kept = this.keptWords(text, unique);
    if (kept.rows.length === 0) {
      throw new MuveraError('empty-input', `${kind} text has no word with a vector`, {
        parameter: 'text',
        expected: 'at least one in-vocabulary word that is not a stop word',
        actual: text,
      });
    }

    const dim = this.dim;
    const data = new Float32Array(kept.rows.length * dim);
    kept.rows.forEach((row, i) => {
      data.set(this.vectors.subarray(row * dim, (row + 1) * dim), i * dim);
    });
    return { data, dim, numTokens: kept.rows.length, tokens: kept.tokens };
  }

  private keptWords(text: string, unique: boolean): { rows: number[]; tokens: TokenInfo[] } {
    const rows: number[] = [];
    const tokens: TokenInfo[] = [];
    const seen = new Set<string>();
    let outOfVocabulary = 0;
    for (const { word, start, end } of wordTokens(text)) {
      if (this.stopWords.has(word) || (unique && seen.has(word))) continue;
      const row = this.index.get(word);
      if (row === undefined) {
        outOfVocabulary++;
        continue;
      }
      seen.add(word);
      rows.push(row);
      tokens.push({ text: word, start, end });
    }
    if (outOfVocabulary > 0)
      logger.debug(`static encoder: ${outOfVocabulary} words out of vocabulary`);
    return { rows, tokens };
  }
}

function stopWordSet(stopWords: 'english' | readonly string[] | null): ReadonlySet<string> {
  if (stopWords === 'english') return ENGLISH_STOP_WORDS;
  if (stopWords === null) return new Set();
  if (!Array.isArray(stopWords) || stopWords.some((word) => typeof word !== 'string')) {
    throw invalidArgument('options.stopWords', '"english", null or an array of words', stopWords);
  }
  return new Set(stopWords.map((word) => word.toLowerCase()));
}

function isZeroRow(data: Float32Array, row: number, dim: number): boolean {
  for (let j = row * dim; j < (row + 1) * dim; j++) if (data[j] !== 0) return false;
  return true;
}

/** A copy of `data` (rows of `dim`) with each non-zero row scaled to unit length. */
export function normalizeRows(data: Float32Array, dim: number): Float32Array {
  const out = new Float32Array(data.length);
  for (let base = 0; base < data.length; base += dim) {
    let squares = 0;
    for (let j = 0; j < dim; j++) squares += data[base + j] * data[base + j];
    const scale = squares > 0 ? 1 / Math.sqrt(squares) : 0;
    for (let j = 0; j < dim; j++) out[base + j] = data[base + j] * scale;
  }
  return out;
}
