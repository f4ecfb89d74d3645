/**
 * The contract every candidate index passes. Each implementation's test file calls
 * {@link candidateIndexContract} with a factory; the oracle is a brute-force inner-product loop
 * written here, independent of every index. A case an implementation cannot pass is named in
 * `gaps` with its reason and still runs; the runner reports it as "todo" with that reason.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SeededRandom } from '../../src/fde/random.js';
import { deserializeCandidateIndex } from '../../src/index/factory.js';
import type { CandidateIndex, CandidateResult } from '../../src/index/types.js';

/** Names of the contract's cases that an implementation may list as gaps. */
export type ContractCase =
  | 'exact ranking'
  | 'count above size'
  | 'awkward dimensions'
  | 'filter'
  | 'recall floor';

/** What an implementation promises beyond the shared behaviour. */
export interface ContractExpectations {
  /** Scores must equal the exact inner product within this relative tolerance. */
  scoreTolerance: number;
  /** recall@10 against brute force on the seeded FDE-like set must reach this. */
  recallFloor: number;
  /** Candidates fetched when measuring recall@10 (default 10); over-fetching is how PQ is used. */
  recallFetch?: number;
  /** Cases this implementation cannot pass, with the reason. */
  gaps?: Partial<Record<ContractCase, string>>;
}

/** Makes a fresh empty index of `dimensions`. */
export type IndexFactory = (dimensions: number) => CandidateIndex;

const DIM = 24;
const RECALL_DIM = 64;
const RECALL_SIZE = 600;
const RECALL_QUERIES = 40;
const RECALL_K = 10;
const MAX_SUMMANDS = 8;

