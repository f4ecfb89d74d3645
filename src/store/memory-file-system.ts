/**
 * An in-memory {@link FileSystem} that knows which bytes and names are durable.
 *
 * The model (what POSIX promises, no more):
 * - A write changes the file at once for readers (the page cache) but becomes durable only when
 *   the file is synced (`sync` or `datasync`). Until then it is "pending".
 * - Creating, renaming and unlinking a name change the namespace at once but become durable only
 *   when the directory holding the name is synced (`syncDir`).
 * - A failed sync drops the file's pending writes from durability (as Linux does with the dirty
 *   pages of a failed writeback) while readers still see them.
 *
 * From that state, {@link MemoryFileSystem.processKillImage} gives the disk after the process is
 * killed (everything written survives, synced or not) and {@link MemoryFileSystem.powerLossImage}
 * gives a disk after a power loss: durable state plus some pending writes, dropped, reordered,
 * torn at a 512-byte boundary, with file growth filled with zeros or garbage, and unsynced name
 * changes undone or kept in order. `FaultFileSystem` adds kill points and injected errors.
 */
import { dirname, posix } from 'node:path';
import { MuveraError } from '../errors.js';
import type { FileHandle, FileStat, FileSystem, OpenMode } from './file-system.js';
import { tooLarge } from './file-system.js';
import {
  applyWrites,
  contentAfterPowerLoss,
  type PendingWrite,
  POWER_LOSS_SCENARIOS,
  type PowerLossOptions,
  seededRandom,
  writeInto,
} from './power-loss.js';

export {
  POWER_LOSS_SCENARIOS,
  type PowerLossOptions,
  SECTOR_BYTES,
  seededRandom,
} from './power-loss.js';

/** Kinds of mutating call, as counted by fault injection. */
export type MutationKind =
  | 'create'
  | 'write'
  | 'truncate'
  | 'sync'
  | 'datasync'
  | 'rename'
  | 'link'
  | 'unlink'
  | 'mkdir'
  | 'syncDir';

/** One file's bytes: what readers see, what is durable, and what lies between. */
interface Inode {
  data: Uint8Array;
  length: number;
  durable: Uint8Array;
  pending: PendingWrite[];
  mtimeMs: number;
}

type Entry = Inode | 'dir';

/** An unsynced namespace change, durable once one of `dirs` is synced. */
interface NameChange {
  dirs: string[];
  apply(names: Map<string, Entry>): void;
}

function newInode(): Inode {
  return {
    data: new Uint8Array(0),
    length: 0,
    durable: new Uint8Array(0),
    pending: [],
    mtimeMs: Date.now(),
  };
}

function inodeFrom(bytes: Uint8Array, mtimeMs = Date.now()): Inode {
  const inode = newInode();
  inode.mtimeMs = mtimeMs;
  inode.data = bytes.slice();
  inode.length = bytes.length;
  inode.durable = bytes.slice();
  return inode;
}

function notFound(operation: string, path: string): MuveraError {
  return new MuveraError('not-found', `${operation} of ${path} failed with ENOENT`, {
    file: path,
    actual: 'ENOENT',
  });
}

/** The in-memory file system with a durability model (see the module comment). */
export class MemoryFileSystem implements FileSystem {
  protected names = new Map<string, Entry>([['/', 'dir']]);
  protected durableNames = new Map<string, Entry>([['/', 'dir']]);
  protected pendingNames: NameChange[] = [];

  /** Called before every mutating call; fault injection overrides it to kill or fail. */
  protected beforeMutation(_kind: MutationKind, _path: string): void {}

  /** Called before every read; fault injection overrides it to stop reads after a crash. */
  protected beforeRead(_path: string): void {}

  open(path: string, mode: OpenMode): FileHandle {
    const full = posix.resolve(path);
    this.beforeRead(full);
    const existing = this.names.get(full);
    if (mode === 'create') {
      if (existing !== undefined) {
        throw new MuveraError('already-exists', `open (create) of ${full} failed with EEXIST`, {
          file: full,
        });
      }
      this.requireDir(dirname(full), 'open (create)');
      this.beforeMutation('create', full);
      const inode = newInode();
      this.names.set(full, inode);
      this.changeNames([dirname(full)], (names) => names.set(full, inode));
      return new MemoryHandle(this, full, inode, mode);
    }
    if (existing === undefined) throw notFound(`open (${mode})`, full);
    if (existing === 'dir')
      throw new MuveraError('io-error', `open of ${full} failed with EISDIR`, { file: full });
    return new MemoryHandle(this, full, existing, mode);
  }

  readFile(path: string, maxBytes: number): Uint8Array {
    const handle = this.open(path, 'read');
    const size = handle.size();
    if (size > maxBytes) throw tooLarge(path, size, maxBytes);
    const target = new Uint8Array(new ArrayBuffer(size));
    handle.readInto(target, 0);
    return target;
  }

