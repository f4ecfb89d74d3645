/**
 * Candidate indexes over document FDEs: one interface ({@link CandidateIndex}), four
 * implementations (`hnsw`, `flat`, `pq`, `dynamic`), a factory and a checksummed serialised form.
 * See docs/indexes.md.
 */

export { DynamicIndex, type DynamicOptions, type DynamicStage, isGraphIndex } from './dynamic.js';
export { ENVELOPE_VERSION } from './envelope.js';
export {
  type CandidateIndexOptions,
  createCandidateIndex,
  type DeserializeOptions,
  deserializeCandidateIndex,
  loadCandidateIndex,
  saveCandidateIndex,
} from './factory.js';
export { FlatIndex, type FlatOptions } from './flat.js';
export { HNSW_PRECISIONS, HnswIndex, type HnswOptions, type HnswPrecision } from './hnsw.js';
export { PqIndex, type PqOptions } from './pq.js';
export {
  CANDIDATE_INDEX_KINDS,
  type CandidateIndex,
  type CandidateIndexKind,
  type CandidateIndexStats,
  type CandidateResult,
  type CandidateSearchOptions,
} from './types.js';
