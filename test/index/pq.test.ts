import assert from 'node:assert/strict';
import { it } from 'node:test';
import { assignNearest, kMeans } from '../../src/index/kmeans.js';
import { PqIndex } from '../../src/index/pq.js';
import { bruteForce, candidateIndexContract, vectors } from './contract.js';

const APPROXIMATE = 'PQ scores are sums of quantised group products, not exact inner products';

candidateIndexContract(
  'pq before training (exact floats)',
  (dimensions) => new PqIndex(dimensions),
  {
    scoreTolerance: 1e-5,
    recallFloor: 1,
  },
);

candidateIndexContract(
  'pq trained on 32 vectors',
  (dimensions) => new PqIndex(dimensions, { trainingSize: 32, iterations: 8 }),
  {
    scoreTolerance: 1e-5,
    recallFloor: 0.55,
    recallFetch: 50,
    gaps: { 'exact ranking': APPROXIMATE, 'awkward dimensions': APPROXIMATE },
  },
);

/** recall@10 of `index` over the seeded set, fetching `fetch` candidates. */
function recall(index: PqIndex, data: Float32Array, keys: number[], fetch: number): number {
  const dim = index.dimensions;
  const queries = vectors(40, dim, 22);
  let hits = 0;
  for (let q = 0; q < 40; q++) {
    const query = queries.slice(q * dim, (q + 1) * dim);
    const truth = new Set(bruteForce(data, keys, query, 10).keys);
    hits += index.search(query, fetch).keys.filter((key) => truth.has(key)).length;
  }
  return hits / 400;
}

it('pq trained on the whole set: recall@10 and recall of the top 10 in 50 candidates', () => {
  const dim = 64;
  const data = vectors(600, dim, 21);
  const keys = Array.from({ length: 600 }, (_, i) => i);
  const index = new PqIndex(dim, { trainingSize: 600 });
  index.add(keys, data);
  assert.ok(index.trained);
  assert.ok(recall(index, data, keys, 10) >= 0.6);
  assert.ok(recall(index, data, keys, 50) >= 0.95);
});

it('pq trains once it holds trainingSize vectors, and keeps one byte per group', () => {
  const index = new PqIndex(97, { trainingSize: 50 });
  index.add(
    Array.from({ length: 49 }, (_, i) => i),
    vectors(49, 97, 1),
  );
  assert.equal(index.trained, false);
  index.add([49], vectors(1, 97, 2));
  assert.equal(index.trained, true);
  assert.equal(index.numGroups, 13);

  const floatBytes = 50 * 97 * 4;
  const codebookBytes = 256 * 97 * 4;
  assert.ok(index.stats().memoryBytes < floatBytes + codebookBytes);
});

it('pq training is deterministic for a seed and differs across seeds', () => {
  const build = (seed: number) => {
    const index = new PqIndex(16, { trainingSize: 64, seed });
    index.add(
      Array.from({ length: 80 }, (_, i) => i),
      vectors(80, 16, 3),
    );
    return index.serialize();
  };
  assert.deepEqual(build(5), build(5));
  assert.notDeepEqual(build(5), build(6));
});

it('k-means finds well-separated clusters and assigns each point to its own', () => {
  const width = 2;
  const centres = [
    [0, 0],
    [10, 0],
    [0, 10],
  ];
  const points = new Float32Array(centres.flatMap(([x, y]) => [x, y, x + 0.1, y, x, y + 0.1]));
  const found = kMeans({ points, width, k: 3, iterations: 20, seed: 1 });
  const labels = new Int32Array(9);
  assignNearest(points, width, found, 3, labels);
  for (let c = 0; c < 3; c++) {
    assert.equal(labels[3 * c], labels[3 * c + 1]);
    assert.equal(labels[3 * c], labels[3 * c + 2]);
  }
  assert.equal(new Set(labels).size, 3);
});
