/**
 * The three search strategies on a BEIR dataset with the static demo encoder: quality against
 * the judgments (nDCG@10, Recall@100, MRR@10), agreement with the `exact` strategy (recall@10
 * and recall@100 of its rankings) and single-thread latency, for `fde` under several FDE presets
 * and candidate counts, `tokens` and `exact`. Shared by bench/scifact-strategies.ts and
 * bench/cranfield-strategies.ts.
 *
 * One collection per preset (HNSW candidate index, float32 tokens, no fsync: ingest speed is
 * another scenario's subject), plus one with flat indexes (the first preset) that runs `exact`,
 * `tokens` (its token index is then a flat SIMD scan of every document token: an HNSW over
 * every token takes minutes to build here) and `fde` without any approximate-search error.
 * Queries are encoded once before timing, so latencies are the search alone. `exact` is the baseline: every ratio is a queries/s ratio against it, measured
 * in the same run, on the same thread, with the same Chamfer kernel.
 *
 * Correctness before timing: `fde` with every document as a candidate must return exactly the
 * `exact` hits, and the `exact` top scores must equal the reference Chamfer kernel's.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chamferReference } from '../src/chamfer/reference.js';
import { Collection } from '../src/collection/collection.js';
import type { SearchOptions } from '../src/collection/types.js';
import { DEFAULTS } from '../src/defaults.js';
import { StaticTokenEncoder } from '../src/encoders/static-encoder.js';
import { MuveraError } from '../src/errors.js';
import {
  type BeirDataset,
  computeEvalResult,
  documentText,
  type EvalResult,
  formatSweepTable,
  loadBeirDataset,
  type RankedHit,
  runTimedQueries,
  type SweepPoint,
  sweepSvg,
} from '../src/eval/index.js';
import { machineInfo, machineLine, writeResult } from './harness.js';

/** The shipped demo encoder. */
export const STATIC_ENCODER = join(
  import.meta.dirname,
  '..',
  'data',
  'encoders',
  'fasttext-skipgram128',
);

/** Hits asked of every search: deep enough for Recall@100 and recall@100 against exact. */
const DEPTH = 100;
/** Queries of the correctness check. */
const CHECK_QUERIES = 3;
/** Score tolerance of the correctness check. */
const SCORE_TOLERANCE = 1e-4;
/** Documents upserted per call. */
const BATCH = 500;
/** Untimed queries before each timed run. */
const WARMUP_QUERIES = 5;

/** What a scenario runs. */
export interface BeirScenario {
  /** Result file name (bench/results/<name>.md|json|svg). */
  name: string;
  title: string;
  folder: string;
  /** How the folder is found, for the result file. */
  folderNote: string;
  presets: readonly string[];
  candidates: readonly number[];
  /** Test queries run (the first ones with judgments); null runs all. */
  maxQueries: number | null;
  /** Command that reproduces the run. */
  command: string;
}

/** A dataset encoded with the static encoder. */
export interface Encoded {
  ids: string[];
  docs: Float32Array[];
  queries: { id: string; tokens: Float32Array }[];
  dim: number;
  meanDocTokens: number;
  meanQueryTokens: number;
  /** Documents and queries left out because they encode to no token. */
  skippedDocuments: number;
  skippedQueries: number;
}

/** Encodes the corpus and the queries with the static encoder (documents with no token skipped). */
export async function encode(dataset: BeirDataset, maxQueries: number | null): Promise<Encoded> {
  const encoder = await StaticTokenEncoder.load(STATIC_ENCODER);
  const ids: string[] = [];
  const docs: Float32Array[] = [];
  let skippedDocuments = 0;
  for await (const doc of dataset.corpus()) {
    const tokens = await encodeOrNull(encoder, documentText(doc), 'document');
    if (tokens) {
      ids.push(doc.id);
      docs.push(tokens);
    } else skippedDocuments++;
  }
  const picked = maxQueries === null ? dataset.queries : dataset.queries.slice(0, maxQueries);
  const queries: Encoded['queries'] = [];
  for (const query of picked) {
    const tokens = await encodeOrNull(encoder, query.text, 'query');
    if (tokens) queries.push({ id: query.id, tokens });
  }

  const meanRows = (sets: Float32Array[]) =>
    sets.reduce((sum, set) => sum + set.length / encoder.dim, 0) / sets.length;
  return {
    ids,
    docs,
    queries,
    dim: encoder.dim,
    meanDocTokens: meanRows(docs),
    meanQueryTokens: meanRows(queries.map((q) => q.tokens)),
    skippedDocuments,
    skippedQueries: picked.length - queries.length,
  };
}

