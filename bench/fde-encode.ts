/**
 * Document FDE encoding throughput: 100-token, 128-dim documents, R 20, k 5, projection to 16,
 * sparse and dense, on 1 thread and on 2 worker threads, against a straightforward per-token
 * implementation (below) measured in the same run.
 *
 * Run: npx tsx bench/fde-encode.ts   Writes bench/results/fde-encode.md and .json.
 */
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { popcount32 } from '../src/fde/gray-code.js';
import type { FdeConfigJson, FdeProjection } from '../src/fde/index.js';
import { FdeEncoder, fdePreset, partitionSignBits } from '../src/fde/index.js';
import { denseProjection, simhashMatrix, sparseProjection } from '../src/fde/matrices.js';
import { machineInfo, machineLine, measure, seededRandom, writeResult } from './harness.js';

const DIM = 128;
const TOKENS = 100;
const NUM_DOCS = 256;
const BATCH = 64;
const DATA_SEED = 1;
const PARALLEL_SECONDS = 3;
const WORKER_WARMUP_SECONDS = 0.5;
/** Largest difference accepted between the library and the baseline (float32 rounding). */
const TOLERANCE = 1e-4;

/** Seeded unit-norm documents, NUM_DOCS x TOKENS rows of DIM. */
function documents(): Float32Array {
  const random = seededRandom(DATA_SEED);
  const data = new Float32Array(NUM_DOCS * TOKENS * DIM);
  for (let row = 0; row < NUM_DOCS * TOKENS; row++) {
    let norm = 0;
    for (let j = 0; j < DIM; j++) {
      const value = random() * 2 - 1;
      data[row * DIM + j] = value;
      norm += value * value;
    }
    for (let j = 0; j < DIM; j++) data[row * DIM + j] /= Math.sqrt(norm);
  }
  return data;
}

/**
 * The baseline: the definition written out token by token, as a first implementation would be.
 * For every repetition, every token: k dot products for its partition, a projection of the whole
 * token, an add into the partition; then averages, and a scan over all tokens per empty partition.
 */
function baselineEncoder(config: FdeConfigJson): (doc: Float32Array) => Float32Array {
  const { numRepetitions: R, numSimhashProjections: k } = config;
  const B = 2 ** k;
  const dProj = config.projectionDimension ?? DIM;
  const S = simhashMatrix(config);
  const dense = config.projection === 'dense' ? denseProjection(config) : null;
  const sparse = config.projection === 'sparse' ? sparseProjection(config) : null;
  return (doc) => {
    const n = doc.length / DIM;
    const out = new Float32Array(R * B * dProj);
    const projected = new Float32Array(n * dProj);
    const partitionOf = new Int32Array(n);
    const counts = new Int32Array(B);
    for (let r = 0; r < R; r++) {
      counts.fill(0);
      projected.fill(0);
      for (let t = 0; t < n; t++) {
        let index = 0;
        for (let i = 0; i < k; i++) {
          let dot = 0;
          for (let j = 0; j < DIM; j++) dot += S[(r * k + i) * DIM + j] * doc[t * DIM + j];
          const bit = dot > 0 ? 1 : 0;
          index = (index << 1) + (bit ^ (index & 1));
        }
        partitionOf[t] = index;
        for (let c = 0; c < dProj; c++) {
          if (dense) {
            let dot = 0;
            for (let j = 0; j < DIM; j++)
              dot += dense[(r * dProj + c) * DIM + j] * doc[t * DIM + j];
            projected[t * dProj + c] = dot;
          }
        }
        if (sparse) {
          for (let j = 0; j < DIM; j++) {
            const at = t * dProj + sparse.bucket[r * DIM + j];
            projected[at] += sparse.sign[r * DIM + j] * doc[t * DIM + j];
          }
        }
        counts[index]++;
        for (let c = 0; c < dProj; c++)
          out[(r * B + index) * dProj + c] += projected[t * dProj + c];
      }
      for (let p = 0; p < B; p++) {
        const at = (r * B + p) * dProj;
        if (counts[p] > 0) {
          for (let c = 0; c < dProj; c++) out[at + c] /= counts[p];
          continue;
        }
        let best = 0;
        let bestDistance = Number.POSITIVE_INFINITY;
        for (let t = 0; t < n; t++) {
          const distance = popcount32(partitionSignBits(p) ^ partitionSignBits(partitionOf[t]));
          if (distance < bestDistance) [best, bestDistance] = [t, distance];
        }
        for (let c = 0; c < dProj; c++) out[at + c] = projected[best * dProj + c];
      }
    }
    return out;
  };
}

const OFFSETS = Array.from({ length: BATCH + 1 }, (_, i) => i * TOKENS);

/** Encodes batches of BATCH documents round-robin over `data`; returns documents encoded. */
function encodeFor(encoder: FdeEncoder, data: Float32Array, seconds: number): number {
  const end = performance.now() + seconds * 1000;
  const batches = data.length / (BATCH * TOKENS * DIM);
  let done = 0;
  for (let b = 0; performance.now() < end; b = (b + 1) % batches) {
    const span = BATCH * TOKENS * DIM;
    encoder.encodeDocuments(data.subarray(b * span, (b + 1) * span), OFFSETS);
    done += BATCH;
  }
  return done;
}

interface WorkerJob {
  config: FdeConfigJson;
  data: Float32Array;
  seconds: number;
}

