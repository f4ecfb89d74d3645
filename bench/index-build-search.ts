/**
 * Candidate indexes on real FDEs: build rate, recall against the exact flat scan, queries per
 * second, memory and serialised size, for hnsw (f32, f16), pq and flat at a few FDE sizes.
 *
 * Data: the synthetic ColBERT-like corpus (bench/synthetic/colbert-like.ts, 100 tokens of dim 128
 * a document, 32 a query) encoded with the project's FdeEncoder at three presets: milvus (1,792
 * values), weaviate (2,560) and paper (10,240). Document FDEs are averages and are not unit
 * length, which is where HNSW on raw inner product can navigate badly: recall is measured, never
 * assumed.
 *
 * The baseline is the flat index, measured in the same run on the same vectors: its top-k is the
 * truth for recall, and every speed is also given as a ratio to its queries per second.
 * Correctness check before timing: flat's top-10 equals a plain brute-force loop.
 *
 * recall@10 is |top-10 of the index ∩ top-10 of flat| / 10. "10 in 100" fetches 100 candidates
 * and counts how many of flat's top-10 are among them, which is how the collection uses the
 * candidate stage (over-fetch, then exact Chamfer re-rank).
 *
 * Run: npx tsx bench/index-build-search.ts [--quick]
 */
import { loadavg } from 'node:os';
import { FdeEncoder } from '../src/fde/encoder.js';
import { createCandidateIndex } from '../src/index/factory.js';
import type { CandidateIndex, CandidateIndexKind } from '../src/index/types.js';
import { machineInfo, machineLine, measure, writeResult } from './harness.js';
import { ColbertLikeCorpus } from './synthetic/colbert-like.js';

const QUICK = process.argv.includes('--quick');
const NUM_QUERIES = QUICK ? 20 : 100;
const RECALL_K = 10;
const FETCH = 100;
const TIMING = { warmupMs: 200, roundMs: 300, rounds: 3 };

/** Variants run in the scale scenario. */
const SCALE_KINDS = ['flat', 'hnsw f16', 'pq'];

/**
 * Presets measured, how many documents each gets (HNSW insert cost grows with dimension), and
 * the PQ training used (k-means in JavaScript costs numGroups * iterations * sample * 256 * 8
 * multiply-adds, so the largest FDE gets a smaller sample to keep the run to minutes).
 */
const SCENARIOS = [
  { preset: 'milvus', documents: QUICK ? 1000 : 4000, pqTraining: 2048, only: null },
  { preset: 'weaviate', documents: QUICK ? 1000 : 4000, pqTraining: 2048, only: null },
  { preset: 'paper', documents: QUICK ? 500 : 1500, pqTraining: 1024, only: null },
  /** Scale: flat grows linearly with documents, HNSW roughly logarithmically. */
  { preset: 'weaviate', documents: QUICK ? 2000 : 16000, pqTraining: 2048, only: SCALE_KINDS },
];
const PQ_ITERATIONS = 5;

interface Variant {
  name: string;
  kind: CandidateIndexKind;
  options: object;
}

/** Index variants measured on a preset; flat first, as the baseline. */
function variants(pqTraining: number): Variant[] {
  const pq = { trainingSize: pqTraining, iterations: PQ_ITERATIONS };
  return [
    { name: 'flat', kind: 'flat', options: {} },
    { name: 'hnsw f32', kind: 'hnsw', options: { precision: 'f32' } },
    { name: 'hnsw f16', kind: 'hnsw', options: { precision: 'f16' } },
    { name: 'hnsw f32 uncentred', kind: 'hnsw', options: { precision: 'f32', center: false } },
    { name: `pq 256x8 (train ${pqTraining}x${PQ_ITERATIONS})`, kind: 'pq', options: pq },
  ];
}

interface Row {
  preset: string;
  dimensions: number;
  documents: number;
  index: string;
  buildPerSecond: number;
  buildSeconds: number;
  recallAt10: number;
  recall10In100: number;
  queriesPerSecond: number;
  speedupVsFlat: number;
  memoryBytesPerVector: number;
  serializedBytesPerVector: number;
}

/** Corpus documents generated and encoded at a time (keeps token memory bounded). */
const ENCODE_BATCH = 1000;

/** Document and query FDEs of one preset. */
function encode(preset: string, documents: number) {
  const corpus = new ColbertLikeCorpus({ numDocuments: documents, numQueries: NUM_QUERIES });
  const encoder = FdeEncoder.fromPreset(preset, corpus.dim);
  const dimensions = encoder.outputDimension;
  const docVectors = new Float32Array(documents * dimensions);
  for (let start = 0; start < documents; start += ENCODE_BATCH) {
    const docs = corpus.documents(start, ENCODE_BATCH);
    docVectors.set(encoder.encodeDocuments(docs.data, docs.offsets).vectors, start * dimensions);
  }
  const queries = corpus.queries(NUM_QUERIES);
  return {
    dimensions,
    docVectors,
    queryVectors: encoder.encodeQueries(queries.data, queries.offsets).vectors,
  };
}

function queryRows(queries: Float32Array, dimensions: number): Float32Array[] {
  return Array.from({ length: queries.length / dimensions }, (_, q) =>
    queries.slice(q * dimensions, (q + 1) * dimensions),
  );
}