/**
 * The tokens of one text, or null when it has no in-vocabulary word that is not a stop word (the
 * encoder throws `empty-input`: such a document cannot be stored, Cranfield has a few).
 */
async function encodeOrNull(
  encoder: StaticTokenEncoder,
  text: string,
  kind: 'document' | 'query',
): Promise<Float32Array | null> {
  try {
    const encoding =
      kind === 'document' ? await encoder.encodeDocument(text) : await encoder.encodeQuery(text);
    return encoding.data;
  } catch (error) {
    if (error instanceof MuveraError && error.code === 'empty-input') return null;
    throw error;
  }
}

/** Builds one collection; returns it and its ingest rate (documents/s). */
async function build(dir: string, data: Encoded, preset: string, kind: 'flat' | 'hnsw') {
  const collection = await Collection.create(dir, {
    dim: data.dim,
    fde: preset,
    index: { kind },
    durability: 'none',
  });
  const start = performance.now();
  for (let i = 0; i < data.ids.length; i += BATCH) {
    const docs = data.ids.slice(i, i + BATCH).map((id, j) => ({ id, tokens: data.docs[i + j] }));
    await collection.upsert(docs);
  }
  return { collection, ingestPerSecond: data.ids.length / ((performance.now() - start) / 1000) };
}

/** The timed run of one strategy setting. */
async function timed(collection: Collection, data: Encoded, options: SearchOptions) {
  const run = await runTimedQueries(
    data.queries,
    async (query) =>
      (
        await collection.search(query.tokens, {
          k: Math.min(DEPTH, options.candidates ?? DEPTH),
          ...options,
        })
      ).hits,
    { warmupQueries: WARMUP_QUERIES },
  );
  return run;
}

/** `fde` over every document equals `exact`, and exact scores equal the reference kernel's. */
async function checkCorrectness(collection: Collection, data: Encoded): Promise<void> {
  const byId = new Map(data.ids.map((id, i) => [id, data.docs[i]]));
  for (const query of data.queries.slice(0, CHECK_QUERIES)) {
    const exact = await collection.search(query.tokens, { k: 10, strategy: 'exact' });
    const all = await collection.search(query.tokens, { k: 10, candidates: data.ids.length });
    exact.hits.forEach((hit, i) => {
      const reference = chamferReference(query.tokens, byId.get(hit.id) as Float32Array, data.dim);
      if (Math.abs(reference - hit.score) > SCORE_TOLERANCE) {
        throw new Error(
          `exact score ${hit.score} of ${hit.id} differs from reference ${reference}`,
        );
      }
      if (Math.abs(all.hits[i].score - hit.score) > SCORE_TOLERANCE) {
        throw new Error(`fde over every document differs from exact at rank ${i}`);
      }
    });
  }
}

/** One table row: a point of the sweep plus its speed ratio against exact. */
interface Row extends SweepPoint {
  speedupVsExact: number;
  ingestPerSecond: number | null;
  fdeDimension: number | null;
}

