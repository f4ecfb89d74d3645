import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  ndcgAt,
  percentile,
  type RankedHit,
  recallAgainstReference,
  recallAt,
  reciprocalRankAt,
  summarizeLatency,
} from '../../src/eval/metrics.js';

/** A ranking from ids, scores descending from 10 unless given. */
function ranked(ids: string[], scores?: number[]): RankedHit[] {
  return ids.map((id, i) => ({ id, score: scores?.[i] ?? 10 - i }));
}

const CLOSE = 1e-12;

function assertClose(actual: number, expected: number): void {
  assert.ok(Math.abs(actual - expected) < CLOSE, `${actual} is not ${expected}`);
}

// Cranfield-like graded judgments: 3 = most relevant ... 1 = marginal; 0 and -1 are judged
// non-relevant and must give no gain and not count as relevant.
const GRADED = new Map([
  ['d1', 3],
  ['d2', 2],
  ['d3', 1],
  ['d4', 0],
  ['d5', -1],
]);
// d9 is unjudged.
const GRADED_RUN = ranked(['d3', 'd4', 'd1', 'd9', 'd2']);

describe('nDCG@k with linear gains', () => {
  it('binary judgments', () => {
    // Relevant: a, c, e. Run: a b c d, k = 3.
    // DCG  = 1/log2(2) + 0/log2(3) + 1/log2(4)            = 1 + 0 + 0.5        = 1.5
    // IDCG = 1/log2(2) + 1/log2(3) + 1/log2(4)            = 1 + 0.63093 + 0.5  = 2.13093
    // nDCG = 1.5 / 2.13093 = 0.703918
    const judgments = new Map([
      ['a', 1],
      ['c', 1],
      ['e', 1],
    ]);
    const value = ndcgAt(ranked(['a', 'b', 'c', 'd']), judgments, 3);
    assertClose(value, 1.5 / (1 + 1 / Math.log2(3) + 0.5));
    assert.equal(value.toFixed(6), '0.703918');
  });

  it('graded judgments use the grade as the gain', () => {
    // Run d3 d4 d1 d9 d2, gains 1 0 3 0 2 (d4 grade 0, d9 unjudged).
    // DCG@5  = 1/1 + 0/log2(3) + 3/log2(4) + 0/log2(5) + 2/log2(6) = 1 + 1.5 + 0.773706 = 3.273706
    // IDCG@5 = grades 3 2 1 (d4, d5 are not relevant): 3/1 + 2/log2(3) + 1/log2(4)
    //        = 3 + 1.261860 + 0.5 = 4.761860
    // nDCG@5 = 3.273706 / 4.761860 = 0.687485
    assert.equal(ndcgAt(GRADED_RUN, GRADED, 5).toFixed(6), '0.687485');
    // nDCG@2 = (1/1 + 0) / (3/1 + 2/log2(3)) = 1 / 4.261860 = 0.234639
    assertClose(ndcgAt(GRADED_RUN, GRADED, 2), 1 / (3 + 2 / Math.log2(3)));
    assert.equal(ndcgAt(GRADED_RUN, GRADED, 2).toFixed(6), '0.234639');
  });

  it('is 1 for the ideal order, whichever of two tied grades comes first', () => {
    const judgments = new Map([
      ['x', 2],
      ['y', 2],
      ['z', 1],
    ]);
    assert.equal(ndcgAt(ranked(['x', 'y', 'z']), judgments, 10), 1);
    assert.equal(ndcgAt(ranked(['y', 'x', 'z']), judgments, 10), 1);
  });

  it('keeps the given order of tied scores (no re-sorting)', () => {
    // b and a tie at 1.0; a is relevant at rank 2: DCG = 1/log2(3) = 0.630930, IDCG = 1.
    const value = ndcgAt(ranked(['b', 'a'], [1, 1]), new Map([['a', 1]]), 10);
    assertClose(value, 1 / Math.log2(3));
  });

  it('is 0 when no judged document is relevant, or the ranking is empty', () => {
    assert.equal(ndcgAt(ranked(['d4', 'd5']), new Map([['d4', 0]]), 10), 0);
    assert.equal(ndcgAt([], GRADED, 10), 0);
  });

  it('rejects a bad k and a repeated id', () => {
    assert.throws(() => ndcgAt(GRADED_RUN, GRADED, 0), { code: 'invalid-argument' });
    assert.throws(() => ndcgAt(GRADED_RUN, GRADED, 2.5), { code: 'invalid-argument' });
    assert.throws(() => ndcgAt(ranked(['d1', 'd2', 'd1']), GRADED, 10), {
      code: 'invalid-argument',
      parameter: 'ranking[2].id',
    });
  });
});

