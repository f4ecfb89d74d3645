/**
 * Token sets at the library's boundaries.
 *
 * A token set is a flat `Float32Array` holding `numTokens` rows of `dim` values, row after row.
 * A row that is entirely zero is padding (a [PAD] position, a masked punctuation token): it is
 * excluded from FDEs and from Chamfer scores alike, and counted, never silently mixed in.
 * A batch of sets is one flat array plus `offsets` in rows: set i is rows
 * `offsets[i]` to `offsets[i + 1]`, so `offsets` has one more entry than there are sets.
 */
import { describe, invalidArgument, MuveraError } from '../errors.js';

/** What validation learned about one token set. */
export interface TokenSetInfo {
  /** Rows in the set, padding included. */
  numTokens: number;
  /** Rows that are entirely zero (padding), excluded from scoring. */
  numPadding: number;
}

/** Checks that `dim` is a positive integer. */
export function checkDim(dim: unknown, parameter = 'dim'): number {
  if (typeof dim !== 'number' || !Number.isInteger(dim) || dim <= 0) {
    throw invalidArgument(parameter, 'a positive integer', dim);
  }
  return dim;
}

/** True when row `row` of `data` (width `dim`) is entirely zero. */
export function isPaddingRow(data: Float32Array, row: number, dim: number): boolean {
  const end = (row + 1) * dim;
  for (let i = row * dim; i < end; i++) if (data[i] !== 0) return false;
  return true;
}

/**
 * Validates one token set: a Float32Array whose length is a multiple of `dim`, finite values,
 * and at least one non-padding row. `name` names the set in errors (e.g. `documents[4]`).
 */
export function validateTokenSet(tokens: unknown, dim: number, name = 'tokens'): TokenSetInfo {
  if (!(tokens instanceof Float32Array)) {
    throw invalidArgument(name, 'a Float32Array of token rows', describe(tokens));
  }
  if (tokens.length % dim !== 0) {
    throw new MuveraError(
      'dimension-mismatch',
      `${name} has ${tokens.length} values, which is not a multiple of dim ${dim}`,
      { parameter: name, expected: `a multiple of ${dim}`, actual: tokens.length },
    );
  }
  return validateRows(tokens, 0, tokens.length / dim, dim, name);
}

/** Validates rows `start` to `end` of a flat array as one set; see {@link validateTokenSet}. */
export function validateRows(
  data: Float32Array,
  start: number,
  end: number,
  dim: number,
  name: string,
): TokenSetInfo {
  let numPadding = 0;
  for (let row = start; row < end; row++) {
    let zero = true;
    const base = row * dim;
    for (let j = 0; j < dim; j++) {
      const value = data[base + j];
      if (!Number.isFinite(value)) {
        throw new MuveraError(
          'non-finite-value',
          `${name} row ${row - start} value ${j} is ${value}`,
          { parameter: name, expected: 'finite numbers', actual: value },
        );
      }
      if (value !== 0) zero = false;
    }
    if (zero) numPadding++;
  }
  const numTokens = end - start;
  if (numTokens === numPadding) {
    const what = numTokens === 0 ? 'no rows' : `only padding rows (${numTokens}, all zero)`;
    throw new MuveraError('empty-input', `${name} has ${what}`, {
      parameter: name,
      expected: 'at least one non-zero token row',
      actual: numTokens,
    });
  }
  return { numTokens, numPadding };
}

/**
 * Validates the offsets of a batch over `data` (rows of `dim`): non-decreasing integers from 0
 * to the row count. Returns the number of sets.
 */
export function validateOffsets(
  data: Float32Array,
  offsets: ArrayLike<number>,
  dim: number,
  name = 'offsets',
): number {
  if (data.length % dim !== 0) {
    throw new MuveraError(
      'dimension-mismatch',
      `batch data has ${data.length} values, which is not a multiple of dim ${dim}`,
      { parameter: 'data', expected: `a multiple of ${dim}`, actual: data.length },
    );
  }
  const rows = data.length / dim;
  if (offsets.length < 1 || offsets[0] !== 0) {
    throw invalidArgument(`${name}[0]`, '0', offsets[0]);
  }
  for (let i = 1; i < offsets.length; i++) {
    const value = offsets[i];
    if (!Number.isInteger(value) || value < offsets[i - 1] || value > rows) {
      throw invalidArgument(`${name}[${i}]`, `an integer in ${offsets[i - 1]}..${rows}`, value);
    }
  }
  if (offsets[offsets.length - 1] !== rows) {
    throw invalidArgument(
      `${name}[${offsets.length - 1}]`,
      `${rows} (the row count)`,
      offsets[offsets.length - 1],
    );
  }
  return offsets.length - 1;
}

/**
 * Flattens token rows given as nested arrays (JSON) into one row-major array, checking that
 * every row has exactly `dim` numbers BEFORE flattening: one row of `2 * dim` numbers has a total
 * that is a multiple of dim, and must not pass as two tokens. `parameter` names the rows as the
 * caller wrote them (`vectors`, `documents[3].vectors`); row i is `<parameter>[i]` in errors.
 * Finiteness is left to {@link validateTokenSet}, where the set is checked as a whole.
 */
export function flattenRows(rows: unknown, dim: number, parameter: string): Float32Array {
  if (!Array.isArray(rows)) throw invalidArgument(parameter, 'an array of rows of numbers', rows);
  const data = new Float32Array(rows.length * dim);
  rows.forEach((row: unknown, index) => {
    const name = `${parameter}[${index}]`;
    if (!Array.isArray(row)) throw invalidArgument(name, `an array of ${dim} numbers`, row);
    if (row.length !== dim) {
      throw new MuveraError(
        'dimension-mismatch',
        `${name} has ${row.length} numbers, expected dim ${dim}`,
        { parameter: name, expected: dim, actual: row.length },
      );
    }
    const bad = row.findIndex((value) => typeof value !== 'number');
    if (bad >= 0) throw invalidArgument(`${name}[${bad}]`, 'a number', row[bad]);
    data.set(row, index * dim);
  });
  return data;
}
