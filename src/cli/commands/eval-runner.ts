/**
 * Runs `muvera eval` once its flags are parsed, with src/eval's pieces: load the BEIR folder,
 * build the collection (or reuse `--collection`), run every judged query one after another
 * (timed, query encoding included), rank the same queries with the exact strategy for the
 * agreement metrics, and print the result (or one row per value with `--sweep`).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CollectionApi, SearchOptions } from '../../collection/types.js';
import { DEFAULTS } from '../../defaults.js';
import type { TokenEncoder } from '../../encoders/types.js';
import { MuveraError } from '../../errors.js';
import { type BeirDataset, type BeirQuery, loadBeirDataset } from '../../eval/beir.js';
import type { RankedHit } from '../../eval/metrics.js';
import { sweepSvg } from '../../eval/plot.js';
import {
  computeEvalResult,
  type EvalResult,
  formatEvalJson,
  formatEvalText,
} from '../../eval/report.js';
import { runTimedQueries } from '../../eval/run.js';
import { formatSweepTable, type SweepPoint } from '../../eval/sweep.js';
import { type CliContext, println } from '../context.js';
import type { EvalFlags } from './eval-command.js';
import { indexCorpus } from './index-command.js';

/**
 * Ranking depth: Recall@100 and recall@100 against exact need 100 hits. With fewer candidates
 * the ranking holds only that many hits, and the @100 metrics count the rest as misses.
 */
const DEPTH = 100;

/** Evaluates and prints the result. */
export async function runEvaluation(context: CliContext, flags: EvalFlags): Promise<void> {
  const dataset = await loadBeirDataset(flags.dataset, flags.split);
  const queries = dataset.queries.slice(0, flags.queries ?? dataset.queries.length);
  const scratch =
    flags.collection === undefined ? await mkdtemp(join(tmpdir(), 'muvera-eval-')) : null;
  const dir = flags.collection ?? join(scratch as string, dataset.name);
  try {
    await ensureCollection(context, flags, dir);
    const opened = await context.engine.openCollection(dir, { readOnly: true });
    if (!opened.encoder) {
      throw new MuveraError(
        'invalid-argument',
        `${dir} has no encoder, so text queries cannot be run`,
        {
          parameter: '--collection',
        },
      );
    }
    const encoder = await context.engine.loadEncoder(opened.encoder);
    try {
      const evaluate = evaluator(dataset, queries, opened.collection, encoder, flags);
      if (flags.sweep)
        await printSweep(context, flags, await sweep(evaluate, flags.sweep, flags.strategy));
      else printResult(context, flags, await evaluate(flags.candidates));
    } finally {
      await encoder.dispose();
      await opened.collection.close();
    }
  } finally {
    if (scratch) await rm(scratch, { recursive: true, force: true });
  }
}

async function ensureCollection(context: CliContext, flags: EvalFlags, dir: string): Promise<void> {
  if (await context.engine.isCollection(dir)) return;
  if (flags.encoder === undefined) {
    throw new MuveraError('not-found', `${dir} holds no collection to reuse`, {
      parameter: '--collection',
      remedy: 'Give --encoder too, and the collection is built there first',
    });
  }
  const request = { dir, corpus: flags.dataset, encoder: flags.encoder, quiet: flags.quiet };
  await indexCorpus(context, { ...request, batchSize: DEFAULTS.cli.indexBatchSize });
}

type Evaluate = (candidates: number | undefined) => Promise<EvalResult>;

/** Returns a function that runs the whole query set at a given candidates value. */
function evaluator(
  dataset: BeirDataset,
  queries: BeirQuery[],
  collection: CollectionApi,
  encoder: TokenEncoder,
  flags: EvalFlags,
): Evaluate {
  const rank = async (query: BeirQuery, options: SearchOptions): Promise<RankedHit[]> => {
    const encoded = await encoder.encodeQuery(query.text);
    const k = Math.min(DEPTH, options.candidates ?? DEPTH);
    const result = await collection.search(encoded.data, { ...options, k });
    return result.hits.map((hit) => ({ id: hit.id, score: hit.score }));
  };
  let exact: Promise<Map<string, readonly RankedHit[]>> | undefined;
  const exactRankings = () => {
    exact ??= runTimedQueries(queries, (query) => rank(query, { strategy: 'exact' })).then(
      (run) => run.rankings,
    );
    return exact;
  };

  return async (candidates) => {
    const options: SearchOptions = { strategy: flags.strategy };
    if (flags.strategy !== 'exact') options.candidates = candidates ?? DEFAULTS.search.candidates;
    const run = await runTimedQueries(queries, (query) => rank(query, options));
    return computeEvalResult({
      dataset: dataset.name,
      strategy: flags.strategy,
      candidates: flags.strategy === 'exact' ? null : (options.candidates ?? null),
      rankings: run.rankings,
      qrels: dataset.qrels,
      exactRankings: flags.strategy === 'exact' ? run.rankings : await exactRankings(),
      latenciesMs: run.latenciesMs,
    });
  };
}

async function sweep(evaluate: Evaluate, values: number[], series: string): Promise<SweepPoint[]> {
  const points: SweepPoint[] = [];
  for (const value of values) points.push({ series, value, result: await evaluate(value) });
  return points;
}

function printResult(context: CliContext, flags: EvalFlags, result: EvalResult): void {
  println(context, flags.json ? formatEvalJson(result) : formatEvalText(result).trimEnd());
}

async function printSweep(
  context: CliContext,
  flags: EvalFlags,
  points: SweepPoint[],
): Promise<void> {
  if (flags.json) println(context, JSON.stringify(points.map((point) => point.result)));
  else
    println(
      context,
      formatSweepTable(points, { format: 'text', parameter: 'candidates' }).trimEnd(),
    );
  if (flags.plot) {
    await writeFile(flags.plot, sweepSvg(points));
    context.err.write(`wrote ${flags.plot}\n`);
  }
}
