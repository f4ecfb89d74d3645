/**
 * HNSW candidate index on usearch (Malkov and Yashunin, "Efficient and robust approximate
 * nearest neighbor search using Hierarchical Navigable Small World graphs", 2016).
 *
 * Vectors are stored as float32 or float16 in usearch's native index with the inner-product
 * metric. usearch reports a distance of 1 - <q, x>; this module turns it back into the score.
 * Insertion and batch search run on `threads` native threads.
 *
 * NOTE: HNSW navigates by greedy moves towards larger inner products. Document FDEs share a large
 * common component (ColBERT tokens all lean towards one direction, and FDEs average them), so
 * raw inner products between documents are dominated by it and the graph links documents that
 * are alike in that shared part rather than in what sets them apart: on one version of the
 * synthetic ColBERT-like corpus recall@10 against `flat` was 0.67 raw and 0.96 centred
 * (weaviate preset, 5,000 documents; on the current version 0.98 and 1.00). With `center` on, the index stores x - m, where m is the mean of the
 * batch added to the empty index, and adds <q, m> back to every score. For one query that is the
 * same constant for every document, <q, x - m> = <q, x> - <q, m>, so rankings and scores are
 * exactly those of inner product on x, for any m; m only decides how well the graph navigates.
 * Measure recall against `flat` (bench/index-build-search.ts); do not trust `expansionSearch`.
 *
 * NOTE: usearch 2.25's JavaScript binding fixes `expansionSearch` when an index is built or
 * loaded (so `deserializeCandidateIndex(bytes, { expansionSearch })` changes it) and has no
 * filtered search, so a filter is applied by over-fetching (see {@link HnswIndex.search}). A
 * larger `count` searches wider on one call: usearch explores max(expansionSearch, count).
 *
 * NOTE: usearch 2.25 saves through C stdio: open, 4 KiB buffered writes, then `fclose`, whose
 * result it ignores, and no fsync (test/reliability/native-save-faults.test.ts traces it). A
 * failed write inside the save is reported, but the failure of the last buffered write, flushed
 * by `fclose`, is not: the save succeeds with a short file. So `serialize` checks that the file
 * it reads back is exactly as long as its own structure says (see checkNativeFile), and every
 * failure around the temporary file is an `io-error`. The collection syncs its own copy.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Matches, MetricKind, Index as NativeIndex, type ScalarKind } from 'usearch';
import { DEFAULTS } from '../defaults.js';
import { invalidArgument, MuveraError } from '../errors.js';
import { type EnvelopeHeader, wrapEnvelope } from './envelope.js';
import { dot } from './flat.js';
import { packSections, SectionReader } from './payload.js';
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
  numberAtLeastOne,
  positiveInteger,
} from './validate.js';

/** Scalar types HNSW can store vectors in. */
export const HNSW_PRECISIONS = ['f32', 'f16'] as const;
export type HnswPrecision = (typeof HNSW_PRECISIONS)[number];

/** HNSW parameters; each defaults to `DEFAULTS.index.hnsw` (see docs/indexes.md). */
export interface HnswOptions {
  /** Graph degree M: neighbours kept per node and layer (the base layer keeps 2M). */
  connectivity?: number;
  /** Beam width while inserting (efConstruction). */
  expansionAdd?: number;
  /** Beam width while searching (efSearch); the search uses max(expansionSearch, count). */
  expansionSearch?: number;
  /**
   * Beam width per result wanted: a search for `count` results explores at least
   * `expansionPerResult * count` nodes and keeps the best `count` (1 turns the widening off).
   */
  expansionPerResult?: number;
  /** Stored scalar type: `f32` or `f16` (half the memory, scores rounded). */
  precision?: HnswPrecision;
  /** Store vectors minus the first batch's mean (rankings unchanged, navigation far better). */
  center?: boolean;
  /** Native threads for add and batch search; 0 means one per core. Not stored. */
  threads?: number;
}

