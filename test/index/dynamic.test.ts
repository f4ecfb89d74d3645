import assert from 'node:assert/strict';
import { it } from 'node:test';
import { DynamicIndex, isGraphIndex } from '../../src/index/dynamic.js';
import { deserializeCandidateIndex } from '../../src/index/factory.js';
import { FlatIndex } from '../../src/index/flat.js';
import { candidateIndexContract, vectors } from './contract.js';

// Single-threaded inserts keep usearch's graph, and so every recall below, the same run to run.
const HNSW = { threads: 1 };

candidateIndexContract(
  'dynamic, turning into HNSW at 30 vectors',
  (dimensions) => new DynamicIndex(dimensions, { threshold: 30, hnsw: HNSW }),
  { scoreTolerance: 2e-3, recallFloor: 0.9 },
);

candidateIndexContract(
  'dynamic, staying flat',
  (dimensions) => new DynamicIndex(dimensions, { threshold: 1_000_000, hnsw: HNSW }),
  { scoreTolerance: 1e-5, recallFloor: 1 },
);

const DIM = 24;

it('dynamic answers exactly like flat until the threshold, then turns into HNSW', () => {
  const index = new DynamicIndex(DIM, { threshold: 100, hnsw: HNSW });
  const flat = new FlatIndex(DIM);
  const data = vectors(150, DIM, 5);
  const keys = Array.from({ length: 150 }, (_, i) => 1000 + i);
  index.add(keys.slice(0, 100), data.subarray(0, 100 * DIM));
  flat.add(keys.slice(0, 100), data.subarray(0, 100 * DIM));
  const query = vectors(1, DIM, 6);
  assert.equal(index.stage, 'flat');
  assert.equal(isGraphIndex(index), false);
  assert.deepEqual(index.search(query, 20), flat.search(query, 20));

  index.add(keys.slice(100), data.subarray(100 * DIM));
  assert.equal(index.stage, 'hnsw');
  assert.equal(isGraphIndex(index), true);
  assert.equal(index.size, 150);
  assert.ok(keys.every((key) => index.has(key)));
  assert.equal(index.stats().kind, 'dynamic');
  assert.equal(index.stats().params.stage, 'hnsw');
  assert.equal(index.search(query, 150).keys.length, 150);
});

it('dynamic keeps its stage and answers through serialize, in both stages', () => {
  for (const count of [20, 60]) {
    const index = new DynamicIndex(DIM, { threshold: 40, hnsw: HNSW });
    const keys = Array.from({ length: count }, (_, i) => i);
    index.add(keys, vectors(count, DIM, 7));
    const copy = deserializeCandidateIndex(index.serialize()) as DynamicIndex;
    assert.equal(copy.kind, 'dynamic');
    assert.equal(copy.stage, index.stage);
    assert.equal(copy.threshold, 40);
    const query = vectors(1, DIM, 8);
    assert.deepEqual(copy.search(query, 10), index.search(query, 10));
  }
});

it('dynamic refuses an add that would switch but is bad, and stays as it was', () => {
  const index = new DynamicIndex(DIM, { threshold: 10, hnsw: HNSW });
  index.add([1, 2, 3], vectors(3, DIM, 9));
  const keys = Array.from({ length: 10 }, (_, i) => 3 + i);
  assert.throws(() => index.add(keys, vectors(10, DIM, 10)), { code: 'already-exists' });
  const nan = vectors(10, DIM, 11);
  nan[5] = Number.NaN;
  assert.throws(() => index.add([20, 21, 22, 23, 24, 25, 26, 27, 28, 29], nan), {
    code: 'non-finite-value',
  });
  assert.equal(index.stage, 'flat');
  assert.equal(index.size, 3);
});

it('dynamic rejects bad options with invalid-argument', () => {
  const bad = [
    { threshold: 0 },
    { threshold: 2.5 },
    { hnsw: { connectivity: 0 } },
    { hnsw: { expansionPerResult: 0 } },
    { hnsw: null },
    { thresold: 10 },
  ];
  for (const options of bad) {
    assert.throws(() => new DynamicIndex(8, options as never), { code: 'invalid-argument' });
  }
});
