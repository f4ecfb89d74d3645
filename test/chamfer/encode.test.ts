import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  bytesPerToken,
  decodeTokens,
  encodeTokens,
  PRECISIONS,
  type Precision,
} from '../../src/chamfer/index.js';
import { randomRows } from './helpers.js';

/** Worst absolute error per value for values in [-1, 1]: half an ulp near 1, half a code. */
const MAX_ERROR: Record<Precision, number> = { float32: 0, float16: 2 ** -11, int8: 0.5 / 127 };

describe('encodeTokens / decodeTokens', () => {
  for (const precision of PRECISIONS) {
    for (const dim of [1, 3, 97]) {
      it(`round-trips ${precision} at dim ${dim} within its error`, () => {
        const rows = randomRows(11, dim, dim);
        rows.fill(0, 0, dim);
        const encoded = encodeTokens(rows, dim, precision);
        assert.equal(encoded.numTokens, 11);
        const decoded = decodeTokens(encoded);
        for (let i = 0; i < rows.length; i++) {
          assert.ok(Math.abs(decoded[i] - rows[i]) <= MAX_ERROR[precision], `value ${i}`);
        }
        assert.deepEqual([...decoded.subarray(0, dim)], new Array(dim).fill(0));
      });
    }
  }

  it('per-dimension int8 keeps one scale per column', () => {
    const rows = new Float32Array([1, 10, -0.5, 5]);
    const encoded = encodeTokens(rows, 2, 'int8', 'dimension');
    assert.deepEqual([...(encoded.scales ?? [])], [1 / 127, 10 / 127].map(Math.fround));
    assert.deepEqual([...encoded.values], [127, 127, -64, 64]);
  });

  it('rejects NaN, values beyond float16 and unknown precisions with codes', () => {
    assert.throws(() => encodeTokens(new Float32Array([Number.NaN]), 1), {
      code: 'non-finite-value',
    });
    assert.throws(() => encodeTokens(new Float32Array([1e5]), 1, 'float16'), {
      code: 'limit-exceeded',
    });
    assert.throws(() => encodeTokens(new Float32Array(2), 1, 'int4' as Precision), {
      code: 'invalid-argument',
    });
    assert.throws(() => encodeTokens(new Float32Array(3), 2), { code: 'dimension-mismatch' });
  });

  it('states bytes per token', () => {
    assert.equal(bytesPerToken(128, 'float32'), 512);
    assert.equal(bytesPerToken(128, 'float16'), 256);
    assert.equal(bytesPerToken(128, 'int8', 'token'), 132);
    assert.equal(bytesPerToken(128, 'int8', 'dimension'), 128);
  });
});
