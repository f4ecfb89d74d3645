/**
 * HNSW parameters on FDEs, measured where they make a difference: how connectivity (M),
 * expansionAdd (efConstruction) and expansionPerResult move insert rate, candidate recall
 * against flat, queries per second and bytes per vector. DEFAULTS.index.hnsw is chosen from it.
 *
 * Why this shape: the collection asks the candidate index for 100 to 200 candidates (then
 * re-ranks them with exact Chamfer), so what matters is the share of flat's top 100 or top 200
 * that HNSW returns, not its top 10. A small synthetic corpus reaches recall 1.0 with every
 * setting and decides nothing; SciFact's FDEs (static encoder, real text) and a larger
 * synthetic corpus do not.
 *
 * Data (weaviate preset, 2,560 values an FDE):
 * - SciFact: every document and every test query, encoded with the shipped static encoder
 *   (`encode()` of bench/beir-strategies.ts), FDEs from FdeEncoder.
 * - The synthetic ColBERT-like corpus (bench/synthetic/colbert-like.ts), 20,000 documents by
 *   default and 100 queries, FDEs encoded on an FdePool.
 *
 * How: each build adds the documents in batches of 500 as the collection does (native threads
 * at their default, f16, centred on the first batch), timed over the whole build and over its
 * last third (the graph is largest there), in wall-clock documents/s and in process CPU time per
 * document (all threads; less sensitive to other work on a shared machine), the better of two
 * builds (see buildAll). The build is then serialised and loaded once per expansionPerResult,
 * since the index takes it when loaded. Each search asks for `count` results, one query at a
 * time on one thread.
 *
 * The baseline is the flat index: its top `count` is the truth for candidate recall, and its
 * queries/s, timed in rounds that alternate with the HNSW's (so both see the same load), is the
 * reference for the speed ratios. Correctness before timing: flat's top 10 equals a plain loop,
 * and every loaded index's scores equal the exact inner products of the keys it returns (within
 * f16 rounding).
 *
 * Run: npx tsx bench/index-hnsw-params.ts [--quick] [--docs N]
 * (--quick: SciFact only, builds (16, 48) and (16, 64); --docs: synthetic corpus size)
 */

import { loadavg } from 'node:os';
import { join } from 'node:path';
import { DEFAULTS } from '../src/defaults.js';
import { loadBeirDataset } from '../src/eval/index.js';
import { FdeEncoder } from '../src/fde/encoder.js';
import { FdePool } from '../src/fde/pool.js';
import { deserializeCandidateIndex } from '../src/index/factory.js';
import { dot, FlatIndex } from '../src/index/flat.js';
import { HnswIndex } from '../src/index/hnsw.js';
import type { CandidateIndex } from '../src/index/types.js';
import { encode } from './beir-strategies.js';
import { machineInfo, machineLine, measure, writeResult } from './harness.js';
import { ColbertLikeCorpus } from './synthetic/colbert-like.js';

const QUICK = process.argv.includes('--quick');
const SYNTHETIC_DOCUMENTS = numberArgument('--docs', 20_000);
const SYNTHETIC_QUERIES = 100;
/** Synthetic documents generated and encoded at a time. */
const SYNTHETIC_CHUNK = 1000;
const SCIFACT = join(import.meta.dirname, '..', 'data', 'scifact');
const PRESET = 'weaviate';
/** Documents per `add`, as the collection's upserts in the BEIR benchmarks. */
const BATCH = 500;
/** Candidates asked of the index, as the collection's `candidates`. */
const COUNTS = [100, 200];
const PER_RESULT = [1, 4];
/** Alternating rounds of index and flat timing (see pairedRates). */
const PAIRED_ROUNDS = 5;
const PAIRED_TIMING = { warmupMs: 50, roundMs: 250, rounds: 1 };

/** Builds measured: (connectivity, expansionAdd). */
const BUILDS = QUICK
  ? [
      { connectivity: 16, expansionAdd: 48 },
      { connectivity: 16, expansionAdd: 64 },
    ]
  : [
      { connectivity: 16, expansionAdd: 32 },
      { connectivity: 16, expansionAdd: 48 },
      { connectivity: 16, expansionAdd: 64 },
      { connectivity: 16, expansionAdd: 128 },
      { connectivity: 32, expansionAdd: 48 },
    ];
