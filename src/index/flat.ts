/**
 * The exact flat index: every vector kept as float32, every query scanned against all of them.
 *
 * This is the oracle of the candidate stage: recall of `hnsw` and `pq` is measured against it.
 * Its cost is one dot product per stored vector and query (n * dimensions multiply-adds), so it
 * is the right choice for small collections and the wrong one past a few tens of thousands of
 * large FDEs.
 *
 * Unfiltered searches run usearch's `exactSearch` (SIMD, float32 accumulation), about six times
 * the speed of a JavaScript loop here; single queries on one thread, batches on every core.
 * Filtered searches run the JavaScript loop below, testing the filter before the dot product.
 * Either way results are ordered by score, then by lower key, so ties do not depend on the order
 * of insertion.
 */
import { type BatchMatches, exactSearch, type Matches, MetricKind } from 'usearch';
import { MuveraError } from '../errors.js';
import { type EnvelopeHeader, wrapEnvelope } from './envelope.js';
import { packSections, SectionReader } from './payload.js';
import { RowStore } from './row-store.js';
import { TopK } from './top-k.js';
import type {
  CandidateIndex,
  CandidateIndexStats,
  CandidateResult,
  CandidateSearchOptions,
} from './types.js';
import {
  checkCount,
  checkKeys,
  checkKeysAreNew,
  checkMatrix,
  checkOptionNames,
} from './validate.js';

/** The flat index has no parameters; its options object must be empty. */
export type FlatOptions = Record<string, never>;

/** One query is scanned on one thread, leaving the other cores to concurrent requests. */
const SINGLE_THREAD = 1;
/** usearch reads 0 threads as one per core. */
const ALL_CORES = 0;

/** Exact inner-product scan over float32 vectors. */
export class FlatIndex implements CandidateIndex {
  readonly kind = 'flat' as const;
  readonly dimensions: number;
  #rows: RowStore<Float32Array>;

  constructor(dimensions: number, options: FlatOptions = {}) {
    checkOptionNames(options, [], 'flat');
    this.dimensions = dimensions;
    this.#rows = new RowStore(Float32Array, dimensions);
  }

  get size(): number {
    return this.#rows.size;
  }

