/**
 * Shared pieces of the Chamfer benchmarks: the ColBERTv2 fixture, ranking metrics, and a timing
 * loop that interleaves contenders so load from other processes hits them alike.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { toTokenBatch } from '../src/encoders/batch.js';
import { StaticTokenEncoder } from '../src/encoders/static-encoder.js';

/** The real ColBERTv2 token vectors (35 documents, 5 queries) with judgments. */
export interface Fixture {
  dim: number;
  documents: Float32Array;
  documentOffsets: number[];
  queries: Float32Array[];
  /** relevant[q]: indices of the documents judged relevant to query q. */
  relevant: Set<number>[];
}

const FIXTURE_DIRS = [
  join(import.meta.dirname, '../test/fixtures/colbertv2-nanofiqa'),
  '/work/shared/data/colbertv2-nanofiqa-fixture',
];

function floats(path: string): Float32Array {
  const bytes = readFileSync(path);
  return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length));
}

/** Loads the fixture from test/fixtures, or the shared data folder while it is not copied. */
export function loadFixture(): Fixture {
  const dir = FIXTURE_DIRS.find((path) =>
    ['manifest.json', 'qrels.json'].every((file) => existsSync(join(path, file))),
  );
  if (!dir) throw new Error('ColBERT fixture not found');
  const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
  const dim: number = manifest.documents.dim;
  const queryRows = floats(join(dir, manifest.queries.file));
  const qOffsets: number[] = manifest.queries.row_offsets;
  const queries = qOffsets.slice(1).map((end, q) => queryRows.slice(qOffsets[q] * dim, end * dim));
  const qrels = JSON.parse(readFileSync(join(dir, 'qrels.json'), 'utf8'));
  const docIds: string[] = manifest.documents.ids;
  const relevant = (manifest.queries.ids as string[]).map((id) => {
    const judged = Object.keys(qrels[id] ?? {});
    return new Set(judged.map((doc) => docIds.indexOf(doc)).filter((i) => i >= 0));
  });
  return {
    dim,
    documents: floats(join(dir, manifest.documents.file)),
    documentOffsets: manifest.documents.row_offsets,
    queries,
    relevant,
  };
}

/** Indices of the k highest scores, ties to the lower index. */
export function topK(scores: ArrayLike<number>, k: number): number[] {
  const order = Array.from({ length: scores.length }, (_, i) => i);
  order.sort((a, b) => scores[b] - scores[a] || a - b);
  return order.slice(0, k);
}

/** Share of `truth` found in `found`. */
export function overlap(found: number[], truth: number[]): number {
  const set = new Set(found);
  return truth.filter((i) => set.has(i)).length / truth.length;
}

/** nDCG@k of a ranking with binary relevance. */
export function ndcg(ranking: number[], relevant: Set<number>, k: number): number {
  let dcg = 0;
  ranking.slice(0, k).forEach((doc, i) => {
    if (relevant.has(doc)) dcg += 1 / Math.log2(i + 2);
  });
  let ideal = 0;
  for (let i = 0; i < Math.min(k, relevant.size); i++) ideal += 1 / Math.log2(i + 2);
  return ideal === 0 ? 0 : dcg / ideal;
}

/** Mean of a list. */
export const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;

/**
 * Calls per second of each function: after `warmupMs` each, `rounds` rounds of `roundMs`
 * interleaved across the functions; the median round of each.
 */
export function interleaved(
  fns: (() => void)[],
  { warmupMs = 200, roundMs = 250, rounds = 5 } = {},
): number[] {
  for (const fn of fns) {
    const end = performance.now() + warmupMs;
    while (performance.now() < end) fn();
  }
  const rates = fns.map(() => [] as number[]);
  for (let round = 0; round < rounds; round++) {
    fns.forEach((fn, i) => {
      let calls = 0;
      const start = performance.now();
      while (performance.now() - start < roundMs) {
        fn();
        calls++;
      }
      rates[i].push(calls / ((performance.now() - start) / 1000));
    });
  }
  return rates.map((list) => list.sort((a, b) => a - b)[list.length >> 1]);
}

const DATA = join(import.meta.dirname, '..', 'data');

function readJsonLines(file: string): Record<string, string>[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line));
}

/** SciFact test queries and corpus, encoded by the shipped static word-vector encoder. */
export async function loadScifactStatic() {
  const corpus = readJsonLines(join(DATA, 'scifact', 'corpus.jsonl'));
  const docIndex = new Map(corpus.map((doc, i) => [doc._id, i]));
  const judged = new Map<string, Set<number>>();
  const qrels = readFileSync(join(DATA, 'scifact', 'qrels', 'test.tsv'), 'utf8').split('\n');
  for (const line of qrels.slice(1)) {
    const [queryId, docId, score] = line.split('\t');
    if (!docId || Number(score) <= 0) continue;
    if (!judged.has(queryId)) judged.set(queryId, new Set());
    judged.get(queryId)?.add(docIndex.get(docId) as number);
  }
  const queries = readJsonLines(join(DATA, 'scifact', 'queries.jsonl')).filter((q) =>
    judged.has(q._id),
  );
  const encoder = await StaticTokenEncoder.load(join(DATA, 'encoders', 'fasttext-skipgram128'));
  const texts = corpus.map((doc) => `${doc.title} ${doc.text}`);
  const docs = toTokenBatch(await encoder.encodeDocuments(texts));
  const encoded = await encoder.encodeQueries(queries.map((q) => q.text));
  return {
    dim: encoder.dim,
    numDocs: corpus.length,
    docs: { data: docs.data, offsets: docs.offsets },
    queries: encoded.map((q) => q.data),
    relevant: queries.map((q) => judged.get(q._id) as Set<number>),
  };
}
