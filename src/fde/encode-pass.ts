/**
 * The one encoding pass shared by queries and documents; only the {@link Aggregation} differs.
 *
 * MUVERA (Jayaram et al., NeurIPS 2024, arXiv 2405.19504), per repetition r:
 *   1. SimHash: a token's k sign bits against Gaussian directions pick its partition (Gray-code
 *      index, src/fde/gray-code.ts).
 *   2. Aggregate each partition: queries sum their tokens, documents average them; an empty
 *      document partition (with filling on) takes the token whose sign bits are nearest in Hamming
 *      distance.
 *   3. Project each partition's vector to d_proj (identity, dense or sparse) and write it at
 *      (r * 2^k + partition) * d_proj.
 * Then, optionally, count-sketch the whole vector to d_final.
 *
 * Implementation: step 1 of every repetition is one matrix product per block of up to 128 tokens
 * against the fused (R * k) x dim SimHash matrix, on the WebAssembly SIMD kernel
 * (src/fde/kernels.ts). Step 2 adds the raw tokens into float64 partition sums (R * dim adds per
 * token, WebAssembly SIMD, src/fde/pass-memory.ts). Step 3 runs once per occupied partition, not
 * once per token (src/fde/projectors.ts): every projection is linear, so projecting a partition's
 * sum equals summing its projected tokens. Averages divide the projected sums. For 100-token
 * documents at R 20, k 5, d_proj 16 this replaces 100 x 20 token projections by about 620
 * partition projections, and the sparse one by a gather of dim signed adds each.
 *
 * Partition sums live in slots, a repetition's slots in order of their partition's first token,
 * so a repetition holds at most min(2^k, rows) of them. Repetitions are taken in groups whose
 * slots fit MAX_SLOT_VALUES (one group for every preset); a group passes over the tokens once.
 * For filling, the Hamming-nearest token chosen by a scan in token order is always the first
 * token seen with some present sign pattern, so only the row number of each partition's first
 * token is kept. Every step is deterministic, so the same input gives the same bytes in every
 * process.
 */
import type { FdeConfig } from './config.js';
import { effectiveProjectionDimension, fdeDimension, outputDimensionOf } from './config.js';
import { nearestPatternOwners, partitionSignBits } from './gray-code.js';
import { type ProductKernel, productKernel } from './kernels.js';
import type { SignedBuckets } from './matrices.js';
import { finalSketch, simhashMatrix } from './matrices.js';
import { PassMemory } from './pass-memory.js';
import { type PartitionProjector, partitionProjector } from './projectors.js';

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

/**
 * Partition-sum values of one repetition group at most (16 MiB of float64), unless a single
 * repetition needs more: then min(2^k, rows) * dim, at most twice the input's bytes.
 */
const MAX_SLOT_VALUES = 2 ** 21;

/** An FDE encoding pass: the matrices of one config plus scratch buffers reused across calls. */
export class EncodePass {
  private readonly dim: number;
  private readonly numRepetitions: number;
  private readonly numBits: number;
  private readonly numPartitions: number;
  private readonly dProj: number;
  private readonly fdeDim: number;
  private readonly outputDim: number;
  /** Tokens per product: TOKEN_BLOCK, fewer when the SimHash matrix is very wide. */
  private readonly blockRows: number;
  private readonly simhash: Float32Array;
  private readonly product: ProductKernel;
  private readonly projector: PartitionProjector;
  private readonly sketch: SignedBuckets | null;
  private readonly scratch: Scratch;

  /** `useWasm` false runs the TypeScript twins of the hot loops (same bytes; for tests). */
  constructor(config: FdeConfig, useWasm = true) {
    this.dim = config.dim;
    this.numRepetitions = config.numRepetitions;
    this.numBits = config.numSimhashProjections;
    this.numPartitions = 2 ** config.numSimhashProjections;
    this.dProj = effectiveProjectionDimension(config);
    this.fdeDim = fdeDimension(config);
    this.outputDim = outputDimensionOf(config);
    const width = Math.max(1, this.numRepetitions * this.numBits);
    this.blockRows = Math.max(1, Math.min(TOKEN_BLOCK, Math.floor(MAX_BLOCK_VALUES / width)));
    this.simhash = simhashMatrix(config);
    this.product = productKernel(config.dim);
    this.scratch = new Scratch(this.numRepetitions, this.numPartitions, useWasm);
    this.projector = partitionProjector(config, this.scratch.memory);
    this.sketch = finalSketch(config);
    this.scratch.reserveBlock(this.blockRows, width);
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

    // Slots per repetition: one per occupied partition, so at most min(2^k, rows).
    const slotsPerRep = Math.min(this.numPartitions, end - start);
    const groupSize = Math.floor(MAX_SLOT_VALUES / (slotsPerRep * this.dim));
    const group = Math.max(1, Math.min(this.numRepetitions, groupSize));
    s.memory.reserve({
      blockRows: this.blockRows,
      dim: this.dim,
      reps: group,
      slots: group * slotsPerRep,
      partitionRows: slotsPerRep,
      dProj: this.dProj,
    });

    let numTokens = 0;
    for (let first = 0; first < this.numRepetitions; first += group) {
      const reps = { first, end: Math.min(this.numRepetitions, first + group), slotsPerRep };
      numTokens = this.aggregateAll(data, start, end, reps);
      for (let r = reps.first; r < reps.end; r++)
        this.projectRepetition(r, reps, data, aggregation);
    }
    this.finish(out, outOffset);
    return numTokens;
  }