/** The verdict compares every build with this one at the widest search. */
const REFERENCE = { connectivity: 16, expansionAdd: 64 };
const RECALL_MARGIN = 0.01;
/** Queries and results of the correctness checks. */
const CHECK_QUERIES = 3;
const CHECK_K = 10;
/** f16 storage: a score may be off by this share of |q| * |x|. */
const F16_SCORE_TOLERANCE = 1e-2;

interface DataSet {
  name: string;
  note: string;
  dimensions: number;
  numDocuments: number;
  /** Document FDEs, a row each, key = row. */
  docs: Float32Array;
  queries: Float32Array[];
}

interface BuildResult {
  connectivity: number;
  expansionAdd: number;
  buildSeconds: number;
  insertPerSecond: number;
  lastThirdPerSecond: number;
  cpuMsPerDocument: number;
  memoryBytesPerVector: number;
  diskBytesPerVector: number;
}

interface Row extends BuildResult {
  dataSet: string;
  count: number;
  expansionPerResult: number;
  candidateRecall: number;
  queriesPerSecond: number;
  flatQueriesPerSecond: number;
  speedupVsFlat: number;
}

function numberArgument(name: string, fallback: number): number {
  const at = process.argv.indexOf(name);
  if (at < 0) return fallback;
  const value = Number(process.argv[at + 1]);
  if (!Number.isSafeInteger(value) || value < 1) throw new Error(`${name} needs a count`);
  return value;
}

function splitRows(vectors: Float32Array, dimensions: number): Float32Array[] {
  return Array.from({ length: vectors.length / dimensions }, (_, q) =>
    vectors.slice(q * dimensions, (q + 1) * dimensions),
  );
}

/** SciFact with the static encoder: every document and test query with a token. */
async function scifact(): Promise<DataSet> {
  const data = await encode(await loadBeirDataset(SCIFACT), null);
  const encoder = FdeEncoder.fromPreset(PRESET, data.dim);
  const concat = (sets: Float32Array[]) => {
    const offsets = new Uint32Array(sets.length + 1);
    sets.forEach((set, i) => {
      offsets[i + 1] = offsets[i] + set.length / data.dim;
    });
    const flat = new Float32Array(offsets[sets.length] * data.dim);
    sets.forEach((set, i) => {
      flat.set(set, offsets[i] * data.dim);
    });
    return { flat, offsets };
  };
  const docs = concat(data.docs);
  const queries = concat(data.queries.map((q) => q.tokens));
  const D = encoder.outputDimension;
  return {
    name: 'SciFact',
    note: `SciFact (data/scifact), ${data.ids.length} documents (${data.skippedDocuments} without a token left out) and ${data.queries.length} test queries, static encoder, mean ${data.meanDocTokens.toFixed(0)} tokens a document and ${data.meanQueryTokens.toFixed(1)} a query`,
    dimensions: D,
    numDocuments: data.ids.length,
    docs: encoder.encodeDocuments(docs.flat, docs.offsets).vectors,
    queries: splitRows(encoder.encodeQueries(queries.flat, queries.offsets).vectors, D),
  };
}

/** The synthetic ColBERT-like corpus, its FDEs encoded on a pool of worker threads. */
async function synthetic(numDocuments: number): Promise<DataSet> {
  const corpus = new ColbertLikeCorpus({ numDocuments, numQueries: SYNTHETIC_QUERIES });
  const pool = new FdePool(FdeEncoder.fromPreset(PRESET, corpus.dim).config);
  const D = pool.encoder.outputDimension;
  try {
    const docs = new Float32Array(numDocuments * D);
    for (const batch of corpus.batches(SYNTHETIC_CHUNK)) {
      docs.set((await pool.encodeDocuments(batch.data, batch.offsets)).vectors, batch.start * D);
    }
    const queries = corpus.queries(SYNTHETIC_QUERIES);
    return {
      name: 'synthetic',
      note: `the synthetic ColBERT-like corpus, ${numDocuments} documents of 100 tokens and ${SYNTHETIC_QUERIES} queries of 32`,
      dimensions: D,
      numDocuments,
      docs,
      queries: splitRows((await pool.encodeQueries(queries.data, queries.offsets)).vectors, D),
    };
  } finally {
    await pool.close();
  }
}

