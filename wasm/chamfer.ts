// AssemblyScript source of the WebAssembly SIMD kernels (compiled by `npm run build:wasm`).
//
// Shapes: a matrix is `rows x stride` float32 values, row-major, where `stride` is `dim` rounded
// up to a multiple of 4 and the pad lanes hold zeros, so every row is a whole number of 128-bit
// vectors. The left operand of a product (the query) is further padded with zero rows to a
// multiple of 4 rows and INTERLEAVED by blocks of 4 rows: vector v of rows 4k..4k+3 sits at
// block k, positions 4v..4v+3, so the inner loop reads it at constant offsets. The JavaScript
// side (src/chamfer/kernel-wasm.ts) owns the memory layout: it passes byte addresses, never
// allocates here.
//
// Speed: Node 20 has 128-bit SIMD but no fused multiply-add without a flag, so the inner loop is
// a separate multiply and add. It is register-blocked: 4 query rows against 2 document rows keep
// 8 accumulators, 4 query vectors and 2 document vectors live (14 of the 16 xmm registers V8
// uses), each loaded vector feeds 2 or 4 products, and the loop is unrolled twice to halve its
// pointer and branch overhead. Lane sums of 4 accumulators come out as one vector (hsum4), so
// the running maxima of 4 query rows stay in one register.

const BYTES = 4;
const LANES = 4;
const ROW_BLOCK = 4;
const VECTOR = 16;
const NEG_INF: f32 = -Infinity;

/** Lane sums of four vectors as one vector: [sum a, sum b, sum c, sum d]. */
function hsum4(a: v128, b: v128, c: v128, d: v128): v128 {
  const ab = f32x4.add(v128.shuffle<f32>(a, b, 0, 4, 1, 5), v128.shuffle<f32>(a, b, 2, 6, 3, 7));
  const cd = f32x4.add(v128.shuffle<f32>(c, d, 0, 4, 1, 5), v128.shuffle<f32>(c, d, 2, 6, 3, 7));
  return f32x4.add(v128.shuffle<f32>(ab, cd, 0, 1, 4, 5), v128.shuffle<f32>(ab, cd, 2, 3, 6, 7));
}

/**
 * Dots of an interleaved block of 4 query rows at `a` with document rows `b` and `b1` (rows of
 * `rowBytes`): [max(<q_i, b>, <q_i, b1>) for i in 0..3].
 */
function block4x2(a: usize, b: usize, b1: usize, rowBytes: usize): v128 {
  let s00 = f32x4.splat(0);
  let s01 = f32x4.splat(0);
  let s10 = f32x4.splat(0);
  let s11 = f32x4.splat(0);
  let s20 = f32x4.splat(0);
  let s21 = f32x4.splat(0);
  let s30 = f32x4.splat(0);
  let s31 = f32x4.splat(0);
  const end = b + rowBytes;
  // Two vectors a round while they last, then at most one more.
  for (; b + 2 * VECTOR <= end; a += 8 * VECTOR, b += 2 * VECTOR, b1 += 2 * VECTOR) {
    let d0 = v128.load(b);
    let d1 = v128.load(b1);
    let q = v128.load(a);
    s00 = f32x4.add(s00, f32x4.mul(q, d0));
    s01 = f32x4.add(s01, f32x4.mul(q, d1));
    q = v128.load(a, VECTOR);
    s10 = f32x4.add(s10, f32x4.mul(q, d0));
    s11 = f32x4.add(s11, f32x4.mul(q, d1));
    q = v128.load(a, 2 * VECTOR);
    s20 = f32x4.add(s20, f32x4.mul(q, d0));
    s21 = f32x4.add(s21, f32x4.mul(q, d1));
    q = v128.load(a, 3 * VECTOR);
    s30 = f32x4.add(s30, f32x4.mul(q, d0));
    s31 = f32x4.add(s31, f32x4.mul(q, d1));
    d0 = v128.load(b, VECTOR);
    d1 = v128.load(b1, VECTOR);
    q = v128.load(a, 4 * VECTOR);
    s00 = f32x4.add(s00, f32x4.mul(q, d0));
    s01 = f32x4.add(s01, f32x4.mul(q, d1));
    q = v128.load(a, 5 * VECTOR);
    s10 = f32x4.add(s10, f32x4.mul(q, d0));
    s11 = f32x4.add(s11, f32x4.mul(q, d1));
    q = v128.load(a, 6 * VECTOR);
    s20 = f32x4.add(s20, f32x4.mul(q, d0));
    s21 = f32x4.add(s21, f32x4.mul(q, d1));
    q = v128.load(a, 7 * VECTOR);
    s30 = f32x4.add(s30, f32x4.mul(q, d0));
    s31 = f32x4.add(s31, f32x4.mul(q, d1));
  }
  if (b < end) {
    const d0 = v128.load(b);
    const d1 = v128.load(b1);
    let q = v128.load(a);
    s00 = f32x4.add(s00, f32x4.mul(q, d0));
    s01 = f32x4.add(s01, f32x4.mul(q, d1));
    q = v128.load(a, VECTOR);
    s10 = f32x4.add(s10, f32x4.mul(q, d0));
    s11 = f32x4.add(s11, f32x4.mul(q, d1));
    q = v128.load(a, 2 * VECTOR);
    s20 = f32x4.add(s20, f32x4.mul(q, d0));
    s21 = f32x4.add(s21, f32x4.mul(q, d1));
    q = v128.load(a, 3 * VECTOR);
    s30 = f32x4.add(s30, f32x4.mul(q, d0));
    s31 = f32x4.add(s31, f32x4.mul(q, d1));
  }
  return f32x4.max(hsum4(s00, s10, s20, s30), hsum4(s01, s11, s21, s31));
}

