/**
 * The candidate index interface: one small contract that HNSW, the exact flat scan, product
 * quantization and the dynamic index (flat, then HNSW) all implement, and that
 * test/index/contract.ts checks for each of them.
 *
 * A candidate index holds one vector per document (a document FDE), under a numeric key the
 * collection assigns, and answers "which keys have the largest inner product with this query
 * vector". It is a derived artifact: the collection can always rebuild it from stored tokens, so
 * its serialised form only needs to detect damage (checksummed envelope), not repair it.
 *
 * Keys are `number`s: non-negative safe integers (0 to 2^53 - 1). The collection hands them out,
 * so they never need to be bigints; results carry them back as plain numbers.
 */

/** The implementations behind {@link CandidateIndex}. */
export const CANDIDATE_INDEX_KINDS = ['hnsw', 'flat', 'pq', 'dynamic'] as const;

/**
 * Name of an implementation: `hnsw` (usearch graph), `flat` (exact scan), `pq` (compressed),
 * `dynamic` (flat while small, HNSW past a threshold).
 */
export type CandidateIndexKind = (typeof CANDIDATE_INDEX_KINDS)[number];

/** Keys of documents, best first, with their inner-product scores (higher is better). */
export interface CandidateResult {
  /** Document keys, best first. */
  keys: number[];
  /** Inner product of the query with each key's vector (approximate for `hnsw` f16 and `pq`). */
  scores: number[];
}

/** Per-call search options. Every field is optional. */
export interface CandidateSearchOptions {
  /**
   * Only keys for which this returns true may appear in the result. `flat` and `pq` test it
   * during the scan; `hnsw` over-fetches and widens until it has `count` passing keys or has
   * seen every vector. Results never shrink silently: when fewer than `count` keys pass, all
   * passing keys are returned.
   */
  filter?: (key: number) => boolean;
}

/** Memory and size figures of an index. */
export interface CandidateIndexStats {
  kind: CandidateIndexKind;
  dimensions: number;
  /** Vectors held. */
  size: number;
  /** Bytes of memory held for vectors, codes and graph (an estimate for `hnsw`). */
  memoryBytes: number;
  /** The resolved parameters, as stored in the serialised envelope. */
  params: Record<string, unknown>;
}

/** The one interface every candidate index implements. */
export interface CandidateIndex {
  /** Which implementation this is. */
  readonly kind: CandidateIndexKind;
  /** Width of every vector and query. */
  readonly dimensions: number;
  /** Vectors currently held. */
  readonly size: number;

  /**
   * Adds `keys.length` vectors, row after row in `vectors` (flat, `keys.length * dimensions`
   * values). All-or-nothing: validation (keys unique, new, in range; values finite; widths)
   * happens before the index changes. A key already present throws `already-exists`: remove it
   * first to replace a vector.
   */
  add(keys: ArrayLike<number>, vectors: Float32Array): void;

  /** Removes the given keys; unknown keys are ignored. Returns how many were removed. */
  remove(keys: ArrayLike<number>): number;

  /** True when `key` is held. */
  has(key: number): boolean;

  /**
   * The `count` keys with the largest inner product with `query`, best first. Fewer when the
   * index (or the filter) has fewer; an empty result from an empty index.
   */
  search(query: Float32Array, count: number, options?: CandidateSearchOptions): CandidateResult;

  /**
   * One {@link search} per query row of `queries` (flat, `numQueries * dimensions` values).
   * `hnsw` runs the queries on several threads.
   */
  searchBatch(
    queries: Float32Array,
    count: number,
    options?: CandidateSearchOptions,
  ): CandidateResult[];

  /** Size and memory figures. */
  stats(): CandidateIndexStats;

  /**
   * The whole index as bytes inside a checksummed, versioned envelope (see envelope.ts).
   * Read it back with `deserializeCandidateIndex`.
   */
  serialize(): Uint8Array;
}
