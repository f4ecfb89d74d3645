/**
 * Seeded randomness for the synthetic corpus: one independent stream per (purpose, index).
 *
 * Every random vector of the corpus is drawn from its own stream, whose seed mixes the corpus
 * seed, a purpose tag (documents, queries, words, ...) and the index of the thing drawn. Any
 * document or query can therefore be regenerated alone, in any order, with identical values.
 */
import { seededRandom } from '../harness.js';

/** Purpose tags: each kind of random draw gets its own, so no two draws share a stream. */
export const STREAM = Object.freeze({
  basis: 1,
  topic: 2,
  word: 3,
  cluster: 4,
  document: 5,
  query: 6,
  queryCluster: 7,
  sample: 8,
  noisePool: 9,
});

/** Seed of the shared pool of noise values. */
const POOL_SEED = 0x6e6f726d;

/** Mixes 32-bit integers into one well-spread 32-bit seed (murmur3's finaliser, chained). */
export function mixSeed(...parts: number[]): number {
  let h = 0x9e3779b9;
  for (const part of parts) {
    h ^= part >>> 0;
    h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
    h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
    h ^= h >>> 16;
  }
  return h >>> 0;
}

/** A uniform [0, 1) generator plus standard normal draws (Box-Muller). */
export interface Stream {
  uniform(): number;
  normal(): number;
  /** A uniform integer in [0, n). */
  below(n: number): number;
}

/** The stream for `purpose` and `index` under `seed`. */
export function stream(seed: number, purpose: number, index: number): Stream {
  const uniform = seededRandom(mixSeed(seed, purpose, index));
  const normal = () => {
    // NOTE: 1 - u keeps the logarithm's argument in (0, 1].
    const radius = Math.sqrt(-2 * Math.log(1 - uniform()));
    return radius * Math.cos(2 * Math.PI * uniform());
  };
  const below = (n: number) => Math.min(n - 1, Math.floor(uniform() * n));
  return { uniform, normal, below };
}

const POOL_SIZE = 1 << 20;

/**
 * A million standard normal values drawn once from their own seed. Token noise is the sum of
 * two windows of this pool at random offsets, divided by sqrt(2): Gaussian, independent
 * between tokens for all practical purposes (10^12 offset pairs), and about ten times cheaper
 * than drawing 128 fresh normals per token, which makes 100,000 documents quick to generate.
 */
const NOISE_POOL = (() => {
  const random = stream(POOL_SEED, STREAM.noisePool, 0);
  return Float32Array.from({ length: POOL_SIZE }, () => random.normal());
})();

/** Widest row {@link writeNoisy} serves. */
export const MAX_NOISE_DIM = POOL_SIZE / 2;

/**
 * Writes `base` plus `scale` times a standard normal vector into the `dim` values of `out` at
 * `offset` (`base` has at least `dim` values).
 */
export function writeNoisy(
  out: Float32Array,
  offset: number,
  base: Float32Array,
  dim: number,
  scale: number,
  random: Stream,
) {
  const a = random.below(POOL_SIZE - dim);
  const b = random.below(POOL_SIZE - dim);
  const weight = scale * Math.SQRT1_2;
  for (let j = 0; j < dim; j++) {
    out[offset + j] = base[j] + weight * (NOISE_POOL[a + j] + NOISE_POOL[b + j]);
  }
}

/** Fills `out` with independent standard normal values. */
export function fillNormal(out: Float32Array, random: Stream): Float32Array {
  for (let i = 0; i < out.length; i++) out[i] = random.normal();
  return out;
}

/**
 * Scales `vector` (or the `dim` values at `offset`) to unit length in place and returns its
 * former length; a zero vector stays zero.
 */
export function normalize(vector: Float32Array, offset = 0, dim = vector.length): number {
  let sum = 0;
  for (let j = offset; j < offset + dim; j++) sum += vector[j] * vector[j];
  const scale = sum > 0 ? 1 / Math.sqrt(sum) : 0;
  for (let j = offset; j < offset + dim; j++) vector[j] *= scale;
  return Math.sqrt(sum);
}

/** Inner product of two rows of width `dim`. */
export function dot(
  a: Float32Array,
  aOffset: number,
  b: Float32Array,
  bOffset: number,
  dim: number,
) {
  let sum = 0;
  for (let j = 0; j < dim; j++) sum += a[aOffset + j] * b[bOffset + j];
  return sum;
}
