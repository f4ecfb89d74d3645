/**
 * The HTTP server under concurrent load: searches and upserts over loopback against an embedded
 * collection of random unit token vectors, every answer checked (see server-load-driver.ts).
 * Reports requests per second and p50/p95 latency, next to the same searches called in-process
 * on the collection (the baseline: what HTTP, JSON and validation add).
 *
 * Run: npx tsx bench/server-load.ts
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { embeddedEngine } from '../src/server/embedded-engine.js';
import { startServer } from '../src/server/serve.js';
import { machineInfo, machineLine, seededRandom, writeResult } from './harness.js';
import { type LoadOptions, runLoad, seedDocuments } from './server-load-driver.js';

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

type Searcher = (rows: number[][]) => Promise<unknown>;

/** Searches per second, one at a time, over the same queries (after a short warm-up). */
async function sequentialRate(search: Searcher, queries: number[][][]): Promise<number> {
  for (const query of queries.slice(0, WARMUP_SEARCHES)) await search(query);
  const started = performance.now();
  for (const query of queries) await search(query);
  return queries.length / ((performance.now() - started) / 1000);
}

function httpSearcher(url: string): Searcher {
  return async (vectors) => {
    const body = JSON.stringify({ vectors, k: 1, candidates: SCENARIO.candidates });
    const response = await fetch(`${url}/v1/collections/load/search`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    });
    return response.json();
  };
}

async function main(): Promise<void> {
  const dataDir = await mkdtemp(join(tmpdir(), 'muvera-bench-server-'));
  const server = await startServer({ engine: embeddedEngine, dataDir, port: 0 });
  try {
    const options: LoadOptions = { ...SCENARIO, url: server.url, collection: 'load' };
    const created = await fetch(`${server.url}/v1/collections`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'load', dim: DIM, index: { kind: 'flat' } }),
    });
    if (created.status !== 201) throw new Error(`create failed: ${await created.text()}`);

    // Correctness is checked on every answer; a failure stops the benchmark before timing matters.
    const docs = await seedDocuments(options);
    const report = await runLoad(options, docs);
    if (report.failures.length > 0 || report.documents.stored !== report.documents.expected) {
      throw new Error(
        `wrong answers: ${JSON.stringify(report.failures.slice(0, 3))} ${JSON.stringify(report.documents)}`,
      );
    }

    // Baselines on the same collection, one search at a time: in process, then over HTTP.
    const { collection } = await server.catalog.get('load');
    const random = seededRandom(SCENARIO.seed + 2);
    const pool = [...docs.values()];
    const queries = Array.from(
      { length: BASELINE_SEARCHES },
      () => pool[Math.floor(random() * pool.length)],
    );
    const direct: Searcher = (rows) =>
      collection.search(Float32Array.from(rows.flat()), { k: 1, candidates: SCENARIO.candidates });
    const inProcess = await sequentialRate(direct, queries);
    const overHttp = await sequentialRate(httpSearcher(server.url), queries);
    const searchesPerSecond = SCENARIO.searches / report.seconds;

    const info = machineInfo();
    const markdown = [
      '# HTTP server under load',
      '',
      machineLine(info),
      `Load average when the run ended: ${loadavg()
        .map((value) => value.toFixed(1))
        .join(', ')} (other work on the machine slows every number here).`,
      '',
      `Collection: ${SCENARIO.initialDocuments} documents of ${SCENARIO.tokensPerDocument} random unit tokens (dim ${DIM}), flat FDE index.`,
      `Load: ${SCENARIO.searches} searches (k 1, ${SCENARIO.candidates} FDE candidates re-ranked) and ${SCENARIO.upserts} upserts of ${SCENARIO.documentsPerUpsert} documents, shuffled, ${SCENARIO.concurrency} in flight, over loopback. Every answer checked: ${report.failures.length} wrong, ${report.documents.stored} of ${report.documents.expected} documents stored.`,
      'Latency under load includes queueing: the server runs requests on one thread, so with 32 in flight a request waits for those ahead of it (latency is about concurrency / throughput).',
      '',
      '| measure | value |',
      '| --- | --- |',
      `| requests/s (mixed) | ${report.requestsPerSecond.toFixed(0)} |`,
      `| search latency p50 / p95 / max (ms) | ${report.searchMs.p50.toFixed(1)} / ${report.searchMs.p95.toFixed(1)} / ${report.searchMs.max.toFixed(1)} |`,
      `| upsert latency p50 / p95 / max (ms) | ${report.upsertMs.p50.toFixed(1)} / ${report.upsertMs.p95.toFixed(1)} / ${report.upsertMs.max.toFixed(1)} |`,
      `| searches/s in process, one at a time (baseline) | ${inProcess.toFixed(0)} |`,
      `| searches/s over HTTP, one at a time | ${overHttp.toFixed(0)} (${(overHttp / inProcess).toFixed(2)} x baseline) |`,
      `| searches/s over HTTP during the mixed load | ${searchesPerSecond.toFixed(0)} (${(searchesPerSecond / inProcess).toFixed(2)} x baseline) |`,
      '',
    ].join('\n');
    writeResult('server-load', markdown, {
      machine: info,
      scenario: SCENARIO,
      report,
      inProcessSearchesPerSecond: inProcess,
    });
    process.stdout.write(markdown);
  } finally {
    await server.close();
    await rm(dataDir, { recursive: true, force: true });
  }
}

await main();
