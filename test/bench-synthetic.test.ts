import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FIT_TOLERANCE, FIXTURE_DIR } from '../bench/synthetic/check-fit.js';
import { COLBERT_LIKE, ColbertLikeCorpus } from '../bench/synthetic/colbert-like.js';
import {
  fitGaps,
  loadFixture,
  measureFixture,
  measureSynthetic,
} from '../bench/synthetic/fit-stats.js';

/** Largest |norm - 1| over the rows of a token set. */
function worstNormError(data: Float32Array, dim: number): number {
  let worst = 0;
  for (let row = 0; row < data.length / dim; row++) {
    let sum = 0;
    for (let j = 0; j < dim; j++) sum += data[row * dim + j] ** 2;
    worst = Math.max(worst, Math.abs(Math.sqrt(sum) - 1));
  }
  return worst;
}

describe('ColbertLikeCorpus', () => {
  it('fixes the issue sizes in one frozen object', () => {
    assert.ok(Object.isFrozen(COLBERT_LIKE));
    assert.equal(COLBERT_LIKE.numDocuments, 100_000);
    assert.equal(COLBERT_LIKE.tokensPerDocument, 100);
    assert.equal(COLBERT_LIKE.tokensPerQuery, 32);
    assert.equal(COLBERT_LIKE.dim, 128);
  });

  it('keeps the full corpus density of topics in a slice', () => {
    assert.equal(new ColbertLikeCorpus().numTopics, 1_000);
    assert.equal(new ColbertLikeCorpus({ numDocuments: 1_000 }).numTopics, 10);
    assert.equal(new ColbertLikeCorpus({ numDocuments: 20 }).numTopics, 1);
  });

  it('regenerates any document alone, identical to its batch', () => {
    const corpus = new ColbertLikeCorpus({ numDocuments: 50, tokensPerDocument: 7, dim: 97 });
    const batch = corpus.documents(10, 5);
    const again = new ColbertLikeCorpus({ numDocuments: 50, tokensPerDocument: 7, dim: 97 });

    assert.deepEqual([...batch.offsets], [0, 7, 14, 21, 28, 35]);
    assert.deepEqual(again.document(12), batch.data.subarray(2 * 7 * 97, 3 * 7 * 97));
    assert.notDeepEqual(again.document(13), again.document(12));
  });

  it('streams the whole corpus in batches, the last one short', () => {
    const corpus = new ColbertLikeCorpus({ numDocuments: 10, tokensPerDocument: 3, dim: 3 });
    const sizes = [...corpus.batches(4)].map((batch) => batch.offsets.length - 1);
    assert.deepEqual(sizes, [4, 4, 2]);
  });

  it('writes unit-norm rows for documents and queries, dim 1 included', () => {
    for (const dim of [1, 3, 128]) {
      const corpus = new ColbertLikeCorpus({ numDocuments: 20, tokensPerDocument: 5, dim });
      assert.ok(worstNormError(corpus.documents(0, 20).data, dim) < 1e-5, `documents, dim ${dim}`);
      assert.ok(worstNormError(corpus.queries(10).data, dim) < 1e-5, `queries, dim ${dim}`);
    }
  });

  it('gives every query one or more relevant documents inside the corpus', () => {
    const corpus = new ColbertLikeCorpus({ numDocuments: 100, numQueries: 40 });
    const qrels = corpus.qrels();
    assert.equal(qrels.size, 40);
    for (let q = 0; q < 40; q++) {
      const relevant = corpus.relevantDocuments(q);
      assert.ok(relevant.length >= 1 && relevant.length <= COLBERT_LIKE.clusterSize);
      assert.ok(relevant.every((d) => d >= 0 && d < 100));
      assert.deepEqual(
        [...(qrels.get(`q${q}`)?.keys() ?? [])],
        relevant.map((d) => `d${d}`),
      );
    }
  });

  it('matches the ColBERTv2 fixture statistics within 0.05 (small sample)', () => {
    const fixture = measureFixture(loadFixture(FIXTURE_DIR), 50_000);
    const sample = { queries: 20, unrelatedPerQuery: 10, pairDocuments: 200, pairs: 50_000 };
    const synthetic = measureSynthetic(new ColbertLikeCorpus(), sample);
    for (const gap of fitGaps(fixture, synthetic)) {
      assert.ok(gap.gap <= FIT_TOLERANCE, `${gap.statistic}: ${gap.synthetic} vs ${gap.fixture}`);
    }
  });
});
