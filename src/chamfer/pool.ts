/**
 * Multithreaded re-rank: a pool of worker threads, created once, that scores one query against
 * a long candidate list on every core.
 *
 * The list is cut into contiguous shares of about equal token rows, one per worker plus one for
 * the calling thread, which scores its share while the workers score theirs. Each worker gets
 * its share copied (structured clone of a slice); data in a SharedArrayBuffer is passed without
 * copying. Below `parallelThreshold` documents the pool scores on the calling thread alone,
 * because posting to a worker costs more than it saves. Results equal the single-threaded ones
 * exactly: every document is scored by the same kernel code.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { DEFAULTS } from '../defaults.js';
import { type ErrorCode, invalidArgument, MuveraError } from '../errors.js';
import { checkDim, validateTokenSet } from '../tokens/token-set.js';
import { getChamferKernelChoice, getKernel } from './kernel.js';
import type { EncodedTokens } from './precision.js';
import {
  asEncoded,
  batchSize,
  type ChamferHit,
  checkOut,
  type DocumentBatch,
  type DocumentTokens,
  type ScoringBatch,
  scoreRange,
  topKOf,
} from './score.js';

/** Options of {@link ChamferPool}. */
export interface ChamferPoolOptions {
  /** Threads in all, the calling thread included; default `DEFAULTS.chamfer.threads` (null: all cores). */
  threads?: number | null;
  /** Fewer documents than this are scored on the calling thread alone. */
  parallelThreshold?: number;
}

/** One share of work as sent to a worker. */
export interface PoolRequest {
  id: number;
  kernel: string;
  query: Float32Array;
  dim: number;
  docs: DocumentBatch;
  labelBase: number;
}

/** A worker's answer: scores, or a serialised MuveraError. */
export interface PoolReply {
  id: number;
  scores?: Float32Array;
  error?: { code: ErrorCode; message: string; parameter?: string };
}

const FROM_SOURCE = import.meta.url.endsWith('.ts');
const WORKER_URL = new URL(FROM_SOURCE ? './pool-worker.ts' : './pool-worker.js', import.meta.url);

/**
 * Starts a worker thread on pool-worker. NOTE: run from TypeScript sources (tests, benchmarks),
 * a worker thread does not inherit tsx's loader hooks, so a small bootstrap registers tsx in
 * the worker before importing the TypeScript file.
 */
function spawnWorker(): Worker {
  if (!FROM_SOURCE) return new Worker(WORKER_URL);
  const api = JSON.stringify(import.meta.resolve('tsx/esm/api'));
  const bootstrap = `import(${api}).then((tsx) => { tsx.register(); return import(${JSON.stringify(WORKER_URL.href)}); });`;
  return new Worker(bootstrap, { eval: true });
}

/** Rows of each document, for balancing shares. */
function rowsOf(docs: DocumentBatch, dim: number, i: number): number {
  if (Array.isArray(docs)) return asEncoded(docs[i], dim, `documents[${i}]`).numTokens;
  const { offsets } = docs as ScoringBatch;
  return offsets[i + 1] - offsets[i];
}

/** Cuts `count` documents into `parts` contiguous ranges of about equal rows: the boundaries. */
export function splitByRows(docs: DocumentBatch, dim: number, count: number, parts: number) {
  let total = 0;
  for (let i = 0; i < count; i++) total += rowsOf(docs, dim, i);
  const bounds = [0];
  let seen = 0;
  for (let i = 0; i < count && bounds.length < parts; i++) {
    seen += rowsOf(docs, dim, i);
    if (seen >= (total * bounds.length) / parts) bounds.push(i + 1);
  }
  while (bounds.length <= parts) bounds.push(count);
  bounds[parts] = count;
  return bounds;
}

function sliceTyped<T extends Float32Array | Uint16Array | Int8Array>(
  values: T,
  a: number,
  b: number,
) {
  const shared = values.buffer instanceof SharedArrayBuffer;
  return (shared ? values.subarray(a, b) : values.slice(a, b)) as T;
}

/** Documents `first` to `last - 1` as a self-contained batch for a worker. */
function share(docs: DocumentBatch, dim: number, first: number, last: number): DocumentBatch {
  if (Array.isArray(docs)) return docs.slice(first, last) as DocumentTokens[];
  const { data, offsets } = docs as ScoringBatch;
  const encoded = asEncoded(data, dim, 'documents.data');
  const start = offsets[first];
  const end = offsets[last];
  const part: EncodedTokens = {
    ...encoded,
    numTokens: end - start,
    values: sliceTyped(encoded.values, start * dim, end * dim),
  };
  if (encoded.scales && encoded.scaleMode === 'token') {
    part.scales = sliceTyped(encoded.scales, start, end);
  }
  const rebased = Int32Array.from(
    { length: last - first + 1 },
    (_, i) => offsets[first + i] - start,
  );
  return { data: part, offsets: rebased };
}

