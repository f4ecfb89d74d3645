/**
 * Awkward input to the dynamic index and to the HNSW options it carries: malformed keys in
 * either stage, HNSW options that usearch refuses only when the graph is first built (at the
 * switch), the threshold boundaries, and runtime options given when the index is read back
 * (`expansionPerResult` 1, 1.5, 1e9, Infinity, NaN) in either stage.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DynamicIndex } from '../../src/index/dynamic.js';
import { createCandidateIndex, deserializeCandidateIndex } from '../../src/index/factory.js';
import { FlatIndex } from '../../src/index/flat.js';
import { vectors } from './contract.js';

/** An awkward width. */
const DIM = 13;
const THRESHOLD = 20;
/** One native thread: the same graph every run. */
const HNSW = { threads: 1 };

const keysFrom = (first: number, count: number) =>
  Array.from({ length: count }, (_, i) => first + i);

/** A dynamic index holding `count` vectors (keys 0..count-1) of seed 1. */
function dynamic(count: number, options: ConstructorParameters<typeof DynamicIndex>[1] = {}) {
  const index = new DynamicIndex(DIM, { threshold: THRESHOLD, hnsw: HNSW, ...options });
  index.add(keysFrom(0, count), vectors(count, DIM, 1));
  return index;
}

describe('dynamic index edges', () => {
  it('refuses keys that are not an array with invalid-argument in both stages', () => {
    for (const count of [5, THRESHOLD + 5]) {
      const index = dynamic(count);
      for (const keys of [null, undefined, 7, 'ab', { length: 1, 0: 99 }]) {
        assert.throws(() => index.add(keys as never, vectors(1, DIM, 2)), {
          code: 'invalid-argument',
        });
      }
      assert.equal(index.size, count);
    }
  });

  it('refuses HNSW options usearch would refuse at the switch when it is created', () => {
    const bad = [
      { connectivity: 1 },
      { connectivity: '16' },
      { connectivity: 2.5 },
      { center: 'no' },
      { center: 1 },
    ];
    for (const hnsw of bad) {
      assert.throws(() => new DynamicIndex(DIM, { threshold: 2, hnsw: hnsw as never }), {
        code: 'invalid-argument',
      });
      assert.throws(() => createCandidateIndex('hnsw', DIM, hnsw as never), {
        code: 'invalid-argument',
      });
    }
    // The smallest degree usearch takes builds and answers.
    const index = new DynamicIndex(DIM, { threshold: 2, hnsw: { ...HNSW, connectivity: 2 } });
    index.add(keysFrom(0, 30), vectors(30, DIM, 3));
    assert.equal(index.stage, 'hnsw');
    const found = index.search(vectors(1, DIM, 4), 10).keys;
    assert.equal(new Set(found).size, 10);
    assert.ok(found.every((key) => index.has(key)));
  });

  it('stays flat at exactly the threshold and switches one vector past it', () => {
    const index = dynamic(THRESHOLD);
    assert.equal(index.stage, 'flat');
    index.add([], new Float32Array(0));
    assert.equal(index.stage, 'flat');
    index.add([THRESHOLD], vectors(1, DIM, 5));
    assert.equal(index.stage, 'hnsw');
    assert.equal(index.size, THRESHOLD + 1);

    const one = new DynamicIndex(DIM, { threshold: 1, hnsw: HNSW });
    one.add([7], vectors(1, DIM, 6));
    assert.equal(one.stage, 'flat');
    one.add([8], vectors(1, DIM, 7));
    assert.equal(one.stage, 'hnsw');
    assert.deepEqual([...one.search(vectors(1, DIM, 8), 5).keys].sort(), [7, 8]);
  });

  it('removes below the threshold after the switch and stays HNSW, answering only held keys', () => {
    const index = dynamic(THRESHOLD + 5);
    assert.equal(index.remove(keysFrom(0, 15)), 15);
    assert.equal(index.stage, 'hnsw');
    assert.equal(index.size, 10);
    const found = index.search(vectors(1, DIM, 9), 25).keys;
    assert.ok(found.every((key) => key >= 15));
  });
});

