/**
 * The one encoding pass shared by queries and documents; only the {@link Aggregation} differs.
 *
 * MUVERA (Jayaram et al., NeurIPS 2024, arXiv 2405.19504), per repetition r:
 *   1. SimHash: a token's k sign bits against Gaussian directions pick its partition (Gray-code
 *      index, src/fde/gray-code.ts).
 *   2. Aggregate each partition: queries sum their tokens, documents average them; an empty
 *      document partition (with filling on) takes the token whose sign bits are nearest in
 *      Hamming distance.
 *   3. Project each partition's vector to d_proj (identity, dense or sparse) and write it at
 *      (r * 2^k + partition) * d_proj.
 * Then, optionally, count-sketch the whole vector to d_final.
 *
 * NOTE: step 3 projects each partition's aggregate rather than every token. The projections are
 * linear, so the result is the same as projecting tokens first (up to float rounding), but the
 * work is (occupied partitions) x dim x d_proj instead of (tokens) x dim x d_proj: about three
 * times less for 100-token documents at k = 5. Products (SimHash, dense projection) run on the
 * float32 SIMD kernel of src/fde/kernels.ts; sums, averages and sketches are float64, rounded to
 * float32 once at the end. Every step is deterministic, so the same input gives the same bytes in
 * every process.
 */
import type { FdeConfig } from './config.js';
import { effectiveProjectionDimension, fdeDimension, outputDimensionOf } from './config.js';
import { nearestPatternOwners, partitionSignBits } from './gray-code.js';
import { type ProductKernel, productKernel } from './kernels.js';
import type { BucketLists, SignedBuckets } from './matrices.js';
import {
  denseProjection,
  finalSketch,
  groupByBucket,
  simhashMatrix,
  sparseProjection,
} from './matrices.js';

/** How a pass aggregates: the only difference between query and document encoding. */
export interface Aggregation {
  /** Divide each partition's sum by its token count (documents). */
  average: boolean;
  /** Give empty partitions their Hamming-nearest token (documents with filling on). */
  fill: boolean;
}

/** Tokens hashed per SimHash product; bounds scratch memory for 100,000-token documents. */
const TOKEN_BLOCK = 64;

