/**
 * Running the queries of an evaluation one after another and timing each: the input of
 * `computeEvalResult` (rankings and latencies) from any search function.
 */
import { DEFAULTS } from '../defaults.js';
import { invalidArgument } from '../errors.js';
import type { RankedHit } from './metrics.js';

/** Rankings and latencies of one timed run. */
export interface TimedRun {
  /** Each query's ranking, in the order the queries were given. */
  rankings: Map<string, readonly RankedHit[]>;
  /** Each query's latency in milliseconds, in the same order. */
  latenciesMs: number[];
}

/** Options of {@link runTimedQueries}. */
export interface TimedRunOptions {
  /**
   * Queries run untimed before the timed run (the first ones of the list, again), so that
   * one-time costs (compiling, loading a model or an index page) do not land in the
   * percentiles. 0 times from the first call.
   */
  warmupQueries?: number;
}

/**
 * Runs `search` on every query in turn, awaiting each before the next (a single-threaded run,
 * as `qps` assumes), and times each call with `performance.now()`. Whatever the callback does
 * is timed: with a text encoder, that includes encoding the query.
 */
export async function runTimedQueries<Query extends { readonly id: string }>(
  queries: readonly Query[],
  search: (query: Query) => Promise<readonly RankedHit[]> | readonly RankedHit[],
  { warmupQueries = DEFAULTS.eval.warmupQueries }: TimedRunOptions = {},
): Promise<TimedRun> {
  if (!Number.isInteger(warmupQueries) || warmupQueries < 0) {
    throw invalidArgument('warmupQueries', 'an integer >= 0', warmupQueries);
  }
  const ids = new Set<string>();
  for (const [i, query] of queries.entries()) {
    if (ids.has(query.id))
      throw invalidArgument(`queries[${i}].id`, 'an id not already listed', query.id);
    ids.add(query.id);
  }

  for (const query of queries.slice(0, warmupQueries)) await search(query);

  const rankings = new Map<string, readonly RankedHit[]>();
  const latenciesMs: number[] = [];
  for (const query of queries) {
    const start = performance.now();
    const ranking = await search(query);
    latenciesMs.push(performance.now() - start);
    rankings.set(query.id, ranking);
  }
  return { rankings, latenciesMs };
}
