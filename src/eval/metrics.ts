/**
 * Retrieval quality and speed metrics, computed the way BEIR's evaluation (pytrec_eval, that is
 * trec_eval) computes them, so that numbers can be compared with published ones.
 *
 * Against judgments (`qrels`: for each query, document id -> integer grade):
 * - nDCG@k with LINEAR gains: DCG@k = sum over ranks i = 1..k of gain(doc_i) / log2(i + 1), where
 *   gain is the document's grade, and 0 for unjudged documents and grades <= 0. The ideal DCG
 *   ranks the query's judged grades from highest to lowest. nDCG = DCG / ideal DCG, 0 when the
 *   ideal is 0. (Järvelin and Kekäläinen, "Cumulated gain-based evaluation of IR techniques",
 *   TOIS 2002; trec_eval's `ndcg_cut`.)
 * - Recall@k: relevant documents (grade > 0) in the top k, divided by all relevant documents of
 *   the query (not by min(k, relevant)), 0 when there are none.
 * - MRR@k: 1 / rank of the first relevant document within the top k, else 0.
 *
 * Against a reference ranking (the exact Chamfer strategy): |top-k of run ∩ top-k of reference|
 * divided by min(k, reference length); optionally tolerant of ties at the k-th place.
 *
 * Speed: latency percentiles with linear interpolation between order statistics (numpy's
 * default, Hyndman and Fan's type 7) and queries per second of a single-threaded run.
 *
 * A ranking is used in the order given: ties in score are NOT re-sorted. (trec_eval re-sorts a
 * run by score and breaks ties by document id, descending, so numbers on tied scores can differ
 * slightly from BEIR's.) A document id appearing twice in one ranking is an error.
 */
import { invalidArgument, MuveraError } from '../errors.js';

/** One hit of a ranking: a document id and its score (higher is better). */
export interface RankedHit {
  readonly id: string;
  readonly score: number;
}

/** Judgments of one query: document id -> grade. Grades <= 0 mean "not relevant". */
export type Judgments = ReadonlyMap<string, number>;

/** Judgments of every query: query id -> {@link Judgments}. */
export type Qrels = ReadonlyMap<string, Judgments>;

/** Checks that `k` is a positive integer. */
function checkCutoff(k: number): void {
  if (!Number.isInteger(k) || k <= 0) throw invalidArgument('k', 'a positive integer', k);
}

/** The ids of the first `k` hits; throws when an id appears twice among them. */
export function topIds(ranking: readonly RankedHit[], k: number): string[] {
  checkCutoff(k);
  const ids = ranking.slice(0, k).map((hit) => hit.id);
  const seen = new Set<string>();
  for (const [rank, id] of ids.entries()) {
    if (seen.has(id)) {
      throw invalidArgument(`ranking[${rank}].id`, 'an id not already ranked', id);
    }
    seen.add(id);
  }
  return ids;
}

/** The gain of a document: its grade when positive, else 0 (unjudged included). */
function gain(judgments: Judgments, id: string): number {
  return Math.max(0, judgments.get(id) ?? 0);
}

/** The rank discount of 0-based position `i`: log2(i + 2), the log2(rank + 1) of 1-based ranks. */
function discount(i: number): number {
  return Math.log2(i + 2);
}

/** nDCG@k of one ranking with linear gains (see the module comment). */
export function ndcgAt(ranking: readonly RankedHit[], judgments: Judgments, k: number): number {
  const ids = topIds(ranking, k);
  let dcg = 0;
  for (const [i, id] of ids.entries()) dcg += gain(judgments, id) / discount(i);

  const grades = [...judgments.values()].filter((grade) => grade > 0).sort((a, b) => b - a);
  let ideal = 0;
  for (const [i, grade] of grades.slice(0, k).entries()) ideal += grade / discount(i);
  return ideal > 0 ? dcg / ideal : 0;
}

/** Number of documents with a grade above 0. */
export function countRelevant(judgments: Judgments): number {
  let count = 0;
  for (const grade of judgments.values()) if (grade > 0) count++;
  return count;
}

/** Recall@k of one ranking: relevant documents found in the top k over all relevant ones. */
export function recallAt(ranking: readonly RankedHit[], judgments: Judgments, k: number): number {
  const relevant = countRelevant(judgments);
  if (relevant === 0) {
    checkCutoff(k);
    return 0;
  }
  const found = topIds(ranking, k).filter((id) => gain(judgments, id) > 0).length;
  return found / relevant;
}

