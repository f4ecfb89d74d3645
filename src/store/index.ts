/**
 * Storage building blocks of an embedded collection: one file-system interface (real, in-memory
 * with a durability model, fault-injecting), token segments, manifest generations, the
 * write-ahead log and the write lock. Formats and promises: docs/storage.md.
 */
export {
  FaultFileSystem,
  type FaultPlan,
  type MutationRecord,
  SimulatedCrash,
} from './fault-file-system.js';
export {
  type FenceState,
  type FileHandle,
  type FileStat,
  type FileSystem,
  fileSystemError,
  NodeFileSystem,
  type OpenMode,
  WriteFence,
  writeNewFile,
} from './file-system.js';
export {
  LOG_FORMAT_VERSION,
  type LogEntry,
  type LogRecord,
  listLogFiles,
  logFileName,
  type ReplayOptions,
  type ReplaySummary,
  replayLog,
  type TornTail,
} from './log-format.js';
export {
  cleanTempFiles,
  type LoadedManifest,
  listGenerations,
  MANIFEST_FORMAT_VERSION,
  MANIFEST_UPGRADES,
  type ManifestBody,
  type ManifestPart,
  type ManifestUpgrade,
  manifestName,
  type PublishOptions,
  publishManifest,
  readManifest,
  TEMP_SUFFIX,
} from './manifest.js';
export {
  MemoryFileSystem,
  type MutationKind,
  POWER_LOSS_SCENARIOS,
  type PowerLossOptions,
  SECTOR_BYTES,
} from './memory-file-system.js';
export { SEGMENT_FORMAT_VERSION, type SegmentLayout } from './token-format.js';
export {
  type SegmentReaderOptions,
  TokenSegmentReader,
  type TokenStoreStats,
  tokenStoreStats,
} from './token-segment-reader.js';
export {
  type SegmentInfo,
  type SegmentWriterOptions,
  TokenSegmentWriter,
} from './token-segment-writer.js';
export { type AppendResult, type OpenLogOptions, WriteAheadLog } from './write-ahead-log.js';
export {
  acquireWriteLock,
  isOwnerAlive,
  LOCK_FILE,
  type LockOwner,
  readLockOwner,
  WriteLock,
  type WriteLockOptions,
} from './write-lock.js';
