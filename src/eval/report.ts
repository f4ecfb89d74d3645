/**
 * The result of one evaluation run (`muvera eval`): quality against judgments, agreement with
 * the exact strategy, and speed, computed from per-query rankings and formatted as JSON or text.
 *
 * Which queries count (as in BEIR, whose pytrec_eval scores only run queries that have
 * judgments): the judgment metrics average over the run queries that have at least one
 * judgment in the split, the others are skipped and counted in `skippedQueries`. A judged query
 * whose judgments are all <= 0 counts, and scores 0. The agreement metrics average over every
 * run query. Latency covers every run query.
 */
import { DEFAULTS } from '../defaults.js';
import { invalidArgument, MuveraError } from '../errors.js';
import {
  mean,
  ndcgAt,
  type Qrels,
  type RankedHit,
  recallAgainstReference,
  recallAt,
  reciprocalRankAt,
  summarizeLatency,
} from './metrics.js';

/** Cut-offs of the reported metrics (their names carry them: `ndcgAt10`, ...). */
export const EVAL_CUTOFFS = Object.freeze({ ndcg: 10, recall: 100, mrr: 10, exact: [10, 100] });

/** One evaluation run. Every field is documented in docs/evaluation.md. */
export interface EvalResult {
  /** Name of the dataset (the BEIR folder's name, or what the caller gave). */
  dataset: string;
  /** Search strategy: `fde`, `tokens` or `exact`. */
  strategy: string;
  /** FDE candidates re-ranked per query; null when the strategy has no such knob. */
  candidates: number | null;
  /** Run queries with judgments: the queries the judgment metrics average over. */
  queries: number;
  /** Run queries without any judgment in the split: skipped by the judgment metrics. */
  skippedQueries: number;
  /** Mean nDCG@10 with linear gains; null when no run query has judgments. */
  ndcgAt10: number | null;
  /** Mean Recall@100 against the judgments; null when no run query has judgments. */
  recallAt100: number | null;
  /** Mean reciprocal rank of the first relevant hit within 10; null without judged queries. */
  mrrAt10: number | null;
  /** Mean |top-10 ∩ exact top-10| / 10; null when no exact rankings were given. */
  recallVsExactAt10: number | null;
  /** Mean |top-100 ∩ exact top-100| / 100; null when no exact rankings were given. */
  recallVsExactAt100: number | null;
  /** Median single-query latency, milliseconds. */
  latencyMsP50: number;
  /** 95th-percentile single-query latency, milliseconds. */
  latencyMsP95: number;
  /** Queries per second, queries run one after another on one thread. */
  qps: number;
}

/** What {@link computeEvalResult} needs. */
export interface EvalInput {
  dataset: string;
  strategy: string;
  candidates?: number | null;
  /** Each run query's ranking, best first, at least 100 deep for Recall@100. */
  rankings: ReadonlyMap<string, readonly RankedHit[]>;
  /** Judgments of the split. */
  qrels: Qrels;
  /** The exact strategy's ranking of every run query (100 deep or more); null to skip. */
  exactRankings?: ReadonlyMap<string, readonly RankedHit[]> | null;
  /** One latency per run query, milliseconds. */
  latenciesMs: ArrayLike<number>;
  /** Tie tolerance of the agreement metrics; see `recallAgainstReference`. */
  tieTolerance?: number | null;
}

/** Mean of `metric` over the run queries that have judgments; null when there are none. */
function judgedMean(
  input: EvalInput,
  metric: (ranking: readonly RankedHit[], judgments: ReadonlyMap<string, number>) => number,
): number | null {
  const values: number[] = [];
  for (const [queryId, ranking] of input.rankings) {
    const judgments = input.qrels.get(queryId);
    if (judgments && judgments.size > 0) values.push(metric(ranking, judgments));
  }
  return values.length > 0 ? mean(values) : null;
}

