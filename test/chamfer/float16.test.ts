import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { floatToHalf, HALF_MAX, HALF_OVERFLOW, halfTable } from '../../src/chamfer/float16.js';

describe('float16', () => {
  it('encodes known values bit-exactly', () => {
    const cases: [number, number][] = [
      [0, 0x0000],
      [-0, 0x8000],
      [1, 0x3c00],
      [-2, 0xc000],
      [0.5, 0x3800],
      [HALF_MAX, 0x7bff],
      [2 ** -24, 0x0001],
      [2 ** -14, 0x0400],
      [2 ** -26, 0x0000],
      [1 + 2 ** -11, 0x3c00],
      [1 + 3 * 2 ** -11, 0x3c02],
    ];
    for (const [value, bits] of cases) assert.equal(floatToHalf(value), bits, `${value}`);
  });

  it('reports values beyond the half range', () => {
    assert.equal(floatToHalf(65520), HALF_OVERFLOW);
    assert.equal(floatToHalf(-1e6), HALF_OVERFLOW);
    assert.equal(floatToHalf(65519), 0x7bff);
  });

  it('round-trips every finite half exactly', () => {
    const table = halfTable();
    for (let bits = 0; bits < 1 << 16; bits++) {
      if ((bits & 0x7c00) === 0x7c00) continue;
      assert.equal(floatToHalf(table[bits]), bits);
    }
  });
});
