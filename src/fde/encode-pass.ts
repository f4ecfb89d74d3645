/**
 * The one encoding pass shared by queries and documents; only the {@link Aggregation} differs.
 *
 * MUVERA (Jayaram et al., NeurIPS 2024, arXiv 2405.19504), per repetition r:
 *   1. SimHash: a token's k sign bits against Gaussian directions pick its partition (Gray-code
 *      index, src/fde/gray-code.ts).
 *   2. Project the token to d_proj (identity, dense or sparse).
 *   3. Aggregate each partition at (r * 2^k + partition) * d_proj: queries sum their projected
 *      tokens, documents average them; an empty document partition (with filling on) takes the
 *      projected token whose sign bits are nearest in Hamming distance.
 * Then, optionally, count-sketch the whole vector to d_final.
 *
 * Implementation: steps 1 and 2 of every repetition are one matrix product per block of up to 128
 * tokens, against the fused (R * k + R * d_proj) x dim matrix of src/fde/matrices.ts, on the
 * WebAssembly SIMD kernel (src/fde/kernels.ts). Step 3 runs in d_proj space (R * d_proj adds per
 * token). For filling, note that the Hamming-nearest token chosen by a scan in token order is
 * always the first token seen with some present sign pattern, so only the projection of each
 * partition's first token is kept: memory stays bounded by the FDE size however long the
 * document. Sums and averages are float64, rounded to float32 once at the end; every step is
 * deterministic, so the same input gives the same bytes in every process.
 */
import type { FdeConfig } from './config.js';
import { effectiveProjectionDimension, fdeDimension, outputDimensionOf } from './config.js';
import { nearestPatternOwners, partitionSignBits } from './gray-code.js';
import { type ProductKernel, productKernel } from './kernels.js';
import type { SignedBuckets } from './matrices.js';
import { finalSketch, fusedMatrix } from './matrices.js';

/** How a pass aggregates: the only difference between query and document encoding. */
export interface Aggregation {
  /** Divide each partition's sum by its token count (documents). */
  average: boolean;
  /** Give empty partitions their Hamming-nearest token (documents with filling on). */
  fill: boolean;
}

/** Tokens per matrix product at most (a typical document in one product). */
const TOKEN_BLOCK = 128;

/** Values of one block's product at most (2 MiB), so very wide fused matrices take fewer rows. */
const MAX_BLOCK_VALUES = 2 ** 19;

/** An FDE encoding pass: the matrices of one config plus scratch buffers reused across calls. */
export class EncodePass {
  private readonly dim: number;
  private readonly numRepetitions: number;
  private readonly numBits: number;
  private readonly numPartitions: number;
  private readonly dProj: number;
  private readonly fdeDim: number;
  private readonly outputDim: number;
  /** Columns of one product row: R * k sign values, then R * d_proj projected values. */
  private readonly width: number;
  /** False for the identity projection, whose projected token is the token row itself. */
  private readonly projects: boolean;
  /** Tokens per product: TOKEN_BLOCK, fewer when a product row is very wide. */
  private readonly blockRows: number;
  private readonly fused: Float32Array;
  private readonly product: ProductKernel;
  private readonly sketch: SignedBuckets | null;
  private readonly scratch: Scratch;

  constructor(config: FdeConfig) {
    this.dim = config.dim;
    this.numRepetitions = config.numRepetitions;
    this.numBits = config.numSimhashProjections;
    this.numPartitions = 2 ** config.numSimhashProjections;
    this.dProj = effectiveProjectionDimension(config);
    this.fdeDim = fdeDimension(config);
    this.outputDim = outputDimensionOf(config);
    this.projects = config.projection !== 'identity';
    const signColumns = this.numRepetitions * this.numBits;
    this.width = signColumns + (this.projects ? this.numRepetitions * this.dProj : 0);
    this.blockRows = Math.max(1, Math.min(TOKEN_BLOCK, Math.floor(MAX_BLOCK_VALUES / this.width)));
    this.fused = fusedMatrix(config);
    this.product = productKernel(config.dim);
    this.sketch = finalSketch(config);
    this.scratch = new Scratch(this.numRepetitions, this.numPartitions);
    this.scratch.reserveBlock(this.blockRows, this.dim, this.width);
    this.scratch.reserveOutput(this.fdeDim, this.outputDim);
  }

