/**
 * A small dense product for other stages (for example the FDE encoder's projections):
 * every dot product between the rows of two matrices, A B^T, on the same kernel as Chamfer.
 */
import { describe, invalidArgument, MuveraError } from '../errors.js';
import { checkDim } from '../tokens/token-set.js';
import { getKernel } from './kernel.js';

function rowsOf(matrix: Float32Array, dim: number, name: string): number {
  if (!(matrix instanceof Float32Array)) {
    throw invalidArgument(name, 'a Float32Array of rows', describe(matrix));
  }
  if (matrix.length % dim !== 0) {
    throw new MuveraError(
      'dimension-mismatch',
      `${name} has ${matrix.length} values, which is not a multiple of dim ${dim}`,
      { parameter: name, expected: `a multiple of ${dim}`, actual: matrix.length },
    );
  }
  return matrix.length / dim;
}

/**
 * Shape: a (aRows x dim), b (bRows x dim) -> out (aRows x bRows), out[i * bRows + j] =
 * <a_i, b_j>. Pass `out` to reuse it. Values are not checked for NaN (they propagate).
 */
export function dotProducts(
  a: Float32Array,
  b: Float32Array,
  dim: number,
  out?: Float32Array,
): Float32Array {
  checkDim(dim);
  const aRows = rowsOf(a, dim, 'a');
  const bRows = rowsOf(b, dim, 'b');
  const result = out ?? new Float32Array(aRows * bRows);
  if (!(result instanceof Float32Array) || result.length < aRows * bRows) {
    throw invalidArgument('out', `a Float32Array of at least ${aRows * bRows}`, describe(out));
  }
  if (aRows > 0 && bRows > 0) getKernel().dotProducts(a, aRows, b, bRows, dim, result);
  return result;
}