/** A pool of Chamfer worker threads. Create once, reuse for every query, `close()` at the end. */
export class ChamferPool {
  private readonly workers: Worker[] = [];
  private readonly pending = new Map<number, (reply: PoolReply) => void>();
  private nextId = 0;
  readonly threads: number;
  readonly parallelThreshold: number;

  constructor(options: ChamferPoolOptions = {}) {
    const threads = options.threads ?? DEFAULTS.chamfer.threads ?? availableParallelism();
    if (!Number.isInteger(threads) || threads < 1) {
      throw invalidArgument('threads', 'a positive integer', threads);
    }
    const threshold = options.parallelThreshold ?? DEFAULTS.chamfer.parallelThreshold;
    if (!Number.isInteger(threshold) || threshold < 0) {
      throw invalidArgument('parallelThreshold', 'a non-negative integer', threshold);
    }
    this.threads = threads;
    this.parallelThreshold = threshold;
    for (let i = 1; i < threads; i++) this.workers.push(this.startWorker());
  }

  private startWorker(): Worker {
    const worker = spawnWorker();
    worker.on('message', (reply: PoolReply) => {
      const resolve = this.pending.get(reply.id);
      this.pending.delete(reply.id);
      if (this.pending.size === 0) for (const w of this.workers) w.unref();
      resolve?.(reply);
    });
    worker.unref();
    return worker;
  }

  private ask(worker: Worker, request: Omit<PoolRequest, 'id'>): Promise<PoolReply> {
    const id = this.nextId++;
    worker.ref();
    return new Promise((resolve) => {
      this.pending.set(id, resolve);
      worker.postMessage({ ...request, id });
    });
  }

  /**
   * Like `chamferBatch`, on all threads: `out[i]` is the score of document i. Equal to the
   * single-threaded result. Errors as in `chamferBatch`.
   */
  async scoreBatch(
    query: Float32Array,
    docs: DocumentBatch,
    dim: number,
    out?: Float32Array,
  ): Promise<Float32Array> {
    checkDim(dim);
    validateTokenSet(query, dim, 'query');
    const count = batchSize(docs, dim);
    const scores = checkOut(out, count);
    getKernel().setQuery(query, dim);
    if (this.workers.length === 0 || count < this.parallelThreshold) {
      scoreRange(docs, dim, 0, count, scores);
      return scores;
    }

    // Workers take the later shares; the calling thread scores the first one meanwhile.
    const bounds = splitByRows(docs, dim, count, this.workers.length + 1);
    const kernel = getChamferKernelChoice();
    const replies = this.workers.map((worker, w) => {
      const [first, last] = [bounds[w + 1], bounds[w + 2]];
      const part = share(docs, dim, first, last);
      return this.ask(worker, { kernel, query, dim, docs: part, labelBase: first });
    });
    let localError: unknown;
    try {
      scoreRange(docs, dim, 0, bounds[1], scores);
    } catch (error) {
      localError = error;
    }

    const answers = await Promise.all(replies);
    if (localError) throw localError;
    answers.forEach((reply, w) => {
      if (reply.error) throw new MuveraError(reply.error.code, reply.error.message, reply.error);
      scores.set(reply.scores as Float32Array, bounds[w + 1]);
    });
    return scores;
  }

  /** Top-k over all threads; same order and tie rule as `chamferTopK`. */
  async topK(query: Float32Array, docs: DocumentBatch, dim: number, k: number) {
    if (!Number.isInteger(k) || k < 1) throw invalidArgument('k', 'a positive integer', k);
    const scores = await this.scoreBatch(query, docs, dim);
    return topKOf(scores, scores.length, k) satisfies ChamferHit[];
  }

  /** Stops the worker threads. */
  async close(): Promise<void> {
    await Promise.all(this.workers.map((worker) => worker.terminate()));
    this.workers.length = 0;
  }
}

let shared: ChamferPool | undefined;

/** The process-wide pool with default options, created on first use. Its threads never hold the process open. */
export function defaultChamferPool(): ChamferPool {
  shared ??= new ChamferPool();
  return shared;
}

/** `chamferBatch` on the default pool: all cores for long candidate lists. */
export function chamferBatchParallel(
  query: Float32Array,
  docs: DocumentBatch,
  dim: number,
  out?: Float32Array,
): Promise<Float32Array> {
  return defaultChamferPool().scoreBatch(query, docs, dim, out);
}