  /** Steps 1 and 2 for every non-padding row and the repetitions of a group, block by block. */
  private aggregateAll(data: Float32Array, start: number, end: number, reps: Group): number {
    const { dim } = this;
    const { memory, blockRowNumbers } = this.scratch;
    const block = memory.block;
    let numTokens = 0;
    let inBlock = 0;
    for (let row = start; row < end; row++) {
      if (!copyNonZeroRow(data, row * dim, block, inBlock * dim, dim)) continue;
      numTokens++;
      blockRowNumbers[inBlock] = row;
      if (++inBlock === this.blockRows) {
        this.aggregateBlock(inBlock, reps);
        inBlock = 0;
      }
    }
    if (inBlock > 0) this.aggregateBlock(inBlock, reps);
    return numTokens;
  }

  /** One SimHash product for the block, then each token added to its partitions' slots. */
  private aggregateBlock(count: number, reps: Group): void {
    const { dim, numBits: k, numPartitions } = this;
    const s = this.scratch;
    const { block, slotList } = s.memory;
    const numReps = reps.end - reps.first;
    const width = numReps * k;
    const directions = this.simhash.subarray(reps.first * k * dim, reps.end * k * dim);
    if (width > 0) this.product(block, count, directions, width, dim, s.products);

    // Each token's slot per repetition; a new slot is marked -1 - slot (zeroed, then added to).
    for (let b = 0; b < count; b++) {
      for (let r = reps.first; r < reps.end; r++) {
        const partition = signPartition(s.products, b * width + (r - reps.first) * k, k);
        const cell = r * numPartitions + partition;
        const at = b * numReps + r - reps.first;
        if (s.counts[cell]++ > 0) {
          slotList[at] = s.slotOf[cell];
          continue;
        }
        const order = s.seen[r]++;
        s.firstOrder[r * numPartitions + order] = partition;
        s.firstRow[cell] = s.blockRowNumbers[b];
        s.slotOf[cell] = (r - reps.first) * reps.slotsPerRep + order;
        slotList[at] = -1 - s.slotOf[cell];
      }
    }
    s.memory.addToSlots(count, dim, numReps);
  }

  /** Step 3 for repetition r: projects its occupied partitions, averages, then fills. */
  private projectRepetition(r: number, reps: Group, data: Float32Array, how: Aggregation): void {
    const { dim, dProj, numPartitions } = this;
    const s = this.scratch;
    const present = s.seen[r];
    const firstSlot = (r - reps.first) * reps.slotsPerRep;
    const sums = s.memory.sums.subarray(firstSlot * dim, (firstSlot + present) * dim);
    this.projector.project(r, sums, present);

    for (let i = 0; i < present; i++) {
      const cell = r * numPartitions + s.firstOrder[r * numPartitions + i];
      const count = s.counts[cell];
      const scale = how.average && count > 1 ? 1 / count : 1;
      writeRow(s.memory.projected, i * dProj, s.fde, cell * dProj, dProj, scale);
    }
    if (how.fill && present < numPartitions) this.fillEmpty(r, data);
  }

