/** Helpers between per-text encodings and the library's batch layout (flat rows + offsets). */
import { MuveraError } from '../errors.js';
import type { TokenBatch, TokenEncoding } from './types.js';

/** Concatenates encodings of one dim into a {@link TokenBatch}. */
export function toTokenBatch(encodings: readonly TokenEncoding[]): TokenBatch {
  if (encodings.length === 0) {
    throw new MuveraError('empty-input', 'no encodings to batch', { parameter: 'encodings' });
  }
  const dim = encodings[0].dim;
  const offsets = new Uint32Array(encodings.length + 1);
  encodings.forEach((encoding, i) => {
    if (encoding.dim !== dim) {
      throw new MuveraError(
        'dimension-mismatch',
        `encodings[${i}] has dim ${encoding.dim} but encodings[0] has dim ${dim}`,
        { parameter: `encodings[${i}].dim`, expected: dim, actual: encoding.dim },
      );
    }
    offsets[i + 1] = offsets[i] + encoding.numTokens;
  });

  const data = new Float32Array(offsets[encodings.length] * dim);
  encodings.forEach((encoding, i) => {
    data.set(encoding.data, offsets[i] * dim);
  });
  return { data, dim, offsets, tokens: encodings.map((encoding) => encoding.tokens) };
}
