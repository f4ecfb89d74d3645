import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { carveQuery, chamfer, poolTokens } from '../../src/chamfer/index.js';
import { loadColbertFixture, randomRows } from './helpers.js';

describe('carveQuery (ball carving)', () => {
  it('merges rows at or above tau with their leader into a sum, in order', () => {
    const dim = 2;
    // Rows 0 and 2 are close (dot 0.8), row 1 is apart, row 3 is padding, row 4 equals row 1.
    const query = new Float32Array([1, 0, 0, 1, 0.8, 0.6, 0, 0, 0, 1]);
    const carved = carveQuery(query, dim, { tau: 0.7 });
    assert.equal(carved.numTokens, 2);
    assert.deepEqual([...carved.assignment], [0, 1, 0, -1, 1]);
    assert.deepEqual([...carved.tokens], [1.8, 0.6, 0, 2].map(Math.fround));
  });

  it('merges nothing above any dot product and everything below all of them', () => {
    const query = randomRows(9, 3, 4);
    assert.equal(carveQuery(query, 3, { tau: Number.POSITIVE_INFINITY }).numTokens, 9);
    assert.equal(carveQuery(query, 3, { tau: Number.NEGATIVE_INFINITY }).numTokens, 1);
  });

  it('never scores above the uncarved query', () => {
    const doc = randomRows(20, 5, 1);
    const query = randomRows(12, 5, 2);
    for (const tau of [0, 0.3, 0.7]) {
      const carved = carveQuery(query, 5, { tau });
      assert.ok(chamfer(carved.tokens, doc, 5) <= chamfer(query, doc, 5) + 1e-5);
    }
  });

  it('shrinks real ColBERT queries ([MASK] expansions) and rejects bad input', () => {
    const { dim, queries, queryOffsets } = loadColbertFixture();
    const query = queries.subarray(0, queryOffsets[1] * dim);
    const carved = carveQuery(query, dim);
    assert.ok(carved.numTokens < queryOffsets[1], `${carved.numTokens} tokens`);
    assert.throws(() => carveQuery(new Float32Array(4), 2), { code: 'empty-input' });
    assert.throws(() => carveQuery(query, dim, { tau: Number.NaN }), { code: 'invalid-argument' });
  });
});

describe('poolTokens (token pooling)', () => {
  it('halves the tokens at pool factor 2 and keeps cluster means', () => {
    const dim = 2;
    // Two tight pairs: {0, 2} and {1, 3}; padding row 4 is dropped.
    const tokens = new Float32Array([1, 0, 0, 1, 0.9, 0.1, 0.1, 0.9, 0, 0]);
    const pooled = poolTokens(tokens, dim, { poolFactor: 2 });
    assert.equal(pooled.numTokens, 2);
    const expected = [0.95, 0.05, 0.05, 0.95].map(Math.fround);
    pooled.tokens.forEach((v, i) => {
      assert.ok(Math.abs(v - expected[i]) < 1e-6, `${i}`);
    });
  });

  it('is deterministic, rounds the target up, and keeps everything at factor 1', () => {
    const tokens = randomRows(37, 7, 9);
    const a = poolTokens(tokens, 7, { poolFactor: 3 });
    assert.equal(a.numTokens, 13);
    assert.deepEqual(poolTokens(tokens, 7, { poolFactor: 3 }), a);
    assert.deepEqual(poolTokens(tokens, 7, { poolFactor: 1 }).tokens, tokens);
    assert.throws(() => poolTokens(tokens, 7, { poolFactor: 0.5 }), { code: 'invalid-argument' });
  });

  it('rescales cluster means to unit length on request', () => {
    const tokens = new Float32Array([1, 0, 0.8, 0.6, 0, 1, 0.6, 0.8]);
    const pooled = poolTokens(tokens, 2, { poolFactor: 2, normalize: true });
    assert.equal(pooled.numTokens, 2);
    for (let r = 0; r < 2; r++) {
      assert.ok(Math.abs(Math.hypot(pooled.tokens[2 * r], pooled.tokens[2 * r + 1]) - 1) < 1e-6);
    }
  });

  it('keeps ColBERT document scores close at pool factor 2', () => {
    const { dim, documents, documentOffsets, queries, reference } = loadColbertFixture();
    const doc = documents.subarray(documentOffsets[3] * dim, documentOffsets[4] * dim);
    const pooled = poolTokens(doc, dim);
    assert.equal(pooled.numTokens, Math.ceil((documentOffsets[4] - documentOffsets[3]) / 2));
    const query = queries.subarray(0, 32 * dim);
    const relative =
      Math.abs(chamfer(query, pooled.tokens, dim) - reference[0][3]) / reference[0][3];
    assert.ok(relative < 0.05, `relative change ${relative}`);
  });
});
