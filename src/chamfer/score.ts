/**
 * Exact Chamfer (MaxSim) scoring, the re-rank step of MUVERA (Jayaram et al., NeurIPS 2024,
 * arXiv 2405.19504):
 *
 *   chamfer(Q, P) = sum over q in Q of max over p in P of <q, p>
 *
 * Padding rows (all zero) are skipped on both sides, as in the FDE encoder. Documents may be
 * float32 rows or an {@link EncodedTokens} at float16 or int8; every precision is widened to
 * float32 before its dot products, which accumulate in float32 (WebAssembly) or float64
 * (portable kernel). One query is prepared once per call and scored against many documents
 * without allocating per document.
 */
import { describe, invalidArgument, MuveraError } from '../errors.js';
import { checkDim, validateTokenSet } from '../tokens/token-set.js';
import { checkEncoded } from './encode.js';
import { getKernel, getPortableKernel } from './kernel.js';
import type { EncodedTokens } from './precision.js';

/** One document's tokens: float32 rows (numTokens x dim) or an encoded matrix. */
export type DocumentTokens = Float32Array | EncodedTokens;

/** Many documents in one matrix: document i is rows `offsets[i]` to `offsets[i + 1]`. */
export interface ScoringBatch {
  /** All documents' rows: float32 (e.g. an encoder's TokenBatch) or one EncodedTokens. */
  data: DocumentTokens;
  /** numDocuments + 1 row offsets, from 0 to the row count, non-decreasing. */
  offsets: ArrayLike<number>;
}

/** Documents to score: one flat batch, or an array of separate documents. */
export type DocumentBatch = ScoringBatch | readonly DocumentTokens[];

/** A scored document: its position in the input and its Chamfer score. */
export interface ChamferHit {
  index: number;
  score: number;
}

/** Wraps float32 rows as an EncodedTokens view (no copy). */
export function asEncoded(tokens: DocumentTokens, dim: number, name: string): EncodedTokens {
  if (!(tokens instanceof Float32Array)) {
    checkEncoded(tokens, dim, name);
    return tokens;
  }
  if (tokens.length % dim !== 0) {
    throw new MuveraError(
      'dimension-mismatch',
      `${name} has ${tokens.length} values, which is not a multiple of dim ${dim}`,
      { parameter: name, expected: `a multiple of ${dim}`, actual: tokens.length },
    );
  }
  return { precision: 'float32', dim, numTokens: tokens.length / dim, values: tokens };
}

/** Checks batch offsets against a matrix of `rows` rows; returns the document count. */
export function checkOffsets(offsets: ArrayLike<number>, rows: number): number {
  if (!offsets || typeof offsets.length !== 'number' || offsets.length < 1) {
    throw invalidArgument('offsets', 'an array of numDocuments + 1 row offsets', offsets);
  }
  if (offsets[0] !== 0) throw invalidArgument('offsets[0]', '0', offsets[0]);
  for (let i = 1; i < offsets.length; i++) {
    const value = offsets[i];
    if (!Number.isInteger(value) || value < offsets[i - 1] || value > rows) {
      throw invalidArgument(`offsets[${i}]`, `an integer in ${offsets[i - 1]}..${rows}`, value);
    }
  }
  const last = offsets[offsets.length - 1];
  if (last !== rows) {
    throw invalidArgument(`offsets[${offsets.length - 1}]`, `${rows} (the row count)`, last);
  }
  return offsets.length - 1;
}

function checkQuery(query: Float32Array, dim: number): void {
  checkDim(dim);
  validateTokenSet(query, dim, 'query');
}

/** Number of documents in a batch, after checking its shape. */
export function batchSize(docs: DocumentBatch, dim: number): number {
  if (Array.isArray(docs)) return docs.length;
  const batch = docs as ScoringBatch;
  if (!batch || typeof batch !== 'object' || !('data' in batch)) {
    throw invalidArgument('documents', 'a { data, offsets } batch or an array', describe(docs));
  }
  const encoded = asEncoded(batch.data, dim, 'documents.data');
  return checkOffsets(batch.offsets, encoded.numTokens);
}

const single = new Uint32Array(2);

/**
 * Scores documents `first` to `last - 1` of a checked batch into `out[outAt...]` with the
 * current kernel, whose query is already set. Errors name document i `documents[labelBase + i]`.
 * Shared by the batch forms and the thread pool.
 */
