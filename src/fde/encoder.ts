/**
 * `FdeEncoder`: the public face of the FDE stage. It validates input, names the set, row and value
 * at fault, and runs the one encoding pass of src/fde/encode-pass.ts with the query or document
 * aggregation. Padding rows (entirely zero) are skipped and counted: `encode` and the batch
 * methods return the counts; `encodeQuery` / `encodeDocument` return just the vector.
 */
import { describe, invalidArgument, MuveraError } from '../errors.js';
import { validateOffsets, validateRows, validateTokenSet } from '../tokens/token-set.js';
import type { FdeConfigInput, FdeConfigJson } from './config.js';
import {
  assertSameFdeConfig,
  fdeFingerprint,
  normalizeFdeConfig,
  outputDimensionOf,
} from './config.js';
import type { Aggregation } from './encode-pass.js';
import { EncodePass } from './encode-pass.js';
import { fdePreset } from './presets.js';

/** Which side of the Chamfer score a set is on: queries sum, documents average (and fill). */
export type FdeKind = 'query' | 'document';

/** One encoded set and what was skipped. */
export interface FdeEncoding {
  /** The FDE, `outputDimension` values. */
  vector: Float32Array;
  /** Rows in the input set, padding included. */
  numTokens: number;
  /** All-zero rows skipped as padding. */
  numPadding: number;
}

/** Encoded sets of a batch, one row per input set, in input order. */
export interface FdeBatch {
  /** numSets x outputDimension values, row-major: set i is `vectors.subarray(i * D, (i + 1) * D)`. */
  vectors: Float32Array;
  /** Number of sets (offsets.length - 1). */
  numSets: number;
  /** D: values per row. */
  outputDimension: number;
  /** Rows of each input set, padding included. */
  numTokens: Uint32Array;
  /** All-zero rows skipped in each set. */
  numPadding: Uint32Array;
}

/** Per-set counts of a validated batch. */
export type BatchCounts = Pick<FdeBatch, 'numSets' | 'numTokens' | 'numPadding'>;

/**
 * Validates a whole batch (type, offsets, then every set: empty, only padding, NaN, Infinity),
 * naming a bad set `queries[i]` or `documents[i]`. Returns the per-set counts.
 */
export function validateBatch(
  data: Float32Array,
  offsets: ArrayLike<number>,
  dim: number,
  kind: FdeKind,
): BatchCounts {
  if (!(data instanceof Float32Array)) {
    throw invalidArgument('data', 'a Float32Array of token rows', describe(data));
  }
  const numSets = validateOffsets(data, offsets, dim);
  const name = kind === 'query' ? 'queries' : 'documents';
  const numTokens = new Uint32Array(numSets);
  const numPadding = new Uint32Array(numSets);
  for (let i = 0; i < numSets; i++) {
    const info = validateRows(data, offsets[i], offsets[i + 1], dim, `${name}[${i}]`);
    numTokens[i] = info.numTokens;
    numPadding[i] = info.numPadding;
  }
  return { numSets, numTokens, numPadding };
}

const QUERY: Aggregation = Object.freeze({ average: false, fill: false });

/**
 * Turns token sets into Fixed Dimensional Encodings whose inner product approximates Chamfer
 * similarity. Create one from a config (`new FdeEncoder(fdePreset('paper', 128))`), store
 * `encoder.config` with the index, and rebuild it with `FdeEncoder.fromJSON` to encode queries.
 */
export class FdeEncoder {
  /** The complete config (JSON-serialisable, with `formatVersion`). Frozen. */
  readonly config: Readonly<FdeConfigJson>;
  /** Values in each FDE. */
  readonly outputDimension: number;
  /** Stable hash of the config; equal fingerprints mean identical encodings. */
  readonly fingerprint: string;
  private readonly pass: EncodePass;
  private readonly documentAggregation: Aggregation;

