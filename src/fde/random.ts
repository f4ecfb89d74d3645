/**
 * Seeded randomness for the FDE matrices: the same seed gives the same bits in every process.
 *
 * Generator: xoshiro128** (Blackman and Vigna, 2018), 32-bit state words, seeded by expanding one
 * 32-bit seed with splitmix32. Everything is integer arithmetic (`Math.imul`, shifts), so the
 * stream is identical on every platform. Normal samples use Marsaglia's polar method, which
 * needs only `Math.sqrt` (correctly rounded by IEEE 754) and `Math.log`; values are rounded to
 * float32 when stored, and only their signs matter for SimHash.
 *
 * Seed derivation: every random matrix has its own stream, named by a {@link SeedStream} and a
 * repetition, so no two matrices share a seed (Google's reference draws its SimHash and
 * projection matrices from the same `seed + r`; here they are independent):
 *
 *   streamSeed(seed, stream, r) = fmix32(fmix32(fmix32(seed) ^ stream) ^ (r + 1))
 *
 * with `fmix32` the MurmurHash3 finaliser (a bijection on 32-bit words).
 */
import { invalidArgument } from '../errors.js';

/** The independent random streams of an FDE encoder. Values are part of the FDE format. */
export const SEED_STREAMS = Object.freeze({
  /** Gaussian SimHash directions, one stream per repetition. */
  simhash: 0x51a4,
  /** Dense or sparse inner projection, one stream per repetition. */
  projection: 0x960c,
  /** The count sketch of the final projection, one stream for the whole vector (r = 0). */
  finalSketch: 0xf1a7,
});

/** Name of a seed stream. */
export type SeedStream = keyof typeof SEED_STREAMS;

const UINT32_RANGE = 2 ** 32;
const SPLITMIX_GOLDEN = 0x9e3779b9;

/** MurmurHash3's 32-bit finaliser: a bijective mix of one word. */
export function fmix32(value: number): number {
  let h = value >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** The seed of one matrix: stream `stream`, repetition `repetition`, from the config seed. */
export function streamSeed(seed: number, stream: SeedStream, repetition: number): number {
  const base = fmix32(fmix32(seed) ^ SEED_STREAMS[stream]);
  return fmix32(base ^ (repetition + 1));
}

/** A deterministic generator of 32-bit words, uniforms, bounded integers, signs and normals. */
export class SeededRandom {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;

  /** `seed` must be an integer in 0..2^32-1. */
  constructor(seed: number) {
    if (!Number.isInteger(seed) || seed < 0 || seed >= UINT32_RANGE) {
      throw invalidArgument('seed', 'an integer in 0..4294967295', seed);
    }

    // splitmix32 expands the one word into four state words (never all zero).
    let x = seed >>> 0;
    const next = (): number => {
      x = (x + SPLITMIX_GOLDEN) >>> 0;
      return fmix32(x);
    };
    this.s0 = next();
    this.s1 = next();
    this.s2 = next();
    this.s3 = next();
  }

  /** The next 32-bit unsigned word (xoshiro128**). */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9) >>> 0;
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** A uniform number in the open interval (0, 1). */
  nextUniform(): number {
    return (this.nextUint32() + 0.5) / UINT32_RANGE;
  }

  /** An integer in 0..n-1 (n <= 2^32; bias below n / 2^32). */
  nextBelow(n: number): number {
    return Math.floor(this.nextUniform() * n);
  }

  /** +1 or -1 with equal probability (the top bit of one word). */
  nextSign(): number {
    return this.nextUint32() >>> 31 === 1 ? 1 : -1;
  }

  /** A standard normal sample (Marsaglia polar method; uses two uniforms per try). */
  nextNormal(): number {
    for (;;) {
      const u = 2 * this.nextUniform() - 1;
      const v = 2 * this.nextUniform() - 1;
      const s = u * u + v * v;
      if (s > 0 && s < 1) return u * Math.sqrt((-2 * Math.log(s)) / s);
    }
  }
}

function rotl(value: number, bits: number): number {
  return (value << bits) | (value >>> (32 - bits));
}
