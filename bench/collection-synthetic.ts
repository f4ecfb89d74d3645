/**
 * The whole collection on the synthetic ColBERT-like corpus (bench/synthetic/colbert-like.ts:
 * documents of 100 unit-norm tokens of dim 128, queries of 32): ingest rate with and without
 * durability, recall@10 of the `fde` strategy against the `exact` strategy (the oracle, same
 * kernel, same precision, same thread), queries per second of each and their ratio, latency
 * p50/p95, memory per document and size on disk.
 *
 * Correctness check before timing: `fde` with candidates covering the whole collection returns
 * exactly the `exact` hits on a few queries.
 *
 * Size: DOCS documents (default 5,000; the full target is 100,000, a later run) and
 * QUERIES queries. Run: npx tsx bench/collection-synthetic.ts [--docs N] [--queries N]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Collection } from '../src/collection/collection.js';
import type { DocumentInput, SearchResult } from '../src/collection/types.js';
import { DEFAULTS } from '../src/defaults.js';
import { machineInfo, machineLine, writeResult } from './harness.js';
import { ColbertLikeCorpus } from './synthetic/colbert-like.js';

function flag(name: string, fallback: number): number {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 ? Number(process.argv[at + 1]) : fallback;
}

const DOCS = flag('docs', 5000);
const QUERIES = flag('queries', 50);
const BATCH = 500;
const K = 10;
const CANDIDATES = [50, 100, 200, 400, 800];
const CHECK_QUERIES = 3;
const PRESETS = ['weaviate', 'compact'];

const corpus = new ColbertLikeCorpus({ numDocuments: DOCS, numQueries: QUERIES });
const docs: DocumentInput[] = Array.from({ length: DOCS }, (_, i) => ({
  id: corpus.documentId(i),
  tokens: corpus.document(i),
  metadata: { cluster: Math.floor(i / corpus.params.clusterSize) },
}));
const queries = Array.from({ length: QUERIES }, (_, q) => corpus.query(q));
const root = mkdtempSync(join(tmpdir(), 'muvera-bench-'));

/** Upserts every document in batches; returns documents per second. */
async function ingest(collection: Collection): Promise<number> {
  const start = performance.now();
  for (let i = 0; i < DOCS; i += BATCH) await collection.upsert(docs.slice(i, i + BATCH));
  return DOCS / ((performance.now() - start) / 1000);
}

/** Runs every query once; returns results, queries per second and latency quantiles. */
async function timeSearches(collection: Collection, options: object) {
  await collection.search(queries[0], options);
  const results: SearchResult[] = [];
  const latencies: number[] = [];
  const start = performance.now();
  for (const query of queries) {
    const begin = performance.now();
    results.push(await collection.search(query, options));
    latencies.push(performance.now() - begin);
  }
  const seconds = (performance.now() - start) / 1000;
  latencies.sort((a, b) => a - b);
  const quantile = (p: number) =>
    latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))];
  return { results, qps: QUERIES / seconds, p50: quantile(0.5), p95: quantile(0.95) };
}

function recallAt10(results: SearchResult[], truth: SearchResult[]): number {
  let found = 0;
  results.forEach((result, q) => {
    const expected = new Set(truth[q].hits.map((h) => h.id));
    found += result.hits.filter((h) => expected.has(h.id)).length;
  });
  return found / (K * results.length);
}

async function checkCorrectness(collection: Collection): Promise<void> {
  for (const query of queries.slice(0, CHECK_QUERIES)) {
    const exact = await collection.search(query, { k: K, strategy: 'exact' });
    const fde = await collection.search(query, { k: K, candidates: DOCS });
    const same = exact.hits.every((hit, i) => Math.abs(hit.score - fde.hits[i].score) < 1e-4);
    if (!same) throw new Error('fde with every document as a candidate differs from exact');
  }
}

async function main(): Promise<void> {
  const info = machineInfo();
  const rows: string[] = [];
  const data: Record<string, unknown>[] = [];

  // Ingest without durability: the baseline of the durability cost.
  const loose = await Collection.create(join(root, 'loose'), {
    dim: corpus.dim,
    durability: 'none',
  });
  const looseRate = await ingest(loose);
  await loose.close();

  for (const preset of PRESETS) {
    const collection = await Collection.create(join(root, preset), {
      dim: corpus.dim,
      fde: preset,
    });
    const rate = await ingest(collection);
    await collection.checkpoint();
    await checkCorrectness(collection);
    const stats = await collection.stats();

    const exact = await timeSearches(collection, { k: K, strategy: 'exact' });
    for (const candidates of CANDIDATES) {
      const fde = await timeSearches(collection, { k: K, candidates });
      const recall = recallAt10(fde.results, exact.results);
      const row = {
        preset,
        fdeDimension: stats.fdeDimension,
        ingestPerSecond: rate,
        candidates,
        recall,
        qps: fde.qps,
        exactQps: exact.qps,
        speedup: fde.qps / exact.qps,
        p50: fde.p50,
        p95: fde.p95,
        memoryPerDocument: (stats.memoryBytes ?? 0) / stats.documents,
        diskPerDocument: stats.diskBytes / stats.documents,
      };
      data.push(row);
      rows.push(
        `| ${preset} | ${stats.fdeDimension} | ${candidates} | ${recall.toFixed(3)} | ${fde.qps.toFixed(1)} | ${exact.qps.toFixed(2)} | ${row.speedup.toFixed(1)}x | ${fde.p50.toFixed(1)} | ${fde.p95.toFixed(1)} |`,
      );
    }
    const ingestRow = `${preset}: ${rate.toFixed(0)} documents/s with durability (fsync per call of ${BATCH}); memory ${(
      (stats.memoryBytes ?? 0) / stats.documents
    ).toFixed(0)} B/document, disk ${(stats.diskBytes / stats.documents).toFixed(0)} B/document`;
    rows.push(`<!-- ${ingestRow} -->`);
    data.push({ preset, ingest: ingestRow });
    await collection.close();
  }

  const ingestLines = data
    .filter((d) => typeof d.ingest === 'string')
    .map((d) => `- ${d.ingest}`)
    .join('\n');
  const markdown = `# Collection on the synthetic corpus: recall and speed of \`fde\` against \`exact\`

${machineLine(info)}

${DOCS} documents of ${corpus.params.tokensPerDocument} tokens (dim ${corpus.dim}), ${QUERIES} queries of ${corpus.params.tokensPerQuery} tokens, k = ${K}; index ${DEFAULTS.collection.index} (default parameters), tokens float32. Recall@10 is against the \`exact\` strategy's top 10 (the same kernel and precision); queries run one at a time. The issue's full target (100,000 documents) is for a later, longer run.

Load average at the end (2 cores, shared with other work): ${loadavg()
    .map((v) => v.toFixed(1))
    .join(', ')}; timings are noisy, ratios within one run are what to compare.

Ingest without durability (\`durability: 'none'\`, weaviate preset): ${looseRate.toFixed(0)} documents/s.
${ingestLines}

| preset | FDE dims | candidates | recall@10 | fde queries/s | exact queries/s | speed-up | p50 ms | p95 ms |
| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |
${rows.filter((r) => r.startsWith('|')).join('\n')}

Run: \`npx tsx bench/collection-synthetic.ts --docs ${DOCS} --queries ${QUERIES}\`
`;
  const path = writeResult('collection-synthetic', markdown, {
    machine: info,
    docs: DOCS,
    looseRate,
    rows: data,
  });
  process.stdout.write(`${markdown}\nwritten to ${path}\n`);
  rmSync(root, { recursive: true, force: true });
}

await main();
