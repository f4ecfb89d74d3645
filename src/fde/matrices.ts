/**
 * The random matrices of an FDE encoder, each drawn from its own seed stream (src/fde/random.ts):
 *
 * - SimHash: for repetition r, k Gaussian directions from stream (`simhash`, r), drawn direction
 *   by direction, `dim` values each.
 * - Dense projection: for repetition r, a d_proj x dim matrix of +-1 / sqrt(d_proj) from stream
 *   (`projection`, r), row by row (MUVERA paper, section 3). Unbiased: E<Sx, Sy> = <x, y>.
 * - Sparse projection: for repetition r, each input coordinate j gets one output coordinate and a
 *   sign from stream (`projection`, r), unscaled (Google's reference code). Also unbiased.
 * - Final projection: a count sketch of the whole R * 2^k * d_proj vector to d_final, one bucket
 *   and one sign per input coordinate from stream (`finalSketch`, 0).
 */
import type { FdeConfig } from './config.js';
import { effectiveProjectionDimension, fdeDimension } from './config.js';
import { SeededRandom, streamSeed } from './random.js';

/** The fused SimHash directions: row r * k + i is direction i of repetition r. */
export function simhashMatrix(config: FdeConfig): Float32Array {
  const { dim, numRepetitions, numSimhashProjections: k } = config;
  const matrix = new Float32Array(numRepetitions * k * dim);
  for (let r = 0; r < numRepetitions; r++) {
    const random = new SeededRandom(streamSeed(config.seed, 'simhash', r));
    const start = r * k * dim;
    for (let i = 0; i < k * dim; i++) matrix[start + i] = random.nextNormal();
  }
  return matrix;
}

/** Dense projections of all repetitions: rows r * d_proj .. (r + 1) * d_proj - 1, dim wide. */
export function denseProjection(config: FdeConfig): Float32Array {
  const { dim, numRepetitions } = config;
  const dProj = effectiveProjectionDimension(config);
  const scale = 1 / Math.sqrt(dProj);
  const matrix = new Float32Array(numRepetitions * dProj * dim);
  for (let r = 0; r < numRepetitions; r++) {
    const random = new SeededRandom(streamSeed(config.seed, 'projection', r));
    const start = r * dProj * dim;
    for (let i = 0; i < dProj * dim; i++) matrix[start + i] = random.nextSign() * scale;
  }
  return matrix;
}

/** A signed bucket per input coordinate: the sparse projection and the count sketch. */
export interface SignedBuckets {
  /** Output coordinate of each input coordinate. */
  bucket: Uint32Array;
  /** +1 or -1 per input coordinate. */
  sign: Float64Array;
}

/** Sparse projections of all repetitions: entry r * dim + j maps coordinate j of repetition r. */
export function sparseProjection(config: FdeConfig): SignedBuckets {
  const { dim, numRepetitions } = config;
  const dProj = effectiveProjectionDimension(config);
  const out = signedBuckets(numRepetitions * dim);
  for (let r = 0; r < numRepetitions; r++) {
    const random = new SeededRandom(streamSeed(config.seed, 'projection', r));
    drawBuckets(random, out, r * dim, dim, dProj);
  }
  return out;
}

/** The count sketch of the final projection, or null when it is off. */
export function finalSketch(config: FdeConfig): SignedBuckets | null {
  if (config.finalProjectionDimension === null) return null;
  const length = fdeDimension(config);
  const out = signedBuckets(length);
  const random = new SeededRandom(streamSeed(config.seed, 'finalSketch', 0));
  drawBuckets(random, out, 0, length, config.finalProjectionDimension);
  return out;
}

function signedBuckets(length: number): SignedBuckets {
  return { bucket: new Uint32Array(length), sign: new Float64Array(length) };
}

/** For each of `count` coordinates from `start`: a bucket in 0..numBuckets-1, then a sign. */
function drawBuckets(
  random: SeededRandom,
  out: SignedBuckets,
  start: number,
  count: number,
  numBuckets: number,
): void {
  for (let i = start; i < start + count; i++) {
    out.bucket[i] = random.nextBelow(numBuckets);
    out.sign[i] = random.nextSign();
  }
}