/** An FDE encoding pass: the matrices of one config plus scratch buffers reused across calls. */
export class EncodePass {
  private readonly dim: number;
  private readonly numRepetitions: number;
  private readonly numBits: number;
  private readonly numPartitions: number;
  private readonly dProj: number;
  private readonly fdeDim: number;
  private readonly outputDim: number;
  private readonly projection: FdeConfig['projection'];
  private readonly simhash: Float32Array;
  private readonly dense: Float32Array[];
  private readonly product: ProductKernel;
  private readonly sparse: BucketLists[];
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
    this.projection = config.projection;
    this.simhash = simhashMatrix(config);
    this.product = productKernel(config.dim);
    this.dense =
      config.projection === 'dense' ? splitRepetitions(denseProjection(config), config) : [];
    this.sparse = config.projection === 'sparse' ? splitSparse(config) : [];
    this.sketch = finalSketch(config);
    const hashWidth = this.numRepetitions * this.numBits;
    this.scratch = new Scratch(config.dim, this.dProj, hashWidth, this.fdeDim, this.outputDim);
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
    const numTokens = this.hashTokens(data, start, end);
    const fde = this.scratch.fde;
    fde.fill(0);
    for (let r = 0; r < this.numRepetitions; r++) {
      const numSlots = this.aggregate(data, r, numTokens, aggregation);
      this.project(r, numSlots);
    }
    this.finish(out, outOffset);
    return numTokens;
  }

  /** Phase 1: the partition of every non-padding token in every repetition. */
  private hashTokens(data: Float32Array, start: number, end: number): number {
    const { dim } = this;
    const s = this.scratch;
    s.reserveTokens(end - start, this.numRepetitions);
    let numTokens = 0;
    let inBlock = 0;
    for (let row = start; row < end; row++) {
      const base = row * dim;
      const blockBase = inBlock * dim;
      let nonZero = false;
      for (let j = 0; j < dim; j++) {
        const value = data[base + j];
        s.block[blockBase + j] = value;
        if (value !== 0) nonZero = true;
      }
      if (!nonZero) continue;
      s.keptRows[numTokens++] = row;
      if (++inBlock === TOKEN_BLOCK) {
        this.hashBlock(numTokens - inBlock, inBlock);
        inBlock = 0;
      }
    }
    if (inBlock > 0) this.hashBlock(numTokens - inBlock, inBlock);
    return numTokens;
  }

  /** SimHash of the `count` tokens in the block, numbered from `first`, for every repetition. */
  private hashBlock(first: number, count: number): void {
    const { numRepetitions: reps, numBits: k } = this;
    const s = this.scratch;
    if (k > 0) this.product(s.block, count, this.simhash, reps * k, this.dim, s.hashes);
    signPartitions(s.hashes, count, reps, k, s.partitions, first * reps);
  }

  /**
   * Phase 2 for repetition r: each occupied (or filled) partition gets a slot, a row of `sums`
   * holding its raw (unprojected) aggregate. Returns the slot count.
   */
  private aggregate(data: Float32Array, r: number, numTokens: number, agg: Aggregation): number {
    const { dim, numRepetitions: reps } = this;
    const s = this.scratch;
    s.reserveSlots(Math.min(this.numPartitions, numTokens), this.numPartitions);
    s.slotOf.fill(-1, 0, this.numPartitions);
    let numSlots = 0;
    for (let t = 0; t < numTokens; t++) {
      const partition = s.partitions[t * reps + r];
      let slot = s.slotOf[partition];
      if (slot < 0) {
        slot = numSlots++;
        s.slotOf[partition] = slot;
        s.slotPartition[slot] = partition;
        s.counts[slot] = 0;
      }
      s.counts[slot]++;
      s.tokenSlot[t] = slot;
    }
    s.sums.fill(0, 0, numSlots * dim);
    addRows(data, s.keptRows, s.tokenSlot, numTokens, s.sums, dim);

    if (agg.average) {
      for (let slot = 0; slot < numSlots; slot++) {
        scaleRow(s.sums, slot * dim, dim, 1 / s.counts[slot]);
      }
    }
    if (agg.fill && numSlots < this.numPartitions) {
      numSlots = this.fillEmpty(data, r, numTokens, numSlots);
    }
    return numSlots;
  }

  /** Gives every empty partition of repetition r the token nearest to it in Hamming distance. */
  private fillEmpty(data: Float32Array, r: number, numTokens: number, numSlots: number): number {
    const { dim, numRepetitions: reps } = this;
    const s = this.scratch;
    s.reserveSlots(this.numPartitions, this.numPartitions);
    s.reserveFill(this.numPartitions);
    for (let t = 0; t < numTokens; t++) {
      s.patterns[t] = partitionSignBits(s.partitions[t * reps + r]);
    }
    nearestPatternOwners(s.patterns, numTokens, this.numBits, s.owners, s.bfs);

    let slot = numSlots;
    for (let partition = 0; partition < this.numPartitions; partition++) {
      if (s.slotOf[partition] >= 0) continue;
      const token = s.owners[partitionSignBits(partition)];
      s.slotPartition[slot] = partition;
      copyRow(data, s.keptRows[token] * dim, s.sums, slot * dim, dim);
      slot++;
    }
    return slot;
  }

  /** Phase 3 for repetition r: project each slot and write it at its partition's place. */
  private project(r: number, numSlots: number): void {
    const { dim, dProj } = this;
    const s = this.scratch;
    const base = r * this.numPartitions * dProj;
    if (this.projection === 'identity') {
      for (let slot = 0; slot < numSlots; slot++) {
        const target = base + s.slotPartition[slot] * dProj;
        s.fde.set(s.sums.subarray(slot * dim, slot * dim + dim), target);
      }
    } else if (this.projection === 'dense') {
      for (let i = 0; i < numSlots * dim; i++) s.packed[i] = s.sums[i];
      this.product(s.packed, numSlots, this.dense[r], dProj, dim, s.projected);
      for (let slot = 0; slot < numSlots; slot++) {
        const target = base + s.slotPartition[slot] * dProj;
        s.fde.set(s.projected.subarray(slot * dProj, slot * dProj + dProj), target);
      }
    } else {
      this.projectSparse(r, numSlots, base);
    }
  }

  /** Sparse projection: each output coordinate sums its signed input coordinates. */
  private projectSparse(r: number, numSlots: number, base: number): void {
    const s = this.scratch;
    for (let slot = 0; slot < numSlots; slot++) {
      const target = base + s.slotPartition[slot] * this.dProj;
      gatherRow(s.sums, slot * this.dim, this.sparse[r], this.dProj, s.fde, target);
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
    sketched.fill(0, 0, this.outputDim);
    const { bucket, sign } = this.sketch;
    for (let i = 0; i < this.fdeDim; i++) {
      if (fde[i] !== 0) sketched[bucket[i]] += sign[i] * fde[i];
    }
    for (let i = 0; i < this.outputDim; i++) out[outOffset + i] = sketched[i];
  }
}

/** Buffers reused across calls, grown on demand (never shrunk). */
class Scratch {
  readonly block: Float32Array;
  readonly hashes: Float32Array;
  readonly fde: Float64Array;
  readonly sketched: Float64Array;
  keptRows = new Int32Array(0);
  partitions = new Int32Array(0);
  patterns = new Int32Array(0);
  tokenSlot = new Int32Array(0);
  sums = new Float64Array(0);
  packed = new Float32Array(0);
  projected = new Float32Array(0);
  counts = new Float64Array(0);
  slotOf = new Int32Array(0);
  slotPartition = new Int32Array(0);
  owners = new Int32Array(0);
  bfs = new Int32Array(0);

