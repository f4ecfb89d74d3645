export { toTokenBatch } from './batch.js';
export {
  ASCII_PUNCTUATION,
  type ColbertSettings,
  type Projection,
  readColbertSettings,
} from './colbert-config.js';
export {
  type ColbertEncoderOptions,
  ColbertOnnxEncoder,
  loadTransformers,
} from './colbert-onnx.js';
export { createEncoder, loadEncoder } from './factory.js';
export {
  type DocumentFdeEncoder,
  exportFdes,
  type FdeExportOptions,
  type TokenSetToExport,
} from './fde-export.js';
export { openSafetensors, parseSafetensors, writeSafetensors } from './safetensors.js';
export { type StaticEncoderOptions, StaticTokenEncoder } from './static-encoder.js';
export { ENGLISH_STOP_WORDS } from './stop-words.js';
export {
  type ImportedTokens,
  readTokenVectors,
  type TokenFileFormat,
  type TokenImportOptions,
} from './token-import.js';
export type {
  ColbertEncoderSpec,
  EncoderSpec,
  StaticEncoderSpec,
  TokenBatch,
  TokenEncoder,
  TokenEncoding,
  TokenInfo,
} from './types.js';
export { type WordToken, wordTokens } from './word-tokens.js';
export {
  readWordVectors,
  type WordVectorDtype,
  type WordVectors,
  writeWordVectorFolder,
} from './word-vectors.js';
