export { type BallCarvingOptions, type CarvedQuery, carveQuery } from './ball-carving.js';
export { bytesPerToken, decodeTokens, encodeTokens, PRECISIONS, SCALE_MODES } from './encode.js';
export {
  chamferKernelName,
  getChamferKernelChoice,
  type KernelChoice,
  type KernelName,
  setChamferKernel,
} from './kernel.js';
export { dotProducts } from './matmul.js';
export {
  ChamferPool,
  type ChamferPoolOptions,
  chamferBatchParallel,
  defaultChamferPool,
} from './pool.js';
export * from './precision.js';
export * from './reference.js';
export {
  type ChamferExplanation,
  type ChamferHit,
  chamfer,
  chamferBatch,
  chamferTopK,
  type DocumentBatch,
  type DocumentTokens,
  explainChamfer,
  type ScoringBatch,
} from './score.js';
export {
  MAX_POOLING_BLOCK,
  type PooledTokens,
  poolTokens,
  type TokenPoolingOptions,
} from './token-pooling.js';
