/**
 * Candidate strategies: how a search picks the documents it re-ranks with exact Chamfer. All
 * three sit behind one {@link Strategy} interface and end in the same exact re-rank, so their
 * hits differ only in which documents they consider.
 *
 * - `fde` (MUVERA, Jayaram et al., NeurIPS 2024, arXiv 2405.19504): encode the query as one
 *   Fixed Dimensional Encoding and ask the candidate index for the documents whose FDEs have the
 *   largest inner product with it.
 * - `tokens` (the single-vector heuristic the paper compares against, the default of LanceDB and
 *   Milvus): look up the nearest document tokens of every query token in an index of all
 *   document tokens, deduplicate their documents, and keep the `count` documents whose summed
 *   best token similarities are highest.
 * - `exact`: every document (the oracle).
 */
import { DEFAULTS } from '../defaults.js';
import type { CandidateIndex } from '../index/types.js';
import { type CollectionState, docKeyOfToken, keepsTombstones } from './state.js';
import type { StrategyName } from './types.js';

/** What a strategy may use. */
export interface StrategyContext {
  state: CollectionState;
  /** The query FDE under the collection's stored encoder config. */
  encodeQuery(rows: Float32Array): Float32Array;
  /** The token index, built on first use. */
  tokenIndex(): CandidateIndex;
}

/** A candidate stage. */
export interface Strategy {
  readonly name: StrategyName;
  /**
   * Keys of up to `count` candidate documents for `query` (numQuery x dim, padding-free), each
   * passing `filter` when one is given. `exact` ignores `count` and returns every passing key.
   */
  candidates(
    context: StrategyContext,
    query: Float32Array,
    count: number,
    filter?: (key: number) => boolean,
  ): number[];
}

const fdeStrategy: Strategy = {
  name: 'fde',
  candidates(context, query, count, filter) {
    const { state } = context;
    if (count >= state.size) return exactStrategy.candidates(context, query, count, filter);
    const vector = context.encodeQuery(query);
    // Tombstoned keys (see state.ts) take places in the result: fetch that many more.
    const fetch = count + state.tombstones;
    const keys = state.candidateIndex.search(vector, fetch, { filter }).keys;
    return keys.filter((key) => state.isLive(key)).slice(0, count);
  },
};

/**
 * NOTE: when `count` covers the whole collection, `fde` takes every document, as `exact` does:
 * an HNSW beam search does not promise to reach every node even when asked for all of them.
 */

/** The `fde` candidate stage of many queries in one index call; keys per query, in order. */
export function fdeCandidatesBatch(
  context: StrategyContext,
  queries: Float32Array[],
  count: number,
  filter?: (key: number) => boolean,
): number[][] {
  const { state } = context;
  if (count >= state.size) {
    return queries.map((rows) => exactStrategy.candidates(context, rows, count, filter));
  }
  const index = state.candidateIndex;
  const vectors = new Float32Array(queries.length * index.dimensions);
  queries.forEach((rows, i) => {
    vectors.set(context.encodeQuery(rows), i * index.dimensions);
  });
  const results = index.searchBatch(vectors, count + state.tombstones, { filter });
  return results.map((result) => result.keys.filter((key) => state.isLive(key)).slice(0, count));
}

const exactStrategy: Strategy = {
  name: 'exact',
  candidates(context, _query, _count, filter) {
    const keys = context.state.keys();
    return filter ? keys.filter(filter) : keys;
  },
};

const tokensStrategy: Strategy = {
  name: 'tokens',
  candidates(context, query, count, filter) {
    const index = context.tokenIndex();
    const dim = index.dimensions;
    const neighbours = DEFAULTS.search.tokenNeighbours ?? count;
    const { state } = context;
    const tokenFilter = (key: number) => {
      const docKey = docKeyOfToken(key);
      return state.isLive(docKey) && (filter === undefined || filter(docKey));
    };
    // NOTE: an index that removes for real holds live tokens only; without a filter it can run
    // its unfiltered scan (usearch's SIMD kernel for `flat`, many times the filtered loop).
    const needsFilter = filter !== undefined || keepsTombstones(index);
    const results = index.searchBatch(
      query,
      neighbours,
      needsFilter ? { filter: tokenFilter } : {},
    );

    // Each document scores the sum, over query tokens, of its best token among the neighbours.
    const numQuery = query.length / dim;
    const best = new Map<number, Float64Array>();
    results.forEach((result, q) => {
      result.keys.forEach((key, i) => {
        const docKey = docKeyOfToken(key);
        let row = best.get(docKey);
        if (!row) {
          row = new Float64Array(numQuery).fill(Number.NEGATIVE_INFINITY);
          best.set(docKey, row);
        }
        row[q] = Math.max(row[q], result.scores[i]);
      });
    });
    return [...best.entries()]
      .map(([key, row]) => ({ key, score: row.reduce(addFinite, 0) }))
      .sort((a, b) => b.score - a.score || a.key - b.key)
      .slice(0, count)
      .map((entry) => entry.key);
  },
};

/** Sums the best similarities found; a query token with no neighbour in the document adds 0. */
function addFinite(sum: number, value: number): number {
  return Number.isFinite(value) ? sum + value : sum;
}

/** The strategies by name. */
export const STRATEGY_TABLE: Readonly<Record<StrategyName, Strategy>> = Object.freeze({
  fde: fdeStrategy,
  tokens: tokensStrategy,
  exact: exactStrategy,
});
