/**
 * The one file-system interface that all storage I/O of the library goes through.
 *
 * Why an interface: crash safety is only believable when it is tested, and the tests need to kill
 * the writer at its n-th mutating call, fail a call with EIO or ENOSPC, and build the disk images
 * a power loss could leave behind. Routing every read, write, sync, rename and unlink through
 * {@link FileSystem} lets `MemoryFileSystem` and `FaultFileSystem` (beside this file) do that, while
 * {@link NodeFileSystem} does the real work with `node:fs`.
 *
 * NOTE: the interface is synchronous. Storage calls are short (one write and one fdatasync per
 * batch, about 0.3 ms here), a synchronous sequence of calls cannot interleave with another
 * writer on the same event loop, and fault injection counts calls deterministically. The cost is
 * that a sync blocks the event loop for its duration; the collection batches writes so that this
 * happens once per call, never per document.
 *
 * Errors: every failure is a {@link MuveraError}: `not-found` (ENOENT), `already-exists`
 * (EEXIST), otherwise `io-error`, with `file` set and the operating-system error as `cause`.
 * {@link WriteFence} turns the first failed write or sync into a latched `closed` state.
 */
import * as nodeFs from 'node:fs';
import { MuveraError } from '../errors.js';

/**
 * How a file is opened.
 * - `read`: an existing file, read only.
 * - `write`: an existing file, read and write, no truncation.
 * - `create`: a new file, read and write; `already-exists` when the path exists (O_EXCL).
 */
export type OpenMode = 'read' | 'write' | 'create';

/** What `stat` reports. */
export interface FileStat {
  /** Size in bytes (0 for directories on some systems). */
  size: number;
  isDirectory: boolean;
  /** Last modification, milliseconds since the epoch. */
  mtimeMs: number;
}

/** An open file. Positions are byte offsets from the start of the file. */
export interface FileHandle {
  /** The path the file was opened with. */
  readonly path: string;
  /** Current size in bytes, including writes not yet synced. */
  size(): number;
  /** Reads up to `length` bytes at `position` into a new buffer (shorter at end of file). */
  read(position: number, length: number): Uint8Array;
  /** Reads into `target` at `position`; returns how many bytes were read. */
  readInto(target: Uint8Array, position: number): number;
  /** Writes all of `data` at `position` (pwrite). Mutating. */
  write(data: Uint8Array, position: number): void;
  /** Writes all of `data` at the current end of the file; returns the position written. Mutating. */
  append(data: Uint8Array): number;
  /** Cuts or extends (with zeros) the file to `length`. Mutating. */
  truncate(length: number): void;
  /** fsync: data and metadata reach stable storage. Mutating. */
  sync(): void;
  /** fdatasync: data and the metadata needed to read it (size) reach stable storage. Mutating. */
  datasync(): void;
  /** Releases the handle. Not mutating; idempotent. */
  close(): void;
}

/** Every file-system operation the storage layer uses. */
export interface FileSystem {
  /** Opens a file; `create` is mutating (it adds a name to the directory). */
  open(path: string, mode: OpenMode): FileHandle;
  /** Reads a whole file, refusing files larger than `maxBytes` with `corrupt-data`. */
  readFile(path: string, maxBytes: number): Uint8Array;
  /** Atomically replaces `to` with `from`. Durable after `syncDir` of the directory. Mutating. */
  rename(from: string, to: string): void;
  /** Adds `to` as a second name of file `from`; `already-exists` when `to` exists. Mutating. */
  link(from: string, to: string): void;
  /** Removes a file name. Durable after `syncDir`. Mutating. */
  unlink(path: string): void;
  /** Creates a directory and missing parents; no error when it exists. Mutating. */
  mkdir(path: string): void;
  /** Names in a directory, sorted. */
  readdir(path: string): string[];
  /** fsync of a directory: makes creations, renames and unlinks in it durable. Mutating. */
  syncDir(path: string): void;
  /** Size, kind and mtime of a path; `not-found` when absent. */
  stat(path: string): FileStat;
  /** True when the path exists. */
  exists(path: string): boolean;
}

