/**
 * The HTTP server under concurrent load: searches and upserts over loopback against an embedded
 * collection of random unit token vectors, every answer checked (see server-load-driver.ts).
 * Reports requests per second and p50/p95 latency, next to the same searches called in-process
 * on the collection (the baseline: what HTTP, JSON and validation add).
 *
 * The server runs in its own process (server-load-server.ts) and this one is the client (driver,
 * JSON, checks). NOTE: on one thread the client's work took as much of the event loop as the
 * server's, so the mixed-load rate measured the two competing, not the server.
 *
 * Each stretch of requests (the mixed load, searches and upserts one at a time over HTTP) is
 * watched on both sides: how busy each thread was, the server thread's CPU time and its time
 * waiting for a CPU, and during the mixed load the server's event-loop delay (how long a request
 * that has arrived waits before the thread reads it). Upserts are also timed in process with and
 * without fsync: body parsing, fdatasync, FDE encoding and index add all run on the server's
 * thread, so a search arriving meanwhile waits for them.
 *
 * Run: npx tsx bench/server-load.ts
 */

import { type ChildProcess, fork } from 'node:child_process';
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { machineInfo, machineLine, seededRandom, writeResult } from './harness.js';
import {
  type LoadOptions,
  type LoadReport,
  percentiles,
  randomDocument,
  runLoad,
  seedDocuments,
} from './server-load-driver.js';
import type { LoopReport, ServerRequest, UpsertCost } from './server-load-server.js';

const DIM = 128;
const SCENARIO = {
  dim: DIM,
  tokensPerDocument: 32,
  initialDocuments: 2000,
  searches: 1000,
  upserts: 100,
  documentsPerUpsert: 4,
  concurrency: 32,
  candidates: 100,
  seed: 11,
};
/** Searches timed one at a time, in process and over HTTP, for the baselines. */
const BASELINE_SEARCHES = 300;
const WARMUP_SEARCHES = 20;
/** Upserts timed one at a time, in process (per durability) and over HTTP. */
const BASELINE_UPSERTS = 30;

type Rows = number[][];
type Percentiles = { p50: number; p95: number; max: number };
const US_PER_MS = 1e3;

/** The server's child process and a request/answer channel to it. */
class ServerProcess {
  #next = 0;
  #pending = new Map<number, { resolve(value: unknown): void; reject(error: Error): void }>();

  private constructor(
    readonly child: ChildProcess,
    readonly url: string,
  ) {
    child.on(
      'message',
      ({ id, result, error }: { id: number; result?: unknown; error?: string }) => {
        const waiting = this.#pending.get(id);
        this.#pending.delete(id);
        if (error === undefined) waiting?.resolve(result);
        else waiting?.reject(new Error(`server process: ${error}`));
      },
    );
    child.on('exit', (code) => {
      for (const waiting of this.#pending.values()) {
        waiting.reject(new Error(`server process exited with code ${code}`));
      }
      this.#pending.clear();
    });
  }

  /** Forks the server (tsx loads its TypeScript) and waits for its URL. */
  static async start(): Promise<ServerProcess> {
    const child = fork(fileURLToPath(new URL('./server-load-server.ts', import.meta.url)), {
      execArgv: ['--import', 'tsx'],
      // NOTE: the advanced serialization carries the Float32Array queries as they are.
      serialization: 'advanced',
    });
    const url = await new Promise<string>((resolve, reject) => {
      child.once('message', (message: { url: string }) => resolve(message.url));
      child.once('exit', (code) => reject(new Error(`server process exited with code ${code}`)));
    });
    return new ServerProcess(child, url);
  }

  call<T>(request: ServerRequest): Promise<T> {
    const id = this.#next++;
    return new Promise<T>((resolve, reject) => {
      this.#pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      this.child.send({ id, request });
    });
  }

  /** Closes the server and waits for the process to end; kills it if closing fails. */
  async close(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    try {
      await this.call({ type: 'close' });
    } catch {
      this.child.kill();
    }
    await exited;
  }
}

