/**
 * muvera: multi-vector retrieval for Node.js. The public API, one export line per pipeline stage.
 */

export * from './chamfer/index.js';
export * from './collection/index.js';
export { DEFAULTS } from './defaults.js';
export * from './encoders/index.js';
export {
  describe as describeValue,
  ERROR_CODES,
  type ErrorCode,
  type ErrorDetails,
  isMuveraError,
  MuveraError,
} from './errors.js';
export * from './eval/index.js';
export * from './fde/index.js';
export * from './index/index.js';
export { getLogLevel, LOG_LEVELS, type LogLevel, setLogLevel } from './log.js';
export * from './postgres/index.js';
export * from './store/index.js';
export * from './tokens/index.js';