/** Runs the scenario and writes its results. */
export async function runBeirScenario(scenario: BeirScenario): Promise<void> {
  const info = machineInfo();
  const dataset = await loadBeirDataset(scenario.folder);
  const data = await encode(dataset, scenario.maxQueries);
  const root = mkdtempSync(join(tmpdir(), `muvera-${scenario.name}-`));
  const rows: Row[] = [];
  const result = (
    strategy: string,
    candidates: number | null,
    run: Awaited<ReturnType<typeof timed>>,
    exact: Map<string, readonly RankedHit[]>,
  ): EvalResult =>
    computeEvalResult({
      dataset: dataset.name,
      strategy,
      candidates,
      rankings: run.rankings,
      qrels: dataset.qrels,
      exactRankings: exact,
      latenciesMs: run.latenciesMs,
    });

  // Baseline and correctness on a flat-index collection, whose token index is flat too (usearch's
  // exact SIMD scan): an HNSW over every document token takes minutes to build on this machine.
  const flat = await build(join(root, 'flat'), data, scenario.presets[0], 'flat');
  await checkCorrectness(flat.collection, data);
  const exactRun = await timed(flat.collection, data, { strategy: 'exact' });
  const exactRankings = exactRun.rankings;
  const exactResult = result('exact', null, exactRun, exactRankings);
  const push = (
    series: string,
    value: number,
    r: EvalResult,
    ingest: number | null,
    dims: number | null,
  ) =>
    rows.push({
      series,
      value,
      result: r,
      speedupVsExact: r.qps / exactResult.qps,
      ingestPerSecond: ingest,
      fdeDimension: dims,
    });
  push('exact', data.ids.length, exactResult, null, null);
  process.stderr.write(`exact: ${exactResult.qps.toFixed(2)} queries/s\n`);

  const start = performance.now();
  await flat.collection.search(data.queries[0].tokens, { k: 10, strategy: 'tokens' });
  const tokenIndexSeconds = (performance.now() - start) / 1000;
  const flatDims = (await flat.collection.stats()).fdeDimension;
  for (const strategy of ['tokens', 'fde'] as const) {
    for (const candidates of scenario.candidates) {
      const r = result(
        strategy,
        candidates,
        await timed(flat.collection, data, { strategy, candidates }),
        exactRankings,
      );
      const series =
        strategy === 'tokens' ? 'tokens (flat token index)' : `fde ${scenario.presets[0]} flat`;
      push(
        series,
        candidates,
        r,
        strategy === 'fde' ? flat.ingestPerSecond : null,
        strategy === 'fde' ? flatDims : null,
      );
    }
  }
  await flat.collection.close();

  for (const preset of scenario.presets) {
    const { collection, ingestPerSecond } = await build(join(root, preset), data, preset, 'hnsw');
    const dims = (await collection.stats()).fdeDimension;
    process.stderr.write(`${preset}: ${ingestPerSecond.toFixed(0)} docs/s ingest\n`);
    for (const candidates of scenario.candidates) {
      const r = result(
        'fde',
        candidates,
        await timed(collection, data, { candidates }),
        exactRankings,
      );
      push(`fde ${preset} hnsw`, candidates, r, ingestPerSecond, dims);
      process.stderr.write(
        `fde ${preset} ${candidates}: nDCG ${r.ndcgAt10?.toFixed(4)} ${(r.qps / exactResult.qps).toFixed(1)}x\n`,
      );
    }
    await collection.close();
  }
  rmSync(root, { recursive: true, force: true });
  writeReport(scenario, info, data, rows, tokenIndexSeconds);
}

/** A series name short enough for the plot legend. */
export function plotName(series: string): string {
  return series.replace('tokens (flat token index)', 'tokens (flat)');
}

/** The verdict line: the best `fde` setting within 0.01 nDCG of exact at <= 200 candidates. */
function verdict(rows: Row[]): string {
  const exact = rows.find((r) => r.series === 'exact') as Row;
  const ceiling = exact.result.ndcgAt10 ?? 0;
  const near = rows.filter(
    (r) =>
      r.series.startsWith('fde') && r.value <= 200 && ceiling - (r.result.ndcgAt10 ?? 0) <= 0.01,
  );
  if (near.length === 0) {
    return `No \`fde\` setting with at most 200 candidates came within 0.01 nDCG@10 of exact (${ceiling.toFixed(4)}).`;
  }
  const fastest = near.reduce((a, b) => (b.speedupVsExact > a.speedupVsExact ? b : a));
  return `Within 0.01 nDCG@10 of exact (${ceiling.toFixed(4)}) with at most 200 candidates: ${near.length} \`fde\` settings; the fastest is ${fastest.series} at ${fastest.value} candidates, nDCG@10 ${fastest.result.ndcgAt10?.toFixed(4)}, ${fastest.speedupVsExact.toFixed(1)}x exact's queries/s.`;
}

