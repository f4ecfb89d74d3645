/** flattenRows: nested JSON rows become one flat matrix only when every row is exactly dim wide. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { flattenRows } from '../../src/tokens/token-set.js';

describe('flattenRows', () => {
  it('copies rows of dim numbers, row after row (dim 3 and dim 1)', () => {
    const rows = [
      [1, 2, 3],
      [4, 5, 6],
    ];
    assert.deepEqual(Array.from(flattenRows(rows, 3, 'vectors')), [1, 2, 3, 4, 5, 6]);
    assert.deepEqual(Array.from(flattenRows([[7], [8], [9]], 1, 'vectors')), [7, 8, 9]);
  });

  it('refuses one row of 2 x dim numbers, whose total is a multiple of dim', () => {
    const row = Array.from({ length: 8 }, (_, i) => i);
    assert.throws(() => flattenRows([row], 4, 'documents[3].vectors'), {
      code: 'dimension-mismatch',
      parameter: 'documents[3].vectors[0]',
      message: 'documents[3].vectors[0] has 8 numbers, expected dim 4',
      expected: 4,
      actual: 8,
    });
  });

  it('names the first row of the wrong width, even after good rows', () => {
    const rows = [[1, 0, 0], [0, 1, 0], [1]];
    assert.throws(() => flattenRows(rows, 3, 'vectors'), {
      code: 'dimension-mismatch',
      message: 'vectors[2] has 1 numbers, expected dim 3',
    });
  });

  it('refuses what is not an array of rows of numbers with invalid-argument', () => {
    assert.throws(() => flattenRows('rows', 2, 'vectors'), {
      code: 'invalid-argument',
      parameter: 'vectors',
    });
    assert.throws(() => flattenRows([[1, 2], 3], 2, 'vectors'), {
      code: 'invalid-argument',
      parameter: 'vectors[1]',
    });
    assert.throws(() => flattenRows([[1, '2']], 2, 'vectors'), {
      code: 'invalid-argument',
      parameter: 'vectors[0][1]',
    });
  });
});
