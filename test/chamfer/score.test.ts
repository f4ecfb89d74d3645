import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  chamfer,
  chamferBatch,
  chamferReference,
  chamferTopK,
  decodeTokens,
  encodeTokens,
  explainChamfer,
} from '../../src/chamfer/index.js';
import { loadColbertFixture, randomRows } from './helpers.js';

const TOLERANCE = 1e-5;
/** The fixture's scores are rounded to 5 decimals. */
const FIXTURE_TOLERANCE = 1e-4;

describe('chamfer validation', () => {
  const query = randomRows(2, 3, 1);
  const doc = randomRows(4, 3, 2);

  it('rejects a bad dim, lengths, NaN and empty or padding-only sets with codes', () => {
    assert.throws(() => chamfer(query, doc, 0), { code: 'invalid-argument' });
    assert.throws(() => chamfer(query, doc, 2.5), { code: 'invalid-argument' });
    assert.throws(() => chamfer(query, doc.subarray(1), 3), { code: 'dimension-mismatch' });
    assert.throws(() => chamfer(query.subarray(1), doc, 3), { code: 'dimension-mismatch' });
    assert.throws(() => chamfer(new Float32Array(0), doc, 3), { code: 'empty-input' });
    assert.throws(() => chamfer(query, new Float32Array(6), 3), { code: 'empty-input' });
    assert.throws(() => chamfer(new Float32Array(3), doc, 3), { code: 'empty-input' });
    const nanQuery = query.slice();
    nanQuery[4] = Number.NaN;
    assert.throws(() => chamfer(nanQuery, doc, 3), { code: 'non-finite-value' });
    const infDoc = doc.slice();
    infDoc[7] = Number.POSITIVE_INFINITY;
    assert.throws(() => chamfer(query, infDoc, 3), { code: 'non-finite-value' });
  });

  it('names the failing document of a batch', () => {
    const docs = [doc, new Float32Array(3)];
    assert.throws(() => chamferBatch(query, docs, 3), { parameter: 'documents[1]' });
    const batch = { data: new Float32Array([...doc, 0, 0, 0]), offsets: [0, 4, 5] };
    assert.throws(() => chamferBatch(query, batch, 3), { code: 'empty-input' });
    assert.throws(() => chamferBatch(query, { data: doc, offsets: [0, 5] }, 3), {
      code: 'invalid-argument',
    });
    assert.throws(() => chamferBatch(query, [doc], 3, new Float32Array(0)), {
      code: 'invalid-argument',
    });
  });

  it('rejects a malformed EncodedTokens', () => {
    const encoded = encodeTokens(doc, 3, 'int8');
    assert.throws(() => chamfer(query, { ...encoded, scales: undefined }, 3), {
      code: 'invalid-argument',
    });
    assert.throws(() => chamfer(query, encodeTokens(doc, 3, 'float16'), 4), {
      code: 'dimension-mismatch',
    });
    const half = encodeTokens(doc, 3, 'float16');
    (half.values as Uint16Array)[2] = 0x7c00;
    assert.throws(() => chamfer(query, half, 3), { code: 'non-finite-value' });
  });
});

describe('chamfer scores', () => {
  it('excludes padding rows on both sides', () => {
    const dim = 3;
    const query = new Float32Array([1, 0, 0, 0, 0, 0]);
    const doc = new Float32Array([0, 0, 0, -1, 0, 0]);
    // A zero document row would score 0 and beat the only real match, -1.
    assert.equal(chamfer(query, doc, dim), -1);
    assert.equal(explainChamfer(query, doc, dim).bestDocToken[1], -1);
  });

  it('batch forms agree with the single form and reuse `out`', () => {
    const dim = 5;
    const query = randomRows(4, dim, 3);
    const docs = [randomRows(3, dim, 4), randomRows(8, dim, 5), randomRows(1, dim, 6)];
    const flat = { data: new Float32Array(docs.flatMap((d) => [...d])), offsets: [0, 3, 11, 12] };
    const out = new Float32Array(3);
    assert.equal(chamferBatch(query, flat, dim, out), out);
    const fromList = chamferBatch(query, docs, dim);
    for (let i = 0; i < docs.length; i++) {
      const single = chamfer(query, docs[i], dim);
      assert.equal(out[i], single);
      assert.equal(fromList[i], single);
      assert.ok(Math.abs(single - chamferReference(query, docs[i], dim)) < TOLERANCE);
    }
    assert.deepEqual(chamferBatch(query, [], dim), new Float32Array(0));
  });

  it('scores encoded batches with per-token and per-dimension int8 scales', () => {
    const dim = 6;
    const query = randomRows(3, dim, 7);
    const rows = randomRows(10, dim, 8);
    for (const scaleMode of ['token', 'dimension'] as const) {
      const tokens = encodeTokens(rows, dim, 'int8', scaleMode);
      const scores = chamferBatch(query, { data: tokens, offsets: [0, 4, 10] }, dim);
      const decoded = decodeTokens(tokens);
      const expected = chamferReference(query, decoded.subarray(4 * dim), dim);
      assert.ok(Math.abs(scores[1] - expected) < TOLERANCE, scaleMode);
    }
  });

  it('top-k puts higher scores first and breaks ties by lower index', () => {
    const dim = 2;
    const query = new Float32Array([1, 0]);
    const docs = [0.5, 2, 0.5, 3, 2].map((x) => new Float32Array([x, 1]));
    const hits = chamferTopK(query, docs, dim, 4);
    assert.deepEqual(
      hits.map((h) => h.index),
      [3, 1, 4, 0],
    );
    assert.equal(hits[0].score, 3);
    assert.equal(chamferTopK(query, docs, dim, 10).length, 5);
    assert.throws(() => chamferTopK(query, docs, dim, 0), { code: 'invalid-argument' });
  });

  it('explain names the best document token of each query token', () => {
    const dim = 2;
    const query = new Float32Array([1, 0, 0, 1]);
    const doc = new Float32Array([0, 2, 3, 0, 3, 0]);
    const { score, bestDocToken, bestScore } = explainChamfer(query, doc, dim);
    assert.equal(score, 5);
    assert.deepEqual([...bestDocToken], [1, 0]);
    assert.deepEqual([...bestScore], [3, 2]);
  });

  it('reproduces the ColBERTv2 fixture scores', () => {
    const fixture = loadColbertFixture();
    const { dim, documents, documentOffsets, queries, queryOffsets, reference } = fixture;
    for (let q = 0; q < reference.length; q++) {
      const query = queries.subarray(queryOffsets[q] * dim, queryOffsets[q + 1] * dim);
      const scores = chamferBatch(query, { data: documents, offsets: documentOffsets }, dim);
      for (let d = 0; d < scores.length; d++) {
        assert.ok(Math.abs(scores[d] - reference[q][d]) < FIXTURE_TOLERANCE, `q ${q} d ${d}`);
      }
    }
  });
});
