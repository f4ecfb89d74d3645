/**
 * Stored precisions of document token matrices. Scoring always accumulates in float32.
 *
 * - `float32`: 4 bytes per value, exact.
 * - `float16`: 2 bytes per value, IEEE 754 half-precision bits in a Uint16Array.
 * - `int8`: 1 byte per value plus float32 scales; value = code * scale. Scales are either one per
 *   token row (`scaleMode: 'token'`) or one per dimension of the matrix (`'dimension'`).
 */

/** Storage precision of token values. */
export type Precision = 'float32' | 'float16' | 'int8';

/** How int8 scales are shared: one per token row, or one per dimension (column). */
export type ScaleMode = 'token' | 'dimension';

/** A token matrix (numTokens x dim, row-major) in one of the stored precisions. */
export interface EncodedTokens {
  precision: Precision;
  dim: number;
  numTokens: number;
  /** float32: Float32Array; float16: Uint16Array of half bits; int8: Int8Array of codes. */
  values: Float32Array | Uint16Array | Int8Array;
  /** int8 only: numTokens scales (`'token'`) or dim scales (`'dimension'`). */
  scales?: Float32Array;
  /** int8 only. */
  scaleMode?: ScaleMode;
}
