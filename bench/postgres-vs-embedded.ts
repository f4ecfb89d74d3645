/**
 * The Postgres collection (pgvector HNSW on FDEs, exact Chamfer re-rank in the application)
 * side by side with the embedded collection (usearch HNSW) on the synthetic ColBERT-like corpus
 * (documents of 100 tokens of dim 128, queries of 32), in one run: ingest rate, recall@10
 * against the exact oracle, latency p50/p95 and their ratio.
 *
 * Both use the `compact` FDE (2,000 values, pgvector's `vector` HNSW limit), float16 tokens and
 * HNSW m 16 (construction: each backend's default, 64 in pgvector, 48 in usearch). Postgres is
 * bulk-loaded as pgvector advises: rows first, then CREATE INDEX (its ingest rate counts both). Ground truth is the embedded `exact` strategy;
 * before timing, the Postgres `exact` strategy must return the same hits with the same scores.
 *
 * NOTE: Postgres here is PGlite (PostgreSQL 18 compiled to WebAssembly, single-threaded,
 * data on local disk) reached over a loopback socket by `pg`: recall is what a server gives,
 * latency is not (a native server is several times faster per statement, and serves
 * connections in parallel). Read the latency ratio as an upper bound.
 *
 * Run: npx tsx bench/postgres-vs-embedded.ts [--docs 5000,20000] [--queries 30]
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { vector } from '@electric-sql/pglite-pgvector';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import pg from 'pg';
import { Collection } from '../src/collection/collection.js';
import type { CollectionApi, DocumentInput, SearchResult } from '../src/collection/types.js';
import { PostgresCollection } from '../src/postgres/collection.js';
import { machineInfo, machineLine, writeResult } from './harness.js';
import { ColbertLikeCorpus } from './synthetic/colbert-like.js';

function flag(name: string, fallback: string): string {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 ? process.argv[at + 1] : fallback;
}

const SIZES = flag('docs', '5000,20000').split(',').map(Number);
const QUERIES = Number(flag('queries', '30'));
const K = 10;
const CANDIDATES = [100, 400];
const BATCH = 250;
const CHECK_QUERIES = 3;
const SCORE_TOLERANCE = 1e-3;
const COMMON = { dim: 128, fde: 'compact', precision: 'float16' } as const;

interface Row {
  documents: number;
  backend: string;
  candidates: number;
  recall: number;
  p50: number;
  p95: number;
  ingestPerSecond: number;
}

/** Upserts every document in batches; returns documents per second. */
async function ingest(collection: CollectionApi, docs: DocumentInput[]): Promise<number> {
  const start = performance.now();
  for (let i = 0; i < docs.length; i += BATCH) await collection.upsert(docs.slice(i, i + BATCH));
  return docs.length / ((performance.now() - start) / 1000);
}

/** Runs every query after one warm-up; results and latency quantiles in ms. */
async function timeSearches(collection: CollectionApi, queries: Float32Array[], options: object) {
  await collection.search(queries[0], options);
  const results: SearchResult[] = [];
  const latencies: number[] = [];
  for (const query of queries) {
    const begin = performance.now();
    results.push(await collection.search(query, options));
    latencies.push(performance.now() - begin);
  }
  latencies.sort((a, b) => a - b);
  const quantile = (p: number) =>
    latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))];
  return { results, p50: quantile(0.5), p95: quantile(0.95) };
}

function recallAt10(results: SearchResult[], truth: SearchResult[]): number {
  let found = 0;
  results.forEach((result, q) => {
    const expected = new Set(truth[q].hits.map((h) => h.id));
    found += result.hits.filter((h) => expected.has(h.id)).length;
  });
  return found / (K * results.length);
}

/** Postgres `exact` must equal the embedded oracle before anything is timed. */
async function checkCorrectness(pg: CollectionApi, truth: SearchResult[], queries: Float32Array[]) {
  for (let q = 0; q < CHECK_QUERIES; q++) {
    const got = await pg.search(queries[q], { k: K, strategy: 'exact' });
    got.hits.forEach((hit, i) => {
      if (Math.abs(hit.score - truth[q].hits[i].score) > SCORE_TOLERANCE) {
        throw new Error(
          `query ${q} hit ${i}: postgres ${hit.score}, embedded ${truth[q].hits[i].score}`,
        );
      }
    });
  }
}