export function scoreRange(
  docs: DocumentBatch,
  dim: number,
  first: number,
  last: number,
  out: Float32Array,
  outAt = 0,
  labelBase = 0,
): void {
  const kernel = getKernel();
  if (!Array.isArray(docs)) {
    const { data, offsets } = docs as ScoringBatch;
    const encoded = asEncoded(data, dim, 'documents.data');
    kernel.scoreBatch(encoded, offsets, first, last, out, outAt, labelBase);
    return;
  }
  const list = docs as readonly DocumentTokens[];
  for (let i = first; i < last; i++) {
    const encoded = asEncoded(list[i], dim, `documents[${labelBase + i}]`);
    single[1] = encoded.numTokens;
    kernel.scoreBatch(encoded, single, 0, 1, out, outAt + i - first, labelBase + i);
  }
}

/**
 * Chamfer score of `query` (numQueryTokens x dim) against one document (float32 rows or an
 * EncodedTokens). Throws `invalid-argument` for a bad dim, `dimension-mismatch` for a length
 * that is not a multiple of dim, `non-finite-value` for NaN or infinities, `empty-input` when a
 * side has no non-padding row.
 */
export function chamfer(query: Float32Array, doc: DocumentTokens, dim: number): number {
  checkQuery(query, dim);
  const encoded = asEncoded(doc, dim, 'documents[0]');
  const kernel = getKernel();
  kernel.setQuery(query, dim);
  single[1] = encoded.numTokens;
  const out = new Float32Array(1);
  kernel.scoreBatch(encoded, single, 0, 1, out, 0, 0);
  return out[0];
}

/**
 * Scores one query against many documents: `out[i]` is the Chamfer score of document i. Pass
 * `out` (at least numDocuments long) to reuse it; nothing is allocated per document.
 * Errors as in {@link chamfer}, naming the document (`documents[i]`).
 */
export function chamferBatch(
  query: Float32Array,
  docs: DocumentBatch,
  dim: number,
  out?: Float32Array,
): Float32Array {
  checkQuery(query, dim);
  const count = batchSize(docs, dim);
  const scores = checkOut(out, count);
  getKernel().setQuery(query, dim);
  scoreRange(docs, dim, 0, count, scores);
  return scores;
}

/** Returns `out` when it is a Float32Array of at least `count` entries, else a new one. */
export function checkOut(out: Float32Array | undefined, count: number): Float32Array {
  if (out === undefined) return new Float32Array(count);
  if (!(out instanceof Float32Array) || out.length < count) {
    throw invalidArgument('out', `a Float32Array of at least ${count} entries`, describe(out));
  }
  return out;
}

/**
 * The `k` best of `scores[0..count)`: higher score first; equal scores keep the lower input
 * index first. Returns min(k, count) hits.
 */
export function topKOf(scores: Float32Array, count: number, k: number): ChamferHit[] {
  if (!Number.isInteger(k) || k < 1) throw invalidArgument('k', 'a positive integer', k);
  const order = new Uint32Array(count);
  for (let i = 0; i < count; i++) order[i] = i;
  order.sort((a, b) => scores[b] - scores[a] || a - b);
  const hits: ChamferHit[] = [];
  for (let i = 0; i < Math.min(k, count); i++) {
    hits.push({ index: order[i], score: scores[order[i]] });
  }
  return hits;
}

/**
 * The `k` documents of `docs` with the highest Chamfer score against `query`, best first.
 * Ties: higher score first, then the lower input index. `scratch` (at least numDocuments long)
 * is reused for the scores when given.
 */
export function chamferTopK(
  query: Float32Array,
  docs: DocumentBatch,
  dim: number,
  k: number,
  scratch?: Float32Array,
): ChamferHit[] {
  if (!Number.isInteger(k) || k < 1) throw invalidArgument('k', 'a positive integer', k);
  const scores = chamferBatch(query, docs, dim, scratch);
  return topKOf(scores, batchSize(docs, dim), k);
}

/** Which document token each query token matched, for highlighting. */
export interface ChamferExplanation {
  /** The Chamfer score (portable kernel, float64 accumulation). */
  score: number;
  /** Per query row: index of its best document row, -1 for a padding query row. */
  bestDocToken: Int32Array;
  /** Per query row: that best dot product (its share of the score), 0 for padding rows. */
  bestScore: Float32Array;
}

/**
 * For each query token, the document token it matches best and the dot product. Ties keep the
 * lower document row. Validates like {@link chamfer}.
 */
export function explainChamfer(
  query: Float32Array,
  doc: DocumentTokens,
  dim: number,
): ChamferExplanation {
  checkQuery(query, dim);
  const encoded = asEncoded(doc, dim, 'documents[0]');
  const kernel = getPortableKernel();
  kernel.setQuery(query, dim);
  const numQuery = query.length / dim;
  const bestDocToken = new Int32Array(numQuery);
  const bestScore = new Float32Array(numQuery);
  const score = kernel.scoreRows(encoded, 0, encoded.numTokens, 0, bestDocToken, bestScore);
  return { score, bestDocToken, bestScore };
}
