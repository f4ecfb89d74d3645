/**
 * Encoding token matrices to the stored precisions of precision.ts, decoding them back, and
 * checking the structure of an {@link EncodedTokens} handed to the scorers.
 *
 * int8 uses symmetric scales: value = code * scale with codes in [-127, 127] and
 * scale = max |value| / 127 over the row (`scaleMode: 'token'`) or over the column
 * (`'dimension'`). A zero row keeps scale 0 and stays padding. NOTE: with per-dimension scales a
 * row of tiny values can round to all-zero codes and is then treated as padding when scoring.
 */
import { describe, invalidArgument, MuveraError } from '../errors.js';
import { checkDim } from '../tokens/token-set.js';
import { floatToHalf, HALF_MAX, HALF_OVERFLOW, halfTable } from './float16.js';
import type { EncodedTokens, Precision, ScaleMode } from './precision.js';

/** Largest int8 code magnitude (symmetric, so -128 is never used). */
export const INT8_MAX_CODE = 127;

/** Every stored precision, for validation and loops. */
export const PRECISIONS: readonly Precision[] = ['float32', 'float16', 'int8'];

/** Every int8 scale mode. */
export const SCALE_MODES: readonly ScaleMode[] = ['token', 'dimension'];

/** Bytes one token row takes at `precision` (int8 per-token scales included). */
export function bytesPerToken(dim: number, precision: Precision, scaleMode?: ScaleMode): number {
  if (precision === 'float32') return 4 * dim;
  if (precision === 'float16') return 2 * dim;
  return scaleMode === 'dimension' ? dim : dim + 4;
}

function checkFloatRows(tokens: unknown, dim: number): Float32Array {
  if (!(tokens instanceof Float32Array)) {
    throw invalidArgument('tokens', 'a Float32Array of token rows', describe(tokens));
  }
  if (tokens.length % dim !== 0) {
    throw new MuveraError(
      'dimension-mismatch',
      `tokens has ${tokens.length} values, which is not a multiple of dim ${dim}`,
      { parameter: 'tokens', expected: `a multiple of ${dim}`, actual: tokens.length },
    );
  }
  for (let i = 0; i < tokens.length; i++) {
    if (!Number.isFinite(tokens[i])) {
      const where = `row ${Math.floor(i / dim)} value ${i % dim}`;
      throw new MuveraError('non-finite-value', `tokens ${where} is ${tokens[i]}`, {
        parameter: 'tokens',
        expected: 'finite numbers',
        actual: tokens[i],
      });
    }
  }
  return tokens;
}

function encodeHalf(tokens: Float32Array, dim: number): Uint16Array {
  const out = new Uint16Array(tokens.length);
  for (let i = 0; i < tokens.length; i++) {
    const bits = floatToHalf(tokens[i]);
    if (bits === HALF_OVERFLOW) {
      throw new MuveraError(
        'limit-exceeded',
        `tokens row ${Math.floor(i / dim)} value ${i % dim} is ${tokens[i]}, beyond float16`,
        {
          parameter: 'tokens',
          expected: `magnitudes up to ${HALF_MAX}`,
          actual: tokens[i],
          remedy: 'Store these tokens as float32 or int8',
        },
      );
    }
    out[i] = bits;
  }
  return out;
}

/** Max |value| per row (`'token'`) or per column (`'dimension'`), divided by 127. */
function int8Scales(tokens: Float32Array, dim: number, scaleMode: ScaleMode): Float32Array {
  const numTokens = tokens.length / dim;
  const scales = new Float32Array(scaleMode === 'token' ? numTokens : dim);
  for (let i = 0; i < tokens.length; i++) {
    const slot = scaleMode === 'token' ? Math.floor(i / dim) : i % dim;
    scales[slot] = Math.max(scales[slot], Math.abs(tokens[i]));
  }
  for (let s = 0; s < scales.length; s++) scales[s] /= INT8_MAX_CODE;
  return scales;
}

function encodeInt8(tokens: Float32Array, dim: number, scaleMode: ScaleMode) {
  const scales = int8Scales(tokens, dim, scaleMode);
  const codes = new Int8Array(tokens.length);
  for (let i = 0; i < tokens.length; i++) {
    const scale = scales[scaleMode === 'token' ? Math.floor(i / dim) : i % dim];
    const code = scale === 0 ? 0 : Math.round(tokens[i] / scale);
    codes[i] = Math.max(-INT8_MAX_CODE, Math.min(INT8_MAX_CODE, code));
  }
  return { codes, scales };
}

