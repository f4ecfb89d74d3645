/**
 * `muvera eval --dataset <BEIR folder> --encoder <spec>`: quality against the judgments and
 * against the exact strategy, plus latency (see docs/evaluation.md for every reported field).
 * The evaluation itself lives in src/eval; this command parses flags and prints its result.
 */
import { defineCommand } from 'citty';
import { invalidArgument } from '../../errors.js';
import { parseSweep } from '../../eval/sweep.js';
import { type CliContext, intFlag } from '../context.js';
import { commonArgs, defineArgs, type Runner } from './common.js';
import { runEvaluation } from './eval-runner.js';

const args = defineArgs({
  dataset: {
    type: 'string',
    description: 'BEIR folder: corpus.jsonl, queries.jsonl, qrels/<split>.tsv',
    required: true,
  },
  encoder: {
    type: 'string',
    description: 'Encoder spec (static:<dir>, colbert:<model>); not needed with --collection',
  },
  collection: {
    type: 'string',
    description: 'Reuse (or build once into) this collection directory',
  },
  strategy: {
    type: 'enum',
    options: ['fde', 'tokens', 'exact'],
    description: 'Candidate strategy',
    default: 'fde',
  },
  candidates: {
    type: 'string',
    description: 'Candidates to re-rank (collection default when absent)',
  },
  split: { type: 'string', description: 'Judgment split (qrels/<split>.tsv)', default: 'test' },
  queries: { type: 'string', description: 'Evaluate only the first N queries' },
  sweep: { type: 'string', description: 'Sweep a knob: candidates=50,100,200,400' },
  plot: {
    type: 'string',
    description: 'With --sweep: write the recall/latency curve as SVG to this file',
  },
  json: { type: 'boolean', description: 'Print one JSON object (an array with --sweep)' },
  ...commonArgs,
});

/** The parsed flags of `muvera eval`. */
export interface EvalFlags {
  dataset: string;
  encoder?: string;
  collection?: string;
  strategy: 'fde' | 'tokens' | 'exact';
  candidates?: number;
  split: string;
  queries?: number;
  sweep?: number[];
  plot?: string;
  json: boolean;
  quiet: boolean;
}

function sweepValues(value: string | undefined): number[] | undefined {
  return value === undefined ? undefined : parseSweep(value).values;
}

const runEval: Runner<typeof args> = async (context, parsed) => {
  if (parsed.plot !== undefined && parsed.sweep === undefined) {
    throw invalidArgument('--plot', 'used together with --sweep', parsed.plot);
  }
  if (parsed.encoder === undefined && parsed.collection === undefined) {
    throw invalidArgument(
      '--encoder',
      'an encoder spec, or --collection with a built collection',
      '(none)',
    );
  }
  const flags: EvalFlags = {
    dataset: parsed.dataset,
    encoder: parsed.encoder,
    collection: parsed.collection,
    strategy: parsed.strategy as EvalFlags['strategy'],
    candidates: intFlag(parsed.candidates, 'candidates'),
    split: parsed.split,
    queries: intFlag(parsed.queries, 'queries'),
    sweep: sweepValues(parsed.sweep),
    plot: parsed.plot,
    json: parsed.json === true,
    quiet: parsed.quiet === true,
  };
  await runEvaluation(context, flags);
};

/** `muvera eval`. */
export const evalCommand = defineCommand({
  meta: {
    name: 'eval',
    description: 'Measure nDCG@10, Recall@100, MRR@10, agreement with exact, latency',
  },
  args,
  run: ({ args: parsed, data }) => runEval(data as CliContext, parsed),
});