/** Reciprocal rank of the first relevant document within the top k, or 0. */
export function reciprocalRankAt(
  ranking: readonly RankedHit[],
  judgments: Judgments,
  k: number,
): number {
  const rank = topIds(ranking, k).findIndex((id) => gain(judgments, id) > 0);
  return rank < 0 ? 0 : 1 / (rank + 1);
}

/** Options of {@link recallAgainstReference}. */
export interface ReferenceRecallOptions {
  /**
   * `null`: plain set overlap. A number t: a run document also counts as found when its score
   * is at least (the reference's k-th score - t), so that a tie at the k-th place broken the
   * other way is not counted as a miss. The document's score is taken from the reference when
   * it is there (pass the reference a little deeper than k) and from the run otherwise, which is
   * sound when the run's scores are on the reference's scale, as every strategy's exact re-rank
   * is.
   */
  tieTolerance?: number | null;
}

/** |top-k of run ∩ top-k of reference| / min(k, reference length); 1 for an empty reference. */
export function recallAgainstReference(
  ranking: readonly RankedHit[],
  reference: readonly RankedHit[],
  k: number,
  { tieTolerance = null }: ReferenceRecallOptions = {},
): number {
  const wanted = new Set(topIds(reference, k));
  if (wanted.size === 0) return 1;
  if (tieTolerance !== null && !(tieTolerance >= 0)) {
    throw invalidArgument('tieTolerance', 'null or a number >= 0', tieTolerance);
  }

  const threshold = reference[wanted.size - 1].score - (tieTolerance ?? 0);
  const referenceScore = new Map(reference.map((hit) => [hit.id, hit.score]));
  let found = 0;
  for (const [rank, id] of topIds(ranking, k).entries()) {
    if (wanted.has(id)) found++;
    else if (tieTolerance !== null) {
      const score = referenceScore.get(id) ?? ranking[rank].score;
      if (score >= threshold) found++;
    }
  }
  return Math.min(found, wanted.size) / wanted.size;
}

/**
 * The p-th percentile (0 <= p <= 100) with linear interpolation between order statistics: with
 * the values sorted ascending as x[0..n-1] and h = (n - 1) * p / 100, the result is
 * x[floor(h)] + (h - floor(h)) * (x[floor(h) + 1] - x[floor(h)]). numpy's default.
 */
export function percentile(values: ArrayLike<number>, p: number): number {
  return percentiles(values, [p])[0];
}

/** Several percentiles of one sample, sorting it once; see {@link percentile}. */
export function percentiles(values: ArrayLike<number>, ps: readonly number[]): number[] {
  for (const p of ps) {
    if (!(p >= 0 && p <= 100)) throw invalidArgument('p', 'a number from 0 to 100', p);
  }
  if (values.length === 0) {
    throw new MuveraError('empty-input', 'a percentile of no values is undefined', {
      parameter: 'values',
      expected: 'at least one value',
      actual: 0,
    });
  }
  const sorted = Float64Array.from(values).sort();
  return ps.map((p) => {
    const h = ((sorted.length - 1) * p) / 100;
    const low = Math.floor(h);
    const high = Math.min(low + 1, sorted.length - 1);
    return sorted[low] + (h - low) * (sorted[high] - sorted[low]);
  });
}

/** The arithmetic mean; NaN for no values. */
export function mean(values: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[i];
  return values.length === 0 ? Number.NaN : sum / values.length;
}

/** Latency summary of a single-threaded run, one latency per query in milliseconds. */
export interface LatencySummary {
  p50: number;
  p95: number;
  /** Queries per second: count / total time, the queries having run one after another. */
  qps: number;
}

/** p50, p95 and queries per second of per-query latencies (milliseconds). */
export function summarizeLatency(latenciesMs: ArrayLike<number>): LatencySummary {
  for (let i = 0; i < latenciesMs.length; i++) {
    if (!(latenciesMs[i] >= 0)) {
      throw invalidArgument(`latenciesMs[${i}]`, 'a number >= 0', latenciesMs[i]);
    }
  }
  const totalMs = mean(latenciesMs) * latenciesMs.length;
  const [p50, p95] = percentiles(latenciesMs, [50, 95]);
  return {
    p50,
    p95,
    qps: totalMs > 0 ? (1000 * latenciesMs.length) / totalMs : Number.POSITIVE_INFINITY,
  };
}
