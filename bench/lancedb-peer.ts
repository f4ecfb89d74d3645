/**
 * A peer in the same run: LanceDB's multivector (MaxSim) search through its TypeScript API,
 * beside our `exact` and `fde` strategies, on the same SciFact documents and queries encoded with
 * the static demo encoder.
 *
 * Two parts:
 * - flat: the first FLAT_DOCS documents, LanceDB without an index (its brute-force MaxSim) against
 *   our `exact` (the reference rankings) and our `fde`;
 * - indexed: the first INDEXED_DOCS documents, LanceDB with an IVF_PQ index on the token column
 *   (cosine, the only metric its multivector search takes) against our `fde`.
 *
 * Recall@10 of every run is against our `exact` strategy on the same documents. The tokens are
 * unit-norm, so LanceDB's cosine MaxSim and our inner-product Chamfer rank alike; the check before
 * timing compares LanceDB's flat top 10 with ours on a few queries and reports the agreement.
 *
 * LanceDB is not a dependency of the package: it lives in bench/lancedb/package.json
 * (`npm ci --prefix bench/lancedb`) and is loaded through createRequire.
 *
 * Run: npx tsx bench/lancedb-peer.ts [--full] [--flat-docs N] [--flat-queries N]
 *   [--indexed-docs N] [--queries N]
 * Default: flat 2,000 documents and 20 queries, indexed 2,000 documents and 50 queries (LanceDB's
 * IVF_PQ build takes minutes here); --full: 50 flat queries and all 5,183 documents indexed.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Collection } from '../src/collection/collection.js';
import {
  computeEvalResult,
  type EvalResult,
  loadBeirDataset,
  type RankedHit,
  runTimedQueries,
  type SweepPoint,
  sweepSvg,
} from '../src/eval/index.js';
import { type Encoded, encode } from './beir-strategies.js';
import { machineInfo, machineLine, writeResult } from './harness.js';

const FULL = process.argv.includes('--full');
/** Result file name: a --full run keeps its own file beside the default run's. */
const RESULT_NAME = FULL ? 'lancedb-peer-full' : 'lancedb-peer';

function flag(name: string, fallback: number): number {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 ? Number(process.argv[at + 1]) : fallback;
}

const FLAT_DOCS = flag('flat-docs', 2000);
const FLAT_QUERIES = flag('flat-queries', FULL ? 50 : 20);
const INDEXED_DOCS = flag('indexed-docs', FULL ? 5183 : 2000);
const QUERIES = flag('queries', 50);
const K = 10;
const FDE_CANDIDATES = [50, 100, 200, 500];
const CHECK_QUERIES = 2;
const BATCH = 500;
/** IVF_PQ settings of the indexed run (LanceDB's own defaults otherwise). */
const IVF_NPROBES = [20, 100];
const PACKAGE_DIR = join(import.meta.dirname, 'lancedb');

/** LanceDB and Arrow come from bench/lancedb through createRequire, without their types. */
// biome-ignore lint/suspicious/noExplicitAny: modules loaded at run time, untyped here
type Untyped = any;

/** The two loaded modules. */
interface Lance {
  lancedb: Untyped;
  arrow: Untyped;
}

/** LanceDB and its Arrow from bench/lancedb/node_modules; throws saying how to install them. */
function loadLance(): Lance {
  if (!existsSync(join(PACKAGE_DIR, 'node_modules', '@lancedb', 'lancedb'))) {
    throw new Error('LanceDB is not installed: run `npm ci --prefix bench/lancedb` first');
  }
  const require = createRequire(join(PACKAGE_DIR, 'package.json'));
  return { lancedb: require('@lancedb/lancedb'), arrow: require('apache-arrow') };
}

