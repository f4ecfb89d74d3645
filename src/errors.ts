/**
 * Every failure the library raises is a {@link MuveraError} with a stable `code`.
 *
 * Codes are part of the public contract: the CLI maps them to exit codes (src/cli/exit-codes.ts)
 * and the HTTP server to statuses (src/server/status-codes.ts), each in one place. Messages are
 * for people and may change; codes and the structured fields below do not.
 */

/** Stable error codes. Add new ones at the end; never rename or reuse one. */
export const ERROR_CODES = [
  /** A parameter has the wrong type, range or form. */
  'invalid-argument',
  /** A vector or token matrix has a width other than the one expected. */
  'dimension-mismatch',
  /** A token set has no rows (or only padding rows), or a batch is empty where that is not allowed. */
  'empty-input',
  /** NaN or Infinity where finite numbers are required. */
  'non-finite-value',
  /** A size would exceed a documented cap (output dimension, token count, body size). */
  'limit-exceeded',
  /** Two configurations that must agree do not (query vs document encoder, client vs index). */
  'config-mismatch',
  /** A named thing (document, collection, file, model) does not exist. */
  'not-found',
  /** Something that must be new exists already. */
  'already-exists',
  /** Stored bytes fail a check: magic, checksum, bounds, structure. */
  'corrupt-data',
  /** A file or collection was written by a newer format version than this build reads. */
  'unsupported-version',
  /** Another process holds the write lock. */
  'locked',
  /** The operating system refused an I/O call (EIO, ENOSPC, EACCES, ...). */
  'io-error',
  /** The object was closed, or stopped accepting writes after a failed sync. */
  'closed',
  /** An optional dependency or model needed for this call is not installed or cannot be loaded. */
  'unavailable',
  /** Input text or a file could not be parsed. */
  'parse-error',
  /** A request lacked valid credentials (HTTP server). */
  'unauthorized',
  /** An internal invariant failed: a bug. Please report it. */
  'internal',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

/** Structured context carried by an error, so front ends can show or serialise it. */
export interface ErrorDetails {
  /** The parameter, field or path at fault, e.g. `tokens`, `options.k`, `docs[3].id`. */
  parameter?: string;
  /** What was expected, in words or as a value. */
  expected?: unknown;
  /** What was found. */
  actual?: unknown;
  /** What the caller can do about it. */
  remedy?: string;
  /** A file the error refers to. */
  file?: string;
  /** A byte offset in `file`. */
  offset?: number;
  /** The cause: a lower-level error that this one wraps. */
  cause?: unknown;
}

/** The one error class of the library. Check `error.code`, not the message. */
export class MuveraError extends Error {
  override readonly name = 'MuveraError';
  readonly code: ErrorCode;
  readonly parameter?: string;
  readonly expected?: unknown;
  readonly actual?: unknown;
  readonly remedy?: string;
  readonly file?: string;
  readonly offset?: number;

  constructor(code: ErrorCode, message: string, details: ErrorDetails = {}) {
    const full = details.remedy ? `${message}. ${details.remedy}` : message;
    super(full, details.cause === undefined ? undefined : { cause: details.cause });
    this.code = code;
    this.parameter = details.parameter;
    this.expected = details.expected;
    this.actual = details.actual;
    this.remedy = details.remedy;
    this.file = details.file;
    this.offset = details.offset;
  }

  /** A plain object for JSON output: `{ code, message, parameter?, expected?, actual?, ... }`. */
  toJSON(): Record<string, unknown> {
    const out: Record<string, unknown> = { code: this.code, message: this.message };
    for (const key of ['parameter', 'expected', 'actual', 'remedy', 'file', 'offset'] as const) {
      if (this[key] !== undefined) out[key] = this[key];
    }
    return out;
  }
}

/** True when `value` is a {@link MuveraError}, optionally with the given code. */
export function isMuveraError(value: unknown, code?: ErrorCode): value is MuveraError {
  return value instanceof MuveraError && (code === undefined || value.code === code);
}

/** Shorthand for the most common error: a parameter outside its allowed values. */
export function invalidArgument(
  parameter: string,
  expected: unknown,
  actual: unknown,
  remedy?: string,
): MuveraError {
  const message = `${parameter} must be ${String(expected)}, got ${describe(actual)}`;
  return new MuveraError('invalid-argument', message, { parameter, expected, actual, remedy });
}

/** A short, bounded description of a value for error messages. */
export function describe(value: unknown): string {
  if (typeof value === 'string')
    return JSON.stringify(value.length > 80 ? `${value.slice(0, 77)}...` : value);
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') {
    return String(value);
  }
  if (value === null || value === undefined) return String(value);
  if (ArrayBuffer.isView(value))
    return `${value.constructor.name}(${(value as Float32Array).length})`;
  if (Array.isArray(value)) return `array(${value.length})`;
  return typeof value;
}
