/**
 * The write-ahead log writer: durable, checksummed records appended with group commit.
 *
 * `append(entries)` writes every entry of one call as consecutive records in ONE write and
 * makes them durable with ONE fdatasync, so a batch upsert costs one sync whatever its size.
 * When it returns, the records survive a process kill and a power loss.
 *
 * The log is cut only after what it protects is durable elsewhere. The checkpoint protocol:
 *   1. `const cut = log.rotate()`: later records go to a new file starting at sequence `cut`;
 *   2. write and sync the parts holding every record before `cut` (token segments, ...);
 *   3. publish a manifest generation with `log: { sequence: cut }`;
 *   4. `log.dropBefore(cut)`: unlink the files whose records all precede `cut`.
 * A crash anywhere leaves either the old generation and the whole log, or the new generation and
 * log files that replay skips (records before `cut`) and the next open removes. Replay hands
 * records from the manifest's sequence on, so it is idempotent.
 *
 * Opening cuts a torn tail (the unacknowledged end of an interrupted append) from the last file
 * and syncs the cut before anything new is appended after it.
 */
import { posix } from 'node:path';
import { DEFAULTS } from '../defaults.js';
import { logger } from '../log.js';
import { type FenceState, type FileHandle, type FileSystem, WriteFence } from './file-system.js';
import {
  encodeLogHeader,
  encodeRecords,
  type LogEntry,
  type LogRecord,
  listLogFiles,
  logFileName,
  type ReplaySummary,
  replayLog,
} from './log-format.js';

/** Options of {@link WriteAheadLog.open}. */
export interface OpenLogOptions {
  /** First sequence not covered by the manifest: replay starts here. Default 1. */
  fromSequence?: number;
  /** Receives each record from `fromSequence` on during open, in order. */
  onRecord?: (record: LogRecord) => void;
  /** Largest payload written or accepted. Default `DEFAULTS.store.maxLogRecordBytes`. */
  maxRecordBytes?: number;
  /** fdatasync each append and fsync the directory on file changes. Default true. */
  sync?: boolean;
}

/** Sequence numbers given to one appended batch. */
export interface AppendResult {
  firstSequence: number;
  lastSequence: number;
}

/** The open write-ahead log of one collection directory (see the module comment). */
export class WriteAheadLog {
  private readonly fence: WriteFence;
  private handle: FileHandle;
  private next: number;
  private fileStart: number;
  private olderFileBytes: number;

  private constructor(
    private readonly fs: FileSystem,
    readonly dir: string,
    handle: FileHandle,
    start: { next: number; fileStart: number; olderBytes: number },
    private readonly settings: { maxRecordBytes: number; sync: boolean },
    /** What the replay at open found. */
    readonly replay: ReplaySummary,
  ) {
    this.fence = new WriteFence(`the write-ahead log in ${dir}`);
    this.handle = handle;
    this.next = start.next;
    this.fileStart = start.fileStart;
    this.olderFileBytes = start.olderBytes;
  }

  /**
   * Opens the log of `dir` for writing: replays it (see `replayLog`), deletes files wholly before
   * `fromSequence`, cuts a torn tail, and creates the first file when there is none. The caller
   * holds the directory's write lock.
   */
  static open(fs: FileSystem, dir: string, options: OpenLogOptions = {}): WriteAheadLog {
    const fromSequence = options.fromSequence ?? 1;
    const settings = {
      maxRecordBytes: options.maxRecordBytes ?? DEFAULTS.store.maxLogRecordBytes,
      sync: options.sync ?? true,
    };
    const { summary, scans } = replayLog(fs, dir, { ...options, fromSequence });

    const obsolete = scans
      .slice(0, -1)
      .filter((_scan, i) => scans[i + 1].firstSequence <= fromSequence);
    for (const scan of obsolete) fs.unlink(scan.path);
    const last = scans.at(-1);
    let handle: FileHandle;
    if (last === undefined) {
      handle = createLogFile(fs, dir, summary.nextSequence, settings.sync);
    } else {
      handle = fs.open(last.path, 'write');
      if (last.tornTail)
        cutTornTail(
          handle,
          last.headerValid ? last.validBytes : 0,
          last.firstSequence,
          settings.sync,
        );
    }
    if (obsolete.length > 0 && settings.sync) fs.syncDir(dir);
    if (summary.tornTail) {
      const { file, offset, droppedBytes } = summary.tornTail;
      logger.warn(`cut a torn write-ahead log tail: ${droppedBytes} bytes at ${file}:${offset}`);
    }

    const live = scans.filter((scan) => !obsolete.includes(scan));
    const olderBytes = live.slice(0, -1).reduce((sum, scan) => sum + scan.validBytes, 0);
    const start = {
      next: summary.nextSequence,
      fileStart: last?.firstSequence ?? summary.nextSequence,
      olderBytes,
    };
    return new WriteAheadLog(fs, dir, handle, start, settings, summary);
  }

