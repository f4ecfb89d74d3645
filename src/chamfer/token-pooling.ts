/**
 * Token pooling of documents at index time (Clavié, Chaffin, Adams 2024, "Reducing the
 * Footprint of Multi-Vector Retrieval with Minimal Performance Impact via Token Pooling",
 * arXiv 2409.14683): cluster each document's token vectors and keep one mean per cluster.
 * Pool factor f keeps ceil(numTokens / f) vectors, so f = 2 halves memory and re-rank time.
 *
 * Clustering is agglomerative with Ward linkage, as in that paper: start from single tokens and
 * repeatedly merge the two clusters whose merge least increases the within-cluster sum of
 * squares, d(A, B) = |A||B| / (|A| + |B|) * ||mean A - mean B||^2, until the target count is
 * reached. Distances are updated by the Lance-Williams formula and each cluster caches its
 * nearest neighbour, so a document of n tokens costs O(n^2) memory and about O(n^2) time.
 * Deterministic: ties go to the lower cluster index, and a merged cluster keeps the lower
 * index. Output rows follow their first token's order. Padding rows are dropped.
 * Documents longer than {@link MAX_POOLING_BLOCK} tokens are pooled block by block.
 */
import { DEFAULTS } from '../defaults.js';
import { invalidArgument } from '../errors.js';
import { checkDim, isPaddingRow, validateTokenSet } from '../tokens/token-set.js';
import { dotProducts } from './matmul.js';

/** Longest run of tokens clustered together (bounds the n x n distance matrix to 8 MiB). */
export const MAX_POOLING_BLOCK = 1024;

/** Options of {@link poolTokens}. */
export interface TokenPoolingOptions {
  /** Keep about numTokens / poolFactor vectors; default `DEFAULTS.chamfer.poolFactor`. */
  poolFactor?: number;
  /**
   * Rescale every cluster mean to unit length (default false: plain means, as in the paper).
   * For unit-length models (ColBERT) this keeps scores on their unpooled scale; see
   * docs/chamfer.md for the measured effect.
   */
  normalize?: boolean;
}

/** A pooled document. */
export interface PooledTokens {
  /** numTokens x dim cluster means. */
  tokens: Float32Array;
  numTokens: number;
}

/** Ward distances of single rows: ||x_i - x_j||^2 / 2, from the Gram matrix. */
function wardDistances(rows: Float32Array, n: number, dim: number): Float64Array {
  const gram = dotProducts(rows, rows, dim);
  const distances = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      const squared = gram[i * n + i] + gram[j * n + j] - 2 * gram[i * n + j];
      distances[i * n + j] = Math.max(0, squared) / 2;
    }
  }
  return distances;
}

/** Agglomerative Ward state over n rows. */
class WardClustering {
  readonly size: Int32Array;
  readonly parent: Int32Array;
  private readonly nearest: Int32Array;
  private readonly nearestDistance: Float64Array;

  constructor(
    private readonly distances: Float64Array,
    private readonly n: number,
  ) {
    this.size = new Int32Array(n).fill(1);
    this.parent = Int32Array.from({ length: n }, (_, i) => i);
    this.nearest = new Int32Array(n);
    this.nearestDistance = new Float64Array(n);
    for (let i = 0; i < n; i++) this.findNearest(i);
  }

  private active(i: number): boolean {
    return this.parent[i] === i;
  }

  private findNearest(i: number): void {
    let best = -1;
    let bestDistance = Number.POSITIVE_INFINITY;
    for (let k = 0; k < this.n; k++) {
      if (k === i || !this.active(k)) continue;
      const d = this.distances[i * this.n + k];
      if (d < bestDistance) [best, bestDistance] = [k, d];
    }
    this.nearest[i] = best;
    this.nearestDistance[i] = bestDistance;
  }

