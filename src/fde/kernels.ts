/**
 * The one dense kernel of the FDE encoder: all pairwise dot products of two row sets. It does the
 * SimHash of a block of tokens against every repetition's directions at once (all repetitions are
 * fused into one matrix) and the dense projection of a repetition's partition vectors.
 *
 * It runs on the WebAssembly SIMD product of the Chamfer stage (src/chamfer/kernel-wasm.ts,
 * float32 lanes, separate multiply and add: deterministic on every machine), loaded directly
 * rather than through the Chamfer kernel choice so that `MUVERA_CHAMFER_KERNEL` never changes FDE
 * bytes. NOTE: only when WebAssembly cannot load (not the case on Node 20) does it fall back to
 * the TypeScript loop below, whose float64 sums may differ from the SIMD ones in the last bits.
 */
import { loadWasmKernel } from '../chamfer/kernel-wasm.js';

/** out[i * bRows + j] = <a_i, b_j>; shapes a (aRows x dim), b (bRows x dim), out (aRows x bRows). */
export type ProductKernel = (
  a: Float32Array,
  aRows: number,
  b: Float32Array,
  bRows: number,
  dim: number,
  out: Float32Array,
) => void;

/**
 * Widest rows sent to the WebAssembly kernel. Its staging areas are sized for thousands of rows
 * of `dim` floats, and the module's memory cannot grow past 4 GiB, so very wide token rows (far
 * beyond any embedding model) take the TypeScript path: a per-config choice, so still
 * deterministic.
 */
export const MAX_WASM_DIM = 4096;

let wasmProduct: ProductKernel | null | undefined;

/** The product kernel for rows of `dim` values: WebAssembly SIMD when it loads, else dotRows. */
export function productKernel(dim: number): ProductKernel {
  if (dim > MAX_WASM_DIM) return dotRows;
  if (wasmProduct === undefined) {
    try {
      const wasm = loadWasmKernel();
      wasmProduct = (a, aRows, b, bRows, d, out) => wasm.dotProducts(a, aRows, b, bRows, d, out);
    } catch {
      wasmProduct = null;
    }
  }
  return wasmProduct ?? dotRows;
}

/** Rows of a and of b in one register block (measured fastest of 4x2, 2x4 and 4x4 in V8). */
const A_BLOCK = 2;
const B_BLOCK = 4;

/**
 * out[i * bRows + j] = <a row i, b row j>.
 * Shapes: a (aRows x dim), b (bRows x dim), out (aRows x bRows); row-major, float64 sums.
 */
export function dotRows(
  a: Float32Array,
  aRows: number,
  b: Float32Array,
  bRows: number,
  dim: number,
  out: Float32Array,
): void {
  const aBlockEnd = aRows - (aRows % A_BLOCK);
  const bBlockEnd = bRows - (bRows % B_BLOCK);
  for (let i = 0; i < aBlockEnd; i += A_BLOCK) {
    for (let j = 0; j < bBlockEnd; j += B_BLOCK) dot2x4(a, i, b, j, bRows, dim, out);
    for (let j = bBlockEnd; j < bRows; j++) {
      for (let r = i; r < i + A_BLOCK; r++) out[r * bRows + j] = dot(a, r * dim, b, j * dim, dim);
    }
  }
  for (let i = aBlockEnd; i < aRows; i++) {
    for (let j = 0; j < bRows; j++) out[i * bRows + j] = dot(a, i * dim, b, j * dim, dim);
  }
}

/** Two rows of a (from row i) against four rows of b (from row j), written into out. */
function dot2x4(
  a: Float32Array,
  i: number,
  b: Float32Array,
  j: number,
  bRows: number,
  dim: number,
  out: Float32Array,
): void {
  const a0 = i * dim;
  const a1 = a0 + dim;
  const b0 = j * dim;
  const b1 = b0 + dim;
  const b2 = b1 + dim;
  const b3 = b2 + dim;
  let s00 = 0;
  let s01 = 0;
  let s02 = 0;
  let s03 = 0;
  let s10 = 0;
  let s11 = 0;
  let s12 = 0;
  let s13 = 0;
  for (let t = 0; t < dim; t++) {
    const x0 = b[b0 + t];
    const x1 = b[b1 + t];
    const x2 = b[b2 + t];
    const x3 = b[b3 + t];
    const y0 = a[a0 + t];
    s00 += y0 * x0;
    s01 += y0 * x1;
    s02 += y0 * x2;
    s03 += y0 * x3;
    const y1 = a[a1 + t];
    s10 += y1 * x0;
    s11 += y1 * x1;
    s12 += y1 * x2;
    s13 += y1 * x3;
  }
  const o0 = i * bRows + j;
  out[o0] = s00;
  out[o0 + 1] = s01;
  out[o0 + 2] = s02;
  out[o0 + 3] = s03;
  const o1 = o0 + bRows;
  out[o1] = s10;
  out[o1 + 1] = s11;
  out[o1 + 2] = s12;
  out[o1 + 3] = s13;
}

/** Dot product of a[aStart..aStart+dim) and b[bStart..bStart+dim). */
export function dot(
  a: Float32Array,
  aStart: number,
  b: Float32Array,
  bStart: number,
  dim: number,
): number {
  let sum = 0;
  for (let t = 0; t < dim; t++) sum += a[aStart + t] * b[bStart + t];
  return sum;
}