/** Converts an operating-system error into a MuveraError naming the call and the file. */
export function fileSystemError(operation: string, path: string, error: unknown): MuveraError {
  if (error instanceof MuveraError) return error;
  const code = (error as NodeJS.ErrnoException | undefined)?.code ?? 'EUNKNOWN';
  const kind = code === 'ENOENT' ? 'not-found' : code === 'EEXIST' ? 'already-exists' : 'io-error';
  return new MuveraError(kind, `${operation} of ${path} failed with ${code}`, {
    file: path,
    actual: code,
    cause: error,
  });
}

/** Runs an OS call, converting its failure with {@link fileSystemError}. */
function attempt<T>(operation: string, path: string, call: () => T): T {
  try {
    return call();
  } catch (error) {
    throw fileSystemError(operation, path, error);
  }
}

const OPEN_FLAGS: Record<OpenMode, string> = { read: 'r', write: 'r+', create: 'wx+' };

/** A {@link FileHandle} over a real file descriptor. */
class NodeFileHandle implements FileHandle {
  private fd: number | null;
  private length: number;

  constructor(
    readonly path: string,
    mode: OpenMode,
  ) {
    this.fd = attempt(`open (${mode})`, path, () => nodeFs.openSync(path, OPEN_FLAGS[mode]));
    this.length = attempt('fstat', path, () => nodeFs.fstatSync(this.descriptor()).size);
  }

  private descriptor(): number {
    if (this.fd === null) throw new MuveraError('closed', `file ${this.path} is closed`);
    return this.fd;
  }

  size(): number {
    return this.length;
  }

  read(position: number, length: number): Uint8Array {
    const target = new Uint8Array(Math.max(0, Math.min(length, this.length - position)));
    const got = this.readInto(target, position);
    return got === target.length ? target : target.subarray(0, got);
  }

  readInto(target: Uint8Array, position: number): number {
    const fd = this.descriptor();
    let done = 0;
    while (done < target.length) {
      const n = attempt('read', this.path, () =>
        nodeFs.readSync(fd, target, done, target.length - done, position + done),
      );
      if (n === 0) break;
      done += n;
    }
    return done;
  }

  write(data: Uint8Array, position: number): void {
    const fd = this.descriptor();
    let done = 0;
    while (done < data.length) {
      done += attempt('write', this.path, () =>
        nodeFs.writeSync(fd, data, done, data.length - done, position + done),
      );
    }
    this.length = Math.max(this.length, position + data.length);
  }

  append(data: Uint8Array): number {
    const position = this.length;
    this.write(data, position);
    return position;
  }

  truncate(length: number): void {
    attempt('ftruncate', this.path, () => nodeFs.ftruncateSync(this.descriptor(), length));
    this.length = length;
  }

  sync(): void {
    attempt('fsync', this.path, () => nodeFs.fsyncSync(this.descriptor()));
  }

  datasync(): void {
    attempt('fdatasync', this.path, () => nodeFs.fdatasyncSync(this.descriptor()));
  }

  close(): void {
    if (this.fd === null) return;
    const fd = this.fd;
    this.fd = null;
    attempt('close', this.path, () => nodeFs.closeSync(fd));
  }
}

/** The real file system, through synchronous `node:fs` calls. */
export class NodeFileSystem implements FileSystem {
  open(path: string, mode: OpenMode): FileHandle {
    return new NodeFileHandle(path, mode);
  }

  readFile(path: string, maxBytes: number): Uint8Array {
    const handle = this.open(path, 'read');
    try {
      const size = handle.size();
      if (size > maxBytes) throw tooLarge(path, size, maxBytes);
      // NOTE: a fresh ArrayBuffer (not Buffer's shared pool) so views at aligned offsets work.
      const target = new Uint8Array(new ArrayBuffer(size));
      const got = handle.readInto(target, 0);
      return got === size ? target : target.subarray(0, got);
    } finally {
      handle.close();
    }
  }

