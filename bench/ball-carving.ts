/**
 * Ball carving of queries before re-ranking (MUVERA section on ball carving; tau 0.7 in the
 * paper): query tokens before and after, re-rank speed-up, and what happens to the ranking.
 *
 * Two query sets:
 * - the real ColBERTv2 fixture (5 queries of 32 tokens, [MASK]-augmented, 35 documents);
 * - synthetic ColBERT-like queries with [MASK] expansions over a synthetic ColBERT-like corpus
 *   (bench/synthetic/colbert-like.ts): the first CONTENT_TOKENS rows of each synthetic query
 *   are kept as content and the other rows replaced by [MASK]-like rows, each a unit mix of two
 *   content rows plus noise. Real [MASK] outputs sit very close to the query's own tokens (in
 *   the fixture a token's nearest other query token has a median cosine above 0.95); the bench
 *   prints the synthetic median to show the two agree.
 *
 * Ranking change: overlap of the carved top-10 with the exact (uncarved) Chamfer top-10, and
 * nDCG@10 / Recall@10 against the judgments, uncarved and carved.
 *
 * Run: npx tsx bench/ball-carving.ts
 */
import { carveQuery, chamferBatch, type ScoringBatch } from '../src/chamfer/index.js';
import { interleaved, loadFixture, mean, ndcg, overlap, topK } from './chamfer-common.js';
import { machineInfo, machineLine, seededRandom, writeResult } from './harness.js';
import { ColbertLikeCorpus } from './synthetic/colbert-like.js';

const TAUS = [0.6, 0.7, 0.8, 0.9];
const K = 10;
const NUM_DOCS = 3000;
const NUM_QUERIES = 40;
const CONTENT_TOKENS = 10;
/** Weights of a [MASK] row: its main content row, a second content row, noise. */
const MASK_MIX = [1, 0.25, 0.15];
const SEED = 7;

interface QuerySet {
  name: string;
  dim: number;
  docs: ScoringBatch;
  numDocs: number;
  queries: Float32Array[];
  relevant: Set<number>[];
}

function unit(v: Float32Array): Float32Array {
  const norm = Math.hypot(...v);
  return v.map((x) => x / norm);
}

/** Replaces rows CONTENT_TOKENS.. of a query by [MASK]-like mixes of its content rows. */
function maskExpand(query: Float32Array, dim: number, next: () => number): Float32Array {
  const out = query.slice();
  const rows = query.length / dim;
  const row = (r: number) => query.subarray(r * dim, (r + 1) * dim);
  for (let r = CONTENT_TOKENS; r < rows; r++) {
    const main = row(Math.floor(next() * CONTENT_TOKENS));
    const second = row(Math.floor(next() * CONTENT_TOKENS));
    const mix = new Float32Array(dim);
    for (let j = 0; j < dim; j++) {
      const noise = (next() - 0.5) * 2 * Math.sqrt(3 / dim);
      mix[j] = MASK_MIX[0] * main[j] + MASK_MIX[1] * second[j] + MASK_MIX[2] * noise;
    }
    out.set(unit(mix), r * dim);
  }
  return out;
}

/** Median over a query set of each token's best cosine with another token of its query. */
function nearestCosine(queries: Float32Array[], dim: number): number {
  const values: number[] = [];
  for (const query of queries) {
    const rows = query.length / dim;
    for (let a = 0; a < rows; a++) {
      let best = -1;
      for (let b = 0; b < rows; b++) {
        if (a === b) continue;
        let dot = 0;
        for (let j = 0; j < dim; j++) dot += query[a * dim + j] * query[b * dim + j];
        best = Math.max(best, dot);
      }
      values.push(best);
    }
  }
  return values.sort((x, y) => x - y)[values.length >> 1];
}

function fixtureSet(): QuerySet {
  const f = loadFixture();
  const docs = { data: f.documents, offsets: f.documentOffsets };
  const numDocs = f.documentOffsets.length - 1;
  return { name: 'ColBERTv2 fixture', docs, numDocs, ...f };
}

