/**
 * One search, whatever the strategy: candidates, a guard that a filter never shrinks results,
 * the exact Chamfer re-rank, hits with optional explanations, and statistics per stage.
 *
 * The guard: when the candidate stage returns fewer than `k` keys although more documents
 * exist, the search falls back to the exact strategy over every document passing the filter, so
 * a search returns `k` hits whenever `k` documents pass, and all of them when fewer do.
 */
import { matchesFilter } from './filter.js';
import { rerankToHits } from './scoring.js';
import type { DocRecord } from './state.js';
import { fdeCandidatesBatch, STRATEGY_TABLE, type StrategyContext } from './strategies.js';
import type { SearchResult } from './types.js';
import type { ResolvedSearchOptions } from './validate.js';

/** A validated query: padding-free rows and the caller's row number of each. */
export interface CheckedQuery {
  rows: Float32Array;
  kept: number[];
}

/** Candidate keys found ahead of the search (by a batch), and the milliseconds they cost. */
export interface Prefetched {
  keys: number[];
  ms: number;
}

/**
 * Runs one search synchronously against the current state (so no write lands midway).
 * `prefetched` replaces the strategy's candidate stage (searchBatch finds all candidates first).
 */
export function runSearch(
  context: StrategyContext,
  query: CheckedQuery,
  options: ResolvedSearchOptions,
  prefetched?: Prefetched,
): SearchResult {
  const { state } = context;
  const dim = state.dim;
  const start = performance.now();
  const filter = options.filter;
  const passes = filter
    ? (key: number) => {
        const record = state.byKey(key);
        return record !== undefined && matchesFilter(record.metadata, filter);
      }
    : undefined;

  // Stage 1: candidates, widened to every passing document when the stage came up short.
  let keys =
    prefetched?.keys ??
    STRATEGY_TABLE[options.strategy].candidates(context, query.rows, options.candidates, passes);
  const candidatesFetched = keys.length;
  let exactFallback = false;
  if (options.strategy !== 'exact' && keys.length < options.k && state.size > keys.length) {
    const every = STRATEGY_TABLE.exact.candidates(context, query.rows, 0, passes);
    exactFallback = every.length > keys.length;
    if (exactFallback) keys = every;
  }
  const records = keys.map((key) => state.byKey(key)).filter((r): r is DocRecord => !!r);
  const candidatesDone = performance.now() + (prefetched?.ms ?? 0);

  // Stage 2: exact Chamfer re-rank of the candidates.
  const hits = rerankToHits(query, records, dim, options.k, options.explain);
  const end = performance.now();

  return {
    hits,
    stats: {
      strategy: options.strategy,
      queryTokens: query.kept.length,
      candidatesFetched,
      exactScorings: records.length,
      exactFallback,
      timings: {
        candidatesMs: candidatesDone - start,
        rerankMs: end - candidatesDone,
        totalMs: end - start + (prefetched?.ms ?? 0),
      },
    },
  };
}

/**
 * One search per query with the same options. For `fde`, the candidate stage of all queries is
 * one batch call to the candidate index (HNSW runs it on several threads); the exact stage runs
 * per query. Everything is synchronous: no write lands between the queries.
 */
export function runSearchBatch(
  context: StrategyContext,
  queries: CheckedQuery[],
  options: ResolvedSearchOptions,
): SearchResult[] {
  if (options.strategy !== 'fde' || queries.length < 2) {
    return queries.map((query) => runSearch(context, query, options));
  }
  const { state } = context;
  const start = performance.now();
  const filter = options.filter;
  const passes = filter
    ? (key: number) => {
        const record = state.byKey(key);
        return record !== undefined && matchesFilter(record.metadata, filter);
      }
    : undefined;
  const batches = fdeCandidatesBatch(
    context,
    queries.map((q) => q.rows),
    options.candidates,
    passes,
  );
  const ms = (performance.now() - start) / queries.length;
  return queries.map((query, i) => runSearch(context, query, options, { keys: batches[i], ms }));
}
