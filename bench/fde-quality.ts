/**
 * FDE approximation quality per preset: how many FDE candidates are needed to contain 90% of the
 * exact Chamfer top-10, on a seeded synthetic ColBERT-like corpus (bench/synthetic/colbert-like.ts:
 * clustered, unit-norm, dim 128; 32-token queries; documents cut to a seeded 50 to 200 tokens).
 *
 * Run: npx tsx bench/fde-quality.ts [numDocuments] [numQueries]   (defaults 3000, 100)
 * Writes bench/results/fde-quality.md and .json.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { chamferBatch, dotProducts } from '../src/chamfer/index.js';
import { FDE_PRESET_NAMES, FdeEncoder } from '../src/fde/index.js';
import { machineInfo, machineLine, seededRandom, writeResult } from './harness.js';
import { ColbertLikeCorpus } from './synthetic/colbert-like.js';

const NUM_DOCUMENTS = Number(process.argv[2] ?? 3000);
const NUM_QUERIES = Number(process.argv[3] ?? 100);
const MIN_TOKENS = 50;
const MAX_TOKENS = 200;
const TOP = 10;
const TARGET_RECALL = 0.9;
const LENGTH_SEED = 7;
const CANDIDATE_STEPS = [10, 20, 50, 100, 200, 500, 1000];

interface Corpus {
  dim: number;
  docs: { data: Float32Array; offsets: Uint32Array };
  queries: { data: Float32Array; offsets: Uint32Array };
}

/** Documents of 200 generated tokens, each cut to a seeded length in 50..200. */
function buildCorpus(): Corpus {
  const corpus = new ColbertLikeCorpus({
    numDocuments: NUM_DOCUMENTS,
    numQueries: NUM_QUERIES,
    tokensPerDocument: MAX_TOKENS,
  });
  const { dim } = corpus;
  const random = seededRandom(LENGTH_SEED);
  const lengths = Array.from(
    { length: NUM_DOCUMENTS },
    () => MIN_TOKENS + Math.floor(random() * (MAX_TOKENS - MIN_TOKENS + 1)),
  );
  const offsets = new Uint32Array(NUM_DOCUMENTS + 1);
  for (let i = 0; i < NUM_DOCUMENTS; i++) offsets[i + 1] = offsets[i] + lengths[i];
  const data = new Float32Array(offsets[NUM_DOCUMENTS] * dim);
  const full = new Float32Array(MAX_TOKENS * dim);
  for (let i = 0; i < NUM_DOCUMENTS; i++) {
    corpus.document(i, full);
    data.set(full.subarray(0, lengths[i] * dim), offsets[i] * dim);
  }
  return { dim, docs: { data, offsets }, queries: corpus.queries(NUM_QUERIES) };
}

/** The exact Chamfer top-10 document numbers of every query. */
function exactTopK(corpus: Corpus): number[][] {
  const { dim, queries } = corpus;
  const tops: number[][] = [];
  for (let q = 0; q < NUM_QUERIES; q++) {
    const query = queries.data.subarray(queries.offsets[q] * dim, queries.offsets[q + 1] * dim);
    const scores = chamferBatch(query, corpus.docs, dim);
    tops.push(topIndices(scores, TOP));
  }
  return tops;
}

function topIndices(scores: ArrayLike<number>, k: number): number[] {
  return Array.from({ length: scores.length }, (_, i) => i)
    .sort((a, b) => scores[b] - scores[a] || a - b)
    .slice(0, k);
}

/** Per query: FDE rank (1-based) of each exact top-10 document. */
function fdeRanks(encoder: FdeEncoder, corpus: Corpus, tops: number[][]): number[][] {
  const D = encoder.outputDimension;
  const docs = encoder.encodeDocuments(corpus.docs.data, corpus.docs.offsets).vectors;
  const queries = encoder.encodeQueries(corpus.queries.data, corpus.queries.offsets).vectors;
  const scores = dotProducts(queries, docs, D);
  return tops.map((top, q) => {
    const row = scores.subarray(q * NUM_DOCUMENTS, (q + 1) * NUM_DOCUMENTS);
    return top.map((d) => {
      let rank = 1;
      for (let i = 0; i < NUM_DOCUMENTS; i++)
        if (row[i] > row[d] || (row[i] === row[d] && i < d)) rank++;
      return rank;
    });
  });
}