describe('Recall@k and MRR@k against judgments', () => {
  it('counts grades above 0 as relevant', () => {
    // Relevant: d1 d2 d3 (3 of them). Top 2 = d3 d4: one relevant -> 1/3. Top 5: all three -> 1.
    assertClose(recallAt(GRADED_RUN, GRADED, 2), 1 / 3);
    assert.equal(recallAt(GRADED_RUN, GRADED, 5), 1);
    assert.equal(recallAt(GRADED_RUN, new Map([['d4', 0]]), 5), 0);
  });

  it('divides by all relevant documents, not by min(k, relevant)', () => {
    // 3 relevant, k = 1, the first hit relevant: 1/3, not 1.
    assertClose(recallAt(ranked(['d1']), GRADED, 1), 1 / 3);
  });

  it('takes the reciprocal rank of the first relevant hit within k', () => {
    assert.equal(reciprocalRankAt(GRADED_RUN, GRADED, 10), 1);
    // d4 (grade 0) and d5 (grade -1) are not relevant: d1 at rank 3 -> 1/3.
    assertClose(reciprocalRankAt(ranked(['d4', 'd5', 'd1']), GRADED, 10), 1 / 3);
    assert.equal(reciprocalRankAt(ranked(['d4', 'd5', 'd1']), GRADED, 2), 0);
  });
});

describe('recall against a reference ranking', () => {
  // Exact scores: c and d tie at 3 on the 3rd place.
  const reference = ranked(['a', 'b', 'c', 'd', 'e'], [5, 4, 3, 3, 1]);

  it('is the overlap of the two top-k sets over k', () => {
    // top-3 run {a, b, e} vs {a, b, c}: 2/3.
    assertClose(recallAgainstReference(ranked(['a', 'b', 'e']), reference, 3), 2 / 3);
    assert.equal(recallAgainstReference(ranked(['c', 'b', 'a']), reference, 3), 1);
  });

  it('counts a tie at the k-th place broken the other way only when tolerant', () => {
    const run = ranked(['a', 'b', 'd'], [5, 4, 3]);
    // Strict: d is not in {a, b, c}: 2/3. Tolerant: d's reference score 3 >= 3 - 0: 3/3.
    assertClose(recallAgainstReference(run, reference, 3, { tieTolerance: null }), 2 / 3);
    assert.equal(recallAgainstReference(run, reference, 3, { tieTolerance: 0 }), 1);
    // e scores 1, far below the 3rd place: a miss either way.
    const miss = ranked(['a', 'b', 'e'], [5, 4, 1]);
    assertClose(recallAgainstReference(miss, reference, 3, { tieTolerance: 1e-6 }), 2 / 3);
  });

  it('uses the run score for a document the reference does not list', () => {
    // f is not in the reference; its run score 2.9999995 is within 1e-6 of the 3rd place (3).
    const run = ranked(['a', 'b', 'f'], [5, 4, 2.9999995]);
    assert.equal(recallAgainstReference(run, reference, 3, { tieTolerance: 1e-6 }), 1);
    assertClose(recallAgainstReference(run, reference, 3, { tieTolerance: 1e-8 }), 2 / 3);
  });

  it('divides by the reference length when it is shorter than k', () => {
    const short = ranked(['a', 'b']);
    assert.equal(recallAgainstReference(ranked(['a', 'c', 'b']), short, 3), 1);
    assert.equal(recallAgainstReference(ranked(['a', 'c', 'd']), short, 3), 0.5);
    assert.equal(recallAgainstReference([], [], 3), 1);
  });

  it('rejects a negative tolerance', () => {
    assert.throws(() => recallAgainstReference(reference, reference, 3, { tieTolerance: -1 }), {
      code: 'invalid-argument',
    });
  });
});

describe('latency', () => {
  it('interpolates percentiles linearly between order statistics', () => {
    // Sorted 1 2 3 4. p50: h = 3 * 0.5 = 1.5 -> 2 + 0.5 * (3 - 2) = 2.5.
    // p95: h = 3 * 0.95 = 2.85 -> 3 + 0.85 * (4 - 3) = 3.85.
    assert.equal(percentile([4, 1, 3, 2], 50), 2.5);
    assertClose(percentile([4, 1, 3, 2], 95), 3.85);
    assert.equal(percentile([4, 1, 3, 2], 0), 1);
    assert.equal(percentile([4, 1, 3, 2], 100), 4);
    assert.equal(percentile([7], 95), 7);
  });

  it('rejects no values and a percentile outside 0..100', () => {
    assert.throws(() => percentile([], 50), { code: 'empty-input' });
    assert.throws(() => percentile([1], 101), { code: 'invalid-argument' });
  });

  it('summarises a single-threaded run', () => {
    // 10 20 30 40 ms: p50 = 25; p95: h = 2.85 -> 30 + 0.85 * 10 = 38.5;
    // qps = 4 queries / 0.1 s = 40.
    const summary = summarizeLatency([40, 10, 30, 20]);
    assert.equal(summary.p50, 25);
    assertClose(summary.p95, 38.5);
    assertClose(summary.qps, 40);
    assert.throws(() => summarizeLatency([1, -2]), { code: 'invalid-argument' });
  });
});
