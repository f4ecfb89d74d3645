/**
 * The server side of bench/server-load.ts, in its own process (forked with `--import tsx`): the
 * load driver (HTTP client, JSON encoding, answer checks) stays in the parent, so the numbers
 * measure the server and not a client sharing its event loop.
 *
 * Starts the HTTP server on a fresh data directory and sends `{ type: 'ready', url }`. Then it
 * answers requests `{ id, request }` from the parent with `{ id, result }` or `{ id, error }`:
 * - `watch-start` / `watch-stop`: between the two calls, the server thread's event-loop delay
 *   (`monitorEventLoopDelay`: how late a timer fires, so how long the thread went without coming
 *   back to its loop), its event-loop utilization (share of the wall time spent running code,
 *   including time the OS gave to other processes), the CPU time the process used and, on
 *   Linux, the server thread's own time on a CPU and waiting for one (`/proc` schedstat).
 * - `search-rate`: searches per second on one of the server's collections, called in process
 *   one at a time (the baseline: the server's work without HTTP or JSON).
 * - `upsert-cost`: milliseconds per upsert called in process one at a time on scratch
 *   collections, with `fsync` and with `none` durability (what an upsert holds the thread for).
 * - `close`: closes the server, deletes the data directory and disconnects; the process ends.
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { Collection, type Durability } from '../src/collection/index.js';
import { embeddedEngine } from '../src/server/embedded-engine.js';
import { type RunningServer, startServer } from '../src/server/serve.js';
import { seededRandom } from './harness.js';
import { percentiles } from './server-load-driver.js';

/** Sampling interval of the event-loop delay histogram (ms); finer than a search takes. */
const DELAY_RESOLUTION_MS = 1;
const NS_PER_MS = 1e6;
const US_PER_MS = 1e3;

/** A request from the parent process. */
export type ServerRequest =
  | { type: 'watch-start' }
  | { type: 'watch-stop' }
  | {
      type: 'search-rate';
      collection: string;
      /** Flat token matrices (row per token), searched one at a time after `warmup` of them. */
      queries: Float32Array[];
      warmup: number;
      k: number;
      candidates: number;
    }
  | {
      type: 'upsert-cost';
      dim: number;
      tokensPerDocument: number;
      documentsPerUpsert: number;
      upserts: number;
      seed: number;
    }
  | { type: 'close' };

/** What `watch-stop` reports about the server thread. */
export interface LoopReport {
  delayMs: { p50: number; p99: number; max: number; mean: number };
  /** Share of the watched time the server thread spent running code (0 to 1). */
  utilization: number;
  /** CPU time of the server process (user + system); its one busy thread uses nearly all. */
  cpuMs: number;
  /** The server thread's time on a CPU and runnable but waiting for one; null off Linux. */
  thread: { cpuMs: number; waitingForCpuMs: number } | null;
  seconds: number;
}

/** What `upsert-cost` reports: milliseconds per in-process upsert, by durability. */
export type UpsertCost = Record<Durability, { p50: number; p95: number; max: number }>;

interface Watch {
  delay: ReturnType<typeof monitorEventLoopDelay>;
  started: number;
  busy: ReturnType<typeof performance.eventLoopUtilization>;
  cpu: NodeJS.CpuUsage;
  scheduled: Scheduled | null;
}
let watch: Watch | null = null;
let server: RunningServer;
let dataDir: string;

/** Nanoseconds the main thread spent on a CPU and waiting in a run queue (Linux schedstat). */
interface Scheduled {
  cpuNs: number;
  waitingNs: number;
}

function scheduled(): Scheduled | null {
  try {
    const fields = readFileSync(`/proc/self/task/${process.pid}/schedstat`, 'utf8').split(' ');
    return { cpuNs: Number(fields[0]), waitingNs: Number(fields[1]) };
  } catch {
    return null;
  }
}

function watchStart(): null {
  const delay = monitorEventLoopDelay({ resolution: DELAY_RESOLUTION_MS });
  delay.enable();
  watch = {
    delay,
    started: performance.now(),
    busy: performance.eventLoopUtilization(),
    cpu: process.cpuUsage(),
    scheduled: scheduled(),
  };
  return null;
}