/** An Arrow table of `ids` and their token matrices (List<FixedSizeList<Float32, dim>>). */
function arrowTable(arrow: Untyped, data: Encoded, start: number, end: number) {
  const tokenType = new arrow.FixedSizeList(
    data.dim,
    new arrow.Field('item', new arrow.Float32(), true),
  );
  const listType = new arrow.List(new arrow.Field('item', tokenType, true));
  const docs = data.docs.slice(start, end);
  const offsets = new Int32Array(docs.length + 1);
  docs.forEach((doc, i) => {
    offsets[i + 1] = offsets[i] + doc.length / data.dim;
  });
  const values = new Float32Array(offsets[docs.length] * data.dim);
  for (const [i, doc] of docs.entries()) values.set(doc, offsets[i] * data.dim);

  const floats = arrow.makeData({ type: new arrow.Float32(), length: values.length, data: values });
  const tokens = arrow.makeData({ type: tokenType, length: offsets[docs.length], child: floats });
  const lists = arrow.makeData({
    type: listType,
    length: docs.length,
    valueOffsets: offsets,
    child: tokens,
  });
  return new arrow.Table({
    id: arrow.vectorFromArray(data.ids.slice(start, end), new arrow.Utf8()),
    vector: arrow.makeVector(lists),
  });
}

/** A LanceDB table of the first `count` documents. */
async function lanceTable(lance: Lance, dir: string, data: Encoded, count: number) {
  const db = await lance.lancedb.connect(dir);
  const table = await db.createTable(
    'docs',
    arrowTable(lance.arrow, data, 0, Math.min(BATCH, count)),
  );
  for (let i = BATCH; i < count; i += BATCH) {
    await table.add(arrowTable(lance.arrow, data, i, Math.min(i + BATCH, count)));
  }
  return table;
}

/** Token matrix of a query as LanceDB's MultiVector (an array of plain number arrays). */
function multiVector(tokens: Float32Array, dim: number): number[][] {
  return Array.from({ length: tokens.length / dim }, (_, t) =>
    Array.from(tokens.subarray(t * dim, (t + 1) * dim)),
  );
}

/** Our collection of the first `count` documents (weaviate preset, HNSW, no fsync). */
async function ourCollection(dir: string, data: Encoded, count: number): Promise<Collection> {
  const collection = await Collection.create(dir, {
    dim: data.dim,
    fde: 'weaviate',
    // HNSW whatever the size: the default `dynamic` index would scan exactly below 10,000.
    index: { kind: 'hnsw' },
    durability: 'none',
  });
  for (let i = 0; i < count; i += BATCH) {
    const end = Math.min(i + BATCH, count);
    await collection.upsert(
      data.ids.slice(i, end).map((id, j) => ({ id, tokens: data.docs[i + j] })),
    );
  }
  return collection;
}

interface Part {
  label: string;
  docs: number;
  points: SweepPoint[];
  notes: string[];
}

type Query = Encoded['queries'][number];

function evaluate(
  series: string,
  run: { rankings: Map<string, readonly RankedHit[]>; latenciesMs: number[] },
  exact: Map<string, readonly RankedHit[]>,
  candidates: number | null,
): SweepPoint {
  const result: EvalResult = computeEvalResult({
    dataset: 'scifact',
    strategy: series,
    candidates,
    rankings: run.rankings,
    qrels: new Map(),
    exactRankings: exact,
    latenciesMs: run.latenciesMs,
    tieTolerance: null,
  });
  return { series, value: candidates ?? 0, result };
}

async function ours(
  collection: Collection,
  queries: Query[],
  count: number,
  exact?: Map<string, readonly RankedHit[]>,
) {
  const points: SweepPoint[] = [];
  const exactRun = await runTimedQueries(
    queries,
    async (q) => (await collection.search(q.tokens, { k: K, strategy: 'exact' })).hits,
    { warmupQueries: 2 },
  );
  const reference = exact ?? exactRun.rankings;
  points.push(evaluate('muvera exact', exactRun, reference, count));
  for (const candidates of FDE_CANDIDATES) {
    const run = await runTimedQueries(
      queries,
      async (q) => (await collection.search(q.tokens, { k: K, candidates })).hits,
      { warmupQueries: 2 },
    );
    points.push(evaluate('muvera fde (weaviate, hnsw)', run, reference, candidates));
  }
  return { points, reference };
}

function lanceSearch(table: Untyped, dim: number, configure: (query: Untyped) => Untyped) {
  return async (q: Query): Promise<RankedHit[]> => {
    const rows = await configure(
      table.vectorSearch(multiVector(q.tokens, dim)).distanceType('cosine').limit(K),
    ).toArray();
    // NOTE: LanceDB returns a distance (smaller is better); the score is its negation.
    return rows.map((row: { id: string; _distance: number }) => ({
      id: row.id,
      score: -row._distance,
    }));
  };
}