async function post(url: string, path: string, body: unknown): Promise<Response> {
  return fetch(`${url}/v1/collections${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

async function createCollection(url: string, name: string): Promise<void> {
  const created = await post(url, '', { name, dim: DIM, index: { kind: 'flat' } });
  if (created.status !== 201) throw new Error(`create failed: ${await created.text()}`);
}

/** Both sides of one stretch of requests. */
interface Watched<T> {
  value: T;
  requests: number;
  server: LoopReport;
  /** The client's thread: share of the wall time running code, and CPU time of its process. */
  client: { utilization: number; cpuMs: number };
}

/** Runs `requests` requests through `run` with the server's and the client's threads watched. */
async function watched<T>(
  server: ServerProcess,
  requests: number,
  run: () => Promise<T>,
): Promise<Watched<T>> {
  await server.call({ type: 'watch-start' });
  const busy = performance.eventLoopUtilization();
  const cpu = process.cpuUsage();
  const value = await run();
  const utilization = performance.eventLoopUtilization(busy).utilization;
  const used = process.cpuUsage(cpu);
  const report = await server.call<LoopReport>({ type: 'watch-stop' });
  const client = { utilization, cpuMs: (used.user + used.system) / US_PER_MS };
  return { value, requests, server: report, client };
}

/** Searches per second over HTTP, one at a time (after a short warm-up). */
async function httpSearchRate(server: ServerProcess, queries: Rows[]) {
  const search = async (vectors: Rows) => {
    const body = { vectors, k: 1, candidates: SCENARIO.candidates };
    return (await post(server.url, '/load/search', body)).json();
  };
  for (const query of queries.slice(0, WARMUP_SEARCHES)) await search(query);
  return watched(server, queries.length, async () => {
    const started = performance.now();
    for (const query of queries) await search(query);
    return queries.length / ((performance.now() - started) / 1000);
  });
}

/** Milliseconds of each upsert over HTTP, one at a time, into a fresh collection. */
async function httpUpsertTimes(server: ServerProcess) {
  await createCollection(server.url, 'scratch');
  const random = seededRandom(SCENARIO.seed + 3);
  const batches = Array.from({ length: BASELINE_UPSERTS }, (_, u) =>
    Array.from({ length: SCENARIO.documentsPerUpsert }, (_, i) => ({
      id: `scratch-${u}-${i}`,
      vectors: randomDocument(random, DIM, SCENARIO.tokensPerDocument),
    })),
  );
  const bodyBytes = JSON.stringify({ documents: batches[0] }).length;
  return watched(server, batches.length, async () => {
    const times: number[] = [];
    for (const documents of batches) {
      const started = performance.now();
      const answer = await post(server.url, '/scratch/documents', { documents });
      const counts = (await answer.json()) as { inserted?: number };
      times.push(performance.now() - started);
      if (counts.inserted !== documents.length)
        throw new Error(`upsert: ${JSON.stringify(counts)}`);
    }
    return { ms: percentiles(times), bodyBytes };
  });
}

/** The mixed load with every answer checked, both threads watched meanwhile. */
async function mixedLoad(server: ServerProcess, options: LoadOptions, docs: Map<string, Rows>) {
  const total = SCENARIO.searches + SCENARIO.upserts;
  const mixed = await watched(server, total, () => runLoad(options, docs));

  // Correctness is checked on every answer; a failure stops the benchmark before timing matters.
  const report = mixed.value;
  if (report.failures.length > 0 || report.documents.stored !== report.documents.expected) {
    throw new Error(
      `wrong answers: ${JSON.stringify(report.failures.slice(0, 3))} ${JSON.stringify(report.documents)}`,
    );
  }
  return mixed;
}

/** Everything one run measured. */
interface Results {
  mixed: Watched<LoadReport>;
  inProcessSearchesPerSecond: number;
  httpSearches: Watched<number>;
  inProcessUpsertMs: UpsertCost;
  httpUpserts: Watched<{ ms: Percentiles; bodyBytes: number }>;
}

async function measureAll(server: ServerProcess): Promise<Results> {
  const options: LoadOptions = { ...SCENARIO, url: server.url, collection: 'load' };
  await createCollection(server.url, 'load');
  const docs = await seedDocuments(options);
  const mixed = await mixedLoad(server, options, docs);

  // Baselines on the same collection, one search at a time: in process, then over HTTP.
  const random = seededRandom(SCENARIO.seed + 2);
  const pool = [...docs.values()];
  const queries = Array.from(
    { length: BASELINE_SEARCHES },
    () => pool[Math.floor(random() * pool.length)],
  );
  const inProcessSearchesPerSecond = await server.call<number>({
    type: 'search-rate',
    collection: 'load',
    queries: queries.map((rows) => Float32Array.from(rows.flat())),
    warmup: WARMUP_SEARCHES,
    k: 1,
    candidates: SCENARIO.candidates,
  });
  const httpSearches = await httpSearchRate(server, queries);

  // What one upsert costs, one at a time: in process on the server's thread, then over HTTP.
  const inProcessUpsertMs = await server.call<UpsertCost>({
    type: 'upsert-cost',
    dim: DIM,
    tokensPerDocument: SCENARIO.tokensPerDocument,
    documentsPerUpsert: SCENARIO.documentsPerUpsert,
    upserts: BASELINE_UPSERTS,
    seed: SCENARIO.seed + 4,
  });
  const httpUpserts = await httpUpsertTimes(server);
  return { mixed, inProcessSearchesPerSecond, httpSearches, inProcessUpsertMs, httpUpserts };
}

const fixed = (value: number, digits = 1) => value.toFixed(digits);
const triple = (p: Percentiles) => `${fixed(p.p50)} / ${fixed(p.p95)} / ${fixed(p.max)}`;
const percent = (share: number) => `${fixed(share * 100, 0)}%`;

/**
 * Server milliseconds per request of a watched stretch: wall time running code (`busy`), time
 * on a CPU, and time runnable but waiting for a CPU (null without Linux schedstat, and then
 * `cpu` is the whole process's).
 */
function serverMs(stretch: Watched<unknown>) {
  const { server, requests } = stretch;
  return {
    busy: (server.utilization * server.seconds * 1000) / requests,
    cpu: (server.thread?.cpuMs ?? server.cpuMs) / requests,
    waiting: server.thread ? server.thread.waitingForCpuMs / requests : null,
  };
}

function threadRow(name: string, stretch: Watched<unknown>): string {
  const ms = serverMs(stretch);
  const waiting = ms.waiting === null ? 'n/a' : fixed(ms.waiting);
  const server = `${percent(stretch.server.utilization)} | ${fixed(ms.busy)} / ${fixed(ms.cpu)} / ${waiting}`;
  const client = `${percent(stretch.client.utilization)} | ${fixed(stretch.client.cpuMs / stretch.requests)}`;
  return `| ${name} | ${fixed(stretch.server.seconds)} | ${server} | ${client} |`;
}

function tables(results: Results): string[] {
  const { mixed, httpSearches, httpUpserts, inProcessUpsertMs } = results;
  const report = mixed.value;
  const inProcess = results.inProcessSearchesPerSecond;
  const ratio = (rate: number) => `${fixed(rate, 0)} (${fixed(rate / inProcess, 2)} x baseline)`;
  const delay = mixed.server.delayMs;
  return [
    '| measure | value |',
    '| --- | --- |',
    `| requests/s (mixed) | ${fixed(report.requestsPerSecond, 0)} |`,
    `| search latency p50 / p95 / max (ms) | ${triple(report.searchMs)} |`,
    `| upsert latency p50 / p95 / max (ms) | ${triple(report.upsertMs)} |`,
    `| searches/s in process, one at a time (baseline) | ${fixed(inProcess, 0)} |`,
    `| searches/s over HTTP, one at a time | ${ratio(httpSearches.value)} |`,
    `| searches/s over HTTP during the mixed load | ${ratio(SCENARIO.searches / report.seconds)} |`,
    `| server event-loop delay during the mixed load, p50 / p99 / max (ms) | ${fixed(delay.p50)} / ${fixed(delay.p99)} / ${fixed(delay.max)} |`,
    `| one upsert in process, fsync, p50 / p95 / max (ms) | ${triple(inProcessUpsertMs.fsync)} |`,
    `| one upsert in process, no sync, p50 / p95 / max (ms) | ${triple(inProcessUpsertMs.none)} |`,
    `| one upsert over HTTP (${fixed(httpUpserts.value.bodyBytes / 1024, 0)} KiB of JSON), one at a time, p50 / p95 / max (ms) | ${triple(httpUpserts.value.ms)} |`,
    '',
    "Where each side's thread spent the time. Busy: share of the wall time running code (blocked in a synchronous call such as fdatasync, or waiting for a CPU while other processes run, counts as busy). Per request, on the server: busy ms, ms on a CPU, ms runnable but waiting for a CPU.",
    '',
    '| stretch | seconds | server busy | server ms per request: busy / on CPU / waiting for CPU | client busy | client CPU ms per request |',
    '| --- | --- | --- | --- | --- | --- |',
    threadRow(`mixed load, ${SCENARIO.concurrency} in flight`, mixed),
    threadRow('searches over HTTP, one at a time', httpSearches),
    threadRow('upserts over HTTP, one at a time', httpUpserts),
  ];
}

function render(results: Results, explanation: string): string {
  const report = results.mixed.value;
  const info = machineInfo();
  return [
    '# HTTP server under load',
    '',
    machineLine(info),
    `Load average when the run ended: ${loadavg()
      .map((value) => fixed(value))
      .join(', ')} (other work on the machine slows every number here).`,
    '',
    `Collection: ${SCENARIO.initialDocuments} documents of ${SCENARIO.tokensPerDocument} random unit tokens (dim ${DIM}), flat FDE index.`,
    `Load: ${SCENARIO.searches} searches (k 1, ${SCENARIO.candidates} FDE candidates re-ranked) and ${SCENARIO.upserts} upserts of ${SCENARIO.documentsPerUpsert} documents, shuffled, ${SCENARIO.concurrency} in flight, over loopback. Every answer checked: ${report.failures.length} wrong, ${report.documents.stored} of ${report.documents.expected} documents stored.`,
    'The server runs in its own process; the client (load driver, JSON, checks) in the parent process. Baselines run one request at a time: searches on the same collection, upserts of the same size on fresh collections.',
    'Latency under load includes queueing: the server runs requests on one thread, so with 32 in flight a request waits for those ahead of it (latency is about concurrency / throughput).',
    '',
    ...tables(results),
    '',
    explanation,
    '',
  ].join('\n');
}

/** The explanation, from this run's numbers (the reasoning is fixed; the numbers are not). */
function explain(results: Results): string {
  const { mixed, httpSearches, httpUpserts, inProcessUpsertMs } = results;
  const search = serverMs(httpSearches);
  const upsert = serverMs(httpUpserts);
  const load = serverMs(mixed);
  const predicted = (SCENARIO.searches * search.cpu + SCENARIO.upserts * upsert.cpu) / 1000;
  const used = (load.cpu * mixed.requests) / 1000;
  const change = used / predicted - 1;
  const waiting = (ms: number | null) => (ms === null ? 'an unknown time' : `${fixed(ms)} ms`);
  const onOwnCore = SCENARIO.searches / used;
  const { fsync, none } = inProcessUpsertMs;
  const kib = fixed(httpUpserts.value.bodyBytes / 1024, 0);
  return [
    `Serving ${SCENARIO.concurrency} requests at once costs the server ${percent(Math.abs(change))} ${change >= 0 ? 'more' : 'less'} CPU per request than one at a time: the mixed load used ${fixed(used)} s of server-thread CPU, against ${fixed(predicted)} s predicted from ${fixed(search.cpu)} ms per search and ${fixed(upsert.cpu)} ms per upsert measured one at a time.`,
    `What separates the mixed rate (${fixed(SCENARIO.searches / mixed.value.seconds, 0)} searches/s) from one search at a time over HTTP (${fixed(httpSearches.value, 0)}/s) is CPU the server thread did not get: it had work during all ${fixed(mixed.server.seconds)} s but ran ${fixed(used)} s (${percent(used / mixed.server.seconds)} of a core) and waited ${waiting(load.waiting)} per request for a CPU, which the client process (${percent(mixed.client.utilization)} busy) and the machine's other work shared (${machineInfo().cores} cores, load average ${fixed(loadavg()[0])}); one search at a time, a thread that mostly sleeps, it waited ${waiting(search.waiting)}.`,
    `With a core of its own the same work would take about ${fixed(used)} s, about ${fixed(onOwnCore, 0)} searches/s (${fixed(onOwnCore / results.inProcessSearchesPerSecond, 2)} x the in-process baseline).`,
    `An upsert costs the server thread ${fixed(upsert.cpu)} ms of CPU over HTTP, of which ${fixed(none.p50)} ms (p50) is the collection's FDE encoding, index add and log write and the rest reading, parsing and validating its ${kib} KiB JSON body; with fsync durability the thread is then blocked in fdatasync (in process an upsert takes ${fixed(fsync.p50)} ms at p50 and ${fixed(fsync.p95)} ms at p95 with it, ${fixed(none.p50)} and ${fixed(none.p95)} ms without, on a disk shared with other work), and a search that arrives meanwhile waits for all of it.`,
    `During the mixed load a request that arrived waited for the thread to come back to its loop: event-loop delay p50 ${fixed(mixed.server.delayMs.p50)} ms, p99 ${fixed(mixed.server.delayMs.p99)} ms, max ${fixed(mixed.server.delayMs.max)} ms; the long tail is not one upsert but turns of the loop in which the thread handles every request that is ready (up to ${SCENARIO.concurrency}) before it looks again, off the CPU for much of that time.`,
  ].join(' ');
}

async function main(): Promise<void> {
  const server = await ServerProcess.start();
  try {
    const results = await measureAll(server);
    const markdown = render(results, explain(results));
    writeResult('server-load', markdown, {
      machine: machineInfo(),
      scenario: SCENARIO,
      ...results,
    });
    process.stdout.write(markdown);
  } finally {
    await server.close();
  }
}

await main();