  /**
   * Encodes rows `start` to `end` of `data` (already validated, at least one non-padding row)
   * into out[outOffset .. outOffset + outputDimension). Returns the number of non-padding rows.
   */
  run(
    data: Float32Array,
    start: number,
    end: number,
    aggregation: Aggregation,
    out: Float32Array,
    outOffset: number,
  ): number {
    const s = this.scratch;
    s.fde.fill(0);
    s.counts.fill(0);
    s.seen.fill(0);

    const numTokens = this.accumulateAll(data, start, end, aggregation.fill);
    for (let r = 0; r < this.numRepetitions; r++) {
      if (aggregation.average) this.average(r);
      if (aggregation.fill && s.seen[r] < this.numPartitions) this.fillEmpty(r);
    }
    this.finish(out, outOffset);
    return numTokens;
  }

  /** Steps 1 to 3 for every non-padding row, a block of tokens at a time. */
  private accumulateAll(data: Float32Array, start: number, end: number, fill: boolean): number {
    const { dim } = this;
    const block = this.scratch.block;
    let numTokens = 0;
    let inBlock = 0;
    for (let row = start; row < end; row++) {
      const blockBase = inBlock * dim;
      if (!copyNonZeroRow(data, row * dim, block, blockBase, dim)) continue;
      numTokens++;
      if (++inBlock === this.blockRows) {
        this.accumulateBlock(inBlock, fill);
        inBlock = 0;
      }
    }
    if (inBlock > 0) this.accumulateBlock(inBlock, fill);
    return numTokens;
  }

  /** One product for the block, then each token's partitions and projected values. */
  private accumulateBlock(count: number, fill: boolean): void {
    const { numRepetitions: reps, numBits: k, numPartitions, dProj, width } = this;
    const s = this.scratch;
    if (width > 0) this.product(s.block, count, this.fused, width, this.dim, s.products);

    // Identity: the projected token is the block row; otherwise the product's projection columns.
    const source = this.projects ? s.products : s.block;
    for (let b = 0; b < count; b++) {
      const rowBase = b * width;
      for (let r = 0; r < reps; r++) {
        const partition = signPartition(s.products, rowBase + r * k, k);
        const cell = r * numPartitions + partition;
        const from = this.projects ? rowBase + reps * k + r * dProj : b * dProj;
        if (s.counts[cell]++ === 0) {
          s.firstOrder[r * numPartitions + s.seen[r]++] = partition;
          if (fill) copyToFloat64(source, from, s.first, cell * dProj, dProj);
        }
        addToFloat64(source, from, s.fde, cell * dProj, dProj);
      }
    }
  }

  /** Divides each occupied partition of repetition r by its token count. */
  private average(r: number): void {
    const { numPartitions, dProj } = this;
    const { counts, fde } = this.scratch;
    for (let p = 0; p < numPartitions; p++) {
      const count = counts[r * numPartitions + p];
      if (count > 1) scaleRow(fde, (r * numPartitions + p) * dProj, dProj, 1 / count);
    }
  }

  /**
   * Gives every empty partition of repetition r the projection of the token nearest in Hamming
   * distance: the first token of a present pattern, found by a search over the k-cube.
   */
  private fillEmpty(r: number): void {
    const { numPartitions, numBits, dProj } = this;
    const s = this.scratch;
    const present = s.seen[r];
    const order = s.firstOrder.subarray(r * numPartitions, r * numPartitions + present);
    for (let i = 0; i < present; i++) s.patterns[i] = partitionSignBits(order[i]);
    nearestPatternOwners(s.patterns, present, numBits, s.owners, s.bfs);

    for (let p = 0; p < numPartitions; p++) {
      const cell = r * numPartitions + p;
      if (s.counts[cell] > 0) continue;
      const owner = r * numPartitions + order[s.owners[partitionSignBits(p)]];
      s.fde.set(s.first.subarray(owner * dProj, owner * dProj + dProj), cell * dProj);
    }
  }

