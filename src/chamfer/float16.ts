/**
 * IEEE 754 half precision (float16) conversions for stored token values.
 *
 * Encoding rounds to nearest, ties to even, and flushes values below the smallest subnormal
 * (2^-24) to a signed zero. Values whose magnitude rounds past the largest half (65504) have no
 * finite encoding: {@link floatToHalf} reports them with `HALF_OVERFLOW` so the caller can raise
 * a coded error. Decoding goes through a 65,536-entry table built once.
 */

/** Largest finite float16 value. */
export const HALF_MAX = 65504;

/** Returned by {@link floatToHalf} when the value rounds to infinity in float16. */
export const HALF_OVERFLOW = -1;

const F32_EXPONENT_BIAS = 127;
const F16_EXPONENT_BIAS = 15;
const F16_EXPONENT_MAX = 31;
const F32_MANTISSA_BITS = 23;
const F16_MANTISSA_BITS = 10;
const DROPPED_BITS = F32_MANTISSA_BITS - F16_MANTISSA_BITS;
const HIDDEN_BIT = 1 << F32_MANTISSA_BITS;
const SUBNORMAL_LIMIT = -10;

const scratchFloat = new Float32Array(1);
const scratchBits = new Uint32Array(scratchFloat.buffer);

/** Rounds `mantissa >>> shift` to nearest, ties to even. `shift` is 1 to 31. */
function roundShift(mantissa: number, shift: number): number {
  const kept = mantissa >>> shift;
  const rest = mantissa & ((1 << shift) - 1);
  const half = 1 << (shift - 1);
  return rest > half || (rest === half && (kept & 1) === 1) ? kept + 1 : kept;
}

/** float16 bits of a finite `value`, or {@link HALF_OVERFLOW} when it exceeds the half range. */
export function floatToHalf(value: number): number {
  scratchFloat[0] = value;
  const bits = scratchBits[0];
  const sign = (bits >>> 16) & 0x8000;
  const exponent = ((bits >>> F32_MANTISSA_BITS) & 0xff) - F32_EXPONENT_BIAS + F16_EXPONENT_BIAS;
  const mantissa = bits & (HIDDEN_BIT - 1);

  if (exponent >= F16_EXPONENT_MAX) return HALF_OVERFLOW;
  if (exponent <= 0) {
    // Subnormal half (or zero): the hidden bit becomes explicit and shifts right.
    if (exponent < SUBNORMAL_LIMIT) return sign;
    return sign | roundShift(mantissa | HIDDEN_BIT, DROPPED_BITS + 1 - exponent);
  }

  // NOTE: a rounding carry out of the mantissa correctly bumps the exponent field.
  const half = (exponent << F16_MANTISSA_BITS) + roundShift(mantissa, DROPPED_BITS);
  return half >= F16_EXPONENT_MAX << F16_MANTISSA_BITS ? HALF_OVERFLOW : sign | half;
}

/** Value of float16 `bits` computed arithmetically (used to build the table). */
function halfValue(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >>> F16_MANTISSA_BITS) & F16_EXPONENT_MAX;
  const mantissa = bits & ((1 << F16_MANTISSA_BITS) - 1);
  if (exponent === F16_EXPONENT_MAX) return mantissa === 0 ? sign * Infinity : Number.NaN;
  if (exponent === 0) return sign * mantissa * 2 ** (1 - F16_EXPONENT_BIAS - F16_MANTISSA_BITS);
  const scale = 2 ** (exponent - F16_EXPONENT_BIAS);
  return sign * (1 + mantissa / (1 << F16_MANTISSA_BITS)) * scale;
}

let table: Float32Array | undefined;

/** The float32 value of every float16 bit pattern, indexed by the bits. */
export function halfTable(): Float32Array {
  if (!table) {
    table = new Float32Array(1 << 16);
    for (let bits = 0; bits < table.length; bits++) table[bits] = halfValue(bits);
  }
  return table;
}

/** True when float16 `bits` encode an infinity or NaN. */
export function isHalfNonFinite(bits: number): boolean {
  return (bits & 0x7c00) === 0x7c00;
}
