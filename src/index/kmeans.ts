/**
 * Seeded Lloyd k-means for the short sub-vectors of product quantization (Lloyd, "Least squares
 * quantization in PCM", 1982).
 *
 * Centres start at k distinct points drawn with the seeded generator. Each iteration assigns
 * every point to its nearest centre and moves each centre to the mean of its points; a centre
 * left without points jumps to a random point, so all k stay in use. It stops after
 * `iterations` rounds or when no assignment changes. Everything is deterministic for a seed.
 *
 * Nearest centre by squared L2 distance, computed as |c|^2 - 2 <x, c> (|x|^2 is the same for
 * every centre): one dot product per pair.
 */
import { SeededRandom } from '../fde/random.js';

/** Points and centres are flat rows of `width` values. */
export interface KMeansInput {
  /** `numPoints * width` values. */
  points: Float32Array;
  width: number;
  /** Centres wanted; at most the number of points. */
  k: number;
  iterations: number;
  seed: number;
}

/** Runs k-means; returns `k * width` centre values. */
export function kMeans({ points, width, k, iterations, seed }: KMeansInput): Float32Array {
  const numPoints = points.length / width;
  const random = new SeededRandom(seed >>> 0);
  const centres = new Float32Array(k * width);
  const first = distinctSample(numPoints, k, random);
  for (let c = 0; c < k; c++)
    centres.set(points.subarray(first[c] * width, (first[c] + 1) * width), c * width);

  const assignment = new Int32Array(numPoints).fill(-1);
  for (let round = 0; round < iterations; round++) {
    const changed = assignNearest(points, width, centres, k, assignment);
    moveCentres(points, width, centres, k, assignment, random);
    if (changed === 0) break;
  }
  return centres;
}

/**
 * Writes each point's nearest centre into `out`; returns how many entries changed.
 * Shape: points numPoints x width, centres k x width.
 */
export function assignNearest(
  points: Float32Array,
  width: number,
  centres: Float32Array,
  k: number,
  out: Int32Array | Uint8Array,
): number {
  const norms = new Float32Array(k);
  for (let c = 0; c < k; c++) norms[c] = rowDot(centres, c * width, centres, c * width, width);

  let changed = 0;
  const numPoints = points.length / width;
  for (let p = 0; p < numPoints; p++) {
    let best = 0;
    let bestDistance = Number.POSITIVE_INFINITY;
    for (let c = 0; c < k; c++) {
      const distance = norms[c] - 2 * rowDot(points, p * width, centres, c * width, width);
      if (distance < bestDistance) {
        bestDistance = distance;
        best = c;
      }
    }
    if (out[p] !== best) changed++;
    out[p] = best;
  }
  return changed;
}

/** Moves each centre to the mean of its points; an empty centre jumps to a random point. */
function moveCentres(
  points: Float32Array,
  width: number,
  centres: Float32Array,
  k: number,
  assignment: Int32Array,
  random: SeededRandom,
): void {
  const sums = new Float64Array(k * width);
  const counts = new Int32Array(k);
  for (let p = 0; p < assignment.length; p++) {
    const c = assignment[p];
    counts[c]++;
    for (let j = 0; j < width; j++) sums[c * width + j] += points[p * width + j];
  }

  for (let c = 0; c < k; c++) {
    if (counts[c] === 0) {
      const p = random.nextBelow(assignment.length);
      centres.set(points.subarray(p * width, (p + 1) * width), c * width);
      continue;
    }
    for (let j = 0; j < width; j++) centres[c * width + j] = sums[c * width + j] / counts[c];
  }
}

/** `count` distinct integers from 0..n-1 (partial Fisher-Yates shuffle). */
export function distinctSample(n: number, count: number, random: SeededRandom): Int32Array {
  const order = Int32Array.from({ length: n }, (_, i) => i);
  for (let i = 0; i < count; i++) {
    const j = i + random.nextBelow(n - i);
    const swap = order[i];
    order[i] = order[j];
    order[j] = swap;
  }
  return order.subarray(0, count);
}

/** Inner product of two rows of `width` values. */
function rowDot(a: Float32Array, aStart: number, b: Float32Array, bStart: number, width: number) {
  let sum = 0;
  for (let j = 0; j < width; j++) sum += a[aStart + j] * b[bStart + j];
  return sum;
}
