import assert from 'node:assert/strict';
import { it } from 'node:test';
// Single-threaded inserts keep usearch's graph, and so every recall below, the same run to run.
import { deserializeCandidateIndex } from '../../src/index/factory.js';
import { HnswIndex } from '../../src/index/hnsw.js';
import { bruteForce, candidateIndexContract, vectors } from './contract.js';

candidateIndexContract(
  'hnsw f32',
  (dimensions) => new HnswIndex(dimensions, { precision: 'f32', threads: 1 }),
  {
    scoreTolerance: 1e-5,
    recallFloor: 0.9,
  },
);

candidateIndexContract(
  'hnsw f16',
  (dimensions) => new HnswIndex(dimensions, { precision: 'f16', threads: 1 }),
  {
    scoreTolerance: 2e-3,
    recallFloor: 0.9,
  },
);

candidateIndexContract(
  'hnsw f32 uncentred',
  (dimensions) => new HnswIndex(dimensions, { precision: 'f32', center: false, threads: 1 }),
  { scoreTolerance: 1e-5, recallFloor: 0.9 },
);

it('hnsw centring keeps exact scores and reaches every vector when all share an offset', () => {
  // Every vector shares a large component (+5 on the first value), as FDEs share the ColBERT
  // mean direction. Uncentred, usearch's graph left about 45% of these vectors unreachable.
  const dim = 32;
  const data = vectors(300, dim, 1).map((value, i) => value + (i % dim === 0 ? 5 : 0));
  const keys = Array.from({ length: 300 }, (_, i) => i);
  const index = new HnswIndex(dim, { precision: 'f32', center: true, threads: 1 });
  index.add(keys, data);
  for (let q = 0; q < 5; q++) {
    const query = vectors(1, dim, 10 + q);
    const found = index.search(query, 300);
    const exact = bruteForce(data, keys, query, 300);
    assert.equal(found.keys.length, 300);
    for (const [i, score] of found.scores.entries()) {
      assert.ok(Math.abs(score - exact.scores[i]) < 1e-4);
    }
  }
});

it('hnsw keeps its centre through serialize, and later adds use the same centre', () => {
  const dim = 16;
  const index = new HnswIndex(dim, { threads: 1 });
  index.add([1, 2, 3], vectors(3, dim, 2));
  const copy = deserializeCandidateIndex(index.serialize());
  const extra = vectors(2, dim, 3);
  index.add([4, 5], extra);
  copy.add([4, 5], extra);
  const query = vectors(1, dim, 4);
  assert.deepEqual(copy.search(query, 5), index.search(query, 5));
  assert.deepEqual(copy.stats().params, { ...index.params });
});

it('hnsw rejects unknown options and bad values with invalid-argument', () => {
  const bad = [
    { conectivity: 8 },
    { connectivity: 0 },
    { connectivity: 2 ** 28 },
    { expansionSearch: 1.5 },
    { expansionPerResult: 0.5 },
    { expansionPerResult: Number.NaN },
    { expansionPerResult: '4' },
    { precision: 'i8' },
    { threads: -1 },
  ];
  for (const options of bad) {
    assert.throws(() => new HnswIndex(8, options as never), { code: 'invalid-argument' });
  }
});

it('hnsw takes a new expansionSearch when loaded, and a wider beam does not lose recall', () => {
  const dim = 48;
  const data = vectors(2000, dim, 30);
  const keys = Array.from({ length: 2000 }, (_, i) => i);
  const narrow = new HnswIndex(dim, {
    connectivity: 4,
    expansionAdd: 16,
    expansionSearch: 10,
    threads: 1,
  });
  narrow.add(keys, data);
  const wide = deserializeCandidateIndex(narrow.serialize(), { expansionSearch: 400 });
  assert.equal(wide.stats().params.expansionSearch, 400);

  const recall = (index: typeof wide) => {
    let hits = 0;
    for (let q = 0; q < 20; q++) {
      const query = vectors(1, dim, 100 + q);
      const truth = new Set(bruteForce(data, keys, query, 10).keys);
      hits += index.search(query, 10).keys.filter((key) => truth.has(key)).length;
    }
    return hits / 200;
  };
  assert.ok(recall(wide) >= recall(narrow));
  assert.ok(recall(wide) >= 0.9, `recall ${recall(wide)}`);
});

it('hnsw widens its beam with expansionPerResult and still returns count results, best first', () => {
  const dim = 48;
  const data = vectors(2000, dim, 31);
  const keys = Array.from({ length: 2000 }, (_, i) => i);
  const options = { connectivity: 4, expansionAdd: 16, expansionSearch: 1, threads: 1 };
  const narrow = new HnswIndex(dim, { ...options, expansionPerResult: 1 });
  narrow.add(keys, data);
  const wide = deserializeCandidateIndex(narrow.serialize(), { expansionPerResult: 8 });
  assert.equal(wide.stats().params.expansionPerResult, 8);

  const count = 50;
  const recall = (index: typeof wide) => {
    let hits = 0;
    for (let q = 0; q < 20; q++) {
      const query = vectors(1, dim, 200 + q);
      const found = index.search(query, count);
      assert.equal(found.keys.length, count);
      assert.deepEqual(
        found.scores,
        [...found.scores].sort((a, b) => b - a),
      );
      const truth = new Set(bruteForce(data, keys, query, count).keys);
      hits += found.keys.filter((key) => truth.has(key)).length;
    }
    return hits / (20 * count);
  };
  const [narrowRecall, wideRecall] = [recall(narrow), recall(wide)];
  assert.ok(wideRecall > narrowRecall, `wide ${wideRecall} narrow ${narrowRecall}`);
  assert.ok(wideRecall >= 0.9, `wide ${wideRecall}`);
  const queries = vectors(3, dim, 300);
  wide.searchBatch(queries, count).forEach((result, q) => {
    const query = queries.subarray(q * dim, (q + 1) * dim);
    assert.deepEqual(result.keys, wide.search(query, count).keys);
  });
});