  constructor(config: FdeConfigInput) {
    this.config = normalizeFdeConfig(config);
    this.outputDimension = outputDimensionOf(this.config);
    this.fingerprint = fdeFingerprint(this.config);
    this.pass = new EncodePass(this.config);
    this.documentAggregation = Object.freeze({
      average: true,
      fill: this.config.fillEmptyPartitions,
    });
  }

  /** An encoder for preset `name` (see FDE_PRESETS) and tokens of `dim` values. */
  static fromPreset(name: string, dim: number, overrides?: Partial<FdeConfigInput>): FdeEncoder {
    return new FdeEncoder(fdePreset(name, dim, overrides));
  }

  /** Rebuilds an encoder from `encoder.config` or its JSON text; same FDEs, byte for byte. */
  static fromJSON(json: string | FdeConfigJson): FdeEncoder {
    if (typeof json !== 'string') return new FdeEncoder(json);
    let parsed: unknown;
    try {
      parsed = JSON.parse(json);
    } catch (cause) {
      throw new MuveraError('parse-error', 'FDE config is not valid JSON', {
        parameter: 'json',
        actual: describe(json),
        cause,
      });
    }
    return new FdeEncoder(parsed as FdeConfigJson);
  }

  /** The config, for JSON.stringify. */
  toJSON(): FdeConfigJson {
    return { ...this.config };
  }

  /**
   * Throws `config-mismatch` unless `other` (an encoder or a stored config) encodes exactly like
   * this one. `context` names what is compared in the message.
   */
  assertCompatible(other: FdeEncoder | FdeConfigJson, context = 'FDE config'): void {
    const otherConfig = other instanceof FdeEncoder ? other.config : normalizeFdeConfig(other);
    assertSameFdeConfig(this.config, otherConfig, context);
  }

  /** The query FDE of `tokens` (numTokens x dim): partition sums, never filled. */
  encodeQuery(tokens: Float32Array): Float32Array {
    return this.encode(tokens, 'query').vector;
  }

  /** The document FDE of `tokens` (numTokens x dim): partition averages, filled if configured. */
  encodeDocument(tokens: Float32Array): Float32Array {
    return this.encode(tokens, 'document').vector;
  }

  /** Encodes one set as a query or a document, reporting the padding rows it skipped. */
  encode(tokens: Float32Array, kind: FdeKind): FdeEncoding {
    const info = validateTokenSet(tokens, this.config.dim, kind);
    const vector = new Float32Array(this.outputDimension);
    this.pass.run(tokens, 0, info.numTokens, this.aggregation(kind), vector, 0);
    return { vector, ...info };
  }

  /** Query FDEs of a batch: `data` holds all sets' rows, set i is rows offsets[i]..offsets[i+1]. */
  encodeQueries(data: Float32Array, offsets: ArrayLike<number>): FdeBatch {
    return this.encodeBatch(data, offsets, 'query');
  }

  /** Document FDEs of a batch; see {@link FdeEncoder.encodeQueries} for the layout. */
  encodeDocuments(data: Float32Array, offsets: ArrayLike<number>): FdeBatch {
    return this.encodeBatch(data, offsets, 'document');
  }

  /**
   * Encodes every set of a batch, one output row per set in input order. All sets are validated
   * before any is encoded, so a bad set (empty, only padding, NaN) fails the whole call and names
   * itself (`documents[3]`); no row is ever dropped or shifted.
   */
  encodeBatch(data: Float32Array, offsets: ArrayLike<number>, kind: FdeKind): FdeBatch {
    const counts = validateBatch(data, offsets, this.config.dim, kind);
    const D = this.outputDimension;
    const vectors = new Float32Array(counts.numSets * D);
    const aggregation = this.aggregation(kind);
    for (let i = 0; i < counts.numSets; i++) {
      this.pass.run(data, offsets[i], offsets[i + 1], aggregation, vectors, i * D);
    }
    return { vectors, outputDimension: D, ...counts };
  }

  private aggregation(kind: FdeKind): Aggregation {
    if (kind === 'query') return QUERY;
    if (kind === 'document') return this.documentAggregation;
    throw invalidArgument('kind', "'query' or 'document'", kind);
  }
}