async function flatPart(lance: Lance, root: string, data: Encoded): Promise<Part> {
  const queries = data.queries.slice(0, FLAT_QUERIES);
  const collection = await ourCollection(join(root, 'ours-flat'), data, FLAT_DOCS);
  const { points, reference } = await ours(collection, queries, FLAT_DOCS);
  await collection.close();

  const start = performance.now();
  const table = await lanceTable(lance, join(root, 'lance-flat'), data, FLAT_DOCS);
  const loadSeconds = (performance.now() - start) / 1000;
  const search = lanceSearch(table, data.dim, (query) => query);
  const check = await runTimedQueries(queries.slice(0, CHECK_QUERIES), search, {
    warmupQueries: 0,
  });
  const agreement = evaluate('check', check, reference, null).result.recallVsExactAt10 ?? 0;
  const run = await runTimedQueries(queries, search, { warmupQueries: 1 });
  points.push(evaluate('lancedb flat', run, reference, FLAT_DOCS));
  return {
    label: `flat: first ${FLAT_DOCS} documents, ${queries.length} queries`,
    docs: FLAT_DOCS,
    points,
    notes: [
      `LanceDB table load ${loadSeconds.toFixed(1)} s; its flat top 10 agrees with our exact top 10 on ${(agreement * 100).toFixed(0)}% of the hits of ${CHECK_QUERIES} check queries.`,
    ],
  };
}

async function indexedPart(lance: Lance, root: string, data: Encoded): Promise<Part> {
  const count = Math.min(INDEXED_DOCS, data.ids.length);
  const queries = data.queries.slice(0, QUERIES);
  const collection = await ourCollection(join(root, 'ours-indexed'), data, count);
  const { points, reference } = await ours(collection, queries, count);
  await collection.close();

  const table = await lanceTable(lance, join(root, 'lance-indexed'), data, count);
  const start = performance.now();
  await table.createIndex('vector', {
    config: lance.lancedb.Index.ivfPq({ distanceType: 'cosine' }),
  });
  const buildSeconds = (performance.now() - start) / 1000;
  for (const nprobes of IVF_NPROBES) {
    const run = await runTimedQueries(
      queries,
      lanceSearch(table, data.dim, (q) => q.nprobes(nprobes)),
      { warmupQueries: 2 },
    );
    points.push(evaluate(`lancedb ivf_pq nprobes ${nprobes}`, run, reference, nprobes));
  }
  const refined = await runTimedQueries(
    queries,
    lanceSearch(table, data.dim, (q) => q.nprobes(IVF_NPROBES[1]).refineFactor(10)),
    { warmupQueries: 2 },
  );
  points.push(
    evaluate(
      `lancedb ivf_pq nprobes ${IVF_NPROBES[1]} refine 10`,
      refined,
      reference,
      IVF_NPROBES[1],
    ),
  );
  return {
    label: `indexed: first ${count} documents, ${queries.length} queries`,
    docs: count,
    points,
    notes: [
      `LanceDB IVF_PQ index (cosine, its default partitions and sub-vectors) built in ${buildSeconds.toFixed(1)} s.`,
    ],
  };
}

/** A legend name of at most about 22 characters (the plot's legend column); F: flat, I: indexed. */
function plotName(series: string, part: Part): string {
  const short = series
    .replace('muvera fde (weaviate, hnsw)', 'fde')
    .replace('muvera exact', 'exact')
    .replace('lancedb ivf_pq nprobes ', 'lance pq ')
    .replace(' refine 10', '+refine')
    .replace('lancedb flat', 'lance flat');
  return `${part.label.startsWith('flat') ? 'F' : 'I'}: ${short}`;
}

