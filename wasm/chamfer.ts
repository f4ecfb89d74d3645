// AssemblyScript source of the WebAssembly SIMD kernels (compiled by `npm run build:wasm`).
//
// Shapes: a matrix is `rows x stride` float32 values, row-major, where `stride` is `dim` rounded
// up to a multiple of 4 and the pad lanes hold zeros, so every row is a whole number of 128-bit
// vectors. The JavaScript side (src/chamfer/kernel-wasm.ts) owns the memory layout: it passes
// byte addresses, never allocates here.
//
// Speed: Node 20 has 128-bit SIMD but no fused multiply-add without a flag, so the inner loop is
// a separate multiply and add. It is register-blocked: 4 query rows against 2 document rows keep
// 8 accumulators, 4 query vectors and 2 document vectors live (14 of the 16 xmm registers V8
// uses), and each loaded vector feeds 2 or 4 products.

const LANES = 4;
const BYTES = 4;
const ROW_BLOCK = 4;
const NEG_INF: f32 = -Infinity;

/** Sum of the four lanes of `v`. */
function hsum(v: v128): f32 {
  const pairs = f32x4.add(v, v128.shuffle<f32>(v, v, 2, 3, 0, 1));
  return f32x4.extract_lane(pairs, 0) + f32x4.extract_lane(pairs, 1);
}

/** Dot product of one row pair (both `stride` wide). */
function dot1x1(a: usize, b: usize, stride: i32): f32 {
  let acc = f32x4.splat(0);
  const end = a + <usize>(stride * BYTES);
  for (; a < end; a += 16, b += 16) {
    acc = f32x4.add(acc, f32x4.mul(v128.load(a), v128.load(b)));
  }
  return hsum(acc);
}

// Scratch for the 8 dot products of one 4x2 block (static memory of this module).
const block = memory.data(32);

/** Dots of 4 consecutive rows at `a` with 2 consecutive rows at `b`: block[2 * i + j]. */
function dot4x2(a: usize, b: usize, stride: i32): void {
  const rowBytes = <usize>(stride * BYTES);
  let s00 = f32x4.splat(0);
  let s01 = f32x4.splat(0);
  let s10 = f32x4.splat(0);
  let s11 = f32x4.splat(0);
  let s20 = f32x4.splat(0);
  let s21 = f32x4.splat(0);
  let s30 = f32x4.splat(0);
  let s31 = f32x4.splat(0);
  const end = a + rowBytes;
  for (; a < end; a += 16, b += 16) {
    const d0 = v128.load(b);
    const d1 = v128.load(b + rowBytes);
    const q0 = v128.load(a);
    s00 = f32x4.add(s00, f32x4.mul(q0, d0));
    s01 = f32x4.add(s01, f32x4.mul(q0, d1));
    const q1 = v128.load(a + rowBytes);
    s10 = f32x4.add(s10, f32x4.mul(q1, d0));
    s11 = f32x4.add(s11, f32x4.mul(q1, d1));
    const q2 = v128.load(a + 2 * rowBytes);
    s20 = f32x4.add(s20, f32x4.mul(q2, d0));
    s21 = f32x4.add(s21, f32x4.mul(q2, d1));
    const q3 = v128.load(a + 3 * rowBytes);
    s30 = f32x4.add(s30, f32x4.mul(q3, d0));
    s31 = f32x4.add(s31, f32x4.mul(q3, d1));
  }
  store<f32>(block, hsum(s00), 0);
  store<f32>(block, hsum(s01), 4);
  store<f32>(block, hsum(s10), 8);
  store<f32>(block, hsum(s11), 12);
  store<f32>(block, hsum(s20), 16);
  store<f32>(block, hsum(s21), 20);
  store<f32>(block, hsum(s30), 24);
  store<f32>(block, hsum(s31), 28);
}

/** Dots of 4 consecutive rows at `a` with the one row at `b`: block[2 * i]. */
function dot4x1(a: usize, b: usize, stride: i32): void {
  const rowBytes = <usize>(stride * BYTES);
  for (let i = 0; i < ROW_BLOCK; i++) {
    store<f32>(block + <usize>(8 * i), dot1x1(a + <usize>i * rowBytes, b, stride));
  }
}

/**
 * Chamfer of a query (numQuery x stride at `q`) against a document (numDoc x stride at `d`):
 * the sum over query rows of the best dot product. Writes each row's best into `best`
 * (numQuery float32). Both sides must be free of padding rows and numDoc >= 1.
 */
