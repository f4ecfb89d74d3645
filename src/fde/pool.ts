/**
 * `FdePool`: batch FDE encoding on several worker threads. Each worker rebuilds the encoder from
 * `encoder.config`, so its FDEs are byte-identical to the single-threaded ones. A batch is
 * validated on the calling thread first (errors name the set by its index in the whole batch),
 * then cut into one contiguous share of about equal rows per worker.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { DEFAULTS } from '../defaults.js';
import { type ErrorCode, invalidArgument, MuveraError } from '../errors.js';
import type { FdeConfigInput } from './config.js';
import { type FdeBatch, FdeEncoder, type FdeKind, validateBatch } from './encoder.js';

/** Options of an {@link FdePool}. */
export interface FdePoolOptions {
  /** Worker threads; default `DEFAULTS.fde.threads`, where `null` means one per core. */
  threads?: number | null;
}

/** A share of a batch sent to a worker (offsets relative to its own data). */
export interface FdePoolRequest {
  id: number;
  kind: FdeKind;
  data: Float32Array;
  offsets: Uint32Array;
}

/** A worker's answer: the share's FDE rows, or the error it hit. */
export interface FdePoolReply {
  id: number;
  vectors?: Float32Array;
  error?: { code: ErrorCode; message: string };
}

const FROM_SOURCE = import.meta.url.endsWith('.ts');
const WORKER_URL = new URL(FROM_SOURCE ? './pool-worker.ts' : './pool-worker.js', import.meta.url);

/** Below this many token rows a batch is encoded on the calling thread (no transfer cost). */
const MIN_PARALLEL_ROWS = 2048;

/**
 * Starts a worker. NOTE: from TypeScript sources (tests, benchmarks) a worker does not inherit
 * tsx's loader hooks, so a small bootstrap registers tsx before importing the worker file.
 */
function spawnWorker(config: unknown): Worker {
  if (!FROM_SOURCE) return new Worker(WORKER_URL, { workerData: config });
  const api = JSON.stringify(import.meta.resolve('tsx/esm/api'));
  const bootstrap = `import(${api}).then((tsx) => { tsx.register(); return import(${JSON.stringify(WORKER_URL.href)}); });`;
  return new Worker(bootstrap, { eval: true, workerData: config });
}

/** Encodes batches of token sets on worker threads; call `close()` when done. */
export class FdePool {
  /** The encoder every worker reproduces (its config, fingerprint and output dimension). */
  readonly encoder: FdeEncoder;
  /** Number of worker threads. */
  readonly threads: number;
  private workers: Worker[] = [];
  private nextId = 0;
  private closed = false;

  constructor(config: FdeConfigInput, options: FdePoolOptions = {}) {
    this.encoder = new FdeEncoder(config);
    const threads = options.threads ?? DEFAULTS.fde.threads ?? availableParallelism();
    if (!Number.isInteger(threads) || threads < 1) {
      throw invalidArgument('options.threads', 'a positive integer or null', threads);
    }
    this.threads = threads;
  }

  /** Document FDEs of a batch, as {@link FdeEncoder.encodeDocuments}. */
  encodeDocuments(data: Float32Array, offsets: ArrayLike<number>): Promise<FdeBatch> {
    return this.encodeBatch(data, offsets, 'document');
  }

  /** Query FDEs of a batch, as {@link FdeEncoder.encodeQueries}. */
  encodeQueries(data: Float32Array, offsets: ArrayLike<number>): Promise<FdeBatch> {
    return this.encodeBatch(data, offsets, 'query');
  }

  /** Encodes every set, one row per set in input order, the same bytes as one thread. */
  async encodeBatch(
    data: Float32Array,
    offsets: ArrayLike<number>,
    kind: FdeKind,
  ): Promise<FdeBatch> {
    if (this.closed) throw new MuveraError('closed', 'the FDE pool is closed');
    const { dim } = this.encoder.config;
    const counts = validateBatch(data, offsets, dim, kind);
    const rows = data.length / dim;
    if (this.threads === 1 || counts.numSets < 2 || rows < MIN_PARALLEL_ROWS) {
      return this.encoder.encodeBatch(data, offsets, kind);
    }

    const D = this.encoder.outputDimension;
    const vectors = new Float32Array(counts.numSets * D);
    const bounds = splitSets(offsets, counts.numSets, Math.min(this.threads, counts.numSets));
    const shares = bounds.slice(0, -1).map((first, w) => {
      const last = bounds[w + 1];
      return this.send(w, kind, data, offsets, first, last).then((part) => {
        vectors.set(part, first * D);
      });
    });
    await Promise.all(shares);
    return { vectors, outputDimension: D, ...counts };
  }

  /** Stops the workers. Further calls fail with `closed`. */
  async close(): Promise<void> {
    this.closed = true;
    const workers = this.workers;
    this.workers = [];
    await Promise.all(workers.map((worker) => worker.terminate()));
  }

  /** Sends sets first..last-1 to worker w; resolves with their FDE rows. */
  private send(
    w: number,
    kind: FdeKind,
    data: Float32Array,
    offsets: ArrayLike<number>,
    first: number,
    last: number,
  ): Promise<Float32Array> {
    const { dim } = this.encoder.config;
    const base = offsets[first];
    const share = data.slice(base * dim, offsets[last] * dim);
    const shareOffsets = Uint32Array.from(
      { length: last - first + 1 },
      (_, i) => offsets[first + i] - base,
    );
    const worker = this.worker(w);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const onMessage = (reply: FdePoolReply) => {
        if (reply.id !== id) return;
        worker.unref();
        worker.off('message', onMessage);
        worker.off('error', reject);
        if (reply.vectors) resolve(reply.vectors);
        else
          reject(
            new MuveraError(
              reply.error?.code ?? 'internal',
              reply.error?.message ?? 'worker failed',
            ),
          );
      };
      worker.ref(); // keeps the process alive while a share is out; idle workers are unref'd
      worker.on('message', onMessage);
      worker.once('error', reject);
      const request: FdePoolRequest = { id, kind, data: share, offsets: shareOffsets };
      worker.postMessage(request, [share.buffer as ArrayBuffer]);
    });
  }

  private worker(w: number): Worker {
    while (this.workers.length <= w) {
      const worker = spawnWorker(this.encoder.config);
      worker.unref();
      this.workers.push(worker);
    }
    return this.workers[w];
  }
}

/** Cuts numSets sets into `parts` contiguous ranges of about equal rows: parts + 1 bounds. */
function splitSets(offsets: ArrayLike<number>, numSets: number, parts: number): number[] {
  const total = offsets[numSets];
  const bounds = [0];
  for (let part = 1; part < parts; part++) {
    const target = (total * part) / parts;
    let set = bounds[part - 1] + 1;
    while (set < numSets - (parts - part) && offsets[set] < target) set++;
    bounds.push(set);
  }
  bounds.push(numSets);
  return bounds;
}