/** Checks flat against a plain loop on a few queries before anything is timed. */
function checkFlat(flat: CandidateIndex, docs: Float32Array, queries: Float32Array[]): void {
  const dims = flat.dimensions;
  for (const query of queries.slice(0, 3)) {
    const scores = Array.from({ length: docs.length / dims }, (_, row) => {
      let sum = 0;
      for (let j = 0; j < dims; j++) sum += query[j] * docs[row * dims + j];
      return { row, sum };
    }).sort((a, b) => b.sum - a.sum);
    const want = scores.slice(0, RECALL_K).map((s) => s.row);
    const got = flat.search(query, RECALL_K).keys;
    if (want.join() !== got.join()) throw new Error(`flat disagrees with brute force: ${got}`);
  }
}

function overlap(found: number[], truth: number[]): number {
  const want = new Set(truth);
  return found.filter((key) => want.has(key)).length;
}

function runVariant(
  variant: Variant,
  data: ReturnType<typeof encode>,
  queries: Float32Array[],
  truth: number[][],
): Omit<Row, 'preset' | 'documents' | 'speedupVsFlat'> {
  const count = data.docVectors.length / data.dimensions;
  const index = createCandidateIndex(variant.kind, data.dimensions, variant.options as never);
  const keys = Array.from({ length: count }, (_, i) => i);
  const start = performance.now();
  index.add(keys, data.docVectors);
  const buildSeconds = (performance.now() - start) / 1000;

  let hits10 = 0;
  let hits100 = 0;
  queries.forEach((query, q) => {
    hits10 += overlap(index.search(query, RECALL_K).keys, truth[q]);
    hits100 += overlap(index.search(query, FETCH).keys, truth[q]);
  });
  let next = 0;
  const timing = measure(() => {
    index.search(queries[next++ % queries.length], FETCH);
    return 1;
  }, TIMING);
  return {
    dimensions: data.dimensions,
    index: variant.name,
    buildPerSecond: count / buildSeconds,
    buildSeconds,
    recallAt10: hits10 / (queries.length * RECALL_K),
    recall10In100: hits100 / (queries.length * RECALL_K),
    queriesPerSecond: timing.perSecond,
    memoryBytesPerVector: index.stats().memoryBytes / count,
    serializedBytesPerVector: index.serialize().length / count,
  };
}

function runScenario(scenario: (typeof SCENARIOS)[number]): Row[] {
  const { preset, documents, pqTraining, only } = scenario;
  const data = encode(preset, documents);
  const queries = queryRows(data.queryVectors, data.dimensions);
  const count = data.docVectors.length / data.dimensions;

  const oracle = createCandidateIndex('flat', data.dimensions);
  oracle.add(
    Array.from({ length: count }, (_, i) => i),
    data.docVectors,
  );
  checkFlat(oracle, data.docVectors, queries);
  const truth = queries.map((query) => oracle.search(query, RECALL_K).keys);

  const rows: Row[] = [];
  let flatQps = 0;
  const chosen = variants(pqTraining).filter(
    (v) => only === null || only.some((name) => v.name.startsWith(name)),
  );
  for (const variant of chosen) {
    const row = runVariant(variant, data, queries, truth);
    if (variant.kind === 'flat') flatQps = row.queriesPerSecond;
    rows.push({ preset, documents, ...row, speedupVsFlat: row.queriesPerSecond / flatQps });
    process.stderr.write(`${table(rows.slice(-1)).split('\n')[2]}\n`);
  }
  return rows;
}

function table(rows: Row[]): string {
  const head =
    '| preset | dims | docs | index | build/s | recall@10 | 10 in 100 | queries/s (k=100) | vs flat | memory B/vec | disk B/vec |\n' +
    '| --- | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |';
  const lines = rows.map(
    (r) =>
      `| ${r.preset} | ${r.dimensions} | ${r.documents} | ${r.index} | ${r.buildPerSecond.toFixed(0)} | ${r.recallAt10.toFixed(3)} | ${r.recall10In100.toFixed(3)} | ${r.queriesPerSecond.toFixed(0)} | ${r.speedupVsFlat.toFixed(1)}x | ${r.memoryBytesPerVector.toFixed(0)} | ${r.serializedBytesPerVector.toFixed(0)} |`,
  );
  return [head, ...lines].join('\n');
}

const rows = SCENARIOS.flatMap(runScenario);
const markdown = [
  '# Candidate indexes: build, recall against flat, queries per second',
  '',
  `${machineLine()} Load average at the end: ${loadavg()[0].toFixed(1)}.`,
  '',
  `Synthetic ColBERT-like corpus, FDEs from FdeEncoder presets; ${NUM_QUERIES} queries. Recall is against the exact flat index on the same FDEs (not against Chamfer). Queries/s: one query at a time on one thread, k = ${FETCH}. Build: one batch add (hnsw on all cores; pq includes its k-means training, sample x iterations as named).`,
  '',
  table(rows),
].join('\n');
const path = writeResult('index-build-search', markdown, { machine: machineInfo(), rows });
process.stdout.write(`${markdown}\n\nwritten to ${path}\n`);