  constructor(
    private readonly dim: number,
    private readonly dProj: number,
    hashWidth: number,
    fdeDim: number,
    outputDim: number,
  ) {
    this.block = new Float32Array(TOKEN_BLOCK * dim);
    this.hashes = new Float32Array(TOKEN_BLOCK * hashWidth);
    this.fde = new Float64Array(fdeDim);
    this.sketched = new Float64Array(outputDim);
  }

  /** Room for `rows` tokens' kept-row numbers, partitions and sign patterns. */
  reserveTokens(rows: number, numRepetitions: number): void {
    if (this.keptRows.length >= rows) return;
    this.keptRows = new Int32Array(rows);
    this.partitions = new Int32Array(rows * numRepetitions);
    this.patterns = new Int32Array(rows);
    this.tokenSlot = new Int32Array(rows);
  }

  /** Room for `slots` partition rows and per-partition tables of `numPartitions`. */
  reserveSlots(slots: number, numPartitions: number): void {
    if (this.slotOf.length < numPartitions) this.slotOf = new Int32Array(numPartitions);
    if (this.counts.length >= slots) return;
    const grown = Math.min(numPartitions, Math.max(slots, 2 * this.counts.length));
    const sums = new Float64Array(grown * this.dim);
    sums.set(this.sums);
    this.sums = sums;
    this.packed = new Float32Array(grown * this.dim);
    this.projected = new Float32Array(grown * this.dProj);
    const counts = new Float64Array(grown);
    counts.set(this.counts);
    this.counts = counts;
    const slotPartition = new Int32Array(grown);
    slotPartition.set(this.slotPartition);
    this.slotPartition = slotPartition;
  }

  /** Room for the nearest-token search over all 2^k sign patterns. */
  reserveFill(numPartitions: number): void {
    if (this.owners.length >= numPartitions) return;
    this.owners = new Int32Array(numPartitions);
    this.bfs = new Int32Array(2 * numPartitions);
  }
}

/**
 * The sign bits of each token's k hashes per repetition, folded into a Gray-code partition index.
 * Shapes: hashes (count x reps * k); partitions (tokens x reps) written from `target`.
 */
function signPartitions(
  hashes: Float32Array,
  count: number,
  reps: number,
  k: number,
  partitions: Int32Array,
  target: number,
): void {
  const width = reps * k;
  for (let b = 0; b < count; b++) {
    for (let r = 0; r < reps; r++) {
      let index = 0;
      const hashBase = b * width + r * k;
      for (let i = 0; i < k; i++) {
        const bit = hashes[hashBase + i] > 0 ? 1 : 0;
        index = (index << 1) + (bit ^ (index & 1));
      }
      partitions[target + b * reps + r] = index;
    }
  }
}

/** Adds each kept token's row to its slot's row of sums. Shapes: data (rows x dim), sums (slots x dim). */
function addRows(
  data: Float32Array,
  keptRows: Int32Array,
  tokenSlot: Int32Array,
  numTokens: number,
  sums: Float64Array,
  dim: number,
): void {
  for (let t = 0; t < numTokens; t++)
    addRow(data, keptRows[t] * dim, sums, tokenSlot[t] * dim, dim);
}

/** fde[target + c] = sum of sign * row[source + j] over the coordinates j of bucket c. */
function gatherRow(
  rows: Float64Array,
  source: number,
  lists: BucketLists,
  dProj: number,
  fde: Float64Array,
  target: number,
): void {
  const { starts, sign } = lists;
  const coordinate = lists.source;
  for (let c = 0; c < dProj; c++) {
    let sum = 0;
    for (let i = starts[c]; i < starts[c + 1]; i++) sum += sign[i] * rows[source + coordinate[i]];
    fde[target + c] = sum;
  }
}

/** sums[target .. target + dim) += data[source .. source + dim). */
function addRow(
  data: Float32Array,
  source: number,
  sums: Float64Array,
  target: number,
  dim: number,
) {
  for (let j = 0; j < dim; j++) sums[target + j] += data[source + j];
}

/** sums[target .. target + dim) = data[source .. source + dim). */
function copyRow(
  data: Float32Array,
  source: number,
  sums: Float64Array,
  target: number,
  dim: number,
) {
  for (let j = 0; j < dim; j++) sums[target + j] = data[source + j];
}

/** row *= factor, in place. */
function scaleRow(values: Float64Array, start: number, dim: number, factor: number): void {
  for (let j = start; j < start + dim; j++) values[j] *= factor;
}

/** The sparse projection of each repetition, grouped by output coordinate. */
function splitSparse(config: FdeConfig): BucketLists[] {
  const map = sparseProjection(config);
  const dProj = effectiveProjectionDimension(config);
  return Array.from({ length: config.numRepetitions }, (_, r) =>
    groupByBucket(map, r * config.dim, config.dim, dProj),
  );
}

/** Views of one matrix per repetition (d_proj x dim each). */
function splitRepetitions(matrix: Float32Array, config: FdeConfig): Float32Array[] {
  const size = effectiveProjectionDimension(config) * config.dim;
  return Array.from({ length: config.numRepetitions }, (_, r) =>
    matrix.subarray(r * size, (r + 1) * size),
  );
}