  rename(from: string, to: string): void {
    attempt('rename', from, () => nodeFs.renameSync(from, to));
  }

  link(from: string, to: string): void {
    attempt('link', to, () => nodeFs.linkSync(from, to));
  }

  unlink(path: string): void {
    attempt('unlink', path, () => nodeFs.unlinkSync(path));
  }

  mkdir(path: string): void {
    attempt('mkdir', path, () => nodeFs.mkdirSync(path, { recursive: true }));
  }

  readdir(path: string): string[] {
    return attempt('readdir', path, () => nodeFs.readdirSync(path)).sort();
  }

  syncDir(path: string): void {
    const fd = attempt('open (directory)', path, () => nodeFs.openSync(path, 'r'));
    try {
      attempt('fsync (directory)', path, () => nodeFs.fsyncSync(fd));
    } finally {
      attempt('close (directory)', path, () => nodeFs.closeSync(fd));
    }
  }

  stat(path: string): FileStat {
    const stat = attempt('stat', path, () => nodeFs.statSync(path));
    return { size: stat.size, isDirectory: stat.isDirectory(), mtimeMs: stat.mtimeMs };
  }

  exists(path: string): boolean {
    return nodeFs.existsSync(path);
  }
}

/** The `corrupt-data` error for a file larger than a reader accepts. */
export function tooLarge(path: string, size: number, maxBytes: number): MuveraError {
  return new MuveraError(
    'corrupt-data',
    `${path} has ${size} bytes, more than the ${maxBytes} allowed`,
    {
      file: path,
      expected: `at most ${maxBytes} bytes`,
      actual: size,
      remedy: 'The file is damaged or not one of ours; restore it from a backup',
    },
  );
}

/** Writes `data` to a new file at `path`, syncs it (when `sync`) and closes it. */
export function writeNewFile(fs: FileSystem, path: string, data: Uint8Array, sync = true): void {
  const handle = fs.open(path, 'create');
  try {
    handle.write(data, 0);
    if (sync) handle.sync();
  } finally {
    handle.close();
  }
}

/** The state of a writer guarded by a {@link WriteFence}. */
export type FenceState = 'open' | 'failed' | 'closed';

/**
 * Latches the first failure of a writer. After a write or sync has failed, the bytes on disk are
 * unknown (Linux may drop the dirty pages of a failed fsync and report success to a retry), so
 * the writer must stop acknowledging anything until the collection is reopened and recovers from
 * what is really on disk. Every guarded call after a failure throws `closed` with the first
 * failure as its cause.
 */
export class WriteFence {
  private failure: unknown = null;
  private closedReason: string | null = null;

  constructor(private readonly what: string) {}

  /** `open`, `failed` (a guarded call threw), or `closed` (closed on purpose). */
  get state(): FenceState {
    if (this.failure !== null) return 'failed';
    return this.closedReason === null ? 'open' : 'closed';
  }

  /** Throws `closed` unless the fence is open. */
  check(): void {
    if (this.failure !== null) {
      throw new MuveraError(
        'closed',
        `${this.what} stopped accepting writes after a failed write or sync`,
        {
          cause: this.failure,
          remedy: 'Close and reopen the collection; it recovers from what reached the disk',
        },
      );
    }
    if (this.closedReason !== null) {
      throw new MuveraError('closed', `${this.what} is ${this.closedReason}`);
    }
  }

  /** Runs `write` when open; any error it throws latches the fence and is rethrown. */
  run<T>(write: () => T): T {
    this.check();
    try {
      return write();
    } catch (error) {
      this.failure = error;
      throw error;
    }
  }

  /** Marks the writer closed on purpose (later calls throw `closed`). */
  close(reason = 'closed'): void {
    if (this.closedReason === null) this.closedReason = reason;
  }
}
