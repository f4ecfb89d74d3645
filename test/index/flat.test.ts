import assert from 'node:assert/strict';
import { it } from 'node:test';
import { FlatIndex } from '../../src/index/flat.js';
import { candidateIndexContract, vectors } from './contract.js';

candidateIndexContract('flat', (dimensions) => new FlatIndex(dimensions), {
  scoreTolerance: 1e-5,
  recallFloor: 1,
});

it('flat: the filtered JavaScript scan and the unfiltered usearch scan agree', () => {
  const dim = 97;
  const index = new FlatIndex(dim);
  index.add(
    Array.from({ length: 500 }, (_, i) => 1000 - i),
    vectors(500, dim, 5),
  );
  for (let q = 0; q < 4; q++) {
    const query = vectors(1, dim, 6 + q);
    const fast = index.search(query, 25);
    const loop = index.search(query, 25, { filter: () => true });
    assert.deepEqual(loop.keys, fast.keys);
    for (const [i, score] of loop.scores.entries()) {
      assert.ok(Math.abs(score - fast.scores[i]) < 1e-4);
    }
  }
});

it('flat answers a batch of no queries with no results, filtered or not', () => {
  const index = new FlatIndex(4);
  index.add([1, 2], new Float32Array([1, 0, 0, 0, 0, 1, 0, 0]));
  assert.deepEqual(index.searchBatch(new Float32Array(0), 5), []);
  assert.deepEqual(index.searchBatch(new Float32Array(0), 5, { filter: () => true }), []);
});
