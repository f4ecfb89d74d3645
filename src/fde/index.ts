export {
  assertSameFdeConfig,
  effectiveProjectionDimension,
  FDE_FORMAT_VERSION,
  FDE_PROJECTIONS,
  type FdeConfig,
  type FdeConfigInput,
  type FdeConfigJson,
  type FdeProjection,
  fdeDimension,
  fdeFingerprint,
  MAX_FDE_DIMENSION,
  MAX_MATRIX_VALUES,
  MAX_SIMHASH_PROJECTIONS,
  normalizeFdeConfig,
  outputDimensionOf,
} from './config.js';
export {
  type FdeBatch,
  FdeEncoder,
  type FdeEncoding,
  type FdeKind,
} from './encoder.js';
export {
  appendSignBit,
  partitionFromSignBits,
  partitionSignBits,
} from './gray-code.js';
export { FdePool, type FdePoolOptions } from './pool.js';
export {
  FDE_PRESET_NAMES,
  FDE_PRESETS,
  type FdePresetConfig,
  type FdePresetName,
  fdePreset,
} from './presets.js';
export { SEED_STREAMS, SeededRandom, type SeedStream, streamSeed } from './random.js';