/** Runs one statement on its own connection (bulk-load steps the collection API does not do). */
async function sql(url: string, text: string): Promise<void> {
  const target = new URL(url);
  target.searchParams.delete('collection');
  const client = new pg.Client({ connectionString: target.toString() });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

/** PGlite with pgvector on local disk, served on a loopback port. */
async function startPostgres(dataDir: string) {
  const db = await PGlite.create(dataDir, { extensions: { vector } });
  await db.exec('CREATE EXTENSION IF NOT EXISTS vector');
  const server = new PGLiteSocketServer({ db, port: 0, host: '127.0.0.1', maxConnections: 8 });
  await server.start();
  const { port } = (server as unknown as { server: { address(): AddressInfo } }).server.address();
  return {
    url: (name: string) => `postgres://postgres@127.0.0.1:${port}/postgres?collection=${name}`,
    stop: async () => {
      await server.stop();
      await db.close();
    },
  };
}

async function runSize(count: number, root: string, url: string): Promise<Row[]> {
  const corpus = new ColbertLikeCorpus({ numDocuments: count, numQueries: QUERIES });
  const docs: DocumentInput[] = Array.from({ length: count }, (_, i) => ({
    id: corpus.documentId(i),
    tokens: corpus.document(i),
  }));
  const queries = Array.from({ length: QUERIES }, (_, q) => corpus.query(q));

  const embedded = await Collection.create(join(root, `e${count}`), {
    ...COMMON,
    index: { kind: 'hnsw' },
    durability: 'none',
  });
  const postgres = await PostgresCollection.create(url, COMMON);
  const rate = { embedded: await ingest(embedded, docs), postgres: 0 };
  const indexName = `"${postgres.schema}".documents_fde_hnsw`;
  await sql(url, `DROP INDEX ${indexName}`);
  const loadStart = performance.now();
  await ingest(postgres, docs);
  const loadSeconds = (performance.now() - loadStart) / 1000;
  const buildStart = performance.now();
  await sql(
    url,
    `CREATE INDEX documents_fde_hnsw ON "${postgres.schema}".documents
     USING hnsw (fde vector_ip_ops) WITH (m = 16, ef_construction = 64)`,
  );
  const buildSeconds = (performance.now() - buildStart) / 1000;
  rate.postgres = count / (loadSeconds + buildSeconds);
  process.stderr.write(
    `${count}: ingested ${JSON.stringify({ rate, loadSeconds, buildSeconds })}\n`,
  );

  const truth = (await timeSearches(embedded, queries, { k: K, strategy: 'exact' })).results;
  await checkCorrectness(postgres, truth, queries);

  const rows: Row[] = [];
  for (const candidates of CANDIDATES) {
    for (const [backend, collection] of [
      ['embedded', embedded],
      ['postgres', postgres],
    ] as const) {
      const run = await timeSearches(collection, queries, { k: K, candidates });
      rows.push({
        documents: count,
        backend,
        candidates,
        recall: recallAt10(run.results, truth),
        p50: run.p50,
        p95: run.p95,
        ingestPerSecond: rate[backend],
      });
      process.stderr.write(`${JSON.stringify(rows[rows.length - 1])}\n`);
    }
  }
  await embedded.close();
  await postgres.close();
  return rows;
}

function markdown(rows: Row[]): string {
  const lines = [
    '# Postgres (pgvector, PGlite) vs embedded collection',
    '',
    machineLine(),
    '',
    `Synthetic ColBERT-like corpus, 100 tokens x 128 dims a document, ${QUERIES} queries of 32 tokens;`,
    '`compact` FDE (2,000 dims), float16 tokens, HNSW m 16 / construction 64, k 10.',
    'Recall@10 against the exact Chamfer top 10; latency per query, one at a time.',
    'Ingest: embedded upserts into its HNSW; Postgres loads rows, then builds the HNSW index',
    '(both counted). Each size ran both backends in one run.',
    'Postgres is PGlite (WebAssembly, one thread) over a loopback socket: its latency is an upper',
    'bound for a native server; its recall is what pgvector gives.',
    '',
    '| documents | candidates | backend | recall@10 | p50 ms | p95 ms | p50 vs embedded | ingest docs/s |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const row of rows) {
    const base = rows.find(
      (r) =>
        r.documents === row.documents &&
        r.candidates === row.candidates &&
        r.backend === 'embedded',
    );
    const ratio = base ? (row.p50 / base.p50).toFixed(1) : '-';
    lines.push(
      `| ${row.documents} | ${row.candidates} | ${row.backend} | ${row.recall.toFixed(3)} | ` +
        `${row.p50.toFixed(1)} | ${row.p95.toFixed(1)} | ${ratio}x | ${row.ingestPerSecond.toFixed(0)} |`,
    );
  }
  return lines.join('\n');
}

const RESULT = 'postgres-vs-embedded';

/**
 * Rows of sizes measured by an earlier run (each size's two backends always come from one run),
 * so `--docs 20000` alone adds to the 5,000 results instead of replacing them.
 */
function earlierRows(): Row[] {
  const file = join(import.meta.dirname, 'results', `${RESULT}.json`);
  if (!existsSync(file)) return [];
  return (JSON.parse(readFileSync(file, 'utf8')) as { rows: Row[] }).rows;
}

async function main(): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'muvera-pg-bench-'));
  const server = await startPostgres(join(root, 'pgdata'));
  try {
    let rows = earlierRows();
    for (const count of SIZES) {
      const fresh = await runSize(count, root, server.url(`bench_${count}`));
      rows = [...rows.filter((row) => row.documents !== count), ...fresh];
      rows.sort((a, b) => a.documents - b.documents || a.candidates - b.candidates);
      const data = { machine: machineInfo(), queries: QUERIES, rows };
      process.stderr.write(`wrote ${writeResult(RESULT, markdown(rows), data)}\n`);
    }
  } finally {
    await server.stop();
    rmSync(root, { recursive: true, force: true });
  }
}

await main();
