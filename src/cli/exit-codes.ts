/** The one place where error codes become process exit codes (sysexits-style numbers). */
import type { ErrorCode } from '../errors.js';

/** Exit status of a successful run. */
export const EXIT_OK = 0;
/** Exit status for an error that is not a MuveraError (a bug). */
export const EXIT_INTERNAL = 70;
/** Exit status for wrong command-line usage (unknown flag, missing argument). */
export const EXIT_USAGE = 64;

/** Exit code for each error code. Kept total by the type: a new code must be mapped here. */
export const EXIT_CODES: Readonly<Record<ErrorCode, number>> = Object.freeze({
  'invalid-argument': 64,
  'dimension-mismatch': 65,
  'empty-input': 65,
  'non-finite-value': 65,
  'limit-exceeded': 65,
  'config-mismatch': 65,
  'parse-error': 65,
  'not-found': 66,
  'already-exists': 73,
  'corrupt-data': 74,
  'unsupported-version': 74,
  'io-error': 74,
  locked: 75,
  closed: 75,
  unavailable: 69,
  unauthorized: 77,
  internal: 70,
});