/** A worker running this file; it registers tsx first, since workers do not inherit its hooks. */
function startWorker(job: WorkerJob): Worker {
  const api = JSON.stringify(import.meta.resolve('tsx/esm/api'));
  const self = JSON.stringify(import.meta.url);
  const bootstrap = `import(${api}).then((tsx) => { tsx.register(); return import(${self}); });`;
  return new Worker(bootstrap, { eval: true, workerData: job });
}

/**
 * Documents per second of `threads` workers encoding at once. Each worker loads and warms up
 * first; all start together on a signal and encode for PARALLEL_SECONDS.
 */
async function parallelRate(config: FdeConfigJson, data: Float32Array, threads: number) {
  const job: WorkerJob = { config, data, seconds: PARALLEL_SECONDS };
  const workers = Array.from({ length: threads }, () => startWorker(job));
  const next = (worker: Worker) =>
    new Promise<number>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
  await Promise.all(workers.map(next));
  const counts = workers.map(next);
  for (const worker of workers) worker.postMessage('go');
  const total = (await Promise.all(counts)).reduce((a, b) => a + b, 0);
  await Promise.all(workers.map((worker) => worker.terminate()));
  return total / PARALLEL_SECONDS;
}

interface Row {
  projection: FdeProjection;
  baseline: number;
  oneThread: number;
  oneWorker: number;
  twoWorkers: number;
  maxDifference: number;
}

async function scenario(projection: FdeProjection, data: Float32Array): Promise<Row> {
  const encoder = new FdeEncoder(fdePreset('paper', DIM, { projection }));
  const baseline = baselineEncoder(encoder.config);

  // Correctness before timing: the library and the baseline agree on every document.
  const fast = encoder.encodeDocuments(
    data,
    Array.from({ length: NUM_DOCS + 1 }, (_, i) => i * TOKENS),
  );
  let maxDifference = 0;
  for (let d = 0; d < NUM_DOCS; d++) {
    const plain = baseline(data.subarray(d * TOKENS * DIM, (d + 1) * TOKENS * DIM));
    const row = fast.vectors.subarray(d * plain.length, (d + 1) * plain.length);
    for (let i = 0; i < plain.length; i++)
      maxDifference = Math.max(maxDifference, Math.abs(row[i] - plain[i]));
  }
  if (maxDifference > TOLERANCE)
    throw new Error(`${projection}: library and baseline differ by ${maxDifference}`);

  let next = 0;
  const one = () => {
    baseline(data.subarray(next * TOKENS * DIM, (next + 1) * TOKENS * DIM));
    next = (next + 1) % NUM_DOCS;
    return 1;
  };
  const baselineRate = measure(one, { warmupMs: 300, roundMs: 500, rounds: 3 }).perSecond;
  const oneThread = measure(() => encodeFor(encoder, data, 0.05), {
    warmupMs: 500,
    roundMs: 600,
    rounds: 5,
  }).perSecond;
  const oneWorker = await parallelRate(encoder.config, data, 1);
  const twoWorkers = await parallelRate(encoder.config, data, 2);
  return { projection, baseline: baselineRate, oneThread, oneWorker, twoWorkers, maxDifference };
}

function report(rows: Row[]): string {
  const fmt = (x: number) => x.toFixed(0);
  return [
    '# FDE document encoding throughput',
    '',
    `Documents of ${TOKENS} tokens x ${DIM} dims (seeded, unit norm), R 20, k 5, projection to 16 (preset \`paper\` with the projection shown), batches of ${BATCH}. Baseline: a straightforward per-token implementation (bench/fde-encode.ts) measured in the same run; the library's output matches it within ${TOLERANCE} before timing. Two workers: worker_threads, each with its own encoder rebuilt from \`encoder.config\`, run at the same time for ${PARALLEL_SECONDS} s.`,
    '',
    '| projection | baseline docs/s | library, 1 thread | ratio | 1 worker | 2 workers | 2-worker speed-up | max difference |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
    ...rows.map(
      (r) =>
        `| ${r.projection} | ${fmt(r.baseline)} | ${fmt(r.oneThread)} | ${(r.oneThread / r.baseline).toFixed(1)}x | ${fmt(r.oneWorker)} | ${fmt(r.twoWorkers)} | ${(r.twoWorkers / r.oneWorker).toFixed(2)}x | ${r.maxDifference.toExponential(1)} |`,
    ),
    '',
    'Targets (issue 2): sparse at least about 1,700 documents/s on one core (Google C++ reference, -O3 -march=native); dense at least 1,000 documents/s on 2 cores. The machine is shared: absolute rates move with its load, ratios less so.',
    '',
    machineLine(),
  ].join('\n');
}

async function main(): Promise<void> {
  const data = documents();
  const rows: Row[] = [];
  for (const projection of ['sparse', 'dense'] as const)
    rows.push(await scenario(projection, data));
  const markdown = report(rows);
  writeResult('fde-encode', markdown, { machine: machineInfo(), rows });
  process.stdout.write(`${markdown}\n`);
}

if (isMainThread) {
  await main();
} else {
  const job = workerData as WorkerJob;
  const encoder = FdeEncoder.fromJSON(job.config);
  encodeFor(encoder, job.data, WORKER_WARMUP_SECONDS);
  parentPort?.once('message', () =>
    parentPort?.postMessage(encodeFor(encoder, job.data, job.seconds)),
  );
  parentPort?.postMessage(0);
}