const OPTION_NAMES = [
  'connectivity',
  'expansionAdd',
  'expansionSearch',
  'expansionPerResult',
  'precision',
  'center',
  'threads',
];
const BYTES_PER_SCALAR: Record<HnswPrecision, number> = { f32: 4, f16: 2 };
/** NOTE: usearch keeps a 4-byte slot per neighbour and 2M of them in the base layer. */
const NEIGHBOUR_BYTES = 4;
/** Key, level and lock bookkeeping per node in usearch, roughly. */
const NODE_OVERHEAD_BYTES = 16;
/** usearch 2.25 file layout, checked before its loader runs (see checkNativeFile). */
const VECTORS_BLOB_PREFIX = 8;
const USEARCH_MAGIC = 'usearch';
const HEAD_PRESENT_OFFSET = 17;
const HEAD_DIMENSIONS_OFFSET = 33;
const HEAD_BYTES = 64;
/** The graph: u64 node count, connectivity, base-layer connectivity, max level, entry node. */
const GRAPH_HEADER_BYTES = 40;
const GRAPH_CONNECTIVITY_OFFSET = 8;
const GRAPH_BASE_OFFSET = 16;
const GRAPH_MAX_LEVEL_OFFSET = 24;
/** Then an i16 level per node, then each node: u64 key, i16 level, its neighbour lists. */
const LEVEL_BYTES = 2;
const NODE_HEAD_BYTES = 10;
/** A neighbour list is a u32 count and that layer's connectivity of 4-byte slots. */
const LIST_COUNT_BYTES = 4;
const USEARCH_TEMP_PREFIX = 'muvera-hnsw-';
const TEMP_REMEDY = 'Check the free space and health of the temporary directory (TMPDIR)';
const REBUILD_REMEDY = 'Rebuild the index from the stored documents';
/** How much more than `count` a filtered search fetches first, and how fast it widens. */
const FILTER_GROWTH = 4;
/** NOTE: usearch refuses a smaller degree, but only when the native index is first built. */
const MIN_CONNECTIVITY = 2;
/**
 * Largest degree accepted. usearch reserves memory per node for 2M links on every level, so a
 * huge M fails (or takes gigabytes) at the first add, long after the options were accepted.
 */
const MAX_CONNECTIVITY = 1024;

type ResolvedHnsw = Required<Omit<HnswOptions, 'threads'>>;

/** Approximate inner-product search on a usearch HNSW graph. */
export class HnswIndex implements CandidateIndex {
  readonly kind = 'hnsw' as const;
  readonly dimensions: number;
  readonly params: ResolvedHnsw;
  #threads: number;
  #native: NativeIndex;
  /** The centre subtracted from stored vectors: null until the first add, or when off. */
  #mean: Float32Array | null = null;