  add(keys: ArrayLike<number>, vectors: Float32Array): void {
    const checked = checkKeys(keys);
    checkMatrix(vectors, this.dimensions, checked.length, 'vectors');
    checkKeysAreNew(checked, (key) => this.#rows.has(key));
    this.#rows.append(checked, vectors);
  }

  remove(keys: ArrayLike<number>): number {
    let removed = 0;
    for (const key of checkKeys(keys)) if (this.#rows.delete(key)) removed++;
    return removed;
  }

  has(key: number): boolean {
    return this.#rows.has(key);
  }

  /** Every key held with its vector (row after row), in a fresh copy. */
  entries(): { keys: number[]; vectors: Float32Array } {
    const size = this.#rows.size;
    return {
      keys: Array.from(this.#rows.keys.subarray(0, size)),
      vectors: this.#rows.data.slice(0, size * this.dimensions),
    };
  }

  search(
    query: Float32Array,
    count: number,
    options: CandidateSearchOptions = {},
  ): CandidateResult {
    checkMatrix(query, this.dimensions, 1, 'query');
    checkCount(count);
    if (options.filter !== undefined) return this.#scan(query, 0, count, options.filter);
    return this.#exact(query, count, SINGLE_THREAD)[0];
  }

  searchBatch(
    queries: Float32Array,
    count: number,
    options: CandidateSearchOptions = {},
  ): CandidateResult[] {
    checkMatrix(queries, this.dimensions, null, 'queries');
    checkCount(count);
    // NOTE: usearch's exactSearch fails on zero queries ("Out of memory").
    if (queries.length === 0) return [];
    if (options.filter === undefined) return this.#exact(queries, count, ALL_CORES);
    const results: CandidateResult[] = [];
    for (let q = 0; q * this.dimensions < queries.length; q++) {
      results.push(this.#scan(queries, q * this.dimensions, count, options.filter));
    }
    return results;
  }

  stats(): CandidateIndexStats {
    const { kind, dimensions, size } = this;
    return { kind, dimensions, size, memoryBytes: this.#rows.bytes, params: {} };
  }

  serialize(): Uint8Array {
    const header: EnvelopeHeader = {
      kind: 'flat',
      dimensions: this.dimensions,
      count: this.size,
      params: {},
    };
    const payload = packSections([this.#rows.usedKeys(), this.#rows.usedRows()]);
    return wrapEnvelope(header, payload);
  }

  /** Rebuilds a flat index from a verified envelope header and payload. */
  static fromPayload(header: EnvelopeHeader, payload: Uint8Array): FlatIndex {
    const index = new FlatIndex(header.dimensions);
    const reader = new SectionReader(payload);
    const keys = Array.from(reader.read(Float64Array, header.count));
    const rows = reader.read(Float32Array, header.count * header.dimensions);
    reader.end();
    appendRestored(index, keys, rows);
    return index;
  }

  /**
   * usearch's exact kernel over the rows in use. Its distances are 1 - <q, x>.
   * NOTE: exactSearch reads from the start of each buffer, ignoring a view's offset: the rows
   * always start at offset 0, and queries are copied when they do not.
   */
  #exact(queries: Float32Array, count: number, threads: number): CandidateResult[] {
    const numQueries = queries.length / this.dimensions;
    const wanted = Math.min(count, this.size);
    if (wanted === 0) return Array.from({ length: numQueries }, () => ({ keys: [], scores: [] }));

    const rows = this.#rows.usedRows();
    const own = queries.byteOffset === 0 ? queries : queries.slice();
    const found = exactSearch(rows, own, this.dimensions, wanted, MetricKind.IP, threads);
    if (numQueries === 1) return [this.#toResult(found as Matches)];
    const batch = found as BatchMatches;
    return Array.from({ length: numQueries }, (_, q) => this.#toResult(batch.get(q)));
  }

  /** Slots to keys, distances to scores, ordered by score then key. */
  #toResult(found: Matches): CandidateResult {
    const keys = this.#rows.keys;
    const order = Array.from(found.keys, (slot, i) => ({
      key: keys[Number(slot)],
      score: 1 - found.distances[i],
    }));
    order.sort((a, b) => b.score - a.score || a.key - b.key);
    return { keys: order.map((o) => o.key), scores: order.map((o) => o.score) };
  }

  /** Scores every stored row against the query at `queries[offset...]`. */
  #scan(
    queries: Float32Array,
    offset: number,
    count: number,
    filter: ((key: number) => boolean) | undefined,
  ): CandidateResult {
    const top = new TopK(Math.min(count, this.size));
    const data = this.#rows.data;
    const keys = this.#rows.keys;
    const dims = this.dimensions;
    for (let slot = 0; slot < this.size; slot++) {
      if (filter !== undefined && !filter(keys[slot])) continue;
      top.offer(dot(queries, offset, data, slot * dims, dims), keys[slot]);
    }
    const { ids, scores } = top.sorted();
    return { keys: ids, scores };
  }
}

/** Adds restored rows, turning a validation failure into `corrupt-data`. */
export function appendRestored(index: CandidateIndex, keys: number[], rows: Float32Array): void {
  try {
    index.add(keys, rows);
  } catch (cause) {
    throw new MuveraError('corrupt-data', 'stored candidate index holds invalid keys or vectors', {
      cause,
      remedy: 'Rebuild the index from the stored documents',
    });
  }
}

/**
 * Inner product of `a[aStart..aStart+n)` and `b[bStart..bStart+n)`.
 * Shape: two rows of n float32 values; four partial sums let the loop pipeline.
 */
export function dot(a: Float32Array, aStart: number, b: Float32Array, bStart: number, n: number) {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let i = 0;
  for (; i + 3 < n; i += 4) {
    s0 += a[aStart + i] * b[bStart + i];
    s1 += a[aStart + i + 1] * b[bStart + i + 1];
    s2 += a[aStart + i + 2] * b[bStart + i + 2];
    s3 += a[aStart + i + 3] * b[bStart + i + 3];
  }
  for (; i < n; i++) s0 += a[aStart + i] * b[bStart + i];
  return s0 + s1 + s2 + s3;
}
