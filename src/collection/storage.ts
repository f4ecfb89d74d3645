/**
 * What the collection asks of its persistence layer, whatever files implement it: make a logged
 * write durable, publish checkpoints, report sizes, copy itself, and load everything back.
 */
import type { Precision } from '../chamfer/precision.js';
import type { FileSystem } from '../store/file-system.js';
import type { IndexSpec } from './parts.js';
import type { LogRecord, LogWrite } from './records.js';
import type { DocRecord } from './state.js';

/** `fsync`: acknowledged writes survive power loss. `none`: they survive a process kill only. */
export type Durability = 'fsync' | 'none';

/** The collection-level facts a checkpoint publishes (the storage adds its file names). */
export interface CollectionManifest {
  dim: number;
  precision: Precision;
  /** Full FDE config, seeds included (JSON form of src/fde's config). */
  fde: Record<string, unknown>;
  index: IndexSpec;
  /** The encoder that produced the tokens, when the user named one. */
  encoder?: Record<string, unknown>;
  /** Sequence number of the last logged write this checkpoint holds. */
  lastSeq: number;
  /** The next document key to hand out. */
  nextKey: number;
}

/** An open storage: the writer's (or a reader's) handle on the directory. */
export interface StorageHandle {
  readonly dir: string;
  readonly fs: FileSystem;
  readonly readOnly: boolean;
  /** The manifest generation last published. */
  readonly generation: number;
  /** The encoder named at creation, carried from checkpoint to checkpoint. */
  readonly encoder: Record<string, unknown> | undefined;
  /**
   * Appends one record to the log (one write, and one fdatasync with `fsync` durability) and
   * returns its sequence number.
   */
  append(record: LogWrite): number;
  /**
   * Throws `closed` once a failed write or sync has stopped the log (see WriteFence), so a write
   * that would append nothing is refused like one that would.
   */
  checkWritable(): void;
  /** Bytes in the log since the last checkpoint. */
  logBytes(): number;
  /**
   * Publishes a checkpoint: token segments for records not yet in one (all of them into a new
   * segment when `compact`), a document file, the candidate index (`'keep'`: name the previous
   * index file again; empty bytes: none), then a new manifest generation; then drops the log
   * before it and removes files no generation names.
   */
  checkpoint(
    manifest: CollectionManifest,
    records: DocRecord[],
    indexBytes: Uint8Array | 'keep',
    compact: boolean,
  ): void;
  /** Bytes of every file of the collection. */
  diskBytes(): number;
  /** Copies the files of the last published generation (and an empty log) to `target`. */
  backup(target: string): void;
  /** Releases files and the lock. Idempotent. */
  close(): void;
}

/** What opening a directory yields. */
export interface LoadedStorage {
  storage: StorageHandle;
  manifest: CollectionManifest;
  /** Documents of the last checkpoint. */
  records: DocRecord[];
  /** The candidate index file's bytes, or undefined when it is missing. */
  indexBytes: Uint8Array | undefined;
  /** Logged writes after the checkpoint, in order. */
  log: LogRecord[];
}

export { createStorage, openStorage } from './directory-storage.js';
