/**
 * The WebAssembly SIMD Chamfer kernel: loads wasm/chamfer.wasm (source wasm/chamfer.ts, built by
 * `npm run build:wasm`) and feeds it.
 *
 * The module computes on its own linear memory, so documents are copied in, a chunk of many
 * documents at a time: raw rows go to a staging area, the module widens them to float32 rows of
 * `stride` (dim rounded up to 4, zero pad lanes), drops padding rows per document while checking
 * for NaN and infinities, and takes the maximum dot product of every query row. Layout, from
 * `BASE` up: query rows (interleaved 4-row blocks, see wasm/chamfer.ts) | per-row best | int8
 * scales | staging bytes | document rows.
 */
import { readFileSync } from 'node:fs';
import { type ChamferKernel, emptyDocument, nonFiniteDocument } from './kernel.js';
import type { EncodedTokens } from './precision.js';

/** Where the module file lives: the package's wasm/ folder, two levels above src|dist/chamfer. */
export const WASM_URL = new URL('../../wasm/chamfer.wasm', import.meta.url);

const PAGE_BYTES = 65536;
/** Below this address the module keeps its own static data. */
const BASE = PAGE_BYTES;
const ALIGN = 16;
const LANES = 4;
const FLOAT_BYTES = 4;
/**
 * Document rows decoded per chunk unless one document is longer: 512 KiB of float32 at dim 128,
 * small enough to stay in the core's L2 cache between decoding and scoring.
 */
const CHUNK_ROWS = 1024;

/** The parts of the WebAssembly API used here (the project's TypeScript libs omit it). */
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: unknown };
}

interface WasmMemory {
  buffer: ArrayBuffer;
  grow(pages: number): number;
}

interface WasmExports {
  memory: WasmMemory;
  maxSim(
    q: number,
    numQuery: number,
    d: number,
    numDoc: number,
    stride: number,
    best: number,
  ): number;
  dotProducts(
    a: number,
    aRows: number,
    b: number,
    bRows: number,
    stride: number,
    out: number,
  ): void;
  interleaveRows(src: number, dst: number, rows: number, stride: number): void;
  copyRows(src: number, dst: number, rows: number, dim: number, stride: number): void;
  decodeHalf(src: number, dst: number, rows: number, dim: number, stride: number): void;
  decodeInt8(
    src: number,
    scales: number,
    perRow: number,
    dst: number,
    rows: number,
    dim: number,
    stride: number,
  ): void;
  compactRows(data: number, rows: number, stride: number): number;
}

const align = (bytes: number) => Math.ceil(bytes / ALIGN) * ALIGN;
const strideOf = (dim: number) => Math.ceil(dim / LANES) * LANES;
/** Query rows are padded with zero rows to a multiple of the kernel's 4-row blocks. */
const ROW_BLOCK = 4;
const paddedRows = (rows: number) => Math.ceil(rows / ROW_BLOCK) * ROW_BLOCK;

/** Addresses of the regions, sized for a query, a dim and a chunk of rows. */
interface Layout {
  query: number;
  best: number;
  scales: number;
  staging: number;
  docs: number;
  end: number;
  queryRows: number;
  chunkRows: number;
  dim: number;
}

function plan(queryRows: number, dim: number, chunkRows: number): Layout {
  const stride = strideOf(dim);
  const padded = paddedRows(queryRows);
  const rows = Math.max(chunkRows, padded);
  const query = BASE;
  const best = query + align(padded * stride * FLOAT_BYTES);
  const scales = best + align(padded * FLOAT_BYTES);
  const staging = scales + align(Math.max(chunkRows, dim) * FLOAT_BYTES);
  const docs = staging + align(rows * dim * FLOAT_BYTES);
  const end = docs + align(rows * stride * FLOAT_BYTES);
  return { query, best, scales, staging, docs, end, queryRows, chunkRows, dim };
}

/** Shape: query numQuery x stride in module memory; documents decoded per chunk beside it. */
export class WasmKernel implements ChamferKernel {
  readonly name = 'wasm-simd';
  private layout = plan(0, LANES, CHUNK_ROWS);
  private bytes: Uint8Array;
  private floats: Float32Array;
  private numQuery = 0;
  private dim = 0;

  constructor(private readonly wasm: WasmExports) {
    this.bytes = new Uint8Array(wasm.memory.buffer);
    this.floats = new Float32Array(wasm.memory.buffer);
  }

  /** Grows memory and re-plans when the query, dim or a document outgrow the layout. */
  private reserve(queryRows: number, dim: number, docRows: number): void {
    const current = this.layout;
    const fits =
      queryRows <= current.queryRows && dim === current.dim && docRows <= current.chunkRows;
    if (fits) return;
    const next = plan(
      Math.max(queryRows, current.queryRows),
      dim,
      Math.max(docRows, current.chunkRows),
    );
    const memory = this.wasm.memory;
    if (next.end > memory.buffer.byteLength) {
      memory.grow(Math.ceil((next.end - memory.buffer.byteLength) / PAGE_BYTES));
    }
    this.bytes = new Uint8Array(memory.buffer);
    this.floats = new Float32Array(memory.buffer);
    this.layout = next;
  }

  setQuery(query: Float32Array, dim: number): void {
    this.dim = dim;
    this.numQuery = this.loadLeft(query, query.length / dim, true);
  }