interface PresetQuality {
  preset: string;
  outputDimension: number;
  /** Smallest candidate count whose mean recall of the exact top-10 reaches 90%. */
  candidatesFor90: number;
  /** Per-query candidates to contain 9 of the top 10: median and 90th percentile. */
  perQueryMedian: number;
  perQueryP90: number;
  recallAt: Record<number, number>;
  encodeSeconds: number;
}

function quality(preset: string, corpus: Corpus, tops: number[][]): PresetQuality {
  const encoder = FdeEncoder.fromPreset(preset, corpus.dim);
  const start = performance.now();
  const ranks = fdeRanks(encoder, corpus, tops);
  const encodeSeconds = (performance.now() - start) / 1000;
  const recall = (c: number) =>
    ranks.reduce((sum, r) => sum + r.filter((x) => x <= c).length / TOP, 0) / ranks.length;
  let candidatesFor90 = 1;
  while (candidatesFor90 < NUM_DOCUMENTS && recall(candidatesFor90) < TARGET_RECALL) {
    candidatesFor90++;
  }
  const needed = ranks.map((r) => r.sort((a, b) => a - b)[Math.ceil(TARGET_RECALL * TOP) - 1]);
  needed.sort((a, b) => a - b);
  return {
    preset,
    outputDimension: encoder.outputDimension,
    candidatesFor90,
    perQueryMedian: needed[Math.floor(needed.length / 2)],
    perQueryP90: needed[Math.floor(0.9 * (needed.length - 1))],
    recallAt: Object.fromEntries(CANDIDATE_STEPS.map((c) => [c, recall(c)])),
    encodeSeconds,
  };
}

function report(rows: PresetQuality[], seconds: number): string {
  const header = `| preset | dims | candidates for 90% of top-10 | per query median / p90 | ${CANDIDATE_STEPS.map((c) => `R@${c}`).join(' | ')} |`;
  const rule = `| --- | --- | --- | --- | ${CANDIDATE_STEPS.map(() => '---').join(' | ')} |`;
  const lines = rows.map(
    (r) =>
      `| ${r.preset} | ${r.outputDimension} | ${r.candidatesFor90} | ${r.perQueryMedian} / ${r.perQueryP90} | ${CANDIDATE_STEPS.map((c) => r.recallAt[c].toFixed(3)).join(' | ')} |`,
  );
  return [
    '# FDE approximation quality (synthetic ColBERT-like corpus)',
    '',
    `${NUM_DOCUMENTS} documents of ${MIN_TOKENS} to ${MAX_TOKENS} tokens, ${NUM_QUERIES} queries of 32 tokens, dim 128, from bench/synthetic/colbert-like.ts. "Candidates for 90%": the smallest number of FDE candidates (by FDE inner product) whose mean recall of the exact Chamfer top-${TOP} reaches ${TARGET_RECALL}. R@c: mean recall of the exact top-${TOP} within the first c FDE candidates.`,
    '',
    header,
    rule,
    ...lines,
    '',
    `Corpus generator: bench/synthetic at commit ${generatorCommit()}. Total run ${seconds.toFixed(0)} s. ${machineLine()}`,
  ].join('\n');
}

/** The last commit that touched the corpus generator (its parameters move the numbers). */
function generatorCommit(): string {
  try {
    const args = ['log', '-1', '--format=%h', '--', 'bench/synthetic'];
    const root = join(import.meta.dirname, '..');
    return execFileSync('git', args, { cwd: root, encoding: 'utf8' }).trim() || 'uncommitted';
  } catch {
    return 'unknown';
  }
}

function main(): void {
  const start = performance.now();
  const corpus = buildCorpus();
  const tops = exactTopK(corpus);
  const rows = FDE_PRESET_NAMES.map((preset) => quality(preset, corpus, tops));
  const seconds = (performance.now() - start) / 1000;
  const markdown = report(rows, seconds);
  writeResult('fde-quality', markdown, {
    machine: machineInfo(),
    NUM_DOCUMENTS,
    NUM_QUERIES,
    rows,
  });
  process.stdout.write(`${markdown}\n`);
}

main();