export function maxSim(
  q: usize,
  numQuery: i32,
  d: usize,
  numDoc: i32,
  stride: i32,
  best: usize,
): f32 {
  const rowBytes = <usize>(stride * BYTES);
  let row = 0;
  for (; row + ROW_BLOCK <= numQuery; row += ROW_BLOCK) {
    const a = q + <usize>row * rowBytes;
    let b0 = NEG_INF;
    let b1 = NEG_INF;
    let b2 = NEG_INF;
    let b3 = NEG_INF;
    let col = 0;
    for (; col + 2 <= numDoc; col += 2) {
      dot4x2(a, d + <usize>col * rowBytes, stride);
      b0 = max(b0, max(load<f32>(block, 0), load<f32>(block, 4)));
      b1 = max(b1, max(load<f32>(block, 8), load<f32>(block, 12)));
      b2 = max(b2, max(load<f32>(block, 16), load<f32>(block, 20)));
      b3 = max(b3, max(load<f32>(block, 24), load<f32>(block, 28)));
    }
    if (col < numDoc) {
      dot4x1(a, d + <usize>col * rowBytes, stride);
      b0 = max(b0, load<f32>(block, 0));
      b1 = max(b1, load<f32>(block, 8));
      b2 = max(b2, load<f32>(block, 16));
      b3 = max(b3, load<f32>(block, 24));
    }
    const out = best + <usize>(row * BYTES);
    store<f32>(out, b0, 0);
    store<f32>(out, b1, 4);
    store<f32>(out, b2, 8);
    store<f32>(out, b3, 12);
  }
  for (; row < numQuery; row++) {
    const a = q + <usize>row * rowBytes;
    let b = NEG_INF;
    for (let col = 0; col < numDoc; col++) b = max(b, dot1x1(a, d + <usize>col * rowBytes, stride));
    store<f32>(best + <usize>(row * BYTES), b);
  }
  let total: f32 = 0;
  for (let i = 0; i < numQuery; i++) total += load<f32>(best + <usize>(i * BYTES));
  return total;
}

/**
 * All dot products of `a` (aRows x stride) with `b` (bRows x stride): out is aRows x bRows
 * float32, out[i * bRows + j] = <a_i, b_j> (the product A B^T).
 */
export function dotProducts(
  a: usize,
  aRows: i32,
  b: usize,
  bRows: i32,
  stride: i32,
  out: usize,
): void {
  const rowBytes = <usize>(stride * BYTES);
  const outRow = <usize>(bRows * BYTES);
  let row = 0;
  for (; row + ROW_BLOCK <= aRows; row += ROW_BLOCK) {
    const ar = a + <usize>row * rowBytes;
    const o = out + <usize>row * outRow;
    let col = 0;
    for (; col + 2 <= bRows; col += 2) {
      dot4x2(ar, b + <usize>col * rowBytes, stride);
      const oc = o + <usize>(col * BYTES);
      for (let i = 0; i < ROW_BLOCK; i++) {
        const target = oc + <usize>i * outRow;
        store<f32>(target, load<f32>(block + <usize>(8 * i)));
        store<f32>(target, load<f32>(block + <usize>(8 * i + 4)), 4);
      }
    }
    for (; col < bRows; col++) {
      const bc = b + <usize>col * rowBytes;
      for (let i = 0; i < ROW_BLOCK; i++) {
        const value = dot1x1(ar + <usize>i * rowBytes, bc, stride);
        store<f32>(o + <usize>i * outRow + <usize>(col * BYTES), value);
      }
    }
  }
  for (; row < aRows; row++) {
    const ar = a + <usize>row * rowBytes;
    for (let col = 0; col < bRows; col++) {
      const value = dot1x1(ar, b + <usize>col * rowBytes, stride);
      store<f32>(out + <usize>row * outRow + <usize>(col * BYTES), value);
    }
  }
}

/** Copies rows of `dim` float32 at `src` to `dst` at `stride`, zeroing the pad lanes. */
export function copyRows(src: usize, dst: usize, rows: i32, dim: i32, stride: i32): void {
  for (let r = rows - 1; r >= 0; r--) {
    const from = src + <usize>(r * dim * BYTES);
    const to = dst + <usize>(r * stride * BYTES);
    memory.copy(to, from, <usize>(dim * BYTES));
    for (let j = dim; j < stride; j++) store<f32>(to + <usize>(j * BYTES), 0);
  }
}

// float16 bits to float32: shift exponent and mantissa into place, then one multiply by 2^112
// rebiases the exponent and renormalises subnormals. A half infinity or NaN (exponent all ones)
// gets an all-ones float32 exponent ORed in, so it stays non-finite and compactRows reports it.
const HALF_REBIAS: f32 = 5.192296858534828e33;
const HALF_MAGNITUDE = 0x7fff;
const HALF_SIGN = 0x8000;
const HALF_EXPONENT = 0x7c00;
const FLOAT_EXPONENT = 0x7f800000;