  /**
   * Puts `rows` rows of `matrix` in the query region, interleaved in 4-row blocks, dropping
   * padding rows when `compact`; returns the rows kept. Uses the document region as scratch.
   */
  private loadLeft(matrix: Float32Array, rows: number, compact: boolean): number {
    const { dim } = this;
    const stride = strideOf(dim);
    this.reserve(rows, dim, rows);
    const { staging, docs, query } = this.layout;
    this.floats.set(matrix.subarray(0, rows * dim), staging / FLOAT_BYTES);
    this.wasm.copyRows(staging, docs, rows, dim, stride);
    const kept = compact ? this.wasm.compactRows(docs, rows, stride) : rows;
    this.wasm.interleaveRows(docs, query, kept, stride);
    return kept;
  }

  scoreBatch(
    tokens: EncodedTokens,
    offsets: ArrayLike<number>,
    first: number,
    last: number,
    out: Float32Array,
    outAt: number,
    labelBase: number,
  ): void {
    let doc = first;
    while (doc < last) {
      let end = doc + 1;
      const limit = Math.max(this.layout.chunkRows, offsets[end] - offsets[doc]);
      while (end < last && offsets[end + 1] - offsets[doc] <= limit) end++;
      this.reserve(this.layout.queryRows, this.dim, offsets[end] - offsets[doc]);
      this.decodeChunk(tokens, offsets[doc], offsets[end]);
      for (let d = doc; d < end; d++) {
        out[outAt + d - first] = this.scoreDecoded(offsets, doc, d, labelBase + d);
      }
      doc = end;
    }
  }

  /** Scores document `d` of the decoded chunk that starts with document `chunkFirst`. */
  private scoreDecoded(offsets: ArrayLike<number>, chunkFirst: number, d: number, label: number) {
    const stride = strideOf(this.dim);
    const rows = offsets[d + 1] - offsets[d];
    const at = this.layout.docs + (offsets[d] - offsets[chunkFirst]) * stride * FLOAT_BYTES;
    const kept = this.wasm.compactRows(at, rows, stride);
    if (kept < 0) throw nonFiniteDocument(label, -kept - 1);
    if (kept === 0) throw emptyDocument(label, rows);
    const { query, best } = this.layout;
    return this.wasm.maxSim(query, this.numQuery, at, kept, stride, best);
  }

  /** Copies rows `start` to `end - 1` of `tokens` in and widens them to float32 rows. */
  private decodeChunk(tokens: EncodedTokens, start: number, end: number): void {
    const { dim, values } = tokens;
    const stride = strideOf(dim);
    const rows = end - start;
    const { staging, docs, scales } = this.layout;

    if (values instanceof Float32Array) {
      const target = stride === dim ? docs : staging;
      this.floats.set(values.subarray(start * dim, end * dim), target / FLOAT_BYTES);
      if (target === staging) this.wasm.copyRows(staging, docs, rows, dim, stride);
      return;
    }
    const width = values.BYTES_PER_ELEMENT;
    const raw = new Uint8Array(
      values.buffer,
      values.byteOffset + start * dim * width,
      rows * dim * width,
    );
    this.bytes.set(raw, staging);
    if (values instanceof Uint16Array) {
      this.wasm.decodeHalf(staging, docs, rows, dim, stride);
      return;
    }
    const perRow = tokens.scaleMode === 'token';
    const source = tokens.scales as Float32Array;
    this.floats.set(perRow ? source.subarray(start, end) : source, scales / FLOAT_BYTES);
    this.wasm.decodeInt8(staging, scales, perRow ? 1 : 0, docs, rows, dim, stride);
  }

  dotProducts(
    a: Float32Array,
    aRows: number,
    b: Float32Array,
    bRows: number,
    dim: number,
    out: Float32Array,
  ): void {
    // Shape: A (aRows x dim) interleaved in the query region, B (bRows x dim) in the document
    // region, the product (padded aRows x bRows) in the staging region.
    this.dim = dim;
    this.numQuery = 0;
    const stride = strideOf(dim);
    const productRows = Math.ceil((paddedRows(aRows) * bRows) / dim);
    this.reserve(aRows, dim, Math.max(bRows, productRows));
    this.loadLeft(a, aRows, false);
    const { query, staging, docs } = this.layout;
    this.floats.set(b.subarray(0, bRows * dim), staging / FLOAT_BYTES);
    this.wasm.copyRows(staging, docs, bRows, dim, stride);
    this.wasm.dotProducts(query, aRows, docs, bRows, stride, staging);
    const from = staging / FLOAT_BYTES;
    out.set(this.floats.subarray(from, from + aRows * bRows));
  }
}

let instance: WasmKernel | undefined;

/** Loads and instantiates the module once per thread; throws when it cannot (no SIMD). */
export function loadWasmKernel(): WasmKernel {
  if (!instance) {
    const api = (globalThis as unknown as { WebAssembly?: WasmApi }).WebAssembly;
    if (!api) throw new Error('this runtime has no WebAssembly');
    const module = new api.Module(readFileSync(WASM_URL));
    const imports = { env: { abort: () => undefined } };
    const exports = new api.Instance(module, imports).exports;
    instance = new WasmKernel(exports as unknown as WasmExports);
  }
  return instance;
}