function watchStop(): LoopReport {
  if (!watch) throw new Error('watch-stop without watch-start');
  const { delay, started, busy, cpu, scheduled: before } = watch;
  const after = scheduled();
  delay.disable();
  watch = null;
  const used = process.cpuUsage(cpu);
  const ms = (ns: number) => ns / NS_PER_MS;
  return {
    delayMs: {
      p50: ms(delay.percentile(50)),
      p99: ms(delay.percentile(99)),
      max: ms(delay.max),
      mean: ms(delay.mean),
    },
    utilization: performance.eventLoopUtilization(busy).utilization,
    cpuMs: (used.user + used.system) / US_PER_MS,
    thread:
      before && after
        ? {
            cpuMs: ms(after.cpuNs - before.cpuNs),
            waitingForCpuMs: ms(after.waitingNs - before.waitingNs),
          }
        : null,
    seconds: (performance.now() - started) / 1000,
  };
}

async function searchRate(request: Extract<ServerRequest, { type: 'search-rate' }>) {
  const { collection } = await server.catalog.get(request.collection);
  const options = { k: request.k, candidates: request.candidates };
  for (const query of request.queries.slice(0, request.warmup)) {
    await collection.search(query, options);
  }
  const started = performance.now();
  for (const query of request.queries) await collection.search(query, options);
  return request.queries.length / ((performance.now() - started) / 1000);
}

/** Random unit token rows, flat: `numTokens` rows of `dim` values. */
function randomTokens(random: () => number, dim: number, numTokens: number): Float32Array {
  const tokens = Float32Array.from({ length: dim * numTokens }, () => random() * 2 - 1);
  for (let row = 0; row < numTokens; row++) {
    const values = tokens.subarray(row * dim, (row + 1) * dim);
    const norm = Math.hypot(...values);
    for (let i = 0; i < dim; i++) values[i] /= norm;
  }
  return tokens;
}

/** Milliseconds of each in-process upsert on a fresh flat collection with `durability`. */
async function upsertTimes(
  request: Extract<ServerRequest, { type: 'upsert-cost' }>,
  durability: Durability,
): Promise<number[]> {
  const dir = join(dataDir, `scratch-${durability}`);
  const collection = await Collection.create(dir, {
    dim: request.dim,
    index: { kind: 'flat' },
    durability,
  });
  const random = seededRandom(request.seed);
  const times: number[] = [];
  for (let u = 0; u < request.upserts; u++) {
    const docs = Array.from({ length: request.documentsPerUpsert }, (_, i) => ({
      id: `scratch-${u}-${i}`,
      tokens: randomTokens(random, request.dim, request.tokensPerDocument),
    }));
    const started = performance.now();
    await collection.upsert(docs);
    times.push(performance.now() - started);
  }
  await collection.close();
  return times;
}

async function upsertCost(request: Extract<ServerRequest, { type: 'upsert-cost' }>) {
  const cost: UpsertCost = {
    fsync: percentiles(await upsertTimes(request, 'fsync')),
    none: percentiles(await upsertTimes(request, 'none')),
  };
  return cost;
}

async function handle(request: ServerRequest): Promise<unknown> {
  switch (request.type) {
    case 'watch-start':
      return watchStart();
    case 'watch-stop':
      return watchStop();
    case 'search-rate':
      return searchRate(request);
    case 'upsert-cost':
      return upsertCost(request);
    case 'close':
      return close();
  }
}

let closing: Promise<null> | null = null;

/** Closes the server and deletes its data (once: on request, or when the parent goes away). */
function close(): Promise<null> {
  closing ??= server
    .close()
    .then(() => rm(dataDir, { recursive: true, force: true }))
    .then(() => null);
  return closing;
}

/** Sends a message to the parent; resolves once it is written to the channel. */
function send(message: unknown): Promise<void> {
  return new Promise((resolve, reject) => {
    process.send?.(message, undefined, {}, (error) => (error ? reject(error) : resolve()));
  });
}

async function main(): Promise<void> {
  if (!process.send) throw new Error('bench/server-load-server.ts runs as a forked child process');
  dataDir = await mkdtemp(join(tmpdir(), 'muvera-bench-server-'));
  server = await startServer({ engine: embeddedEngine, dataDir, port: 0 });
  process.on('message', async ({ id, request }: { id: number; request: ServerRequest }) => {
    try {
      await send({ id, result: await handle(request) });
      if (request.type === 'close') process.disconnect();
    } catch (error) {
      await send({ id, error: error instanceof Error ? error.stack : String(error) });
    }
  });
  process.on('disconnect', () => void close());
  await send({ type: 'ready', url: server.url });
}

await main();