/** Registers the whole contract as a `describe` block named `name`. */
export function candidateIndexContract(
  name: string,
  make: IndexFactory,
  expect: ContractExpectations,
): void {
  const gap = (which: ContractCase) =>
    expect.gaps?.[which] === undefined ? {} : { todo: expect.gaps[which] };
  const tolerance = expect.scoreTolerance;

  describe(`candidate index contract: ${name}`, () => {
    it('starts empty and answers an empty result', () => {
      const index = make(DIM);
      assert.equal(index.size, 0);
      assert.equal(index.dimensions, DIM);
      assert.deepEqual(index.search(vectors(1, DIM, 1), 5), { keys: [], scores: [] });
      assert.deepEqual(index.searchBatch(vectors(2, DIM, 1), 5), [
        { keys: [], scores: [] },
        { keys: [], scores: [] },
      ]);
      assert.equal(index.stats().size, 0);
    });

    it('returns keys best first, matching brute force', gap('exact ranking'), () => {
      const { index, data, keys } = filled(make, 200, DIM, 2);
      for (const query of rows(vectors(5, DIM, 3), DIM)) {
        assertTopMatches(index.search(query, 10), data, keys, query, 10, tolerance);
      }
    });

    it('returns every vector once when count exceeds size', gap('count above size'), () => {
      const { index, keys } = filled(make, 37, DIM, 4);
      const result = index.search(vectors(1, DIM, 5), 1000);
      assert.deepEqual([...result.keys].sort(byNumber), [...keys].sort(byNumber));
      assertDescending(result.scores);
    });

    it('removes keys, ignores unknown ones, and takes a removed key back', () => {
      const { index, keys } = filled(make, 50, DIM, 6);
      const gone = keys.slice(0, 10);
      assert.equal(index.remove([...gone, 999_999]), 10);
      assert.equal(index.size, 40);
      assert.equal(index.has(gone[0]), false);
      const all = index.search(vectors(1, DIM, 7), 1000);
      assert.ok(
        all.keys.every((key) => !gone.includes(key)),
        'a removed key came back',
      );

      const query = vectors(1, DIM, 8);
      const strong = query.map((value) => value * 10);
      index.add([gone[0]], strong);
      assert.equal(index.size, 41);
      assert.equal(index.search(query, 1).keys[0], gone[0]);
    });

    it('refuses a key it holds, all or nothing', () => {
      const { index, keys } = filled(make, 10, DIM, 9);
      assert.throws(() => index.add([5000, keys[3]], vectors(2, DIM, 10)), {
        code: 'already-exists',
      });
      assert.equal(index.size, 10);
      assert.equal(index.has(5000), false);
    });

    it('rejects bad keys, widths, counts and non-finite values with codes', () => {
      const index = make(DIM);
      const bad: [() => unknown, string][] = [
        [() => index.add([1, 1], vectors(2, DIM, 1)), 'invalid-argument'],
        [() => index.add([-1], vectors(1, DIM, 1)), 'invalid-argument'],
        [() => index.add([1.5], vectors(1, DIM, 1)), 'invalid-argument'],
        [() => index.add([1], vectors(1, DIM + 1, 1)), 'dimension-mismatch'],
        [() => index.add([1, 2], vectors(1, DIM, 1)), 'dimension-mismatch'],
        [() => index.add([1], withValue(vectors(1, DIM, 1), 3, Number.NaN)), 'non-finite-value'],
        [() => index.add([1], withValue(vectors(1, DIM, 1), 0, Infinity)), 'non-finite-value'],
        [() => index.search(vectors(1, DIM - 1, 1), 3), 'dimension-mismatch'],
        [() => index.search(withValue(vectors(1, DIM, 1), 2, Number.NaN), 3), 'non-finite-value'],
        [() => index.search(vectors(1, DIM, 1), 0), 'invalid-argument'],
        [() => index.search(vectors(1, DIM, 1), -3), 'invalid-argument'],
        [() => index.search(vectors(1, DIM, 1), 2.5), 'invalid-argument'],
        [() => index.searchBatch(vectors(1, DIM + 2, 1), 3), 'dimension-mismatch'],
      ];
      for (const [call, code] of bad) assert.throws(call, { code });
      assert.equal(index.size, 0, 'a rejected add changed the index');
    });

    it('searchBatch gives the same answers as search', () => {
      const { index } = filled(make, 120, DIM, 11);
      const queries = vectors(4, DIM, 12);
      const batch = index.searchBatch(queries, 7);
      rows(queries, DIM).forEach((query, q) => {
        assertSameResult(batch[q], index.search(query, 7));
      });
    });

    it('applies a filter without shrinking results', gap('filter'), () => {
      const { index, keys } = filled(make, 150, DIM, 13);
      const even = (key: number) => key % 2 === 0;
      const result = index.search(vectors(1, DIM, 14), 20, { filter: even });
      assert.equal(result.keys.length, 20);
      assert.ok(result.keys.every(even));

      const few = new Set(keys.slice(0, 3));
      const rare = index.search(vectors(1, DIM, 15), 20, { filter: (key) => few.has(key) });
      assert.deepEqual([...rare.keys].sort(byNumber), [...few].sort(byNumber));
    });

    it('round-trips through serialize with identical results', () => {
      const { index, keys } = filled(make, 300, DIM, 16);
      index.remove(keys.slice(0, 20));
      const copy = deserializeCandidateIndex(index.serialize());
      assert.equal(copy.kind, index.kind);
      assert.equal(copy.size, index.size);
      assert.deepEqual(copy.stats().params, index.stats().params);
      for (const query of rows(vectors(4, DIM, 17), DIM)) {
        assertSameResult(copy.search(query, 15), index.search(query, 15));
      }
      const empty = deserializeCandidateIndex(make(3).serialize());
      assert.equal(empty.size, 0);
      assert.equal(empty.dimensions, 3);
    });

    it('detects damaged and foreign bytes before loading them', () => {
      const { index } = filled(make, 40, DIM, 18);
      const bytes = index.serialize();
      const flipped = bytes.slice();
      flipped[bytes.length - 5] ^= 0x10;
      const newer = bytes.slice();
      newer[8] = 99;
      const cases: [Uint8Array, string][] = [
        [flipped, 'corrupt-data'],
        [bytes.subarray(0, bytes.length - 1), 'corrupt-data'],
        [bytes.subarray(0, 10), 'corrupt-data'],
        [Uint8Array.from([...bytes, 0]), 'corrupt-data'],
        [new Uint8Array(bytes.length), 'corrupt-data'],
        [newer, 'unsupported-version'],
      ];
      for (const [damaged, code] of cases) {
        assert.throws(() => deserializeCandidateIndex(damaged), { code });
      }
      const other = index.kind === 'flat' ? 'pq' : 'flat';
      assert.throws(() => deserializeCandidateIndex(bytes, { kind: other }), {
        code: 'config-mismatch',
      });
    });

    it('handles awkward dimensions 1, 3 and 97', gap('awkward dimensions'), () => {
      for (const dim of [1, 3, 97]) {
        const { index, data, keys } = filled(make, 60, dim, 19 + dim);
        const query = vectors(1, dim, 20 + dim);
        assertTopMatches(index.search(query, 5), data, keys, query, 5, tolerance);
        const copy = deserializeCandidateIndex(index.serialize());
        assertSameResult(copy.search(query, 5), index.search(query, 5));
      }
    });

    const fetched = expect.recallFetch ?? RECALL_K;
    const recallName = `reaches recall@${RECALL_K} of ${expect.recallFloor} in ${fetched} candidates`;
    it(recallName, gap('recall floor'), () => {
      const { index, data, keys } = filled(make, RECALL_SIZE, RECALL_DIM, 21);
      const queries = vectors(RECALL_QUERIES, RECALL_DIM, 22);
      let hits = 0;
      for (const query of rows(queries, RECALL_DIM)) {
        const truth = new Set(bruteForce(data, keys, query, RECALL_K).keys);
        hits += index.search(query, fetched).keys.filter((key) => truth.has(key)).length;
      }
      const recall = hits / (RECALL_QUERIES * RECALL_K);
      assert.ok(recall >= expect.recallFloor, `recall ${recall} below ${expect.recallFloor}`);
    });

    it('reports size and memory in stats', () => {
      const { index } = filled(make, 64, DIM, 23);
      const stats = index.stats();
      assert.equal(stats.kind, index.kind);
      assert.equal(stats.size, 64);
      assert.equal(stats.dimensions, DIM);
      assert.ok(stats.memoryBytes >= 64, `memoryBytes ${stats.memoryBytes}`);
    });
  });
}

