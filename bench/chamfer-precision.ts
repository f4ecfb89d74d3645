/**
 * What the stored precisions (float32, float16, int8 with per-token or per-dimension scales)
 * do to Chamfer scores and rankings.
 *
 * - ColBERTv2 fixture (real vectors, 5 queries x 35 documents): absolute and relative score
 *   error against float32, top-10 overlap with the float32 ranking, nDCG@10.
 * - SciFact (5,183 abstracts, 300 test queries) with the static word-vector encoder
 *   (src/encoders, data/encoders/fasttext-skipgram128): exact Chamfer over every document at each
 *   precision, nDCG@10 and Recall@100, and top-10 overlap with float32. The whole corpus is
 *   encoded as one matrix, so per-dimension int8 scales are shared by the corpus.
 *
 * Run: npx tsx bench/chamfer-precision.ts
 */
import {
  chamferBatch,
  type EncodedTokens,
  encodeTokens,
  type Precision,
  type ScaleMode,
} from '../src/chamfer/index.js';
import { loadFixture, loadScifactStatic, mean, ndcg, overlap, topK } from './chamfer-common.js';
import { machineInfo, machineLine, writeResult } from './harness.js';

const ENCODINGS: [string, Precision, ScaleMode][] = [
  ['float32', 'float32', 'token'],
  ['float16', 'float16', 'token'],
  ['int8 per-token', 'int8', 'token'],
  ['int8 per-dimension', 'int8', 'dimension'],
];
const K = 10;
const RECALL_AT = 100;

function fixtureRows() {
  const f = loadFixture();
  let exact: Float32Array[] = [];
  return ENCODINGS.map(([name, precision, scaleMode]) => {
    const data = encodeTokens(f.documents, f.dim, precision, scaleMode);
    const scores = f.queries.map((q) =>
      chamferBatch(q, { data, offsets: f.documentOffsets }, f.dim),
    );
    if (precision === 'float32') exact = scores;
    const errors = scores.flatMap((row, q) => [...row].map((s, d) => Math.abs(s - exact[q][d])));
    const relative = scores.flatMap((row, q) =>
      [...row].map((s, d) => Math.abs(s - exact[q][d]) / Math.abs(exact[q][d])),
    );
    const rankings = scores.map((row) => topK(row, K));
    return {
      name,
      maxAbsError: Math.max(...errors),
      meanAbsError: mean(errors),
      meanRelativeError: mean(relative),
      overlapWithFloat32: mean(rankings.map((r, q) => overlap(r, topK(exact[q], K)))),
      ndcg10: mean(rankings.map((r, q) => ndcg(r, f.relevant[q], K))),
    };
  });
}

async function scifactRows() {
  const { dim, docs, queries: encodedQueries, relevant, numDocs } = await loadScifactStatic();
  let exactTop: number[][] = [];
  const out = new Float32Array(numDocs);
  return ENCODINGS.map(([name, precision, scaleMode]) => {
    const data: EncodedTokens = encodeTokens(docs.data, dim, precision, scaleMode);
    const start = performance.now();
    const rankings = encodedQueries.map((q) =>
      topK(chamferBatch(q, { data, offsets: docs.offsets }, dim, out), RECALL_AT),
    );
    const seconds = (performance.now() - start) / 1000;
    if (precision === 'float32') exactTop = rankings;
    console.error(`SciFact ${name}: ${seconds.toFixed(1)} s`);
    return {
      name,
      ndcg10: mean(rankings.map((r, i) => ndcg(r, relevant[i], K))),
      recall100: mean(rankings.map((r, i) => overlap(r, [...relevant[i]]))),
      overlapWithFloat32: mean(
        rankings.map((r, i) => overlap(r.slice(0, K), exactTop[i].slice(0, K))),
      ),
      seconds,
    };
  });
}

const fixture = fixtureRows();
const scifact = await scifactRows();
const lines = [
  '# Stored precisions: score error and ranking',
  '',
  machineLine(),
  '',
  '## ColBERTv2 fixture (5 queries x 35 documents, scores around 5 to 21)',
  '',
  '| precision | max abs error | mean abs error | mean relative error | top-10 overlap with float32 | nDCG@10 |',
  '| --- | ---: | ---: | ---: | ---: | ---: |',
  ...fixture.map(
    (r) =>
      `| ${r.name} | ${r.maxAbsError.toExponential(2)} | ${r.meanAbsError.toExponential(2)} | ${(100 * r.meanRelativeError).toFixed(3)}% | ${r.overlapWithFloat32.toFixed(3)} | ${r.ndcg10.toFixed(4)} |`,
  ),
  '',
  '## SciFact, static word-vector encoder, exact Chamfer over all 5,183 documents',
  '',
  '| precision | nDCG@10 | Recall@100 | top-10 overlap with float32 | seconds for 300 queries |',
  '| --- | ---: | ---: | ---: | ---: |',
  ...scifact.map(
    (r) =>
      `| ${r.name} | ${r.ndcg10.toFixed(4)} | ${r.recall100.toFixed(4)} | ${r.overlapWithFloat32.toFixed(3)} | ${r.seconds.toFixed(1)} |`,
  ),
];
console.error(lines.join('\n'));
const data = { machine: machineInfo(), fixture, scifact };
console.error(`wrote ${writeResult('chamfer-precision', lines.join('\n'), data)}`);
