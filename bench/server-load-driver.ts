/**
 * Drives a running server with concurrent searches and upserts over loopback and checks every
 * answer. Used by test/server/load.test.ts (bounded, correctness only) and bench/server-load.ts
 * (requests per second and latency percentiles).
 *
 * The data are random unit token vectors, so a document searched with its own tokens is its own
 * best match: Chamfer(X, X) = numTokens, the largest score any document can reach, and another
 * document ties only if it holds every token of X (probability 0 with random vectors). By
 * default searches ask for every document as candidates, so the check holds for any candidate
 * index; with fewer candidates it also checks that the FDE stage finds a document's own set. A
 * search for a document whose upsert has returned must find it (read-your-writes).
 */
import { performance } from 'node:perf_hooks';

/** Documents per seeding request (well under the body and per-request caps). */
const SEED_BATCH = 100;

/** A token matrix as JSON rows. */
type Rows = number[][];

/** Options of {@link runLoad}. */
export interface LoadOptions {
  url: string;
  collection: string;
  apiKey?: string;
  dim: number;
  tokensPerDocument: number;
  /** Documents stored before the load starts. */
  initialDocuments: number;
  searches: number;
  /** Upsert requests during the load, each of `documentsPerUpsert` new documents. */
  upserts: number;
  documentsPerUpsert: number;
  /** Requests in flight at once. */
  concurrency: number;
  /** Candidates of each search; default every document (the check then holds for any index). */
  candidates?: number;
  seed: number;
}

/** What a load run observed. */
export interface LoadReport {
  requests: number;
  seconds: number;
  requestsPerSecond: number;
  searchMs: { p50: number; p95: number; max: number };
  upsertMs: { p50: number; p95: number; max: number };
  /** Answers that were wrong (wrong top hit, error status); must be empty. */
  failures: string[];
  /** Documents counted by the server at the end, and how many were expected. */
  documents: { stored: number; expected: number };
}

function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `numTokens` random unit rows of `dim` values. */
export function randomDocument(random: () => number, dim: number, numTokens: number): Rows {
  return Array.from({ length: numTokens }, () => {
    const row = Array.from({ length: dim }, () => random() * 2 - 1);
    const norm = Math.hypot(...row);
    return row.map((value) => value / norm);
  });
}

/** Median, 95th percentile and maximum of `values` (0 when empty). */
export function percentiles(values: number[]): { p50: number; p95: number; max: number } {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
  return { p50: at(0.5), p95: at(0.95), max: sorted[sorted.length - 1] ?? 0 };
}

/** Sends JSON to the server and returns status and parsed body. */
async function post(
  options: LoadOptions,
  path: string,
  body: unknown,
): Promise<{ status: number; body: unknown }> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (options.apiKey) headers.authorization = `Bearer ${options.apiKey}`;
  const response = await fetch(`${options.url}/v1/collections/${options.collection}${path}`, {
    method: path === '' ? 'GET' : 'POST',
    headers,
    body: path === '' ? undefined : JSON.stringify(body),
  });
  return { status: response.status, body: await response.json() };
}

/** Stores the initial documents; returns them by id. */
export async function seedDocuments(options: LoadOptions): Promise<Map<string, Rows>> {
  const random = mulberry32(options.seed);
  const docs = new Map<string, Rows>();
  for (let i = 0; i < options.initialDocuments; i++) {
    docs.set(`seed-${i}`, randomDocument(random, options.dim, options.tokensPerDocument));
  }
  const all = [...docs].map(([id, vectors]) => ({ id, vectors }));
  for (let start = 0; start < all.length; start += SEED_BATCH) {
    const answer = await post(options, '/documents', {
      documents: all.slice(start, start + SEED_BATCH),
    });
    if (answer.status !== 200) throw new Error(`seeding failed: ${JSON.stringify(answer.body)}`);
  }
  return docs;
}

/** Runs the mixed load against a collection holding `docs`; checks every answer. */
export async function runLoad(options: LoadOptions, docs: Map<string, Rows>): Promise<LoadReport> {
  const random = mulberry32(options.seed + 1);
  const failures: string[] = [];
  const searchMs: number[] = [];
  const upsertMs: number[] = [];
  const known = [...docs.keys()];
  let expected = docs.size;

  // A shuffled mix of jobs: searches and upserts interleaved.
  const jobs: ('search' | 'upsert')[] = [
    ...Array<'search'>(options.searches).fill('search'),
    ...Array<'upsert'>(options.upserts).fill('upsert'),
  ].sort(() => random() - 0.5);

  const search = async () => {
    const id = known[Math.floor(random() * known.length)];
    const started = performance.now();
    const all = options.initialDocuments + options.upserts * options.documentsPerUpsert;
    const body = { vectors: docs.get(id), k: 1, candidates: options.candidates ?? all };
    const answer = await post(options, '/search', body);
    searchMs.push(performance.now() - started);
    const top = (answer.body as { hits?: { id: string; score: number }[] }).hits?.[0];
    const expectedScore = options.tokensPerDocument;
    if (answer.status !== 200 || top?.id !== id || Math.abs(top.score - expectedScore) > 1e-3) {
      failures.push(`search ${id}: ${answer.status} ${JSON.stringify(answer.body).slice(0, 200)}`);
    }
  };

  let upsertNumber = 0;
  const upsert = async () => {
    const batch = Array.from({ length: options.documentsPerUpsert }, (_, i) => ({
      id: `load-${upsertNumber}-${i}`,
      vectors: randomDocument(random, options.dim, options.tokensPerDocument),
    }));
    upsertNumber++;
    const started = performance.now();
    const answer = await post(options, '/documents', { documents: batch });
    upsertMs.push(performance.now() - started);
    const counts = answer.body as { inserted?: number };
    if (answer.status !== 200 || counts.inserted !== batch.length) {
      failures.push(`upsert: ${answer.status} ${JSON.stringify(answer.body).slice(0, 200)}`);
      return;
    }
    expected += batch.length;
    for (const doc of batch) {
      docs.set(doc.id, doc.vectors);
      known.push(doc.id);
    }
  };

  const started = performance.now();
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) {
      const job = jobs[next++];
      await (job === 'search' ? search() : upsert());
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, worker));
  const seconds = (performance.now() - started) / 1000;

  const stats = await post(options, '', undefined);
  const stored = (stats.body as { documents: number }).documents;
  return {
    requests: jobs.length,
    seconds,
    requestsPerSecond: jobs.length / seconds,
    searchMs: percentiles(searchMs),
    upsertMs: percentiles(upsertMs),
    failures,
    documents: { stored, expected },
  };
}