/** Mean agreement with the exact rankings at cut-off `k`; null without exact rankings. */
function exactMean(input: EvalInput, k: number): number | null {
  const exact = input.exactRankings;
  if (!exact) return null;
  const tieTolerance =
    input.tieTolerance === undefined ? DEFAULTS.eval.tieTolerance : input.tieTolerance;

  const values: number[] = [];
  for (const [queryId, ranking] of input.rankings) {
    const reference = exact.get(queryId);
    if (!reference) {
      throw invalidArgument(
        `exactRankings.get(${JSON.stringify(queryId)})`,
        'a ranking',
        reference,
      );
    }
    values.push(recallAgainstReference(ranking, reference, k, { tieTolerance }));
  }
  return values.length > 0 ? mean(values) : null;
}

/** Computes an {@link EvalResult} from rankings, judgments, exact rankings and latencies. */
export function computeEvalResult(input: EvalInput): EvalResult {
  if (input.rankings.size === 0) {
    throw new MuveraError('empty-input', 'an evaluation needs at least one query ranking', {
      parameter: 'rankings',
      expected: 'at least one query',
      actual: 0,
    });
  }
  let judged = 0;
  for (const queryId of input.rankings.keys()) if (input.qrels.get(queryId)?.size) judged++;
  const latency = summarizeLatency(input.latenciesMs);
  const [exactShort, exactLong] = EVAL_CUTOFFS.exact;

  return {
    dataset: input.dataset,
    strategy: input.strategy,
    candidates: input.candidates ?? null,
    queries: judged,
    skippedQueries: input.rankings.size - judged,
    ndcgAt10: judgedMean(input, (r, j) => ndcgAt(r, j, EVAL_CUTOFFS.ndcg)),
    recallAt100: judgedMean(input, (r, j) => recallAt(r, j, EVAL_CUTOFFS.recall)),
    mrrAt10: judgedMean(input, (r, j) => reciprocalRankAt(r, j, EVAL_CUTOFFS.mrr)),
    recallVsExactAt10: exactMean(input, exactShort),
    recallVsExactAt100: exactMean(input, exactLong),
    latencyMsP50: latency.p50,
    latencyMsP95: latency.p95,
    qps: latency.qps,
  };
}

/** Labels of the text report, in order. */
const TEXT_LABELS: ReadonlyArray<[keyof EvalResult, string]> = [
  ['dataset', 'dataset'],
  ['strategy', 'strategy'],
  ['candidates', 'candidates'],
  ['queries', 'queries judged'],
  ['skippedQueries', 'queries skipped (no judgments)'],
  ['ndcgAt10', 'nDCG@10'],
  ['recallAt100', 'Recall@100'],
  ['mrrAt10', 'MRR@10'],
  ['recallVsExactAt10', 'recall@10 vs exact'],
  ['recallVsExactAt100', 'recall@100 vs exact'],
  ['latencyMsP50', 'latency p50 (ms)'],
  ['latencyMsP95', 'latency p95 (ms)'],
  ['qps', 'queries/s (1 thread)'],
];

/** Decimal places of metric values in text output. */
const METRIC_DIGITS = 4;

/** Significant digits of latencies and rates in text output (whole numbers from 100 up). */
const RATE_DIGITS = 3;

/** A value for text output: fractions to 4 decimals, other numbers to 3 digits, null as `-`. */
export function formatValue(value: string | number | null): string {
  if (value === null) return '-';
  if (typeof value === 'string' || Number.isInteger(value)) return String(value);
  if (Math.abs(value) <= 1) return value.toFixed(METRIC_DIGITS);
  return Math.abs(value) >= 10 ** (RATE_DIGITS - 1)
    ? value.toFixed(0)
    : value.toPrecision(RATE_DIGITS);
}

/** The result as aligned `label  value` lines. */
export function formatEvalText(result: EvalResult): string {
  const width = Math.max(...TEXT_LABELS.map(([, label]) => label.length));
  const lines = TEXT_LABELS.map(
    ([key, label]) => `${label.padEnd(width)}  ${formatValue(result[key])}`,
  );
  return `${lines.join('\n')}\n`;
}

/** The result as one line of JSON (non-finite numbers become null, as JSON requires). */
export function formatEvalJson(result: EvalResult): string {
  return JSON.stringify(result, (_key, value) =>
    typeof value === 'number' && !Number.isFinite(value) ? null : value,
  );
}
