import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fmix32, SeededRandom, streamSeed } from '../../src/fde/random.js';

describe('SeededRandom', () => {
  it('produces a pinned stream for a fixed seed (the FDE format depends on it)', () => {
    const random = new SeededRandom(42);
    const words = Array.from({ length: 4 }, () => random.nextUint32());
    assert.deepEqual(words, PINNED_WORDS_SEED_42);
  });

  it('gives the same sequence for the same seed and different ones for different seeds', () => {
    const a = new SeededRandom(7);
    const b = new SeededRandom(7);
    const c = new SeededRandom(8);
    const sa = Array.from({ length: 16 }, () => a.nextUint32());
    assert.deepEqual(
      sa,
      Array.from({ length: 16 }, () => b.nextUint32()),
    );
    assert.notDeepEqual(
      sa,
      Array.from({ length: 16 }, () => c.nextUint32()),
    );
  });

  it('samples standard normals, bounded integers and balanced signs', () => {
    const random = new SeededRandom(1);
    const n = 20000;
    let sum = 0;
    let squares = 0;
    let signs = 0;
    for (let i = 0; i < n; i++) {
      const x = random.nextNormal();
      sum += x;
      squares += x * x;
      signs += random.nextSign();
      const below = random.nextBelow(7);
      assert.ok(Number.isInteger(below) && below >= 0 && below < 7);
    }
    assert.ok(Math.abs(sum / n) < 0.03, `mean ${sum / n}`);
    assert.ok(Math.abs(squares / n - 1) < 0.05, `variance ${squares / n}`);
    assert.ok(Math.abs(signs / n) < 0.03, `sign balance ${signs / n}`);
  });

  it('refuses seeds outside 0..2^32-1', () => {
    for (const seed of [-1, 2 ** 32, 1.5, Number.NaN]) {
      assert.throws(() => new SeededRandom(seed), { code: 'invalid-argument' });
    }
  });
});

describe('streamSeed', () => {
  it('derives distinct seeds per stream and repetition', () => {
    const seeds = new Set<number>();
    for (const stream of ['simhash', 'projection', 'finalSketch'] as const) {
      for (let r = 0; r < 50; r++) seeds.add(streamSeed(42, stream, r));
    }
    assert.equal(seeds.size, 150);
    assert.notEqual(streamSeed(42, 'simhash', 0), streamSeed(43, 'simhash', 0));
  });

  it('fmix32 is a bijection on a sample of words', () => {
    const outputs = new Set<number>();
    for (let i = 0; i < 5000; i++) outputs.add(fmix32(i));
    assert.equal(outputs.size, 5000);
  });
});

const PINNED_WORDS_SEED_42 = [2837322924, 544945897, 479756282, 3500138142];
