/**
 * The WebAssembly SIMD kernel against the portable one on awkward sizes, at every precision.
 * Both widen the same stored values to float32; they differ only in accumulation (float32 SIMD
 * lanes vs float64), so scores agree within TOLERANCE relative to the sum of |best dot|.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import {
  chamferBatch,
  chamferKernelName,
  chamferReference,
  dotProducts,
  type EncodedTokens,
  encodeTokens,
  setChamferKernel,
} from '../../src/chamfer/index.js';
import { chooseKernel } from '../../src/chamfer/kernel.js';
import { randomRows } from './helpers.js';

const TOLERANCE = 1e-5;
const DIMS = [1, 3, 97, 128, 129];
const TOKEN_COUNTS = [1, 1000];
const ENCODINGS = [
  ['float32', 'token'],
  ['float16', 'token'],
  ['int8', 'token'],
  ['int8', 'dimension'],
] as const;

function scoreWith(kernel: 'wasm-simd' | 'portable', query: Float32Array, docs: EncodedTokens[]) {
  setChamferKernel(kernel);
  assert.equal(chamferKernelName(), kernel);
  return chamferBatch(query, docs, docs[0].dim);
}

after(() => setChamferKernel('auto'));

describe('fast kernel matches the portable kernel', () => {
  for (const dim of DIMS) {
    it(`dim ${dim}, 1 and 1000 tokens, every precision`, () => {
      for (const numQuery of TOKEN_COUNTS) {
        const query = randomRows(numQuery, dim, dim * 7 + numQuery);
        const raw = TOKEN_COUNTS.map((rows, i) => randomRows(rows, dim, dim * 13 + i));
        for (const [precision, scaleMode] of ENCODINGS) {
          const docs = raw.map((rows) => encodeTokens(rows, dim, precision, scaleMode));
          const fast = scoreWith('wasm-simd', query, docs);
          const plain = scoreWith('portable', query, docs);
          for (let d = 0; d < docs.length; d++) {
            const bound = TOLERANCE * Math.max(1, Math.abs(plain[d]) + numQuery);
            const what = `${precision}/${scaleMode} q ${numQuery} doc ${docs[d].numTokens}`;
            assert.ok(Math.abs(fast[d] - plain[d]) <= bound, `${what}: ${fast[d]} vs ${plain[d]}`);
          }
        }
      }
    });
  }

  it('float32 scores equal the reference oracle on a padded batch', () => {
    const dim = 97;
    const query = randomRows(9, dim, 1);
    query.fill(0, 3 * dim, 4 * dim);
    const docs = [randomRows(40, dim, 2), randomRows(5, dim, 3)];
    docs[0].fill(0, 0, 2 * dim);
    for (const kernel of ['wasm-simd', 'portable'] as const) {
      setChamferKernel(kernel);
      const scores = chamferBatch(query, docs, dim);
      for (let d = 0; d < docs.length; d++) {
        const expected = chamferReference(query, docs[d], dim);
        assert.ok(Math.abs(scores[d] - expected) <= TOLERANCE * (1 + Math.abs(expected)));
      }
    }
  });
});

describe('kernel selection', () => {
  const noSimd = () => {
    throw new Error('WebAssembly SIMD is not supported');
  };

  it("falls back to the portable kernel under 'auto' when WebAssembly cannot load", () => {
    assert.equal(chooseKernel('auto', noSimd).name, 'portable');
    assert.equal(chooseKernel('auto').name, 'wasm-simd');
  });

  it("reports 'unavailable' when 'wasm-simd' is required and cannot load", () => {
    assert.throws(() => chooseKernel('wasm-simd', noSimd), { code: 'unavailable' });
    assert.throws(() => setChamferKernel('avx' as 'auto'), { code: 'invalid-argument' });
  });
});

describe('dotProducts', () => {
  for (const dim of DIMS) {
    it(`matches plain dot products at dim ${dim} on both kernels`, () => {
      const a = randomRows(7, dim, 5);
      const b = randomRows(6, dim, 6);
      for (const kernel of ['wasm-simd', 'portable'] as const) {
        setChamferKernel(kernel);
        const out = dotProducts(a, b, dim);
        for (let i = 0; i < 7; i++) {
          for (let j = 0; j < 6; j++) {
            let dot = 0;
            for (let k = 0; k < dim; k++) dot += a[i * dim + k] * b[j * dim + k];
            assert.ok(Math.abs(out[i * 6 + j] - dot) <= TOLERANCE * (1 + dim), `${i},${j}`);
          }
        }
      }
    });
  }
});
