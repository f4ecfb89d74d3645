/** Evaluation: BEIR datasets, retrieval metrics, eval results, parameter sweeps and plots. */
export {
  type BeirDataset,
  type BeirDocument,
  type BeirQuery,
  datasetName,
  documentText,
  judgmentsOf,
  listBeirSplits,
  loadBeirDataset,
  readBeirCorpus,
  readBeirQrels,
  readBeirQueries,
} from './beir.js';
export {
  countRelevant,
  type Judgments,
  type LatencySummary,
  ndcgAt,
  percentile,
  percentiles,
  type Qrels,
  type RankedHit,
  type ReferenceRecallOptions,
  recallAgainstReference,
  recallAt,
  reciprocalRankAt,
  summarizeLatency,
} from './metrics.js';
export {
  lineChartSvg,
  type PlotField,
  type PlotOptions,
  type PlotSeries,
  sweepSvg,
} from './plot.js';
export {
  computeEvalResult,
  EVAL_CUTOFFS,
  type EvalInput,
  type EvalResult,
  formatEvalJson,
  formatEvalText,
} from './report.js';
export { runTimedQueries, type TimedRun, type TimedRunOptions } from './run.js';
export {
  formatSweepTable,
  parseSweep,
  SWEEP_PARAMETERS,
  type SweepPoint,
  type SweepSpec,
  type TableFormat,
} from './sweep.js';
