/**
 * The statistics that tie the synthetic corpus to real ColBERTv2 embeddings, measured the same
 * way on both:
 * - `relevant`: for each query token, its best inner product (MaxSim term) in each document
 *   judged relevant to the query;
 * - `unrelated`: the same in documents not judged relevant to the query;
 * - `documentPairs`: the cosine between two distinct document tokens drawn from the corpus.
 * Each is summarised by its quartiles and mean (quartiles interpolated as in src/eval/metrics).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { mean, percentiles } from '../../src/eval/metrics.js';
import type { ColbertLikeCorpus } from './colbert-like.js';
import { dot, STREAM, type Stream, stream } from './random.js';

/** Seed of the pair sample drawn from the fixture when not every pair is measured. */
const FIXTURE_SAMPLE_SEED = 7;

/** Quartiles and mean of a sample. */
export interface Summary {
  q25: number;
  median: number;
  q75: number;
  mean: number;
  count: number;
}

/** The three distributions that the synthetic corpus must match. */
export interface FitStatistics {
  relevant: Summary;
  unrelated: Summary;
  documentPairs: Summary;
}

/** Summarises a sample. */
export function summarize(values: ArrayLike<number>): Summary {
  const [q25, median, q75] = percentiles(values, [25, 50, 75]);
  return {
    q25,
    median,
    q75,
    mean: mean(values),
    count: values.length,
  };
}

/** Appends, for each query row, its best inner product over the document rows. */
export function pushBestSimilarities(
  query: Float32Array,
  doc: Float32Array,
  dim: number,
  out: number[],
): void {
  const numDoc = doc.length / dim;
  for (let q = 0; q < query.length / dim; q++) {
    let best = Number.NEGATIVE_INFINITY;
    for (let p = 0; p < numDoc; p++) best = Math.max(best, dot(query, q * dim, doc, p * dim, dim));
    out.push(best);
  }
}

/** How much of the synthetic corpus {@link measureSynthetic} samples. */
export interface SampleSize {
  /** Queries measured, with every relevant document of each. */
  queries: number;
  /** Unrelated documents measured per query. */
  unrelatedPerQuery: number;
  /** Documents whose tokens feed the token-pair sample. */
  pairDocuments: number;
  /** Token pairs sampled. */
  pairs: number;
}

/** A sample of about 2,000 documents and 50 queries: a few seconds. */
export const DEFAULT_SAMPLE: SampleSize = Object.freeze({
  queries: 50,
  unrelatedPerQuery: 30,
  pairDocuments: 2_000,
  pairs: 200_000,
});

/** Measures the fit statistics of a synthetic corpus on a seeded sample of it. */
export function measureSynthetic(corpus: ColbertLikeCorpus, size = DEFAULT_SAMPLE): FitStatistics {
  const { dim } = corpus;
  const { numDocuments, seed } = corpus.params;
  const random = stream(seed, STREAM.sample, 0);
  const relevant: number[] = [];
  const unrelated: number[] = [];

  for (let q = 0; q < size.queries; q++) {
    const query = corpus.query(q);
    const judged = new Set(corpus.relevantDocuments(q));
    for (const d of judged) pushBestSimilarities(query, corpus.document(d), dim, relevant);
    for (let u = 0; u < size.unrelatedPerQuery; u++) {
      const d = random.below(numDocuments);
      if (!judged.has(d)) pushBestSimilarities(query, corpus.document(d), dim, unrelated);
    }
  }

  const docs = Array.from({ length: size.pairDocuments }, () => random.below(numDocuments));
  const pool = gather(corpus, docs);
  const documentPairs = samplePairs(pool, dim, size.pairs, random);
  return {
    relevant: summarize(relevant),
    unrelated: summarize(unrelated),
    documentPairs: summarize(documentPairs),
  };
}

/** The tokens of the listed documents, concatenated. */
function gather(corpus: ColbertLikeCorpus, docs: number[]): Float32Array {
  const rowValues = corpus.params.tokensPerDocument * corpus.dim;
  const pool = new Float32Array(docs.length * rowValues);
  for (const [i, d] of docs.entries())
    corpus.document(d, pool.subarray(i * rowValues, (i + 1) * rowValues));
  return pool;
}