/** Flat's top 10 equals a plain loop on a few queries. */
function checkFlat(flat: FlatIndex, data: DataSet): void {
  for (const query of data.queries.slice(0, CHECK_QUERIES)) {
    const scores = Array.from({ length: data.numDocuments }, (_, row) => ({
      row,
      score: dot(query, 0, data.docs, row * data.dimensions, data.dimensions),
    })).sort((a, b) => b.score - a.score || a.row - b.row);
    const want = scores.slice(0, CHECK_K).map((s) => s.row);
    const got = flat.search(query, CHECK_K).keys;
    if (want.join() !== got.join()) throw new Error(`flat disagrees with a plain loop: ${got}`);
  }
}

/** The scores a loaded HNSW returns are the exact inner products of its keys, to f16 rounding. */
function checkScores(index: CandidateIndex, data: DataSet): void {
  const D = data.dimensions;
  const norm = (v: Float32Array, at: number) => Math.sqrt(dot(v, at, v, at, D));
  for (const query of data.queries.slice(0, CHECK_QUERIES)) {
    const found = index.search(query, CHECK_K);
    found.keys.forEach((key, i) => {
      const exact = dot(query, 0, data.docs, key * D, D);
      const bound = F16_SCORE_TOLERANCE * norm(query, 0) * norm(data.docs, key * D);
      if (Math.abs(found.scores[i] - exact) > bound) {
        throw new Error(`hnsw score ${found.scores[i]} of key ${key}, exact ${exact}`);
      }
    });
  }
}

/** Builds in batches as the collection does; returns the serialised index and its costs. */
function build(data: DataSet, params: (typeof BUILDS)[number]) {
  const index = new HnswIndex(data.dimensions, params);
  const N = data.numDocuments;
  const lastThird = Math.floor((2 * N) / 3 / BATCH) * BATCH;
  const cpuStart = process.cpuUsage();
  const start = performance.now();
  let lastThirdStart = start;
  for (let first = 0; first < N; first += BATCH) {
    if (first === lastThird) lastThirdStart = performance.now();
    const keys = Array.from({ length: Math.min(BATCH, N - first) }, (_, i) => first + i);
    index.add(
      keys,
      data.docs.subarray(first * data.dimensions, (first + keys.length) * data.dimensions),
    );
  }
  const end = performance.now();
  const cpu = process.cpuUsage(cpuStart);
  const bytes = index.serialize();
  const result: BuildResult = {
    ...params,
    buildSeconds: (end - start) / 1000,
    insertPerSecond: N / ((end - start) / 1000),
    lastThirdPerSecond: (N - lastThird) / ((end - lastThirdStart) / 1000),
    cpuMsPerDocument: (cpu.user + cpu.system) / 1000 / N,
    memoryBytesPerVector: index.stats().memoryBytes / N,
    diskBytesPerVector: bytes.length / N,
  };
  return { bytes, result };
}

/**
 * Every build, twice: a second pass in reverse order, each measure keeping its better pass, so
 * a burst of load from other work on the machine costs one pass rather than the comparison.
 * The index searched is the first pass's.
 */
function buildAll(data: DataSet) {
  const builds = BUILDS.map((params) => build(data, params));
  for (const i of [...BUILDS.keys()].reverse()) {
    const first = builds[i].result;
    const again = build(data, BUILDS[i]).result;
    log(`${data.name} build ${JSON.stringify(first)}, again ${JSON.stringify(again)}`);
    builds[i].result = {
      ...first,
      buildSeconds: Math.min(first.buildSeconds, again.buildSeconds),
      insertPerSecond: Math.max(first.insertPerSecond, again.insertPerSecond),
      lastThirdPerSecond: Math.max(first.lastThirdPerSecond, again.lastThirdPerSecond),
      cpuMsPerDocument: Math.min(first.cpuMsPerDocument, again.cpuMsPerDocument),
    };
  }
  return builds;
}

function candidateRecall(
  index: CandidateIndex,
  queries: Float32Array[],
  truth: number[][],
  count: number,
) {
  let hits = 0;
  queries.forEach((query, q) => {
    const want = new Set(truth[q].slice(0, count));
    hits += index.search(query, count).keys.filter((key) => want.has(key)).length;
  });
  return hits / (queries.length * count);
}

