/**
 * Token pooling of documents at index time (Clavié et al. 2024, arXiv 2409.14683): Ward
 * clustering of each document's tokens, cluster means kept. For pool factors 1 to 4: tokens
 * and bytes kept, pooling time, Chamfer score change, and the ranking change (top-10 overlap
 * with unpooled exact Chamfer, nDCG@10 against the judgments), with plain means and with means
 * rescaled to unit length; on the real ColBERTv2 fixture, on a synthetic ColBERT-like corpus
 * (bench/synthetic/colbert-like.ts), and on SciFact with the static word-vector encoder (factor 2 only: every setting scores the whole corpus).
 *
 * Run: npx tsx bench/token-pooling.ts
 */
import { chamferBatch, poolTokens, type ScoringBatch } from '../src/chamfer/index.js';
import { loadFixture, loadScifactStatic, mean, ndcg, overlap, topK } from './chamfer-common.js';
import { machineInfo, machineLine, writeResult } from './harness.js';
import { ColbertLikeCorpus } from './synthetic/colbert-like.js';

const POOL_FACTORS = [1, 2, 3, 4];
/** SciFact is scored in full for each factor: only the paper's main setting. */
const SCIFACT_FACTORS = [1, 2];
const K = 10;
const NUM_DOCS = 1500;
const NUM_QUERIES = 40;
const FLOAT_BYTES = 4;

interface Corpus {
  name: string;
  /** Pool factors to try (1 = unpooled). */
  factors: number[];
  dim: number;
  docs: Float32Array[];
  queries: Float32Array[];
  relevant: Set<number>[];
}

function split(data: Float32Array, offsets: ArrayLike<number>, dim: number): Float32Array[] {
  return Array.from({ length: offsets.length - 1 }, (_, i) =>
    data.subarray(offsets[i] * dim, offsets[i + 1] * dim),
  );
}

function fixtureCorpus(): Corpus {
  const f = loadFixture();
  const docs = split(f.documents, f.documentOffsets, f.dim);
  return {
    name: 'ColBERTv2 fixture',
    factors: POOL_FACTORS,
    dim: f.dim,
    docs,
    queries: f.queries,
    relevant: f.relevant,
  };
}

function syntheticCorpus(): Corpus {
  const corpus = new ColbertLikeCorpus({ numDocuments: NUM_DOCS, numQueries: NUM_QUERIES });
  const batch = corpus.documents(0, NUM_DOCS);
  const queries = Array.from({ length: NUM_QUERIES }, (_, q) => corpus.query(q));
  const relevant = queries.map((_, q) => new Set(corpus.relevantDocuments(q)));
  const docs = split(batch.data, batch.offsets, corpus.dim);
  return {
    name: 'synthetic ColBERT-like',
    factors: POOL_FACTORS,
    dim: corpus.dim,
    docs,
    queries,
    relevant,
  };
}

async function scifactCorpus(): Promise<Corpus> {
  const { dim, docs, queries, relevant } = await loadScifactStatic();
  const name = 'SciFact, static word vectors';
  return {
    name,
    factors: SCIFACT_FACTORS,
    dim,
    docs: split(docs.data, docs.offsets, dim),
    queries,
    relevant,
  };
}

/** Concatenates documents into one scoring batch. */
function asBatch(docs: Float32Array[], dim: number): ScoringBatch {
  const offsets = [0];
  for (const doc of docs) offsets.push(offsets[offsets.length - 1] + doc.length / dim);
  const data = new Float32Array(offsets[offsets.length - 1] * dim);
  docs.forEach((doc, i) => {
    data.set(doc, offsets[i] * dim);
  });
  return { data, offsets };
}

function evaluate(corpus: Corpus, poolFactor: number, normalize: boolean, exact: Float32Array[]) {
  const { dim, docs, queries, relevant } = corpus;
  const start = performance.now();
  const pooled = docs.map((doc) => poolTokens(doc, dim, { poolFactor, normalize }).tokens);
  const poolMs = (performance.now() - start) / docs.length;
  const batch = asBatch(pooled, dim);
  const tokens = pooled.reduce((sum, doc) => sum + doc.length / dim, 0);
  const scores = queries.map((q) => chamferBatch(q, batch, dim));
  const relativeChange = scores.flatMap((row, q) =>
    [...row].map((score, d) => Math.abs(score - exact[q][d]) / Math.abs(exact[q][d])),
  );
  const ranking = scores.map((row) => topK(row, K));
  return {
    poolFactor,
    normalize,
    tokens,
    megabytes: (tokens * dim * FLOAT_BYTES) / 2 ** 20,
    poolMsPerDocument: poolMs,
    meanRelativeScoreChange: mean(relativeChange),
    overlapWithExact: mean(ranking.map((r, q) => overlap(r, topK(exact[q], K)))),
    ndcg: mean(ranking.map((r, q) => ndcg(r, relevant[q], K))),
  };
}

const lines = ['# Token pooling of documents', '', machineLine(), ''];
const results: Record<string, unknown> = { machine: machineInfo() };
for (const corpus of [fixtureCorpus(), syntheticCorpus(), await scifactCorpus()]) {
  const exactBatch = asBatch(corpus.docs, corpus.dim);
  const exact = corpus.queries.map((q) => chamferBatch(q, exactBatch, corpus.dim));
  const rows = [false, true].flatMap((normalize) =>
    corpus.factors
      .filter((factor) => factor > 1 || !normalize)
      .map((factor) => evaluate(corpus, factor, normalize, exact)),
  );
  const base = rows[0];
  results[corpus.name] = rows;
  lines.push(
    `## ${corpus.name}`,
    '',
    `${corpus.docs.length} documents (${base.tokens} tokens), ${corpus.queries.length} queries. Memory at float32.`,
    '',
    '| pool factor | means | tokens | memory MiB | saved | pooling ms/doc | mean relative score change | top-10 overlap with exact | nDCG@10 |',
    '| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...rows.map(
      (r) =>
        `| ${r.poolFactor} | ${r.normalize ? 'unit' : 'plain'} | ${r.tokens} | ${r.megabytes.toFixed(2)} | ${(100 * (1 - r.tokens / base.tokens)).toFixed(0)}% | ${r.poolMsPerDocument.toFixed(2)} | ${(100 * r.meanRelativeScoreChange).toFixed(2)}% | ${r.overlapWithExact.toFixed(3)} | ${r.ndcg.toFixed(3)} |`,
    ),
    '',
  );
  console.error(lines.slice(-rows.length - 6).join('\n'));
}
console.error(`wrote ${writeResult('token-pooling', lines.join('\n'), results)}`);
