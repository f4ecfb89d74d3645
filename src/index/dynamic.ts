/**
 * The dynamic candidate index: the exact flat scan while the collection is small, HNSW once it
 * holds more than `threshold` vectors.
 *
 * Why: below a few tens of thousands of FDEs a SIMD scan of every vector costs about as much as
 * an HNSW search with a beam wide enough for hundreds of candidates, and it misses nothing; past
 * that, its cost grows with the collection while the graph's barely does. On SciFact (5,183
 * documents, weaviate FDEs) the flat scan answered 200 candidates in less time than HNSW and
 * lifted nDCG@10 after the re-rank from 0.543-0.549 (HNSW, depending on the build) to 0.549
 * (docs/indexes.md).
 *
 * The switch happens inside the `add` that takes the index past `threshold`: the HNSW is built
 * from every vector the flat index holds plus the new ones, in one batch (so its centre is the
 * mean of all of them), and the flat index is dropped. It never switches back: removals below
 * the threshold keep the graph, and only a rebuild (compaction, `rebuildIndex`) starts flat again.
 */
import { DEFAULTS } from '../defaults.js';
import { MuveraError } from '../errors.js';
import { type EnvelopeHeader, openEnvelope, wrapEnvelope } from './envelope.js';
import { FlatIndex } from './flat.js';
import { checkHnswOptions, HnswIndex, type HnswOptions } from './hnsw.js';
import type {
  CandidateIndex,
  CandidateIndexStats,
  CandidateResult,
  CandidateSearchOptions,
} from './types.js';
import {
  checkKeys,
  checkKeysAreNew,
  checkMatrix,
  checkOptionNames,
  positiveInteger,
} from './validate.js';

/** Dynamic index parameters; see docs/indexes.md. */
export interface DynamicOptions {
  /** Vectors held before the index turns into HNSW. */
  threshold?: number;
  /** Parameters of the HNSW it turns into (`DEFAULTS.index.hnsw` for any not given). */
  hnsw?: HnswOptions;
}

/** Which index a dynamic index currently is. */
export type DynamicStage = 'flat' | 'hnsw';

/** Flat scan while small, HNSW past a threshold. */
export class DynamicIndex implements CandidateIndex {
  readonly kind = 'dynamic' as const;
  readonly dimensions: number;
  readonly threshold: number;
  readonly #hnswOptions: HnswOptions;
  #inner: FlatIndex | HnswIndex;

  constructor(dimensions: number, options: DynamicOptions = {}) {
    checkOptionNames(options, ['threshold', 'hnsw'], 'dynamic');
    this.dimensions = dimensions;
    this.threshold = positiveInteger(
      options.threshold,
      DEFAULTS.index.dynamic.threshold,
      'options.threshold',
    );
    // Checked now, so bad HNSW options fail at creation, not at the switch.
    checkHnswOptions(options.hnsw === undefined ? {} : options.hnsw, 'options.hnsw');
    this.#hnswOptions = { ...options.hnsw };
    this.#inner = new FlatIndex(dimensions);
  }

  /** `flat` until the index has held more than `threshold` vectors, `hnsw` after. */
  get stage(): DynamicStage {
    return this.#inner.kind;
  }

  get size(): number {
    return this.#inner.size;
  }

  add(keys: ArrayLike<number>, vectors: Float32Array): void {
    const inner = this.#inner;
    const checked = checkKeys(keys);
    if (inner instanceof HnswIndex || inner.size + checked.length <= this.threshold) {
      inner.add(checked, vectors);
      return;
    }
    // The switch: validate like any add, then build the graph from old and new vectors at once.
    checkMatrix(vectors, this.dimensions, checked.length, 'vectors');
    checkKeysAreNew(checked, (key) => inner.has(key));
    const graph = new HnswIndex(this.dimensions, this.#hnswOptions);
    const held = inner.entries();
    const all = new Float32Array(held.vectors.length + vectors.length);
    all.set(held.vectors);
    all.set(vectors, held.vectors.length);
    graph.add([...held.keys, ...checked], all);
    this.#inner = graph;
  }

  remove(keys: ArrayLike<number>): number {
    return this.#inner.remove(keys);
  }

  has(key: number): boolean {
    return this.#inner.has(key);
  }

  search(query: Float32Array, count: number, options?: CandidateSearchOptions): CandidateResult {
    return this.#inner.search(query, count, options);
  }

  searchBatch(
    queries: Float32Array,
    count: number,
    options?: CandidateSearchOptions,
  ): CandidateResult[] {
    return this.#inner.searchBatch(queries, count, options);
  }

  stats(): CandidateIndexStats {
    const inner = this.#inner.stats();
    return { ...inner, kind: this.kind, params: this.#params() };
  }

  /** Payload: the current inner index's own envelope, checked again when read. */
  serialize(): Uint8Array {
    const header: EnvelopeHeader = {
      kind: this.kind,
      dimensions: this.dimensions,
      count: this.size,
      params: this.#params(),
    };
    return wrapEnvelope(header, this.#inner.serialize());
  }

  /** Rebuilds a dynamic index from a verified envelope header and payload. */
  static fromPayload(
    header: EnvelopeHeader,
    payload: Uint8Array,
    runtime: Pick<HnswOptions, 'threads' | 'expansionSearch' | 'expansionPerResult'> = {},
  ): DynamicIndex {
    const { threshold, hnsw, stage } = header.params as {
      threshold: number;
      hnsw: HnswOptions;
      stage: DynamicStage;
    };
    // Runtime settings go to the graph it is or will turn into, and are checked either way.
    const given = Object.entries(runtime).filter(([, value]) => value !== undefined);
    const options = { threshold, hnsw: { ...hnsw, ...Object.fromEntries(given) } };
    const index = new DynamicIndex(header.dimensions, options);
    const inner = openEnvelope(payload);
    const fail = (what: string) =>
      new MuveraError('corrupt-data', `dynamic index payload: ${what}`, {
        remedy: 'Rebuild the index from the stored documents',
      });
    if (inner.header.kind !== stage) throw fail(`holds ${inner.header.kind}, header says ${stage}`);
    if (inner.header.dimensions !== header.dimensions || inner.header.count !== header.count) {
      throw fail('its size or dimension differs from the header');
    }
    index.#inner =
      stage === 'hnsw'
        ? HnswIndex.fromPayload(inner.header, inner.payload, runtime)
        : FlatIndex.fromPayload(inner.header, inner.payload);
    return index;
  }

  /** What the envelope stores: native threads are a runtime setting, not stored. */
  #params(): Record<string, unknown> {
    const { threads: _threads, ...hnsw } = this.#hnswOptions;
    return { threshold: this.threshold, hnsw, stage: this.stage };
  }
}

/**
 * True when `index` is (or has turned into) an HNSW graph. The collection keeps removed keys of
 * such an index as tombstones instead of calling `remove` (see src/collection/state.ts).
 */
export function isGraphIndex(index: CandidateIndex): boolean {
  return index.kind === 'hnsw' || (index instanceof DynamicIndex && index.stage === 'hnsw');
}