  /** Writes the float64 FDE (count-sketched when configured) as float32 into `out`. */
  private finish(out: Float32Array, outOffset: number): void {
    const { fde } = this.scratch;
    if (this.sketch === null) {
      for (let i = 0; i < this.fdeDim; i++) out[outOffset + i] = fde[i];
      return;
    }
    const sketched = this.scratch.sketched;
    sketched.fill(0);
    const { bucket, sign } = this.sketch;
    for (let i = 0; i < this.fdeDim; i++) {
      if (fde[i] !== 0) sketched[bucket[i]] += sign[i] * fde[i];
    }
    for (let i = 0; i < this.outputDim; i++) out[outOffset + i] = sketched[i];
  }
}

/** Buffers reused across calls; all sized by the config, none by the token count. */
class Scratch {
  /** Up to blockRows non-padding token rows. */
  block = new Float32Array(0);
  /** The block's product with the fused matrix (blockRows x width). */
  products = new Float32Array(0);
  /** The FDE being built (R * B * d_proj). */
  fde = new Float64Array(0);
  /** The projection of the first token of each (repetition, partition). */
  first = new Float64Array(0);
  sketched = new Float64Array(0);
  /** Tokens per (repetition, partition). Float64: no overflow for any token count. */
  readonly counts: Float64Array;
  /** Partitions of each repetition in order of their first token. */
  readonly firstOrder: Int32Array;
  /** Occupied partitions per repetition. */
  readonly seen: Int32Array;
  readonly patterns: Int32Array;
  readonly owners: Int32Array;
  readonly bfs: Int32Array;

  constructor(numRepetitions: number, numPartitions: number) {
    const cells = numRepetitions * numPartitions;
    this.counts = new Float64Array(cells);
    this.firstOrder = new Int32Array(cells);
    this.seen = new Int32Array(numRepetitions);
    this.patterns = new Int32Array(numPartitions);
    this.owners = new Int32Array(numPartitions);
    this.bfs = new Int32Array(2 * numPartitions);
  }

  /** The token block and its product. */
  reserveBlock(rows: number, dim: number, width: number): void {
    this.block = new Float32Array(rows * dim);
    this.products = new Float32Array(rows * width);
  }

  /** The FDE, first-token and sketch buffers. */
  reserveOutput(fdeDim: number, outputDim: number): void {
    this.fde = new Float64Array(fdeDim);
    this.first = new Float64Array(fdeDim);
    this.sketched = new Float64Array(outputDim);
  }
}

/** Copies a row into the block; false (and nothing counted) when the row is padding. */
function copyNonZeroRow(
  data: Float32Array,
  source: number,
  block: Float32Array,
  target: number,
  dim: number,
): boolean {
  let nonZero = false;
  for (let j = 0; j < dim; j++) {
    const value = data[source + j];
    block[target + j] = value;
    if (value !== 0) nonZero = true;
  }
  return nonZero;
}

/** The Gray-code partition of the k sign values at values[start ..]. */
function signPartition(values: Float32Array, start: number, k: number): number {
  let index = 0;
  for (let i = 0; i < k; i++) {
    const bit = values[start + i] > 0 ? 1 : 0;
    index = (index << 1) + (bit ^ (index & 1));
  }
  return index;
}

/** target[at .. at + n) += source[from .. from + n). */
function addToFloat64(
  source: Float32Array,
  from: number,
  target: Float64Array,
  at: number,
  n: number,
) {
  for (let j = 0; j < n; j++) target[at + j] += source[from + j];
}

/** target[at .. at + n) = source[from .. from + n). */
function copyToFloat64(
  source: Float32Array,
  from: number,
  target: Float64Array,
  at: number,
  n: number,
) {
  for (let j = 0; j < n; j++) target[at + j] = source[from + j];
}

/** values[start .. start + n) *= factor. */
function scaleRow(values: Float64Array, start: number, n: number, factor: number): void {
  for (let j = start; j < start + n; j++) values[j] *= factor;
}