/**
 * FDE-like vectors: each row is the sum of 1 to MAX_SUMMANDS random unit vectors, so norms vary
 * the way document FDEs' do (they are sums or averages of projected tokens).
 */
export function vectors(count: number, dim: number, seed: number): Float32Array {
  const random = new SeededRandom(seed);
  const out = new Float32Array(count * dim);
  const unit = new Float64Array(dim);
  for (let row = 0; row < count; row++) {
    const summands = 1 + random.nextBelow(MAX_SUMMANDS);
    for (let s = 0; s < summands; s++) {
      let norm = 0;
      for (let j = 0; j < dim; j++) {
        unit[j] = random.nextNormal();
        norm += unit[j] * unit[j];
      }
      for (let j = 0; j < dim; j++) out[row * dim + j] += unit[j] / Math.sqrt(norm);
    }
  }
  return out;
}

/** An index holding `count` seeded vectors under scattered keys. */
function filled(make: IndexFactory, count: number, dim: number, seed: number) {
  const index = make(dim);
  const data = vectors(count, dim, seed);
  const keys = Array.from({ length: count }, (_, i) => i * 7 + 3);
  index.add(keys, data);
  return { index, data, keys };
}

/** The exact top `count` by inner product, ties broken by lower key. */
export function bruteForce(
  data: Float32Array,
  keys: number[],
  query: Float32Array,
  count: number,
): CandidateResult {
  const dim = query.length;
  const scored = keys.map((key, row) => {
    let score = 0;
    for (let j = 0; j < dim; j++) score += query[j] * data[row * dim + j];
    return { key, score };
  });
  scored.sort((a, b) => b.score - a.score || a.key - b.key);
  const top = scored.slice(0, count);
  return { keys: top.map((s) => s.key), scores: top.map((s) => s.score) };
}

/**
 * Tie-tolerant comparison: the result's scores equal the exact top scores within `tolerance`
 * (relative to the largest magnitude), and each returned key's exact score equals its reported one.
 */
function assertTopMatches(
  result: CandidateResult,
  data: Float32Array,
  keys: number[],
  query: Float32Array,
  count: number,
  tolerance: number,
): void {
  const truth = bruteForce(data, keys, query, count);
  const all = bruteForce(data, keys, query, keys.length);
  const exact = new Map(all.keys.map((key, i) => [key, all.scores[i]]));
  const scale = Math.max(1, ...truth.scores.map(Math.abs));
  assert.equal(result.keys.length, truth.keys.length);
  assertDescending(result.scores);
  result.keys.forEach((key, i) => {
    const want = exact.get(key);
    assert.ok(want !== undefined, `unknown key ${key}`);
    assert.ok(Math.abs(result.scores[i] - want) <= tolerance * scale, `score of key ${key}`);
    assert.ok(Math.abs(want - truth.scores[i]) <= tolerance * scale, `rank ${i}: key ${key}`);
  });
}

function assertSameResult(actual: CandidateResult, expected: CandidateResult): void {
  assert.deepEqual(actual.keys, expected.keys);
  assert.deepEqual(actual.scores, expected.scores);
}

function assertDescending(scores: number[]): void {
  for (let i = 1; i < scores.length; i++) {
    assert.ok(scores[i] <= scores[i - 1], `scores not best first at ${i}`);
  }
}

function rows(data: Float32Array, dim: number): Float32Array[] {
  return Array.from({ length: data.length / dim }, (_, i) => data.slice(i * dim, (i + 1) * dim));
}

function withValue(data: Float32Array, position: number, value: number): Float32Array {
  const copy = data.slice();
  copy[position] = value;
  return copy;
}

function byNumber(a: number, b: number): number {
  return a - b;
}
