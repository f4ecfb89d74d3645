/**
 * The FDE's defining bounds (MUVERA, section 3): with identity projection, filling and no final
 * projection, each repetition scores every query token against an average of document tokens
 * (or, in a filled partition, one of them), so the FDE product never exceeds R times Chamfer, and
 * for a one-token document it equals R times Chamfer.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { chamferReference } from '../../src/chamfer/reference.js';
import { FdeEncoder } from '../../src/fde/index.js';
import { SeededRandom } from '../../src/fde/random.js';

function dot(a: Float32Array, b: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += a[i] * b[i];
  return sum;
}

function tokens(random: SeededRandom, numTokens: number, dim: number): Float32Array {
  return Float32Array.from({ length: numTokens * dim }, () => random.nextNormal());
}

const RELATIVE_TOLERANCE = 1e-5;

function exactEncoder(dim: number, numSimhashProjections: number, seed: number): FdeEncoder {
  return new FdeEncoder({
    dim,
    numRepetitions: 6,
    numSimhashProjections,
    projection: 'identity',
    fillEmptyPartitions: true,
    seed,
  });
}

describe('FDE exactness', () => {
  it('equals R times Chamfer for a one-token document', () => {
    const random = new SeededRandom(5);
    for (const dim of [1, 3, 16, 97]) {
      for (const k of [0, 1, 4, 6]) {
        const encoder = exactEncoder(dim, k, dim + k);
        const query = tokens(random, 1 + random.nextBelow(40), dim);
        const doc = tokens(random, 1, dim);
        const fde = dot(encoder.encodeQuery(query), encoder.encodeDocument(doc));
        const exact = encoder.config.numRepetitions * chamferReference(query, doc, dim);
        const scale = Math.max(1, Math.abs(exact));
        assert.ok(
          Math.abs(fde - exact) <= RELATIVE_TOLERANCE * scale,
          `dim ${dim} k ${k}: ${fde} vs ${exact}`,
        );
      }
    }
  });

  it('never exceeds R times Chamfer (300 seeded random pairs)', () => {
    const random = new SeededRandom(11);
    for (let trial = 0; trial < 300; trial++) {
      const dim = [1, 3, 8, 97][trial % 4];
      const encoder = exactEncoder(dim, trial % 7, trial);
      const query = tokens(random, 1 + random.nextBelow(32), dim);
      const doc = tokens(random, 1 + random.nextBelow(60), dim);
      const fde = dot(encoder.encodeQuery(query), encoder.encodeDocument(doc));
      const bound = encoder.config.numRepetitions * chamferReference(query, doc, dim);
      const slack = RELATIVE_TOLERANCE * Math.max(1, Math.abs(bound));
      assert.ok(fde <= bound + slack, `trial ${trial}: ${fde} > ${bound}`);
    }
  });

  it('can exceed R times Chamfer without filling (an empty partition scores 0)', () => {
    const dim = 8;
    const doc = tokens(new SeededRandom(2), 1, dim);
    const query = doc.map((x) => -x); // best (only) match is negative; signs all opposite
    const unfilled = new FdeEncoder({
      dim,
      numRepetitions: 4,
      numSimhashProjections: 3,
      projection: 'identity',
      fillEmptyPartitions: false,
    });
    const fde = dot(unfilled.encodeQuery(query), unfilled.encodeDocument(doc));
    assert.equal(fde, 0);
    assert.ok(4 * chamferReference(query, doc, dim) < 0);
  });
});