function qps(index: CandidateIndex, queries: Float32Array[], count: number) {
  let next = 0;
  return measure(() => {
    index.search(queries[next++ % queries.length], count);
    return 1;
  }, PAIRED_TIMING).perSecond;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[values.length >> 1];

/**
 * Queries/s of `index` and of flat, timed in alternating rounds so that both see the same load
 * on a shared machine; the ratio is the median of the rounds' ratios.
 */
function pairedRates(
  index: CandidateIndex,
  flat: FlatIndex,
  queries: Float32Array[],
  count: number,
) {
  const rates = Array.from({ length: PAIRED_ROUNDS }, () => ({
    index: qps(index, queries, count),
    flat: qps(flat, queries, count),
  }));
  return {
    index: median(rates.map((r) => r.index)),
    flat: median(rates.map((r) => r.flat)),
    ratio: median(rates.map((r) => r.index / r.flat)),
  };
}

/** Every build and search setting on one data set. */
function run(data: DataSet): Row[] {
  const flat = new FlatIndex(data.dimensions);
  flat.add(
    Array.from({ length: data.numDocuments }, (_, i) => i),
    data.docs,
  );
  checkFlat(flat, data);
  const widest = Math.max(...COUNTS);
  const truth = data.queries.map((query) => flat.search(query, widest).keys);

  const rows: Row[] = [];
  for (const { bytes, result } of buildAll(data)) {
    for (const expansionPerResult of PER_RESULT) {
      const index = deserializeCandidateIndex(bytes, { expansionPerResult });
      checkScores(index, data);
      for (const count of COUNTS) {
        const rates = pairedRates(index, flat, data.queries, count);
        rows.push({
          dataSet: data.name,
          ...result,
          count,
          expansionPerResult,
          candidateRecall: candidateRecall(index, data.queries, truth, count),
          queriesPerSecond: rates.index,
          flatQueriesPerSecond: rates.flat,
          speedupVsFlat: rates.ratio,
        });
        log(`  ${JSON.stringify(rows.at(-1))}`);
      }
    }
  }
  return rows;
}

function log(line: string): void {
  process.stderr.write(`${line}\n`);
}

const same = (a: BuildResult, b: { connectivity: number; expansionAdd: number }) =>
  a.connectivity === b.connectivity && a.expansionAdd === b.expansionAdd;
const label = (b: BuildResult) => `(${b.connectivity}, ${b.expansionAdd})`;

/** The verdict on one data set, computed from its rows. */
function verdict(rows: Row[]): string {
  const widest = Math.max(...COUNTS);
  const perResult = Math.max(...PER_RESULT);
  const at = rows.filter((r) => r.count === widest && r.expansionPerResult === perResult);
  const reference = at.find((r) => same(r, REFERENCE)) as Row;
  const near = at.filter((r) => reference.candidateRecall - r.candidateRecall <= RECALL_MARGIN);
  const cheapest = near.reduce((a, b) => (b.cpuMsPerDocument < a.cpuMsPerDocument ? b : a));
  const fastest = near.reduce((a, b) => (b.insertPerSecond > a.insertPerSecond ? b : a));
  const lines = [
    `At count ${widest} and expansionPerResult ${perResult}, ${label(reference)} finds ${reference.candidateRecall.toFixed(3)} of flat's top ${widest}; within ${RECALL_MARGIN} of it: ${near.map(label).join(', ')}.`,
    `Of those, the cheapest to insert in CPU time is ${label(cheapest)} (${cheapest.cpuMsPerDocument.toFixed(2)} ms a document against ${reference.cpuMsPerDocument.toFixed(2)}, recall ${cheapest.candidateRecall.toFixed(3)}); the fastest in wall-clock time ${label(fastest)} (${fastest.insertPerSecond.toFixed(0)} documents/s against ${reference.insertPerSecond.toFixed(0)}).`,
  ];

  const current = DEFAULTS.index.hnsw;
  for (const count of COUNTS) {
    const pick = (epr: number) =>
      rows.find((r) => same(r, current) && r.count === count && r.expansionPerResult === epr);
    const [low, high] = PER_RESULT.map(pick);
    if (!low || !high) continue;
    lines.push(
      `Default build ${label(low)}, count ${count}: expansionPerResult ${low.expansionPerResult} finds ${low.candidateRecall.toFixed(3)} at ${low.speedupVsFlat.toFixed(1)}x flat's queries/s, ${high.expansionPerResult} finds ${high.candidateRecall.toFixed(3)} at ${high.speedupVsFlat.toFixed(1)}x.`,
    );
  }
  return lines.join(' ');
}

function table(rows: Row[]): string {
  const lines = rows.map(
    (r) =>
      `| ${r.connectivity} | ${r.expansionAdd} | ${r.insertPerSecond.toFixed(0)} | ${r.lastThirdPerSecond.toFixed(0)} | ${r.cpuMsPerDocument.toFixed(2)} | ${r.memoryBytesPerVector.toFixed(0)} | ${r.diskBytesPerVector.toFixed(0)} | ${r.count} | ${r.expansionPerResult} | ${r.candidateRecall.toFixed(3)} | ${r.queriesPerSecond.toFixed(0)} | ${r.speedupVsFlat.toFixed(1)}x |`,
  );
  return [
    '| M | efConstruction | insert docs/s | last third docs/s | CPU ms/doc | memory B/vector | disk B/vector | count | per result | candidate recall | queries/s | vs flat |',
    '| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...lines,
  ].join('\n');
}

function section(data: DataSet, rows: Row[]): string {
  const flatRates = rows.map((r) => r.flatQueriesPerSecond);
  return [
    `## ${data.name}`,
    '',
    `${data.note}; FDEs of ${data.dimensions} values. Flat: ${Math.min(...flatRates).toFixed(0)} to ${Math.max(...flatRates).toFixed(0)} queries/s over the run.`,
    '',
    verdict(rows),
    '',
    table(rows),
  ].join('\n');
}

const info = machineInfo();
const loadAtStart = loadavg()[0];
const sets: { data: DataSet; rows: Row[] }[] = [];
const loaders = QUICK ? [scifact] : [scifact, () => synthetic(SYNTHETIC_DOCUMENTS)];
for (const load of loaders) {
  const data = await load();
  log(`${data.name}: ${data.numDocuments} documents, ${data.queries.length} queries`);
  sets.push({ data, rows: run(data) });
}

const markdown = [
  '# HNSW parameters on FDEs',
  '',
  `${machineLine(info)} Load average (1 min) ${loadAtStart.toFixed(1)} at the start, ${loadavg()[0].toFixed(1)} at the end: the machine was shared with other work, so absolute rates are for context; compare rows within the run, and CPU ms/doc (process CPU time over all threads) before wall-clock insert rates.`,
  '',
  `Weaviate-preset FDEs, HNSW f16 and centred (${JSON.stringify(DEFAULTS.index.hnsw)} apart from M and efConstruction). Each build adds the documents in batches of ${BATCH} on the default native threads, and runs twice (in two passes, the second in reverse order; each insert measure is the better pass's); "last third" is the insert rate over the last third of the documents; memory is the index's own estimate, disk its serialised size. Each search asks for \`count\` results, one query at a time on one thread, and explores max(expansionSearch ${DEFAULTS.index.hnsw.expansionSearch}, "per result" x count) nodes. Candidate recall: share of flat's top \`count\` returned. "vs flat": queries/s over flat's at the same count, the median ratio of ${PAIRED_ROUNDS} rounds that alternate the two (both see the same load).`,
  '',
  ...sets.flatMap(({ data, rows }) => [section(data, rows), '']),
  `Run: \`npx tsx bench/index-hnsw-params.ts${QUICK ? ' --quick' : ''}${SYNTHETIC_DOCUMENTS === 20_000 ? '' : ` --docs ${SYNTHETIC_DOCUMENTS}`}\``,
].join('\n');
const path = writeResult('index-hnsw-params', markdown, {
  machine: info,
  loadAverage: { start: loadAtStart, end: loadavg()[0] },
  defaults: DEFAULTS.index.hnsw,
  dataSets: sets.map(({ data, rows }) => ({
    name: data.name,
    documents: data.numDocuments,
    queries: data.queries.length,
    dimensions: data.dimensions,
    rows,
  })),
});
process.stdout.write(`${markdown}\n\nwritten to ${path}\n`);