function partTable(part: Part): string {
  const exact = part.points.find((p) => p.series === 'muvera exact') as SweepPoint;
  const lines = part.points.map((p) => {
    const r = p.result;
    return `| ${p.series} | ${p.series.startsWith('muvera fde') ? p.value : '-'} | ${r.recallVsExactAt10?.toFixed(3)} | ${r.latencyMsP50.toFixed(1)} | ${r.latencyMsP95.toFixed(1)} | ${r.qps.toFixed(2)} | ${(r.qps / exact.result.qps).toFixed(2)}x |`;
  });
  return [
    `### ${part.label}`,
    '',
    ...part.notes,
    '',
    '| run | candidates | recall@10 vs our exact | p50 ms | p95 ms | queries/s | vs our exact |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...lines,
  ].join('\n');
}

/**
 * For each LanceDB run of a part: the fastest of our runs (fde settings and exact) with equal or
 * better recall@10, and its queries/s ratio; when none matches, our run with the best recall.
 */
function ratios(part: Part): string[] {
  const fde = part.points.filter((p) => p.series.startsWith('muvera'));
  const recall = (p: SweepPoint) => p.result.recallVsExactAt10 ?? 0;
  return part.points
    .filter((p) => p.series.startsWith('lancedb'))
    .map((peer) => {
      const matching = fde.filter((p) => recall(p) >= recall(peer));
      const pick =
        matching.length > 0
          ? matching.reduce((a, b) => (b.result.qps > a.result.qps ? b : a))
          : fde.reduce((a, b) => (recall(b) > recall(a) ? b : a));
      const how = matching.length > 0 ? 'equal or better recall' : '**lower recall**';
      return `- ${part.label}: ${peer.series} (recall@10 ${recall(peer).toFixed(3)}, ${peer.result.qps.toFixed(2)} queries/s) against our ${pick.series === 'muvera exact' ? 'exact' : `fde at ${pick.value} candidates`} (${how}: ${recall(pick).toFixed(3)}): ours is ${(pick.result.qps / peer.result.qps).toFixed(1)}x its queries/s.`;
    });
}

async function main(): Promise<void> {
  const info = machineInfo();
  const lance = loadLance();
  const dataset = await loadBeirDataset(join(import.meta.dirname, '..', 'data', 'scifact'));
  const data = await encode(dataset, Math.max(QUERIES, FLAT_QUERIES));
  const root = mkdtempSync(join(tmpdir(), 'muvera-lancedb-'));
  const parts: Part[] = [];
  try {
    parts.push(await flatPart(lance, root, data));
    process.stderr.write('flat part done\n');
    parts.push(await indexedPart(lance, root, data));
  } finally {
    rmSync(root, { recursive: true, force: true });
  }

  const svgName = `${RESULT_NAME}.svg`;
  const points = parts.flatMap((part) =>
    part.points.map((p) => ({ ...p, series: plotName(p.series, part) })),
  );
  writeFileSync(
    join(import.meta.dirname, 'results', svgName),
    sweepSvg(points, {
      logX: true,
      title: 'LanceDB peer (F: flat part, I: indexed part): recall@10 vs our exact',
    }),
  );
  const markdown = `# LanceDB multivector search beside muvera

${machineLine(info)}

SciFact documents and test queries, static demo encoder (unit-norm tokens of dim ${data.dim}, mean ${data.meanDocTokens.toFixed(1)} per document, ${data.meanQueryTokens.toFixed(1)} per query); k = ${K}. \`@lancedb/lancedb\` 0.31.0 with \`apache-arrow\` 18.1.0 from \`bench/lancedb/\`; LanceDB multivector search with cosine distance (its only multivector metric; on unit vectors it ranks as our inner-product Chamfer). Ours: weaviate FDE preset, HNSW candidate index, float32 tokens, exact Chamfer re-rank. Every query runs alone, one after another; LanceDB uses its own thread pool (both cores), ours one thread.

${parts.map(partTable).join('\n\n')}

Ratios:
${parts.flatMap(ratios).join('\n')}

![recall against latency](${svgName})

Run: \`npm ci --prefix bench/lancedb && npx tsx bench/lancedb-peer.ts${process.argv
    .slice(2)
    .map((a) => ` ${a}`)
    .join('')}\`
`;
  const path = writeResult(RESULT_NAME, markdown, { machine: info, parts });
  process.stdout.write(`${markdown}\nwritten to ${path}\n`);
}

await main();