  rename(from: string, to: string): void {
    const source = posix.resolve(from);
    const target = posix.resolve(to);
    this.beforeRead(source);
    const entry = this.names.get(source);
    if (entry === undefined) throw notFound('rename', source);
    this.requireDir(dirname(target), 'rename');
    this.beforeMutation('rename', source);
    this.names.set(target, entry);
    this.names.delete(source);
    this.changeNames([dirname(source), dirname(target)], (names) => {
      const moved = names.get(source);
      if (moved === undefined) return;
      names.set(target, moved);
      names.delete(source);
    });
  }

  link(from: string, to: string): void {
    const source = posix.resolve(from);
    const target = posix.resolve(to);
    this.beforeRead(source);
    const entry = this.names.get(source);
    if (entry === undefined || entry === 'dir') throw notFound('link', source);
    if (this.names.has(target)) {
      throw new MuveraError('already-exists', `link of ${target} failed with EEXIST`, {
        file: target,
        actual: 'EEXIST',
      });
    }
    this.requireDir(dirname(target), 'link');
    this.beforeMutation('link', target);
    this.names.set(target, entry);
    this.changeNames([dirname(target)], (names) => names.set(target, entry));
  }

  unlink(path: string): void {
    const full = posix.resolve(path);
    this.beforeRead(full);
    if (!this.names.has(full)) throw notFound('unlink', full);
    this.beforeMutation('unlink', full);
    this.names.delete(full);
    this.changeNames([dirname(full)], (names) => names.delete(full));
  }

  mkdir(path: string): void {
    const full = posix.resolve(path);
    this.beforeRead(full);
    const existing = this.names.get(full);
    if (existing === 'dir') return;
    if (existing !== undefined)
      throw new MuveraError('already-exists', `mkdir of ${full}: a file`, { file: full });
    this.mkdir(dirname(full));
    this.beforeMutation('mkdir', full);
    this.names.set(full, 'dir');
    this.changeNames([dirname(full)], (names) => names.set(full, 'dir'));
  }

  readdir(path: string): string[] {
    const full = posix.resolve(path);
    this.beforeRead(full);
    this.requireDir(full, 'readdir');
    const out: string[] = [];
    for (const name of this.names.keys()) {
      if (name !== full && dirname(name) === full) out.push(posix.basename(name));
    }
    return out.sort();
  }

  syncDir(path: string): void {
    const full = posix.resolve(path);
    this.beforeRead(full);
    this.requireDir(full, 'fsync (directory)');
    this.beforeMutation('syncDir', full);
    const rest: NameChange[] = [];
    for (const change of this.pendingNames) {
      if (change.dirs.includes(full)) change.apply(this.durableNames);
      else rest.push(change);
    }
    this.pendingNames = rest;
  }

  stat(path: string): FileStat {
    const full = posix.resolve(path);
    this.beforeRead(full);
    const entry = this.names.get(full);
    if (entry === undefined) throw notFound('stat', full);
    if (entry === 'dir') return { size: 0, isDirectory: true, mtimeMs: 0 };
    return { size: entry.length, isDirectory: false, mtimeMs: entry.mtimeMs };
  }

  exists(path: string): boolean {
    const full = posix.resolve(path);
    this.beforeRead(full);
    return this.names.has(full);
  }

  /** Sets a file's content as if written and synced long ago (test setup; not counted). */
  putFile(path: string, bytes: Uint8Array): void {
    const full = posix.resolve(path);
    this.requireDir(dirname(full), 'putFile');
    const inode = inodeFrom(bytes);
    this.names.set(full, inode);
    this.durableNames.set(full, inode);
  }

  /** The bytes a reader sees now (test helper; not counted). */
  peek(path: string): Uint8Array {
    const entry = this.names.get(posix.resolve(path));
    if (entry === undefined || entry === 'dir') throw notFound('peek', path);
    return entry.data.slice(0, entry.length);
  }

  /** Makes this file system a fully durable copy of what `other` shows now (test setup). */
  loadImage(other: MemoryFileSystem): void {
    const image = other.processKillImage();
    this.names = image.names;
    this.durableNames = image.durableNames;
    this.pendingNames = [];
  }

  /** The disk after the process is killed: every write and name change survives. */
  processKillImage(): MemoryFileSystem {
    const image = new MemoryFileSystem();
    const built = new Map<Inode, Inode>();
    for (const [path, entry] of this.names) {
      let copy: Entry = 'dir';
      if (entry !== 'dir') {
        copy = built.get(entry) ?? inodeFrom(entry.data.subarray(0, entry.length), entry.mtimeMs);
        built.set(entry, copy);
      }
      image.names.set(path, copy);
      image.durableNames.set(path, copy);
    }
    return image;
  }

