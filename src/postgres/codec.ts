/**
 * How tokens, spans and vectors travel to and from PostgreSQL.
 *
 * Tokens are stored as `bytea` in the collection's precision (src/chamfer/precision.ts), so a
 * row costs what the embedded token store costs:
 *
 *     precision  bytes of a document with n tokens of dim d
 *     float32    4 n d                 float32 values, little-endian, row-major
 *     float16    2 n d                 IEEE half bits, little-endian
 *     int8       4 n + n d             n float32 scales (one per token row), then the codes
 *
 * Spans are two little-endian uint32 per token row. FDEs go out as pgvector's text form
 * `[v1,v2,...]`; JavaScript prints each float32 value with the fewest digits that read back
 * as the same float32, so the database stores exactly what the encoder produced.
 */
import { encodeTokens } from '../chamfer/encode.js';
import type { EncodedTokens, Precision } from '../chamfer/precision.js';
import { MuveraError } from '../errors.js';

const FLOAT32_BYTES = 4;
const FLOAT16_BYTES = 2;
const UINT32_BYTES = 4;

/** Copies a typed array's bytes into a Buffer (little-endian on every platform Node runs on). */
function bytesOf(array: Float32Array | Uint16Array | Int8Array | Uint32Array): Buffer {
  return Buffer.from(array.buffer.slice(array.byteOffset, array.byteOffset + array.byteLength));
}

/** A fresh, aligned ArrayBuffer copy of `length` bytes of `bytes` from `offset`. */
function aligned(bytes: Uint8Array, offset: number, length: number): ArrayBuffer {
  const copy = new Uint8Array(length);
  copy.set(bytes.subarray(offset, offset + length));
  return copy.buffer;
}

/**
 * Tokens (numTokens x dim float32 rows) at the stored `precision`, int8 with one scale per
 * token row. The FDE is computed from `decodeTokens` of this, as in the embedded collection,
 * so both backends index the same (precision-rounded) values.
 */
export function storedTokens(rows: Float32Array, dim: number, precision: Precision): EncodedTokens {
  if (precision === 'float32')
    return { precision, dim, numTokens: rows.length / dim, values: rows };
  return encodeTokens(rows, dim, precision, 'token');
}

/** The `bytea` of stored tokens (int8 must carry one scale per token row). */
export function tokensToBytes(encoded: EncodedTokens): Buffer {
  if (encoded.precision !== 'int8') return bytesOf(encoded.values);
  if (encoded.scaleMode !== 'token' || !encoded.scales) {
    throw new MuveraError('internal', 'int8 tokens reach the database with one scale per row');
  }
  return Buffer.concat([bytesOf(encoded.scales), bytesOf(encoded.values)]);
}

/** Reads back a token `bytea`; throws `corrupt-data` when its length disagrees with the row. */
export function bytesToEncoded(
  bytes: Uint8Array,
  dim: number,
  numTokens: number,
  precision: Precision,
  id: string,
): EncodedTokens {
  const values = numTokens * dim;
  const scaleBytes = precision === 'int8' ? numTokens * FLOAT32_BYTES : 0;
  const valueBytes = { float32: FLOAT32_BYTES, float16: FLOAT16_BYTES, int8: 1 }[precision];
  const expected = scaleBytes + values * valueBytes;
  if (bytes.length !== expected) {
    throw new MuveraError('corrupt-data', `the tokens of document ${id} have the wrong length`, {
      parameter: 'tokens',
      expected: `${expected} bytes (${numTokens} tokens of dim ${dim} as ${precision})`,
      actual: bytes.length,
    });
  }
  if (precision === 'float32') {
    return { precision, dim, numTokens, values: new Float32Array(aligned(bytes, 0, expected)) };
  }
  if (precision === 'float16') {
    return { precision, dim, numTokens, values: new Uint16Array(aligned(bytes, 0, expected)) };
  }
  const scales = new Float32Array(aligned(bytes, 0, scaleBytes));
  const codes = new Int8Array(aligned(bytes, scaleBytes, values));
  return { precision, dim, numTokens, values: codes, scales, scaleMode: 'token' };
}

/** The `bytea` of spans (two per token row). */
export function spansToBytes(spans: Uint32Array): Buffer {
  return bytesOf(spans);
}

/** Spans read back from their `bytea`. */
export function bytesToSpans(bytes: Uint8Array): Uint32Array {
  const usable = bytes.length - (bytes.length % UINT32_BYTES);
  return new Uint32Array(aligned(bytes, 0, usable));
}

/** pgvector's text form of a vector (also accepted for `halfvec`). */
export function vectorLiteral(vector: ArrayLike<number>): string {
  return `[${Array.prototype.join.call(vector, ',')}]`;
}

/** A vector read back from pgvector's text form. */
export function parseVector(text: string): Float32Array {
  const inner = text.trim().slice(1, -1);
  return inner.length === 0 ? new Float32Array(0) : Float32Array.from(inner.split(','), Number);
}