  constructor(dimensions: number, options: HnswOptions = {}) {
    checkOptionNames(options, OPTION_NAMES, 'hnsw');
    this.dimensions = dimensions;
    this.params = resolveOptions(options);
    this.#threads = resolveThreads(options.threads);
    this.#native = new NativeIndex({
      dimensions,
      metric: MetricKind.IP,
      quantization: this.params.precision as ScalarKind,
      connectivity: this.params.connectivity,
      expansion_add: this.params.expansionAdd,
      expansion_search: this.params.expansionSearch,
      multi: false,
    });
  }

  get size(): number {
    return this.#native.size();
  }

  add(keys: ArrayLike<number>, vectors: Float32Array): void {
    const checked = checkKeys(keys);
    checkMatrix(vectors, this.dimensions, checked.length, 'vectors');
    if (checked.length === 0) return;

    const native = BigUint64Array.from(checked, BigInt);
    const present = this.#native.contains(native) as boolean[];
    checkKeysAreNew(checked, (_, i) => present[i]);

    // An empty index holds nothing stored against the old centre, so it takes a fresh one.
    if (this.params.center && this.size === 0) this.#mean = columnMean(vectors, this.dimensions);
    const stored = this.#mean === null ? startAtZero(vectors) : subtractRows(vectors, this.#mean);
    this.#native.add(native, stored, this.#threads);
  }

  remove(keys: ArrayLike<number>): number {
    const checked = checkKeys(keys);
    if (checked.length === 0) return 0;
    const removed = this.#native.remove(BigUint64Array.from(checked, BigInt)) as number[];
    return removed.reduce((sum, n) => sum + n, 0);
  }

  has(key: number): boolean {
    return Number.isSafeInteger(key) && key >= 0 && this.#native.contains(BigInt(key)) === true;
  }

  /**
   * Searches the graph. With a filter, fetches FILTER_GROWTH times `count`, keeps the passing
   * keys, and widens by the same factor until `count` pass or the whole index was returned.
   */
  search(
    query: Float32Array,
    count: number,
    options: CandidateSearchOptions = {},
  ): CandidateResult {
    checkMatrix(query, this.dimensions, 1, 'query');
    checkCount(count);
    if (this.size === 0) return { keys: [], scores: [] };
    const filter = options.filter;
    if (filter === undefined) return this.#searchOne(query, Math.min(count, this.size));

    let fetch = Math.min(count * FILTER_GROWTH, this.size);
    for (;;) {
      const found = this.#searchOne(query, fetch);
      const passing = keepPassing(found, filter, count);
      if (passing.keys.length >= count || fetch >= this.size) return passing;
      fetch = Math.min(fetch * FILTER_GROWTH, this.size);
    }
  }

  searchBatch(
    queries: Float32Array,
    count: number,
    options: CandidateSearchOptions = {},
  ): CandidateResult[] {
    checkMatrix(queries, this.dimensions, null, 'queries');
    checkCount(count);
    const numQueries = queries.length / this.dimensions;
    if (options.filter !== undefined || this.size === 0 || numQueries <= 1) {
      return Array.from({ length: numQueries }, (_, q) =>
        this.search(
          queries.subarray(q * this.dimensions, (q + 1) * this.dimensions),
          count,
          options,
        ),
      );
    }
    const wanted = Math.min(count, this.size);
    const rows = Array.from({ length: numQueries }, (_, q) =>
      queries.slice(q * this.dimensions, (q + 1) * this.dimensions),
    );
    const batch = this.#native.search(rows, this.#beam(wanted), this.#threads);
    return rows.map((row, q) => toResult(batch.get(q), this.#shift(row), wanted));
  }

  stats(): CandidateIndexStats {
    const { kind, dimensions, size } = this;
    const perNode =
      dimensions * BYTES_PER_SCALAR[this.params.precision] +
      2 * this.params.connectivity * NEIGHBOUR_BYTES +
      NODE_OVERHEAD_BYTES;
    return { kind, dimensions, size, memoryBytes: size * perNode, params: { ...this.params } };
  }

  /** Payload: the centre (`dimensions` float32 values, when `hasMean`), then usearch's file. */
  serialize(): Uint8Array {
    const header: EnvelopeHeader = {
      kind: 'hnsw',
      dimensions: this.dimensions,
      count: this.size,
      params: { ...this.params, hasMean: this.#mean !== null },
    };
    const native = withTempFile((path) => {
      this.#native.save(path);
      return readFileSync(path);
    });
    checkNativeFile(native, header, (what) => {
      const message = `usearch's save of the HNSW index reported success but wrote a damaged file (${what}): a write failed unreported`;
      return new MuveraError('io-error', message, { remedy: TEMP_REMEDY });
    });
    return wrapEnvelope(header, packSections([this.#mean ?? new Float32Array(0), native]));
  }

  /** Rebuilds an HNSW index from a verified envelope header and payload. */
  static fromPayload(
    header: EnvelopeHeader,
    payload: Uint8Array,
    runtime: Pick<HnswOptions, 'threads' | 'expansionSearch' | 'expansionPerResult'> = {},
  ): HnswIndex {
    const { hasMean, ...params } = header.params;
    const options = {
      ...params,
      threads: runtime.threads,
      expansionSearch: runtime.expansionSearch ?? params.expansionSearch,
      expansionPerResult: runtime.expansionPerResult ?? params.expansionPerResult,
    };
    const index = new HnswIndex(header.dimensions, options as HnswOptions);
    const reader = new SectionReader(payload);
    if (hasMean === true) index.#mean = reader.read(Float32Array, header.dimensions);
    const native = reader.rest();
    checkNativeFile(native, header, (what) => {
      const message = `HNSW payload is not a usearch index: ${what}`;
      return new MuveraError('corrupt-data', message, { remedy: REBUILD_REMEDY });
    });

    withTempFile((path) => {
      writeFileSync(path, native);
      try {
        index.#native.load(path);
      } catch (cause) {
        throw new MuveraError('corrupt-data', 'usearch could not load the HNSW payload', { cause });
      }
    });
    if (index.size !== header.count || index.#native.dimensions() !== header.dimensions) {
      throw new MuveraError(
        'corrupt-data',
        `HNSW payload holds ${index.size} vectors of dimension ${index.#native.dimensions()}, header says ${header.count} of ${header.dimensions}`,
        { remedy: REBUILD_REMEDY },
      );
    }
    return index;
  }

  #searchOne(query: Float32Array, wanted: number): CandidateResult {
    const found = this.#native.search(startAtZero(query), this.#beam(wanted), 1);
    return toResult(found, this.#shift(query), wanted);
  }

  /**
   * How many results to ask usearch for so that its beam covers `expansionPerResult` nodes per
   * result wanted. NOTE: usearch 2.25's binding has no per-call efSearch; asking for more
   * results is how one call searches wider (it explores max(expansionSearch, count)).
   */
  #beam(wanted: number): number {
    return Math.min(
      this.size,
      Math.max(wanted, Math.ceil(wanted * this.params.expansionPerResult)),
    );
  }

  /** <q, m>: what centring took from every score of this query. */
  #shift(query: Float32Array): number {
    return this.#mean === null ? 0 : dot(query, 0, this.#mean, 0, this.dimensions);
  }
}

/**
 * Checks usearch's file against the envelope header and its own structure before usearch reads
 * it, and after it wrote it. NOTE: usearch's loader trusts its input (200 bytes of garbage
 * crashed the process with SIGSEGV), so the envelope checksum is the real guard on load; this
 * catches a payload that is not a usearch index of the stated shape, and a file that a save cut
 * short. Layout (usearch 2.25): u32 rows, u32 bytes a row, the vectors, then the head: magic
 * "usearch", three u16 version numbers, one byte each for metric, scalar, key and slot kinds,
 * then u64 present count, deleted count and dimensions; then the graph (see GRAPH_HEADER_BYTES).
 */
function checkNativeFile(
  native: Uint8Array,
  header: EnvelopeHeader,
  fail: (what: string) => MuveraError,
): void {
  if (native.length < VECTORS_BLOB_PREFIX) throw fail(`${native.length} bytes`);
  const view = new DataView(native.buffer, native.byteOffset, native.byteLength);
  const rows = view.getUint32(0, true);
  const rowBytes = view.getUint32(4, true);
  const head = VECTORS_BLOB_PREFIX + rows * rowBytes;
  if (head + HEAD_BYTES > native.length) throw fail(`${rows} rows of ${rowBytes} bytes overrun it`);

  const magic = new TextDecoder().decode(native.subarray(head, head + USEARCH_MAGIC.length));
  if (magic !== USEARCH_MAGIC) throw fail('no usearch magic after the vectors');
  const u64 = (offset: number) => Number(view.getBigUint64(offset, true));
  const present = u64(head + HEAD_PRESENT_OFFSET);
  const dimensions = u64(head + HEAD_DIMENSIONS_OFFSET);
  if (present !== header.count || dimensions !== header.dimensions) {
    throw fail(
      `it holds ${present} vectors of ${dimensions}, the header says ${header.count} of ${header.dimensions}`,
    );
  }

  const graph = head + HEAD_BYTES;
  const levels = graph + GRAPH_HEADER_BYTES;
  const nodes = levels <= native.length ? u64(graph) : -1;
  if (nodes !== rows || levels + nodes * LEVEL_BYTES > native.length) {
    throw fail(`its graph does not hold its ${rows} rows within ${native.length} bytes`);
  }
  const list = (slots: number) => LIST_COUNT_BYTES + slots * NEIGHBOUR_BYTES;
  const base = list(u64(graph + GRAPH_BASE_OFFSET));
  const upper = list(u64(graph + GRAPH_CONNECTIVITY_OFFSET));
  const maxLevel = u64(graph + GRAPH_MAX_LEVEL_OFFSET);
  let expected = levels + nodes * LEVEL_BYTES;
  for (let node = 0; node < nodes; node++) {
    const level = view.getInt16(levels + node * LEVEL_BYTES, true);
    if (level < 0 || level > maxLevel) throw fail(`node ${node} has level ${level}`);
    expected += NODE_HEAD_BYTES + base + level * upper;
  }
  if (expected !== native.length) {
    throw fail(`its graph needs ${expected} bytes, the file has ${native.length}`);
  }
}

/**
 * Throws `invalid-argument` for HNSW options an {@link HnswIndex} would refuse, without building
 * one. `parameter` names the options object in messages.
 */
export function checkHnswOptions(options: unknown, parameter: string): void {
  if (options === null || typeof options !== 'object') {
    throw invalidArgument(parameter, 'an object of HNSW parameters', options);
  }
  checkOptionNames(options, OPTION_NAMES, 'hnsw');
  resolveOptions(options as HnswOptions);
  resolveThreads((options as HnswOptions).threads);
}

/** Fills in and checks HNSW options against DEFAULTS.index.hnsw. */
function resolveOptions(options: HnswOptions): ResolvedHnsw {
  const base = DEFAULTS.index.hnsw;
  const precision = options.precision ?? base.precision;
  if (!HNSW_PRECISIONS.includes(precision)) {
    throw invalidArgument('options.precision', `one of ${HNSW_PRECISIONS.join(', ')}`, precision);
  }
  const connectivity = options.connectivity ?? base.connectivity;
  const inRange = connectivity >= MIN_CONNECTIVITY && connectivity <= MAX_CONNECTIVITY;
  if (!Number.isSafeInteger(connectivity) || !inRange) {
    const expected = `an integer from ${MIN_CONNECTIVITY} to ${MAX_CONNECTIVITY}`;
    throw invalidArgument('options.connectivity', expected, connectivity);
  }
  const center = options.center ?? base.center;
  if (typeof center !== 'boolean') throw invalidArgument('options.center', 'true or false', center);
  return {
    connectivity,
    expansionAdd: positiveInteger(options.expansionAdd, base.expansionAdd, 'options.expansionAdd'),
    expansionSearch: positiveInteger(
      options.expansionSearch,
      base.expansionSearch,
      'options.expansionSearch',
    ),
    expansionPerResult: numberAtLeastOne(
      options.expansionPerResult,
      base.expansionPerResult,
      'options.expansionPerResult',
    ),
    precision,
    center,
  };
}

function resolveThreads(threads: unknown): number {
  if (threads === undefined) return DEFAULTS.index.hnsw.threads;
  if (typeof threads !== 'number' || !Number.isSafeInteger(threads) || threads < 0) {
    throw invalidArgument('options.threads', 'a non-negative integer (0: one per core)', threads);
  }
  return threads;
}

/**
 * The best `wanted` of usearch's matches (sorted best first). usearch distances are
 * 1 - <q, x - m>; scores are <q, x> = 1 - distance + <q, m>.
 */
function toResult(found: Matches, shift: number, wanted: number): CandidateResult {
  const keys = Array.from(found.keys.subarray(0, wanted), Number);
  const scores = Array.from(
    found.distances.subarray(0, wanted),
    (distance) => 1 - distance + shift,
  );
  return { keys, scores };
}

function keepPassing(
  found: CandidateResult,
  filter: (key: number) => boolean,
  count: number,
): CandidateResult {
  const out: CandidateResult = { keys: [], scores: [] };
  for (let i = 0; i < found.keys.length && out.keys.length < count; i++) {
    if (!filter(found.keys[i])) continue;
    out.keys.push(found.keys[i]);
    out.scores.push(found.scores[i]);
  }
  return out;
}

/** Mean of the rows of `vectors` (rows of `dimensions` values), accumulated in float64. */
function columnMean(vectors: Float32Array, dimensions: number): Float32Array {
  const sums = new Float64Array(dimensions);
  const numRows = vectors.length / dimensions;
  for (let row = 0; row < numRows; row++) {
    for (let j = 0; j < dimensions; j++) sums[j] += vectors[row * dimensions + j];
  }
  return Float32Array.from(sums, (sum) => sum / numRows);
}

/** Each row of `vectors` minus `mean`, in a new array. */
function subtractRows(vectors: Float32Array, mean: Float32Array): Float32Array {
  const out = new Float32Array(vectors.length);
  for (let i = 0; i < vectors.length; i++) out[i] = vectors[i] - mean[i % mean.length];
  return out;
}

/** NOTE: usearch's native calls read from the start of the buffer, ignoring a view's offset. */
function startAtZero(values: Float32Array): Float32Array {
  return values.byteOffset === 0 ? values : values.slice();
}

/**
 * Runs `fn` with a path in a fresh temporary directory, removed afterwards. A failure of the
 * file system or of usearch's save there (usearch throws a plain TypeError) is an `io-error`.
 */
function withTempFile<T>(fn: (path: string) => T): T {
  try {
    const dir = mkdtempSync(join(tmpdir(), USEARCH_TEMP_PREFIX));
    try {
      return fn(join(dir, 'index.usearch'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  } catch (cause) {
    if (cause instanceof MuveraError) throw cause;
    const reason = cause instanceof Error ? cause.message : String(cause);
    const message = `saving or loading the HNSW index through a temporary file in ${tmpdir()} failed: ${reason}`;
    throw new MuveraError('io-error', message, { cause, remedy: TEMP_REMEDY });
  }
}