function syntheticSet(): QuerySet {
  const corpus = new ColbertLikeCorpus({ numDocuments: NUM_DOCS, numQueries: NUM_QUERIES });
  const batch = corpus.documents(0, NUM_DOCS);
  const next = seededRandom(SEED);
  const queries = Array.from({ length: NUM_QUERIES }, (_, q) =>
    maskExpand(corpus.query(q), corpus.dim, next),
  );
  const relevant = queries.map((_, q) => new Set(corpus.relevantDocuments(q)));
  const docs = { data: batch.data, offsets: batch.offsets };
  return {
    name: 'synthetic [MASK]-expanded',
    dim: corpus.dim,
    docs,
    numDocs: NUM_DOCS,
    queries,
    relevant,
  };
}

/** Results of a query set at one tau (null: uncarved), speed measured separately. */
function evaluate(set: QuerySet, tau: number | null) {
  const { dim, docs, numDocs, queries, relevant } = set;
  const carved = queries.map((q) => (tau === null ? q : carveQuery(q, dim, { tau }).tokens));
  const out = new Float32Array(numDocs);
  const exactTop: number[][] = [];
  const ranking: number[][] = [];
  queries.forEach((q, i) => {
    exactTop.push(topK(chamferBatch(q, docs, dim, out), K));
    ranking.push(topK(chamferBatch(carved[i], docs, dim, out), K));
  });
  let next = 0;
  const rerank = () => {
    chamferBatch(carved[next], docs, dim, out);
    next = (next + 1) % carved.length;
  };
  return {
    tau,
    tokens: mean(carved.map((q) => q.length / dim)),
    rerank,
    queriesPerSecond: 0,
    overlapWithExact: mean(ranking.map((r, i) => overlap(r, exactTop[i]))),
    ndcg: mean(ranking.map((r, i) => ndcg(r, relevant[i], K))),
    recall: mean(ranking.map((r, i) => overlap(r, [...relevant[i]].slice(0, K)))),
  };
}

/** Every tau of a query set, with re-rank speeds measured in interleaved rounds. */
function evaluateAll(set: QuerySet) {
  const rows = [evaluate(set, null), ...TAUS.map((tau) => evaluate(set, tau))];
  const rates = interleaved(
    rows.map((row) => row.rerank),
    { rounds: 7 },
  );
  rows.forEach((row, i) => {
    row.queriesPerSecond = rates[i];
  });
  return rows.map(({ rerank: _, ...rest }) => rest);
}

const lines = ['# Ball carving of queries', '', machineLine(), ''];
const results: Record<string, unknown> = { machine: machineInfo() };
for (const set of [fixtureSet(), syntheticSet()]) {
  const cosine = nearestCosine(set.queries, set.dim);
  const rows = evaluateAll(set);
  const base = rows[0];
  results[set.name] = { nearestCosine: cosine, rows };
  lines.push(
    `## ${set.name}`,
    '',
    `${set.queries.length} queries of ${base.tokens} tokens against ${set.numDocs} documents; median cosine of a query token with its nearest other query token: ${cosine.toFixed(2)}.`,
    '',
    '| tau | query tokens | re-rank queries/s | speed-up | top-10 overlap with exact | nDCG@10 | Recall@10 |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...rows.map(
      (r) =>
        `| ${r.tau ?? 'none'} | ${r.tokens.toFixed(1)} | ${r.queriesPerSecond.toPrecision(3)} | ${(r.queriesPerSecond / base.queriesPerSecond).toFixed(2)} | ${r.overlapWithExact.toFixed(3)} | ${r.ndcg.toFixed(3)} | ${r.recall.toFixed(3)} |`,
    ),
    '',
  );
  console.error(lines.slice(-rows.length - 6).join('\n'));
}
console.error(`wrote ${writeResult('ball-carving', lines.join('\n'), results)}`);
