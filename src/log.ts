/**
 * The library's one logger. Quiet by default: only warnings and errors, always on stderr.
 * `setLogLevel` is the single switch; the CLI raises it with `--verbose` and lowers it with
 * `--quiet`.
 */
import { createConsola } from 'consola';
import { invalidArgument } from './errors.js';

/** Log levels from quietest to loudest. */
export const LOG_LEVELS = ['silent', 'error', 'warn', 'info', 'debug'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

const CONSOLA_LEVEL: Record<LogLevel, number> = {
  silent: -999,
  error: 0,
  warn: 1,
  info: 3,
  debug: 4,
};

/** The shared logger. Library code calls `logger.warn(...)`, `logger.debug(...)`, never console. */
export const logger = createConsola({
  level: CONSOLA_LEVEL.warn,
  stdout: process.stderr,
  stderr: process.stderr,
});

let current: LogLevel = 'warn';

/** Sets how much the library says on stderr. Default `'warn'`. */
export function setLogLevel(level: LogLevel): void {
  if (!LOG_LEVELS.includes(level)) {
    throw invalidArgument('level', `one of ${LOG_LEVELS.join(', ')}`, level);
  }
  current = level;
  logger.level = CONSOLA_LEVEL[level];
}

/** The current log level. */
export function getLogLevel(): LogLevel {
  return current;
}