/**
 * Encodes a token matrix (numTokens x dim, row-major) at `precision`. `scaleMode` applies to
 * int8 only (default `'token'`: one scale per row). Throws `non-finite-value` for NaN or
 * infinities, `limit-exceeded` for values beyond the float16 range.
 */
export function encodeTokens(
  tokens: Float32Array,
  dim: number,
  precision: Precision = 'float32',
  scaleMode: ScaleMode = 'token',
): EncodedTokens {
  checkDim(dim);
  checkFloatRows(tokens, dim);
  if (!PRECISIONS.includes(precision)) throw invalidArgument('precision', PRECISIONS, precision);
  if (!SCALE_MODES.includes(scaleMode)) throw invalidArgument('scaleMode', SCALE_MODES, scaleMode);
  const numTokens = tokens.length / dim;

  if (precision === 'float32') return { precision, dim, numTokens, values: tokens.slice() };
  if (precision === 'float16')
    return { precision, dim, numTokens, values: encodeHalf(tokens, dim) };
  const { codes, scales } = encodeInt8(tokens, dim, scaleMode);
  return { precision, dim, numTokens, values: codes, scales, scaleMode };
}

/** Decodes an {@link EncodedTokens} back to float32 rows (numTokens x dim). */
export function decodeTokens(encoded: EncodedTokens): Float32Array {
  checkEncoded(encoded, encoded?.dim, 'encoded');
  const { values, dim } = encoded;
  if (values instanceof Float32Array) return values.slice();
  const out = new Float32Array(values.length);
  if (values instanceof Uint16Array) {
    const table = halfTable();
    for (let i = 0; i < values.length; i++) out[i] = table[values[i]];
    return out;
  }
  const scales = encoded.scales as Float32Array;
  const perToken = encoded.scaleMode === 'token';
  for (let i = 0; i < values.length; i++) {
    out[i] = values[i] * scales[perToken ? Math.floor(i / dim) : i % dim];
  }
  return out;
}

function structureError(name: string, expected: string, actual: unknown): MuveraError {
  return invalidArgument(name, expected, actual);
}

const VALUE_TYPES = { float32: Float32Array, float16: Uint16Array, int8: Int8Array } as const;

/**
 * Checks that `encoded` is a well-formed {@link EncodedTokens} of width `dim`: matching array
 * type and length, int8 scales present, finite and non-negative. Values themselves are checked
 * while they are scored (a float16 infinity or NaN is reported then). Returns `numTokens`. `name` names it in errors (e.g. `documents[3]`).
 */
export function checkEncoded(encoded: EncodedTokens, dim: number, name: string): number {
  if (!encoded || typeof encoded !== 'object') {
    throw structureError(name, 'an EncodedTokens object', describe(encoded));
  }
  checkDim(encoded.dim, `${name}.dim`);
  const { precision, values, numTokens } = encoded;
  const type = VALUE_TYPES[precision as Precision];
  if (!type) throw structureError(`${name}.precision`, PRECISIONS.join(' | '), precision);
  if (encoded.dim !== dim) {
    throw new MuveraError('dimension-mismatch', `${name} has dim ${encoded.dim}, expected ${dim}`, {
      parameter: `${name}.dim`,
      expected: dim,
      actual: encoded.dim,
    });
  }
  if (!(values instanceof type)) throw structureError(`${name}.values`, `a ${type.name}`, values);
  if (!Number.isInteger(numTokens) || numTokens < 0 || values.length !== numTokens * dim) {
    const expected = `numTokens * dim = ${numTokens} * ${dim} values`;
    throw structureError(`${name}.values.length`, expected, values.length);
  }
  if (precision === 'int8') checkScales(encoded, name);
  return numTokens;
}

function checkScales(encoded: EncodedTokens, name: string): void {
  const { scales, scaleMode } = encoded;
  if (!SCALE_MODES.includes(scaleMode as ScaleMode)) {
    throw structureError(`${name}.scaleMode`, SCALE_MODES.join(' | '), scaleMode);
  }
  const count = scaleMode === 'token' ? encoded.numTokens : encoded.dim;
  if (!(scales instanceof Float32Array) || scales.length !== count) {
    throw structureError(`${name}.scales`, `a Float32Array of ${count} scales`, scales);
  }
  for (let i = 0; i < scales.length; i++) {
    if (!(scales[i] >= 0) || !Number.isFinite(scales[i])) {
      throw new MuveraError('non-finite-value', `${name} scale ${i} is ${scales[i]}`, {
        parameter: `${name}.scales`,
        expected: 'finite non-negative scales',
        actual: scales[i],
      });
    }
  }
}