  /**
   * Gives every empty partition of repetition r the projection of the token nearest in Hamming
   * distance: the first token of a present pattern, found by a search over the k-cube. Each
   * owner's token is projected once, however many partitions it fills.
   */
  private fillEmpty(r: number, data: Float32Array): void {
    const { numPartitions, numBits, dim, dProj } = this;
    const s = this.scratch;
    const present = s.seen[r];
    const order = s.firstOrder.subarray(r * numPartitions, r * numPartitions + present);
    for (let i = 0; i < present; i++) s.patterns[i] = partitionSignBits(order[i]);
    nearestPatternOwners(s.patterns, present, numBits, s.owners, s.bfs);

    // Stage the first token of each owner that fills some partition, once.
    s.ownerRow.fill(-1, 0, present);
    let staged = 0;
    for (let p = 0; p < numPartitions; p++) {
      const owner = s.owners[partitionSignBits(p)];
      if (s.counts[r * numPartitions + p] > 0 || s.ownerRow[owner] >= 0) continue;
      s.ownerRow[owner] = staged;
      const tokenRow = s.firstRow[r * numPartitions + order[owner]];
      copyRow(data, tokenRow * dim, s.memory.fillRows, staged * dim, dim);
      staged++;
    }
    this.projector.project(r, s.memory.fillRows, staged);

    for (let p = 0; p < numPartitions; p++) {
      if (s.counts[r * numPartitions + p] > 0) continue;
      const row = s.ownerRow[s.owners[partitionSignBits(p)]];
      writeRow(s.memory.projected, row * dProj, s.fde, (r * numPartitions + p) * dProj, dProj, 1);
    }
  }

  /** Writes the float64 FDE (count-sketched when configured) as float32 into `out`. */
  private finish(out: Float32Array, outOffset: number): void {
    const { fde } = this.scratch;
    if (this.sketch === null) {
      out.set(fde, outOffset); // rounds each value to float32, as an assignment would
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

/** Repetitions first .. end - 1, aggregated in one pass over the tokens. */
interface Group {
  first: number;
  end: number;
  /** Slots of each repetition: min(2^k, rows). */
  slotsPerRep: number;
}

/** Buffers reused across calls; all sized by the config, except slots (by the call's rows). */
class Scratch {
  /** Token block, slot lists, partition sums, fill rows and projected rows. */
  readonly memory: PassMemory;
  /** Row number in `data` of each block row. */
  blockRowNumbers = new Float64Array(0);
  /** The block's product with the SimHash directions (blockRows x group's R * k). */
  products = new Float32Array(0);
  /** The FDE being built (R * B * d_proj). */
  fde = new Float64Array(0);
  sketched = new Float64Array(0);
  /** Tokens per (repetition, partition). Float64: no overflow for any token count. */
  readonly counts: Float64Array;
  /** Row number in `data` of the first token of each (repetition, partition). */
  readonly firstRow: Float64Array;
  /** Slot of each occupied (repetition, partition). */
  readonly slotOf: Int32Array;
  /** Partitions of each repetition in order of their first token. */
  readonly firstOrder: Int32Array;
  /** Occupied partitions per repetition. */
  readonly seen: Int32Array;
  readonly patterns: Int32Array;
  readonly owners: Int32Array;
  readonly bfs: Int32Array;
  /** Staged fill row of each owner (index into firstOrder), -1 when not staged. */
  readonly ownerRow: Int32Array;

  constructor(numRepetitions: number, numPartitions: number, useWasm: boolean) {
    this.memory = new PassMemory(useWasm);
    const cells = numRepetitions * numPartitions;
    this.counts = new Float64Array(cells);
    this.firstRow = new Float64Array(cells);
    this.slotOf = new Int32Array(cells);
    this.firstOrder = new Int32Array(cells);
    this.seen = new Int32Array(numRepetitions);
    this.patterns = new Int32Array(numPartitions);
    this.owners = new Int32Array(numPartitions);
    this.bfs = new Int32Array(2 * numPartitions);
    this.ownerRow = new Int32Array(numPartitions);
  }

  /** The block's row numbers and SimHash product. */
  reserveBlock(rows: number, width: number): void {
    this.blockRowNumbers = new Float64Array(rows);
    this.products = new Float32Array(rows * width);
  }

  /** The FDE and sketch buffers. */
  reserveOutput(fdeDim: number, outputDim: number): void {
    this.fde = new Float64Array(fdeDim);
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

/** target[at .. at + n) = source[from .. from + n). */
function copyRow(source: Float32Array, from: number, target: Float64Array, at: number, n: number) {
  for (let j = 0; j < n; j++) target[at + j] = source[from + j];
}

/** target[at .. at + n) = source[from .. from + n) * scale (no multiply when scale is 1). */
function writeRow(
  source: Float64Array,
  from: number,
  target: Float64Array,
  at: number,
  n: number,
  scale: number,
): void {
  if (scale === 1) {
    for (let j = 0; j < n; j++) target[at + j] = source[from + j];
    return;
  }
  for (let j = 0; j < n; j++) target[at + j] = source[from + j] * scale;
}