function halfToFloat(bits: u32): f32 {
  const magnitude = reinterpret<f32>((bits & HALF_MAGNITUDE) << 13) * HALF_REBIAS;
  let out = reinterpret<u32>(magnitude) | ((bits & HALF_SIGN) << 16);
  if ((bits & HALF_EXPONENT) === HALF_EXPONENT) out |= FLOAT_EXPONENT;
  return reinterpret<f32>(out);
}

function halfToFloat4(bits: v128): v128 {
  const shifted = i32x4.shl(v128.and(bits, i32x4.splat(HALF_MAGNITUDE)), 13);
  const magnitude = f32x4.mul(shifted, f32x4.splat(HALF_REBIAS));
  const signed = v128.or(magnitude, i32x4.shl(v128.and(bits, i32x4.splat(HALF_SIGN)), 16));
  const special = i32x4.eq(v128.and(bits, i32x4.splat(HALF_EXPONENT)), i32x4.splat(HALF_EXPONENT));
  return v128.or(signed, v128.and(special, i32x4.splat(FLOAT_EXPONENT)));
}

/** Decodes rows of `dim` float16 values (u16 bits at `src`) to float32 rows at `stride`. */
export function decodeHalf(src: usize, dst: usize, rows: i32, dim: i32, stride: i32): void {
  for (let r = 0; r < rows; r++) {
    const from = src + <usize>(r * dim * 2);
    const to = dst + <usize>(r * stride * BYTES);
    let j = 0;
    for (; j + 8 <= dim; j += 8) {
      const bits = v128.load(from + <usize>(j * 2));
      v128.store(to + <usize>(j * BYTES), halfToFloat4(i32x4.extend_low_i16x8_u(bits)));
      v128.store(to + <usize>(j * BYTES), halfToFloat4(i32x4.extend_high_i16x8_u(bits)), 16);
    }
    for (; j < dim; j++)
      store<f32>(to + <usize>(j * BYTES), halfToFloat(load<u16>(from + <usize>(j * 2))));
    for (; j < stride; j++) store<f32>(to + <usize>(j * BYTES), 0);
  }
}

/** Four int8 codes at `from` widened to float32 lanes. */
function codes4(from: usize): v128 {
  const wide = i16x8.extend_low_i8x16_s(v128.load32_zero(from));
  return f32x4.convert_i32x4_s(i32x4.extend_low_i16x8_s(wide));
}

/**
 * Decodes rows of `dim` int8 codes at `src` to float32 rows at `stride`: value = code * scale,
 * with one scale per row (`perRow` true) or one per dimension, read from `scales`.
 */
export function decodeInt8(
  src: usize,
  scales: usize,
  perRow: bool,
  dst: usize,
  rows: i32,
  dim: i32,
  stride: i32,
): void {
  for (let r = 0; r < rows; r++) {
    const from = src + <usize>(r * dim);
    const to = dst + <usize>(r * stride * BYTES);
    const rowScale = perRow ? load<f32>(scales + <usize>(r * BYTES)) : 0;
    const splat = f32x4.splat(rowScale);
    let j = 0;
    for (; j + LANES <= dim; j += LANES) {
      const scale = perRow ? splat : v128.load(scales + <usize>(j * BYTES));
      v128.store(to + <usize>(j * BYTES), f32x4.mul(codes4(from + <usize>j), scale));
    }
    for (; j < dim; j++) {
      const scale = perRow ? rowScale : load<f32>(scales + <usize>(j * BYTES));
      store<f32>(to + <usize>(j * BYTES), <f32>load<i8>(from + <usize>j) * scale);
    }
    for (; j < stride; j++) store<f32>(to + <usize>(j * BYTES), 0);
  }
}

/**
 * Removes all-zero (padding) rows from `rows` rows at `data` (stride wide) in place and returns
 * how many remain, or -(r + 1) when row r holds a NaN or an infinity.
 */
export function compactRows(data: usize, rows: i32, stride: i32): i32 {
  const rowBytes = <usize>(stride * BYTES);
  let kept = 0;
  for (let r = 0; r < rows; r++) {
    const row = data + <usize>r * rowBytes;
    let nonZero = i32x4.splat(0);
    let nonFinite = i32x4.splat(0);
    for (let at = row; at < row + rowBytes; at += 16) {
      const v = v128.load(at);
      nonZero = v128.or(nonZero, f32x4.ne(v, f32x4.splat(0)));
      nonFinite = v128.or(nonFinite, f32x4.ne(f32x4.sub(v, v), f32x4.splat(0)));
    }
    if (v128.any_true(nonFinite)) return -(r + 1);
    if (!v128.any_true(nonZero)) continue;
    if (kept !== r) memory.copy(data + <usize>kept * rowBytes, row, rowBytes);
    kept++;
  }
  return kept;
}
