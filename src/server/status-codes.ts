/** The one place where error codes become HTTP statuses. */
import type { ErrorCode } from '../errors.js';

/** HTTP status for each error code. Kept total by the type: a new code must be mapped here. */
export const HTTP_STATUS: Readonly<Record<ErrorCode, number>> = Object.freeze({
  'invalid-argument': 400,
  'dimension-mismatch': 400,
  'empty-input': 400,
  'non-finite-value': 400,
  'config-mismatch': 400,
  'parse-error': 400,
  'limit-exceeded': 413,
  unauthorized: 401,
  'not-found': 404,
  'already-exists': 409,
  locked: 423,
  closed: 503,
  unavailable: 503,
  'corrupt-data': 500,
  'unsupported-version': 500,
  'io-error': 500,
  internal: 500,
});

/** Status of a JSON error body for a failure that is not a MuveraError (a bug). */
export const HTTP_INTERNAL = 500;
