/**
 * The working memory of an encoding pass and its two hot loops (src/fde/encode-pass.ts):
 *
 * - `addToSlots`: a block of token rows added, for each repetition, into the float64 row of its
 *   partition's slot (R * dim adds per token, the bulk of the work once the projection runs per
 *   partition);
 * - `projectSparse`: the sparse projection of partition rows (src/fde/projectors.ts).
 *
 * Both run in a small WebAssembly module (src/fde/pass-memory-wasm.ts); the block, slot lists,
 * sums, fill rows, projected rows and sparse tables live in its memory, so nothing is copied in
 * or out. Each has a TypeScript twin doing the same float64 operations in the same order, used
 * when WebAssembly cannot load or the memory would pass MAX_WASM_BYTES: both give the same bytes.
 */
import { instantiatePassModule, type PassModuleExports } from './pass-memory-wasm.js';

/** Largest module memory used (1 GiB); a pass needing more uses the TypeScript loops. */
const MAX_WASM_BYTES = 2 ** 30;

const ALIGN = 16;
const PAGE_BYTES = 65536;
const F32 = 4;
const F64 = 8;
const I32 = 4;

/** The sparse projection sorted by output coordinate (see SparseProjector). */
export interface SparseTables {
  /** Byte offset (j * 8) of each input coordinate, repetition by repetition, by bucket. */
  order: Int32Array;
  /** Sign of each entry of `order`. */
  signs: Float64Array;
  /** Start in `order` (within the repetition) of each bucket, d_proj + 1 per repetition. */
  starts: Int32Array;
}

/** Sizes a pass needs for one call. */
export interface PassSizes {
  blockRows: number;
  dim: number;
  /** Repetitions per group: a block row's slot-list length. */
  reps: number;
  /** Slot rows of sums. */
  slots: number;
  /** Rows of fill tokens and of projected rows. */
  partitionRows: number;
  dProj: number;
}

/**
 * Views of the pass's buffers: `block` (blockRows x dim, float32), `slotList` (blockRows x reps;
 * a slot's first add is marked by storing `-1 - slot`), `sums` (slots x dim), `fillRows`
 * (partitionRows x dim), `projected` (partitionRows x d_proj).
 */
export class PassMemory {
  block = new Float32Array(0);
  slotList = new Int32Array(0);
  sums = new Float64Array(0);
  fillRows = new Float64Array(0);
  projected = new Float64Array(0);
  private wasm: PassModuleExports | null;
  private tables: SparseTables = {
    order: new Int32Array(0),
    signs: new Float64Array(0),
    starts: new Int32Array(0),
  };
  /** Byte address of each table in the module's memory. */
  private tableAt = { order: 0, signs: 0, starts: 0, end: ALIGN };

  constructor(useWasm = true) {
    this.wasm = useWasm ? loadModule() : null;
  }

  /** Whether the loops run in WebAssembly. */
  get usesWasm(): boolean {
    return this.wasm !== null;
  }

  /** Places the sparse tables (once, before any reserve). */
  setSparseTables(tables: SparseTables): void {
    const order = ALIGN;
    const signs = align(order + tables.order.length * I32);
    const starts = align(signs + tables.signs.length * F64);
    this.tableAt = { order, signs, starts, end: align(starts + tables.starts.length * I32) };
    this.tables = tables;
    this.reserve({ blockRows: 0, dim: 0, reps: 0, slots: 0, partitionRows: 0, dProj: 0 });
  }

  /** Makes room for one call (buffers only grow); views change only when they grow. */
  reserve(sizes: PassSizes): void {
    const { blockRows, dim, reps, slots, partitionRows, dProj } = sizes;
    if (
      this.block.length >= blockRows * dim &&
      this.slotList.length >= blockRows * reps &&
      this.sums.length >= slots * dim &&
      this.fillRows.length >= partitionRows * dim &&
      this.projected.length >= partitionRows * dProj &&
      (this.wasm === null || this.block.buffer === this.wasm.memory.buffer)
    ) {
      return;
    }
    const lengths = [
      Math.max(blockRows * dim, this.block.length) * F32,
      Math.max(blockRows * reps, this.slotList.length) * I32,
      Math.max(slots * dim, this.sums.length) * F64,
      Math.max(partitionRows * dim, this.fillRows.length) * F64,
      Math.max(partitionRows * dProj, this.projected.length) * F64,
    ];
    const at = [this.tableAt.end];
    for (const bytes of lengths) at.push(align(at[at.length - 1] + bytes));
    if (this.wasm !== null && at[at.length - 1] > MAX_WASM_BYTES) this.wasm = null;
    const buffer =
      this.wasm === null ? new ArrayBuffer(at[at.length - 1]) : this.grow(at[at.length - 1]);

    this.block = new Float32Array(buffer, at[0], lengths[0] / F32);
    this.slotList = new Int32Array(buffer, at[1], lengths[1] / I32);
    this.sums = new Float64Array(buffer, at[2], lengths[2] / F64);
    this.fillRows = new Float64Array(buffer, at[3], lengths[3] / F64);
    this.projected = new Float64Array(buffer, at[4], lengths[4] / F64);
    if (this.wasm !== null) this.copyTables(buffer);
  }

