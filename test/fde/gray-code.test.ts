import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  appendSignBit,
  nearestPatternOwners,
  partitionFromSignBits,
  partitionSignBits,
  popcount32,
} from '../../src/fde/gray-code.js';
import { SeededRandom } from '../../src/fde/random.js';

/** Folds bits (first bit first) into a partition index the way the encoder does. */
function fold(bits: number[]): number {
  return bits.reduce((index, bit) => appendSignBit(index, bit), 0);
}

describe('Gray-code partition indexing', () => {
  it('maps every sign pattern for k = 1..10 to a distinct partition and back', () => {
    for (let k = 1; k <= 10; k++) {
      const seen = new Set<number>();
      for (let pattern = 0; pattern < 2 ** k; pattern++) {
        const bits = Array.from({ length: k }, (_, i) => (pattern >>> (k - 1 - i)) & 1);
        const partition = fold(bits);
        assert.ok(partition >= 0 && partition < 2 ** k, `k ${k} pattern ${pattern}`);
        assert.equal(partitionSignBits(partition), pattern, `k ${k} pattern ${pattern}`);
        assert.equal(partitionFromSignBits(pattern, k), partition);
        seen.add(partition);
      }
      assert.equal(seen.size, 2 ** k, `k ${k}: every partition is reached once`);
    }
  });

  it('matches hand-worked values of the reference rule', () => {
    // bits 1,0 -> idx 1 then (1 << 1) + (0 ^ 1) = 3; bits 1,1 -> (1 << 1) + (1 ^ 1) = 2.
    assert.equal(fold([1, 0]), 3);
    assert.equal(fold([1, 1]), 2);
    assert.equal(fold([0, 1, 1]), 2);
    // Neighbouring partitions differ in exactly one sign bit.
    for (let p = 0; p + 1 < 2 ** 6; p++) {
      assert.equal(popcount32(partitionSignBits(p) ^ partitionSignBits(p + 1)), 1);
    }
  });

  it('counts bits of full 32-bit words', () => {
    assert.equal(popcount32(0), 0);
    assert.equal(popcount32(0xffffffff), 32);
    assert.equal(popcount32(0x80000001), 2);
  });
});

describe('nearestPatternOwners', () => {
  it('equals a scan over tokens in order (lowest token wins ties) for k = 1..8', () => {
    const random = new SeededRandom(3);
    for (let k = 1; k <= 8; k++) {
      for (const numTokens of [1, 2, 5, 40]) {
        const patterns = Int32Array.from({ length: numTokens }, () => random.nextBelow(2 ** k));
        const owners = new Int32Array(2 ** k);
        nearestPatternOwners(patterns, numTokens, k, owners, new Int32Array(2 ** (k + 1)));
        for (let target = 0; target < 2 ** k; target++) {
          let best = -1;
          let bestDistance = Number.POSITIVE_INFINITY;
          for (let t = 0; t < numTokens; t++) {
            const distance = popcount32(patterns[t] ^ target);
            if (distance < bestDistance) [best, bestDistance] = [t, distance];
          }
          assert.equal(owners[target], best, `k ${k} tokens ${numTokens} pattern ${target}`);
        }
      }
    }
  });
});