/** Dots of an interleaved block of 4 query rows at `a` with one document row `b`. */
function block4x1(a: usize, b: usize, rowBytes: usize): v128 {
  let s0 = f32x4.splat(0);
  let s1 = f32x4.splat(0);
  let s2 = f32x4.splat(0);
  let s3 = f32x4.splat(0);
  const end = b + rowBytes;
  for (; b < end; a += 4 * VECTOR, b += VECTOR) {
    const d = v128.load(b);
    s0 = f32x4.add(s0, f32x4.mul(v128.load(a), d));
    s1 = f32x4.add(s1, f32x4.mul(v128.load(a, VECTOR), d));
    s2 = f32x4.add(s2, f32x4.mul(v128.load(a, 2 * VECTOR), d));
    s3 = f32x4.add(s3, f32x4.mul(v128.load(a, 3 * VECTOR), d));
  }
  return hsum4(s0, s1, s2, s3);
}

/**
 * Chamfer of a query (numQuery rows, interleaved and padded to a multiple of 4 zero rows at
 * `q`) against a document (numDoc x stride at `d`): the sum over the numQuery real rows of the
 * best dot product. Writes every row's best (padded count) into `best`. The document must be
 * free of padding rows and numDoc >= 1.
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
  const blockBytes = rowBytes * ROW_BLOCK;
  for (let row = 0; row < numQuery; row += ROW_BLOCK) {
    const a = q + (<usize>row / ROW_BLOCK) * blockBytes;
    let top = f32x4.splat(NEG_INF);
    let col = 0;
    for (; col + 2 <= numDoc; col += 2) {
      const b = d + <usize>col * rowBytes;
      top = f32x4.max(top, block4x2(a, b, b + rowBytes, rowBytes));
    }
    if (col < numDoc) top = f32x4.max(top, block4x1(a, d + <usize>col * rowBytes, rowBytes));
    v128.store(best + <usize>(row * BYTES), top);
  }
  let total: f32 = 0;
  for (let i = 0; i < numQuery; i++) total += load<f32>(best + <usize>(i * BYTES));
  return total;
}

/** Writes the 4 lanes of `v` down a column of `out` (rows `outRow` bytes apart). */
function storeColumn(v: v128, out: usize, outRow: usize): void {
  store<f32>(out, f32x4.extract_lane(v, 0));
  store<f32>(out + outRow, f32x4.extract_lane(v, 1));
  store<f32>(out + 2 * outRow, f32x4.extract_lane(v, 2));
  store<f32>(out + 3 * outRow, f32x4.extract_lane(v, 3));
}

/**
 * All dot products of `a` (aRows, interleaved and padded like a query) with `b` (bRows x
 * stride): `out` is paddedRows x bRows float32, out[i * bRows + j] = <a_i, b_j> (A B^T); the
 * caller reads the first aRows rows.
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
  for (let row = 0; row < aRows; row += ROW_BLOCK) {
    const block = a + (<usize>row / ROW_BLOCK) * rowBytes * ROW_BLOCK;
    const o = out + <usize>row * outRow;
    for (let col = 0; col < bRows; col++) {
      storeColumn(
        block4x1(block, b + <usize>col * rowBytes, rowBytes),
        o + <usize>(col * BYTES),
        outRow,
      );
    }
  }
}

/**
 * Interleaves `rows` rows at `src` (stride wide) into blocks of 4 at `dst`, padding the last
 * block with zero rows; see the layout note at the top.
 */
export function interleaveRows(src: usize, dst: usize, rows: i32, stride: i32): void {
  const rowBytes = <usize>(stride * BYTES);
  const padded = (rows + ROW_BLOCK - 1) & ~(ROW_BLOCK - 1);
  for (let row = 0; row < padded; row++) {
    const block = dst + (<usize>row / ROW_BLOCK) * rowBytes * ROW_BLOCK;
    const lane = <usize>(row % ROW_BLOCK) * VECTOR;
    for (let at: usize = 0; at < rowBytes; at += VECTOR) {
      const v = row < rows ? v128.load(src + <usize>row * rowBytes + at) : f32x4.splat(0);
      v128.store(block + at * ROW_BLOCK + lane, v);
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