  /** Adds block rows 0 .. rows - 1 into their slots of each of `reps` repetitions. */
  addToSlots(rows: number, dim: number, reps: number): void {
    if (this.wasm === null) {
      addToSlots(this.block, rows, dim, this.slotList, reps, this.sums);
      return;
    }
    const { block, slotList, sums } = this;
    this.wasm.addToSlots(block.byteOffset, rows, dim, slotList.byteOffset, reps, sums.byteOffset);
  }

  /**
   * Sparse projection of repetition r: `rows` (numRows x dim, a view of `sums` or `fillRows`)
   * into `projected` (numRows x dProj).
   */
  projectSparse(r: number, rows: Float64Array, numRows: number, dim: number, dProj: number): void {
    const { order, signs, starts } = this.tables;
    if (this.wasm === null) {
      projectSparse(rows, numRows, dim, order, signs, starts, r, dProj, this.projected);
      return;
    }
    const at = this.tableAt;
    this.wasm.projectSparse(
      rows.byteOffset,
      numRows,
      dim,
      at.order + r * dim * I32,
      at.signs + r * dim * F64,
      at.starts + r * (dProj + 1) * I32,
      dProj,
      this.projected.byteOffset,
    );
  }

  /** The module's memory grown to `bytes`. */
  private grow(bytes: number): ArrayBuffer {
    const memory = (this.wasm as PassModuleExports).memory;
    const missing = Math.ceil((bytes - memory.buffer.byteLength) / PAGE_BYTES);
    if (missing > 0) memory.grow(missing);
    return memory.buffer;
  }

  private copyTables(buffer: ArrayBuffer): void {
    const { order, signs, starts } = this.tables;
    new Int32Array(buffer, this.tableAt.order, order.length).set(order);
    new Float64Array(buffer, this.tableAt.signs, signs.length).set(signs);
    new Int32Array(buffer, this.tableAt.starts, starts.length).set(starts);
  }
}

/** TypeScript twin of the module's addToSlots (same adds, same order). */
function addToSlots(
  block: Float32Array,
  rows: number,
  dim: number,
  slotList: Int32Array,
  reps: number,
  sums: Float64Array,
): void {
  for (let b = 0; b < rows; b++) {
    for (let r = 0; r < reps; r++) {
      let slot = slotList[b * reps + r];
      if (slot < 0) {
        slot = -1 - slot;
        sums.fill(0, slot * dim, (slot + 1) * dim);
      }
      const at = slot * dim;
      const from = b * dim;
      for (let j = 0; j < dim; j++) sums[at + j] += block[from + j];
    }
  }
}

/** TypeScript twin of the module's projectSparse for repetition r (same order of operations). */
function projectSparse(
  rows: Float64Array,
  numRows: number,
  dim: number,
  order: Int32Array,
  signs: Float64Array,
  starts: Int32Array,
  r: number,
  dProj: number,
  out: Float64Array,
): void {
  const base = r * dim;
  const bucketBase = r * (dProj + 1);
  for (let i = 0; i < numRows; i++) {
    const from = i * dim;
    for (let c = 0; c < dProj; c++) {
      let sum = 0;
      const end = base + starts[bucketBase + c + 1];
      for (let at = base + starts[bucketBase + c]; at < end; at++) {
        sum += signs[at] * rows[from + order[at] / F64];
      }
      out[i * dProj + c] = sum;
    }
  }
}

/** An instance of the module of this memory's own (no other pass moves it), or null. */
function loadModule(): PassModuleExports | null {
  try {
    return instantiatePassModule();
  } catch {
    return null;
  }
}

const align = (bytes: number) => Math.ceil(bytes / ALIGN) * ALIGN;