function writeReport(
  scenario: BeirScenario,
  info: ReturnType<typeof machineInfo>,
  data: Encoded,
  rows: Row[],
  tokenIndexSeconds: number,
): void {
  const svgName = `${scenario.name}.svg`;
  // NOTE: the plot's legend column fits about 22 characters, so series get short names there.
  const plotted = rows.map((row) => ({ ...row, series: plotName(row.series) }));
  const svg = sweepSvg(plotted, {
    logX: true,
    title: `${scenario.title}: recall@10 vs exact against p50 latency`,
  });
  writeFileSync(join(import.meta.dirname, 'results', svgName), svg);
  const ndcgSvgName = `${scenario.name}-ndcg.svg`;
  writeFileSync(
    join(import.meta.dirname, 'results', ndcgSvgName),
    sweepSvg(plotted, {
      y: 'ndcgAt10',
      logX: true,
      title: `${scenario.title}: nDCG@10 against p50 latency`,
    }),
  );

  const ratioTable = [
    '| series | candidates | FDE dims | ingest docs/s | MRR@10 | queries/s vs exact |',
    '| --- | ---: | ---: | ---: | ---: | ---: |',
    ...rows.map(
      (r) =>
        `| ${r.series} | ${r.value} | ${r.fdeDimension ?? '-'} | ${r.ingestPerSecond?.toFixed(0) ?? '-'} | ${r.result.mrrAt10?.toFixed(4)} | ${r.speedupVsExact.toFixed(1)}x |`,
    ),
  ].join('\n');
  const markdown = `# ${scenario.title}: \`fde\`, \`tokens\` and \`exact\`

${machineLine(info)}

${data.ids.length} documents (mean ${data.meanDocTokens.toFixed(1)} tokens; ${data.skippedDocuments} left out for having no token), ${data.queries.length} test queries (mean ${data.meanQueryTokens.toFixed(1)} tokens; ${data.skippedQueries} left out), static demo encoder \`data/encoders/fasttext-skipgram128\`, dataset ${scenario.folderNote}. Collections: float32 tokens; \`fde <preset> hnsw\` uses the HNSW candidate index (default parameters), \`fde <preset> flat\` the exact flat index. ${data.ids.length <= DEFAULTS.index.dynamic.threshold ? `A collection created with the defaults (the \`dynamic\` index, a flat scan up to ${DEFAULTS.index.dynamic.threshold} documents) is the \`fde ${scenario.presets[0]} flat\` series here.` : `A collection created with the defaults (the \`dynamic\` index) is HNSW at this size.`} Every search asks for ${DEPTH} hits (as many as the candidates when fewer: Recall@100 at 50 candidates counts 50 hits); latency is the search alone (queries encoded beforehand), one query at a time on one thread after ${WARMUP_QUERIES} warm-up queries. The \`exact\` row is the baseline (value = documents re-ranked); \`tokens\` re-ranks the deduplicated documents of each query token's nearest document tokens (flat token index: usearch's exact scan of every document token, built on first use in ${tokenIndexSeconds.toFixed(1)} s, not timed). Checked before timing: \`fde\` over every document returns the \`exact\` hits, and exact scores equal the reference kernel's.

${verdict(rows)}

${formatSweepTable(rows, { parameter: 'candidates' })}
${ratioTable}

![recall@10 vs exact against latency](${svgName})
![nDCG@10 against latency](${ndcgSvgName})

Run: \`${scenario.command}\`
`;
  const path = writeResult(scenario.name, markdown, {
    machine: info,
    scenario,
    documents: data.ids.length,
    queries: data.queries.length,
    tokenIndexSeconds,
    rows,
  });
  process.stdout.write(`${markdown}\nwritten to ${path}\n`);
}