  /** The sequence number the next record gets. */
  get nextSequence(): number {
    return this.next;
  }

  /** `open`, `failed` (a write or sync failed: reopen to go on), or `closed`. */
  get state(): FenceState {
    return this.fence.state;
  }

  /** Bytes in the live log files: how much replay would read (use it to trigger checkpoints). */
  get byteLength(): number {
    return this.olderFileBytes + this.handle.size();
  }

  /**
   * Appends `entries` as consecutive records with one write and one fdatasync (group commit).
   * When it returns, they are durable. Throws `closed` once any earlier write or sync failed.
   */
  append(entries: readonly LogEntry[]): AppendResult {
    this.fence.check();
    const bytes = encodeRecords(entries, this.next, this.settings.maxRecordBytes);
    return this.fence.run(() => {
      this.handle.append(bytes);
      if (this.settings.sync) this.handle.datasync();
      const result = { firstSequence: this.next, lastSequence: this.next + entries.length - 1 };
      this.next += entries.length;
      return result;
    });
  }

  /**
   * Starts a new log file at {@link nextSequence} (unless the current one is still empty) and
   * returns that sequence: the cut of a checkpoint (step 1 of the module comment).
   */
  rotate(): number {
    return this.fence.run(() => {
      if (this.fileStart === this.next) return this.next;
      const handle = createLogFile(this.fs, this.dir, this.next, this.settings.sync);
      this.olderFileBytes += this.handle.size();
      this.handle.close();
      this.handle = handle;
      this.fileStart = this.next;
      return this.next;
    });
  }

  /**
   * Unlinks log files whose records all precede `sequence` (step 4 of the module comment: call it
   * only after a published manifest records `log.sequence >= sequence`). Returns their paths.
   */
  dropBefore(sequence: number): string[] {
    return this.fence.run(() => {
      const files = listLogFiles(this.fs, this.dir);
      const dropped: string[] = [];
      files.forEach((file, i) => {
        const following = files[i + 1];
        if (
          following !== undefined &&
          following.firstSequence <= Math.min(sequence, this.fileStart)
        ) {
          this.olderFileBytes -= this.fs.stat(file.path).size;
          this.fs.unlink(file.path);
          dropped.push(file.path);
        }
      });
      if (dropped.length > 0 && this.settings.sync) this.fs.syncDir(this.dir);
      this.olderFileBytes = Math.max(0, this.olderFileBytes);
      return dropped;
    });
  }

  /** Closes the file; later appends throw `closed`. Idempotent. */
  close(): void {
    this.fence.close();
    this.handle.close();
  }
}

/** Creates `wal-<sequence>.log` with its header, durable (file and directory entry). */
function createLogFile(fs: FileSystem, dir: string, sequence: number, sync: boolean): FileHandle {
  const handle = fs.open(posix.join(dir, logFileName(sequence)), 'create');
  handle.write(encodeLogHeader(sequence), 0);
  if (sync) {
    handle.datasync();
    fs.syncDir(dir);
  }
  return handle;
}

/** Cuts the file at `validBytes` (rewriting a torn header) and makes the cut durable. */
function cutTornTail(
  handle: FileHandle,
  validBytes: number,
  firstSequence: number,
  sync: boolean,
): void {
  handle.truncate(validBytes);
  if (validBytes === 0) handle.write(encodeLogHeader(firstSequence), 0);
  if (sync) handle.datasync();
}
