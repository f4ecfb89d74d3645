import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import type { RankedHit } from '../../src/eval/metrics.js';
import {
  computeEvalResult,
  type EvalInput,
  formatEvalJson,
  formatEvalText,
} from '../../src/eval/report.js';

/** A ranking from ids, scores descending from 10 unless given. */
function ranked(ids: string[], scores?: number[]): RankedHit[] {
  return ids.map((id, i) => ({ id, score: scores?.[i] ?? 10 - i }));
}

// q1 graded, q2 binary, q3 judged but nothing relevant, q4 not judged at all.
const INPUT: EvalInput = {
  dataset: 'tiny',
  strategy: 'fde',
  candidates: 100,
  rankings: new Map([
    ['q1', ranked(['b', 'a', 'z'])],
    ['q2', ranked(['z', 'c'], [5, 4])],
    ['q3', ranked(['x'])],
    ['q4', ranked(['a'])],
  ]),
  qrels: new Map([
    [
      'q1',
      new Map([
        ['a', 2],
        ['b', 1],
      ]),
    ],
    ['q2', new Map([['c', 1]])],
    ['q3', new Map([['x', 0]])],
  ]),
  exactRankings: new Map([
    ['q1', ranked(['a', 'b', 'z'])],
    ['q2', ranked(['c', 'y'], [9, 8])],
    ['q3', ranked(['x'])],
    ['q4', ranked(['a'])],
  ]),
  latenciesMs: [10, 20, 30, 40],
};

describe('computeEvalResult', () => {
  const result = computeEvalResult(INPUT);

  it('averages judgment metrics over judged queries and counts the skipped one', () => {
    assert.equal(result.queries, 3);
    assert.equal(result.skippedQueries, 1);
    // q1: run b a; gains 1 2. DCG = 1/1 + 2/log2(3) = 2.261860; IDCG = 2/1 + 1/log2(3) = 2.630930
    //     nDCG = 0.859719.  q2: c at rank 2: 1/log2(3) = 0.630930.  q3: nothing relevant: 0.
    // mean = (0.859719 + 0.630930 + 0) / 3 = 0.496883
    assert.equal(result.ndcgAt10?.toFixed(6), '0.496883');
    // Recall@100: q1 2/2, q2 1/1, q3 0 (no relevant) -> 2/3.
    assert.ok(Math.abs((result.recallAt100 ?? 0) - 2 / 3) < 1e-12);
    // MRR@10: q1 1, q2 1/2, q3 0 -> 0.5.
    assert.equal(result.mrrAt10, 0.5);
  });

  it('averages agreement with the exact rankings over every run query', () => {
    // Exact lists are shorter than 10, so each divides by its own length.
    // q1 {b a z} vs {a b z}: 1. q2 {z c} vs {c y}: c found; z scores 5 < 8 (2nd exact place): 1/2.
    // q3 1, q4 1. Mean (1 + 0.5 + 1 + 1) / 4 = 0.875, at 10 and at 100 alike.
    assert.equal(result.recallVsExactAt10, 0.875);
    assert.equal(result.recallVsExactAt100, 0.875);
  });

  it('summarises latency over every run query', () => {
    // 10 20 30 40 ms: p50 25, p95 30 + 0.85 * 10 = 38.5, 4 queries in 0.1 s = 40/s.
    assert.equal(result.latencyMsP50, 25);
    assert.ok(Math.abs(result.latencyMsP95 - 38.5) < 1e-9);
    assert.ok(Math.abs(result.qps - 40) < 1e-9);
  });

  it('reports null where nothing could be measured', () => {
    const bare = computeEvalResult({ ...INPUT, qrels: new Map(), exactRankings: null });
    assert.equal(bare.queries, 0);
    assert.equal(bare.skippedQueries, 4);
    assert.equal(bare.ndcgAt10, null);
    assert.equal(bare.recallVsExactAt10, null);
    assert.equal(computeEvalResult({ ...INPUT, candidates: undefined }).candidates, null);
  });

  it('rejects no rankings and a missing exact ranking', () => {
    assert.throws(() => computeEvalResult({ ...INPUT, rankings: new Map() }), {
      code: 'empty-input',
    });
    const exactRankings = new Map([['q1', ranked(['a'])]]);
    assert.throws(() => computeEvalResult({ ...INPUT, exactRankings }), {
      code: 'invalid-argument',
    });
  });
});

describe('formatting', () => {
  const result = computeEvalResult(INPUT);

  it('writes one JSON object with every required field', () => {
    const json = JSON.parse(formatEvalJson(result));
    for (const field of [
      'dataset',
      'strategy',
      'candidates',
      'queries',
      'ndcgAt10',
      'recallAt100',
      'mrrAt10',
      'recallVsExactAt10',
      'recallVsExactAt100',
      'latencyMsP50',
      'latencyMsP95',
      'qps',
    ]) {
      assert.ok(field in json, field);
    }
    assert.equal(json.candidates, 100);
    assert.equal(
      JSON.parse(formatEvalJson({ ...result, qps: Number.POSITIVE_INFINITY })).qps,
      null,
    );
  });

  it('writes aligned text lines', () => {
    const text = formatEvalText(result);
    assert.match(text, /^nDCG@10 +0\.4969$/m);
    assert.match(text, /^MRR@10 +0\.5000$/m);
    assert.match(text, /^latency p95 \(ms\) +38\.5$/m);
    assert.match(text, /^queries\/s \(1 thread\) +40$/m);
  });
});

it('docs/evaluation.md documents every field of the result', () => {
  const docs = readFileSync(new URL('../../docs/evaluation.md', import.meta.url), 'utf8');
  for (const field of Object.keys(computeEvalResult(INPUT))) {
    assert.match(docs, new RegExp(`^\\| \`${field}\` +\\|`, 'm'), `no table row for ${field}`);
  }
});
