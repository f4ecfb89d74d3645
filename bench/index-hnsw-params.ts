/**
 * HNSW parameters on real FDEs: how connectivity (M), expansionAdd (efConstruction) and
 * expansionSearch (efSearch) move build rate, recall against flat and queries per second, to
 * choose DEFAULTS.index.hnsw from measurements.
 *
 * Data: FDEs (weaviate preset, 2,560 values) of the synthetic ColBERT-like corpus. Baseline: the
 * flat index in the same run, whose top-10 is the truth and whose queries per second are the
 * reference for the speed ratios. Storage f16 and centring on, as in the measured defaults.
 *
 * Run: npx tsx bench/index-hnsw-params.ts [--quick]
 */
import { loadavg } from 'node:os';
import { FdeEncoder } from '../src/fde/encoder.js';
import { deserializeCandidateIndex } from '../src/index/factory.js';
import { FlatIndex } from '../src/index/flat.js';
import { HnswIndex } from '../src/index/hnsw.js';
import type { CandidateIndex } from '../src/index/types.js';
import { machineInfo, machineLine, measure, writeResult } from './harness.js';
import { ColbertLikeCorpus } from './synthetic/colbert-like.js';

const QUICK = process.argv.includes('--quick');
const DOCUMENTS = QUICK ? 1000 : 4000;
const NUM_QUERIES = QUICK ? 20 : 100;
const PRESET = 'weaviate';
const RECALL_K = 10;
const FETCH = 100;
const TIMING = { warmupMs: 200, roundMs: 300, rounds: 3 };

/** Build settings measured: (connectivity, expansionAdd). */
const BUILDS = [
  { connectivity: 8, expansionAdd: 64 },
  { connectivity: 16, expansionAdd: 64 },
  { connectivity: 16, expansionAdd: 128 },
  { connectivity: 32, expansionAdd: 128 },
];
/** Search beam widths measured on each build (k = 10, so expansionSearch decides the beam). */
const SEARCH_WIDTHS = [32, 64, 128];

interface Row {
  connectivity: number;
  expansionAdd: number;
  expansionSearch: number;
  buildPerSecond: number;
  recallAt10: number;
  recall10In100: number;
  queriesPerSecond: number;
  speedupVsFlat: number;
}

function encode() {
  const corpus = new ColbertLikeCorpus({ numDocuments: DOCUMENTS, numQueries: NUM_QUERIES });
  const encoder = FdeEncoder.fromPreset(PRESET, corpus.dim);
  const docs = corpus.documents(0, DOCUMENTS);
  const queries = corpus.queries(NUM_QUERIES);
  const dimensions = encoder.outputDimension;
  const queryVectors = encoder.encodeQueries(queries.data, queries.offsets).vectors;
  return {
    dimensions,
    docs: encoder.encodeDocuments(docs.data, docs.offsets).vectors,
    queries: Array.from({ length: NUM_QUERIES }, (_, q) =>
      queryVectors.slice(q * dimensions, (q + 1) * dimensions),
    ),
  };
}

function recall(index: CandidateIndex, queries: Float32Array[], truth: number[][], fetch: number) {
  let hits = 0;
  queries.forEach((query, q) => {
    const want = new Set(truth[q]);
    hits += index.search(query, fetch).keys.filter((key) => want.has(key)).length;
  });
  return hits / (queries.length * RECALL_K);
}

function qps(index: CandidateIndex, queries: Float32Array[], count: number): number {
  let next = 0;
  return measure(() => {
    index.search(queries[next++ % queries.length], count);
    return 1;
  }, TIMING).perSecond;
}

const data = encode();
const keys = Array.from({ length: DOCUMENTS }, (_, i) => i);
const flat = new FlatIndex(data.dimensions);
flat.add(keys, data.docs);
const truth = data.queries.map((query) => flat.search(query, RECALL_K).keys);
const flatQps = qps(flat, data.queries, RECALL_K);

const rows: Row[] = [];
for (const build of BUILDS) {
  const built = new HnswIndex(data.dimensions, { ...build, precision: 'f16' });
  const start = performance.now();
  built.add(keys, data.docs);
  const buildPerSecond = DOCUMENTS / ((performance.now() - start) / 1000);
  const bytes = built.serialize();

  for (const expansionSearch of SEARCH_WIDTHS) {
    const index = deserializeCandidateIndex(bytes, { expansionSearch });
    const speed = qps(index, data.queries, RECALL_K);
    rows.push({
      ...build,
      expansionSearch,
      buildPerSecond,
      recallAt10: recall(index, data.queries, truth, RECALL_K),
      recall10In100: recall(index, data.queries, truth, FETCH),
      queriesPerSecond: speed,
      speedupVsFlat: speed / flatQps,
    });
    process.stderr.write(`${JSON.stringify(rows.at(-1))}\n`);
  }
}

const lines = rows.map(
  (r) =>
    `| ${r.connectivity} | ${r.expansionAdd} | ${r.expansionSearch} | ${r.buildPerSecond.toFixed(0)} | ${r.recallAt10.toFixed(3)} | ${r.recall10In100.toFixed(3)} | ${r.queriesPerSecond.toFixed(0)} | ${r.speedupVsFlat.toFixed(1)}x |`,
);
const markdown = [
  '# HNSW parameters on FDEs',
  '',
  `${machineLine()} Load average at the end: ${loadavg()[0].toFixed(1)}.`,
  '',
  `${DOCUMENTS} documents of the synthetic ColBERT-like corpus, ${PRESET} FDEs (${data.dimensions} values), ${NUM_QUERIES} queries, f16 storage, centred. Recall against flat in the same run; queries/s at k = ${RECALL_K}, one thread; flat: ${flatQps.toFixed(0)} queries/s. Each build is loaded once per search width (usearch takes the width when an index is loaded).`,
  '',
  '| M | efConstruction | efSearch | build/s | recall@10 | 10 in 100 | queries/s | vs flat |',
  '| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ...lines,
].join('\n');
const path = writeResult('index-hnsw-params', markdown, { machine: machineInfo(), flatQps, rows });
process.stdout.write(`${markdown}\n\nwritten to ${path}\n`);
