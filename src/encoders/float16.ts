/**
 * IEEE 754 half precision (binary16) to and from float32, for word-vector tables stored at half
 * size. Node 20 has no Float16Array, so the bits live in a Uint16Array.
 */

const F32 = new Float32Array(1);
const U32 = new Uint32Array(F32.buffer);
const HALF_EXPONENT_BIAS = 15;
const FLOAT_EXPONENT_BIAS = 127;
const HALF_MAX_EXPONENT = 31;
const HALF_MANTISSA_BITS = 10;
const MANTISSA_SHIFT = 13; // 23 float32 mantissa bits - 10 half mantissa bits

/** The float32 value of half-precision bits `bits`. */
export function halfToFloat(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> HALF_MANTISSA_BITS) & 0x1f;
  const mantissa = bits & 0x3ff;
  if (exponent === 0) return sign * mantissa * 2 ** (1 - HALF_EXPONENT_BIAS - HALF_MANTISSA_BITS);
  if (exponent === HALF_MAX_EXPONENT)
    return mantissa ? Number.NaN : sign * Number.POSITIVE_INFINITY;
  return sign * (1 + mantissa / 2 ** HALF_MANTISSA_BITS) * 2 ** (exponent - HALF_EXPONENT_BIAS);
}

/** Half-precision bits of `value`, rounded to nearest, ties to even; overflow becomes Infinity. */
export function floatToHalf(value: number): number {
  F32[0] = value;
  const x = U32[0];
  const sign = (x >>> 16) & 0x8000;
  const exponent = ((x >>> 23) & 0xff) - FLOAT_EXPONENT_BIAS + HALF_EXPONENT_BIAS;
  const mantissa = x & 0x7fffff;
  if (((x >>> 23) & 0xff) === 0xff) return sign | 0x7c00 | (mantissa ? 0x200 : 0);
  if (exponent >= HALF_MAX_EXPONENT) return sign | 0x7c00;
  if (exponent <= 0) {
    if (exponent < -HALF_MANTISSA_BITS) return sign;
    const full = mantissa | 0x800000;
    const shift = MANTISSA_SHIFT + 1 - exponent;
    return sign | roundShift(full, shift);
  }
  return sign | ((exponent << HALF_MANTISSA_BITS) + roundShift(mantissa, MANTISSA_SHIFT));
}

/** `value >> shift` rounded to nearest, ties to even (a carry may ripple into the exponent). */
function roundShift(value: number, shift: number): number {
  const kept = Math.floor(value / 2 ** shift);
  const rest = value - kept * 2 ** shift;
  const half = 2 ** (shift - 1);
  return rest > half || (rest === half && kept & 1) ? kept + 1 : kept;
}

/** Decodes a whole Uint16Array of half-precision bits into a new Float32Array. */
export function halvesToFloats(bits: Uint16Array): Float32Array {
  const out = new Float32Array(bits.length);
  for (let i = 0; i < bits.length; i++) out[i] = halfToFloat(bits[i]);
  return out;
}

/** Encodes a Float32Array as half-precision bits. */
export function floatsToHalves(values: Float32Array): Uint16Array {
  const out = new Uint16Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = floatToHalf(values[i]);
  return out;
}