/** Cosines (inner products of unit rows) of `count` random pairs of distinct rows. */
function samplePairs(rows: Float32Array, dim: number, count: number, random: Stream) {
  const numRows = rows.length / dim;
  const out = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    const a = random.below(numRows);
    const b = (a + 1 + random.below(numRows - 1)) % numRows;
    out[i] = dot(rows, a * dim, rows, b * dim, dim);
  }
  return out;
}

/** The real ColBERTv2 fixture: token rows of documents and queries, and its judgments. */
export interface Fixture {
  dim: number;
  documents: Float32Array;
  documentOffsets: number[];
  documentIds: string[];
  queries: Float32Array;
  queryOffsets: number[];
  queryIds: string[];
  qrels: Record<string, Record<string, number>>;
}

/** Reads the fixture folder (manifest.json, documents.f32, queries.f32, qrels.json). */
export function loadFixture(dir: string): Fixture {
  const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
  const floats = (file: string) => {
    const bytes = readFileSync(join(dir, file));
    return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length));
  };
  return {
    dim: manifest.documents.dim,
    documents: floats(manifest.documents.file),
    documentOffsets: manifest.documents.row_offsets,
    documentIds: manifest.documents.ids,
    queries: floats(manifest.queries.file),
    queryOffsets: manifest.queries.row_offsets,
    queryIds: manifest.queries.ids,
    qrels: JSON.parse(readFileSync(join(dir, 'qrels.json'), 'utf8')),
  };
}

/**
 * Measures the fit statistics of the fixture: every query against every document, and either
 * every distinct document token pair (`pairs` null) or that many random pairs (quicker).
 */
export function measureFixture(fixture: Fixture, pairs: number | null = null): FitStatistics {
  const { dim, documents, documentOffsets: offsets } = fixture;
  const rows = (data: Float32Array, from: number, to: number) =>
    data.subarray(from * dim, to * dim);
  const relevant: number[] = [];
  const unrelated: number[] = [];

  for (const [q, queryId] of fixture.queryIds.entries()) {
    const query = rows(fixture.queries, fixture.queryOffsets[q], fixture.queryOffsets[q + 1]);
    for (const [d, docId] of fixture.documentIds.entries()) {
      const doc = rows(documents, offsets[d], offsets[d + 1]);
      const judged = (fixture.qrels[queryId]?.[docId] ?? 0) > 0;
      pushBestSimilarities(query, doc, dim, judged ? relevant : unrelated);
    }
  }

  const documentPairs =
    pairs === null
      ? allPairs(documents, dim)
      : samplePairs(documents, dim, pairs, stream(FIXTURE_SAMPLE_SEED, STREAM.sample, 0));
  return {
    relevant: summarize(relevant),
    unrelated: summarize(unrelated),
    documentPairs: summarize(documentPairs),
  };
}

/** Inner products of every pair of distinct rows. */
function allPairs(data: Float32Array, dim: number): Float64Array {
  const numRows = data.length / dim;
  const out = new Float64Array((numRows * (numRows - 1)) / 2);
  let next = 0;
  for (let a = 0; a < numRows; a++) {
    for (let b = a + 1; b < numRows; b++) out[next++] = dot(data, a * dim, data, b * dim, dim);
  }
  return out;
}

/** One compared statistic and the absolute gap between fixture and synthetic values. */
export interface FitGap {
  statistic: string;
  fixture: number;
  synthetic: number;
  gap: number;
}

/** Every mean and quartile of the two measurements, side by side. */
export function fitGaps(fixture: FitStatistics, synthetic: FitStatistics): FitGap[] {
  const gaps: FitGap[] = [];
  for (const group of ['relevant', 'unrelated', 'documentPairs'] as const) {
    for (const field of ['q25', 'median', 'q75', 'mean'] as const) {
      const a = fixture[group][field];
      const b = synthetic[group][field];
      gaps.push({ statistic: `${group}.${field}`, fixture: a, synthetic: b, gap: Math.abs(a - b) });
    }
  }
  return gaps;
}