  /** Merges the closest pair of clusters. */
  mergeClosest(): void {
    const { n, distances, size } = this;
    let i = -1;
    for (let k = 0; k < n; k++) {
      if (this.active(k) && (i === -1 || this.nearestDistance[k] < this.nearestDistance[i])) i = k;
    }
    const other = this.nearest[i];
    const [keep, gone] = i < other ? [i, other] : [other, i];

    // Lance-Williams update for Ward linkage.
    const dPair = distances[keep * n + gone];
    for (let k = 0; k < n; k++) {
      if (k === keep || k === gone || !this.active(k)) continue;
      const total = size[keep] + size[gone] + size[k];
      const merged =
        ((size[keep] + size[k]) * distances[keep * n + k] +
          (size[gone] + size[k]) * distances[gone * n + k] -
          size[k] * dPair) /
        total;
      distances[keep * n + k] = merged;
      distances[k * n + keep] = merged;
    }
    size[keep] += size[gone];
    this.parent[gone] = keep;

    for (let k = 0; k < n; k++) {
      if (!this.active(k)) continue;
      const stale = k === keep || this.nearest[k] === keep || this.nearest[k] === gone;
      if (stale) this.findNearest(k);
    }
  }

  /** Root cluster of row i. */
  root(i: number): number {
    let r = i;
    while (this.parent[r] !== r) r = this.parent[r];
    return r;
  }
}

/** Scales each row of `rows` to unit length (zero rows stay zero). */
function normalizeRows(rows: Float32Array, dim: number): void {
  for (let at = 0; at < rows.length; at += dim) {
    let norm = 0;
    for (let j = at; j < at + dim; j++) norm += rows[j] * rows[j];
    if (norm > 0) for (let j = at; j < at + dim; j++) rows[j] /= Math.sqrt(norm);
  }
}

/** Pools `n` non-padding rows into `target` cluster means. */
function poolBlock(rows: Float32Array, n: number, dim: number, target: number) {
  const clustering = new WardClustering(wardDistances(rows, n, dim), n);
  for (let clusters = n; clusters > target; clusters--) clustering.mergeClosest();

  const slot = new Int32Array(n).fill(-1);
  const means = new Float32Array(target * dim);
  let used = 0;
  for (let i = 0; i < n; i++) {
    const root = clustering.root(i);
    if (slot[root] === -1) slot[root] = used++;
    const weight = 1 / clustering.size[root];
    for (let j = 0; j < dim; j++) means[slot[root] * dim + j] += rows[i * dim + j] * weight;
  }
  return means;
}

/**
 * Pools one document's tokens (numTokens x dim) into about numTokens / poolFactor cluster
 * means; see the module comment. A pool factor of 1 returns the non-padding rows unchanged.
 * Validates the tokens like `chamfer`.
 */
export function poolTokens(
  tokens: Float32Array,
  dim: number,
  options: TokenPoolingOptions = {},
): PooledTokens {
  checkDim(dim);
  validateTokenSet(tokens, dim, 'tokens');
  const poolFactor = options.poolFactor ?? DEFAULTS.chamfer.poolFactor;
  if (typeof poolFactor !== 'number' || !(poolFactor >= 1)) {
    throw invalidArgument('poolFactor', 'a number >= 1', poolFactor);
  }
  const kept: number[] = [];
  for (let r = 0; r < tokens.length / dim; r++) if (!isPaddingRow(tokens, r, dim)) kept.push(r);

  const parts: Float32Array[] = [];
  for (let start = 0; start < kept.length; start += MAX_POOLING_BLOCK) {
    const block = kept.slice(start, start + MAX_POOLING_BLOCK);
    const rows = new Float32Array(block.length * dim);
    for (let i = 0; i < block.length; i++) {
      rows.set(tokens.subarray(block[i] * dim, (block[i] + 1) * dim), i * dim);
    }
    const target = Math.ceil(block.length / poolFactor);
    const pooled = target === block.length ? rows : poolBlock(rows, block.length, dim, target);
    if (options.normalize && pooled !== rows) normalizeRows(pooled, dim);
    parts.push(pooled);
  }

  const out = new Float32Array(parts.reduce((sum, part) => sum + part.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return { tokens: out, numTokens: out.length / dim };
}
