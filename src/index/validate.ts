/**
 * Argument checks shared by every candidate index, so all of them fail the same way with the same
 * codes: `invalid-argument` for keys and counts, `dimension-mismatch` for widths,
 * `non-finite-value` for NaN and Infinity, `already-exists` for keys held already.
 */
import { describe, invalidArgument, MuveraError } from '../errors.js';

/** Checks one key: a non-negative safe integer. */
export function checkKey(key: unknown, parameter: string): number {
  if (typeof key !== 'number' || !Number.isSafeInteger(key) || key < 0) {
    throw invalidArgument(parameter, 'a non-negative safe integer key', key);
  }
  return key;
}

/** Checks a batch of keys: array-like, every key valid, no key twice. */
export function checkKeys(keys: unknown, parameter = 'keys'): number[] {
  if (!isArrayLike(keys)) {
    throw invalidArgument(parameter, 'an array of non-negative integer keys', describe(keys));
  }
  const out = new Array<number>(keys.length);
  const seen = new Set<number>();
  for (let i = 0; i < keys.length; i++) {
    const key = checkKey(keys[i], `${parameter}[${i}]`);
    if (seen.has(key)) {
      throw invalidArgument(`${parameter}[${i}]`, 'a key not repeated in the batch', key);
    }
    seen.add(key);
    out[i] = key;
  }
  return out;
}

/** Throws `already-exists` for the first key that `held(key, i)` reports as present. */
export function checkKeysAreNew(
  keys: number[],
  held: (key: number, position: number) => boolean,
): void {
  for (let i = 0; i < keys.length; i++) {
    if (held(keys[i], i)) {
      throw new MuveraError('already-exists', `keys[${i}] = ${keys[i]} is already in the index`, {
        parameter: `keys[${i}]`,
        expected: 'a key not in the index',
        actual: keys[i],
        remedy: 'Remove the key first to replace its vector',
      });
    }
  }
}

/**
 * Checks a flat matrix of `rows` rows of `dimensions` finite values. `name` names it in errors
 * (`vectors`, `query`, `queries`).
 */
export function checkMatrix(
  values: unknown,
  dimensions: number,
  rows: number | null,
  name: string,
): Float32Array {
  if (!(values instanceof Float32Array)) {
    throw invalidArgument(name, 'a Float32Array', describe(values));
  }
  const expected = rows === null ? null : rows * dimensions;
  if (values.length % dimensions !== 0 || (expected !== null && values.length !== expected)) {
    const want = expected === null ? `a multiple of ${dimensions}` : String(expected);
    const what = rows === null ? '' : ` (${rows} rows of dimension ${dimensions})`;
    throw new MuveraError(
      'dimension-mismatch',
      `${name} has ${values.length} values but ${want} were expected${what}: the index was built for dimension ${dimensions}`,
      { parameter: name, expected: want, actual: values.length },
    );
  }
  checkFinite(values, dimensions, name);
  return values;
}

/** Throws `non-finite-value` naming the row and column of the first NaN or Infinity. */
export function checkFinite(values: Float32Array, dimensions: number, name: string): void {
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i])) {
      const row = Math.floor(i / dimensions);
      throw new MuveraError(
        'non-finite-value',
        `${name} row ${row} value ${i - row * dimensions} is ${values[i]}`,
        { parameter: name, expected: 'finite numbers', actual: values[i] },
      );
    }
  }
}

/** Checks a result count: a positive integer (any size; results stop at what the index holds). */
export function checkCount(count: unknown): number {
  if (typeof count !== 'number' || !Number.isSafeInteger(count) || count <= 0) {
    throw invalidArgument('count', 'a positive integer', count);
  }
  return count;
}

/** Checks a positive integer option, returning `fallback` when it is undefined. */
export function positiveInteger(value: unknown, fallback: number, parameter: string): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0) {
    throw invalidArgument(parameter, 'a positive integer', value);
  }
  return value;
}

/** Throws `invalid-argument` for an option name not in `known` (catches typos). */
export function checkOptionNames(options: object, known: readonly string[], kind: string): void {
  for (const name of Object.keys(options)) {
    if (!known.includes(name)) {
      throw invalidArgument(`options.${name}`, `one of ${known.join(', ')} for ${kind}`, name);
    }
  }
}

function isArrayLike(value: unknown): value is ArrayLike<unknown> {
  if (Array.isArray(value)) return true;
  return ArrayBuffer.isView(value) && !(value instanceof DataView);
}

/** `value`, or `fallback` when undefined; throws `invalid-argument` unless a finite number >= 1. */
export function numberAtLeastOne(value: unknown, fallback: number, parameter: string): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 1) {
    throw invalidArgument(parameter, 'a finite number of at least 1', value);
  }
  return value;
}
