import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EncodePass } from '../../src/fde/encode-pass.js';
import { type FdeConfigInput, FdeEncoder, normalizeFdeConfig } from '../../src/fde/index.js';
import { PassMemory } from '../../src/fde/pass-memory.js';
import { SeededRandom } from '../../src/fde/random.js';
import { naiveFde } from './naive-fde.js';

/** numTokens rows of dim seeded values in (-1, 1). */
function tokens(numTokens: number, dim: number, seed: number): Float32Array {
  const random = new SeededRandom(seed);
  return Float32Array.from({ length: numTokens * dim }, () => 2 * random.nextUniform() - 1);
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  return worst;
}

/** The FDE of `set` from a pass built with or without WebAssembly. */
function encodeWith(config: FdeConfigInput, set: Float32Array, useWasm: boolean, average: boolean) {
  const normalized = normalizeFdeConfig(config);
  const pass = new EncodePass(normalized, useWasm);
  const out = new Float32Array(new FdeEncoder(config).outputDimension);
  pass.run(set, 0, set.length / normalized.dim, { average, fill: average }, out, 0);
  return out;
}

const TOLERANCE = 1e-5;

describe('EncodePass (aggregate raw tokens, project each partition once)', () => {
  it('matches the plain per-token implementation at the settings the digests pin', () => {
    // The evidence behind the pinned digests of encoder.test.ts: same config, same input.
    const set = tokens(40, 32, 1);
    const presets = [
      FdeEncoder.fromPreset('paper', 32),
      FdeEncoder.fromPreset('compact', 32, { projection: 'sparse' }),
      FdeEncoder.fromPreset('sparse', 32),
    ];
    for (const encoder of presets) {
      for (const kind of ['query', 'document'] as const) {
        const fast = encoder.encode(set, kind).vector;
        const plain = naiveFde(encoder.config, set, kind);
        assert.ok(maxAbsDiff(fast, plain) < TOLERANCE, `${encoder.config.projection} ${kind}`);
      }
    }
  });

  it('matches it at the benchmark size (100 tokens x 128, R 20, k 5, sparse and dense to 16)', () => {
    const set = tokens(100, 128, 3);
    for (const projection of ['sparse', 'dense'] as const) {
      const encoder = FdeEncoder.fromPreset('paper', 128, { projection });
      const fast = encoder.encodeDocument(set);
      assert.ok(maxAbsDiff(fast, naiveFde(encoder.config, set, 'document')) < TOLERANCE);
    }
  });

  it('gives the same bytes with WebAssembly and with the TypeScript twins', () => {
    for (const dim of [1, 3, 97, 128]) {
      for (const projection of ['identity', 'dense', 'sparse'] as const) {
        const config = { dim, numRepetitions: 4, numSimhashProjections: 3, projection };
        const full = { ...config, projectionDimension: 7 } as FdeConfigInput;
        const set = tokens(150, dim, dim);
        for (const average of [false, true]) {
          const wasm = encodeWith(full, set, true, average);
          const plain = encodeWith(full, set, false, average);
          assert.deepEqual(wasm, plain, `dim ${dim} ${projection} average ${average}`);
        }
      }
    }
  });

  it('takes repetitions in groups when their partition sums are large, same FDE', () => {
    // 4,096 partitions x 300 values: 1.2 M sum values a repetition, so one repetition a group.
    const config: FdeConfigInput = {
      dim: 300,
      numRepetitions: 3,
      numSimhashProjections: 12,
      projection: 'sparse',
      projectionDimension: 4,
    };
    const encoder = new FdeEncoder(config);
    const set = tokens(4100, 300, 8);
    for (const kind of ['query', 'document'] as const) {
      const fast = encoder.encode(set, kind).vector;
      const plain = naiveFde(encoder.config, set, kind);
      assert.ok(maxAbsDiff(fast, plain) < 1e-4, kind);
    }
  });
});

describe('PassMemory', () => {
  it('adds into slots like the TypeScript twin, zeroing a slot on its first add', () => {
    for (const dim of [1, 2, 3, 97]) {
      const memories = [new PassMemory(true), new PassMemory(false)];
      assert.ok(memories[0].usesWasm, 'WebAssembly loads on Node 20');
      const sizes = { blockRows: 5, dim, reps: 3, slots: 6, partitionRows: 0, dProj: 0 };
      const random = new SeededRandom(dim);
      for (const memory of memories) {
        memory.reserve(sizes);
        memory.sums.fill(99); // stale values from an earlier call must not leak in
      }
      for (let round = 0; round < 2; round++) {
        const block = tokens(5, dim, 10 * dim + round);
        const slots = Int32Array.from({ length: 15 }, (_, i) => {
          const slot = random.nextBelow(6);
          return round === 0 && i < 6 ? -1 - i : slot;
        });
        for (const memory of memories) {
          memory.block.set(block);
          memory.slotList.set(slots);
          memory.addToSlots(5, dim, 3);
        }
      }
      assert.deepEqual(memories[0].sums, memories[1].sums, `dim ${dim}`);
      assert.ok(memories[0].sums.every((x) => Math.abs(x) < 10));
    }
  });
});