  /** The disk after a power loss, as `options` says (see {@link PowerLossOptions}). */
  powerLossImage(options: PowerLossOptions): MemoryFileSystem {
    const random = seededRandom(options.seed);
    const names = new Map(this.durableNames);
    const changes = this.pendingNames;
    const kept =
      options.names === 'kept'
        ? changes.length
        : options.names === 'undone'
          ? 0
          : Math.floor(random() * (changes.length + 1));
    for (const change of changes.slice(0, kept)) change.apply(names);

    const image = new MemoryFileSystem();
    const built = new Map<Inode, Inode>();
    for (const [path, entry] of names) {
      if (entry === 'dir') {
        image.names.set(path, 'dir');
        image.durableNames.set(path, 'dir');
        continue;
      }
      let copy = built.get(entry);
      if (copy === undefined) {
        // NOTE: mtime 0: a power loss and restart take longer than any staleness grace period.
        copy = inodeFrom(contentAfterPowerLoss(entry, options, random), 0);
        built.set(entry, copy);
      }
      image.names.set(path, copy);
      image.durableNames.set(path, copy);
    }
    return image;
  }

  /** Every named scenario of {@link POWER_LOSS_SCENARIOS} as an image, seeded by `seed`. */
  powerLossImages(seed: number): { scenario: string; fs: MemoryFileSystem }[] {
    return Object.entries(POWER_LOSS_SCENARIOS).map(([scenario, options], i) => ({
      scenario,
      fs: this.powerLossImage({ ...options, seed: seed * 31 + i }),
    }));
  }

  /** Records an unsynced name change. */
  private changeNames(dirs: string[], apply: (names: Map<string, Entry>) => void): void {
    this.pendingNames.push({ dirs, apply });
  }

  private requireDir(path: string, operation: string): void {
    if (this.names.get(path) !== 'dir') throw notFound(operation, path);
  }

  /** @internal Used by handles: runs the fault hook and counts the call. */
  mutation(kind: MutationKind, path: string): void {
    this.beforeMutation(kind, path);
  }

  /** @internal Used by handles before a read. */
  reading(path: string): void {
    this.beforeRead(path);
  }
}

/** A handle on a {@link MemoryFileSystem} inode. */
class MemoryHandle implements FileHandle {
  private closed = false;

  constructor(
    private readonly fs: MemoryFileSystem,
    readonly path: string,
    private readonly inode: Inode,
    private readonly mode: OpenMode,
  ) {}

  private usable(forWrite: boolean): void {
    if (this.closed) throw new MuveraError('closed', `file ${this.path} is closed`);
    if (forWrite && this.mode === 'read') {
      throw new MuveraError(
        'io-error',
        `write to ${this.path} failed with EBADF (opened read-only)`,
        { file: this.path },
      );
    }
  }

  size(): number {
    this.usable(false);
    return this.inode.length;
  }

  read(position: number, length: number): Uint8Array {
    const target = new Uint8Array(Math.max(0, Math.min(length, this.inode.length - position)));
    this.readInto(target, position);
    return target;
  }

  readInto(target: Uint8Array, position: number): number {
    this.usable(false);
    this.fs.reading(this.path);
    const end = Math.min(this.inode.length, position + target.length);
    if (end <= position) return 0;
    target.set(this.inode.data.subarray(position, end));
    return end - position;
  }

  write(data: Uint8Array, position: number): void {
    this.usable(true);
    this.fs.mutation('write', this.path);
    writeInto(this.inode, data, position);
    this.inode.pending.push({ kind: 'write', offset: position, bytes: data.slice() });
    this.inode.mtimeMs = Date.now();
  }

  append(data: Uint8Array): number {
    const position = this.inode.length;
    this.write(data, position);
    return position;
  }

  truncate(length: number): void {
    this.usable(true);
    this.fs.mutation('truncate', this.path);
    if (length < this.inode.length) this.inode.data.fill(0, length, this.inode.length);
    else writeInto(this.inode, new Uint8Array(length - this.inode.length), this.inode.length);
    this.inode.length = length;
    this.inode.pending.push({ kind: 'truncate', length });
  }

  sync(): void {
    this.flush('sync');
  }

  datasync(): void {
    this.flush('datasync');
  }

  private flush(kind: 'sync' | 'datasync'): void {
    this.usable(false);
    try {
      this.fs.mutation(kind, this.path);
    } catch (error) {
      // NOTE: as Linux does after a failed writeback, the dirty pages are dropped: the pending
      // writes will never become durable, though readers still see them.
      if (error instanceof MuveraError) this.inode.pending = [];
      throw error;
    }
    // NOTE: durable becomes the old durable bytes plus the pending writes, not what readers see:
    // after a failed sync the two differ, and a retried sync must not make the lost writes durable.
    this.inode.durable = applyWrites(this.inode.durable, this.inode.pending);
    this.inode.pending = [];
  }

  close(): void {
    this.closed = true;
  }
}