describe('dynamic index read back with runtime options', () => {
  for (const [stage, count] of [
    ['flat', 5],
    ['hnsw', THRESHOLD + 5],
  ] as const) {
    it(`refuses expansionPerResult Infinity, NaN, 0.5 and "2" in the ${stage} stage`, () => {
      const bytes = dynamic(count).serialize();
      for (const bad of [Number.POSITIVE_INFINITY, Number.NaN, 0.5, '2']) {
        assert.throws(
          () => deserializeCandidateIndex(bytes, { expansionPerResult: bad as number }),
          { code: 'invalid-argument' },
          String(bad),
        );
      }
    });
  }

  it('carries expansionPerResult 1, 1.5 and 1e9 from a flat read into the graph it turns into', () => {
    const bytes = dynamic(5).serialize();
    for (const expansionPerResult of [1, 1.5, 1e9]) {
      const index = deserializeCandidateIndex(bytes, { expansionPerResult }) as DynamicIndex;
      assert.equal(index.stage, 'flat');
      index.add(keysFrom(5, THRESHOLD), vectors(THRESHOLD, DIM, 10));
      assert.equal(index.stage, 'hnsw');
      const params = index.stats().params as { hnsw: { expansionPerResult?: number } };
      assert.equal(params.hnsw.expansionPerResult, expansionPerResult);
      assert.equal(index.search(vectors(1, DIM, 11), 10).keys.length, 10);
      // Written again, the graph keeps it.
      const copy = deserializeCandidateIndex(index.serialize()) as DynamicIndex;
      const kept = copy.stats().params as { hnsw: { expansionPerResult?: number } };
      assert.equal(kept.hnsw.expansionPerResult, expansionPerResult);
    }
  });

  it('with a beam of 1e9 per result and float32, answers as the flat scan after the switch', () => {
    const count = 120;
    const data = vectors(count, DIM, 12);
    const keys = keysFrom(1000, count);
    const flat = new FlatIndex(DIM);
    flat.add(keys, data);
    const hnsw = { ...HNSW, precision: 'f32' as const, expansionSearch: 1 };
    const index = new DynamicIndex(DIM, { threshold: THRESHOLD, hnsw });
    index.add(keys.slice(0, 10), data.subarray(0, 10 * DIM));
    index.add(keys.slice(10), data.subarray(10 * DIM));
    const wide = deserializeCandidateIndex(index.serialize(), { expansionPerResult: 1e9 });
    assert.ok(wide instanceof DynamicIndex && wide.stage === 'hnsw');

    const queries = vectors(5, DIM, 13);
    const even = (key: number) => key % 2 === 0;
    for (let q = 0; q < 5; q++) {
      const query = queries.subarray(q * DIM, (q + 1) * DIM);
      for (const options of [{}, { filter: even }]) {
        const got = wide.search(query, 15, options);
        const want = flat.search(query, 15, options);
        assert.deepEqual(got.keys, want.keys);
        got.scores.forEach((score, i) => {
          assert.ok(Math.abs(score - want.scores[i]) < 1e-4);
        });
      }
    }
    const batch = wide.searchBatch(queries, 15);
    assert.deepEqual(
      batch.map((result) => result.keys),
      flat.searchBatch(queries, 15).map((result) => result.keys),
    );
  });

  it('reads a graph with a beam of 1 per result and still returns every result asked for', () => {
    const bytes = dynamic(THRESHOLD + 30).serialize();
    const narrow = deserializeCandidateIndex(bytes, { expansionPerResult: 1, expansionSearch: 1 });
    assert.ok(narrow instanceof DynamicIndex && narrow.stage === 'hnsw');
    assert.equal(narrow.search(vectors(1, DIM, 14), 40).keys.length, 40);
  });
});
