/**
 * The write lock of a collection directory: at most one writing process at a time.
 *
 * Node has no flock, so the lock is a file, `LOCK`, holding its owner as JSON (pid, host name, a
 * random token, and on Linux the boot id and the process start time), written to a temp file and
 * hard-linked into place, which fails when `LOCK` exists (as O_EXCL would, without a window in
 * which `LOCK` exists but is still empty). A
 * second writer finds the file and checks the owner: a live owner means `locked`; a dead one
 * means the lock is stale and is taken over at once (a killed holder frees the lock as soon as
 * the kernel has reaped it, well within a second). Dead means: no such pid, a zombie, another
 * boot, or a pid now used by a process that started at another time (pid reuse).
 *
 * Taking over a stale lock races with other processes doing the same. The one that creates
 * `LOCK.break` (the same way, holding its owner) re-reads the owner of `LOCK`, and unlinks it only
 * if it still holds the same token, so a fresh lock is never removed by a late contender. A
 * `LOCK.break` whose owner is dead (or, unreadable, older than a second) is itself stale: its
 * creator died inside those few microseconds.
 *
 * Readers take no lock. Owners on another host cannot be checked and count as live.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { posix } from 'node:path';
import { MuveraError } from '../errors.js';
import { type FileSystem, writeNewFile } from './file-system.js';
import { TEMP_SUFFIX } from './manifest.js';

/** The lock file's name in a collection directory. */
export const LOCK_FILE = 'LOCK';
/** The name of the short-lived file that serialises stale-lock takeovers. */
export const BREAK_FILE = 'LOCK.break';
/** A `LOCK.break` older than this was left by a process that died while holding it. */
const BREAK_STALE_MS = 1000;
/** A `LOCK` without readable content younger than this is still being written by its creator. */
const UNREADABLE_GRACE_MS = 1000;
/** Largest lock file a reader accepts. */
const MAX_LOCK_BYTES = 4096;
/** Attempts to take a stale lock before giving up (each loses only to a concurrent taker). */
const MAX_ATTEMPTS = 20;
const TOKEN_BYTES = 12;
/** Field of /proc/<pid>/stat (1-based, after the command name) holding the start time. */
const STAT_START_TIME_FIELD = 22;

/** Who holds a lock. */
export interface LockOwner {
  pid: number;
  hostname: string;
  token: string;
  acquiredAt: string;
  /** Linux boot id, when known: a lock from another boot is stale. */
  bootId?: string;
  /** Start time of the process in clock ticks since boot, when known: detects pid reuse. */
  startTime?: number;
}

/** Options of {@link acquireWriteLock}. */
export interface WriteLockOptions {
  /** Decides whether the owner of an existing lock still runs. Default: {@link isOwnerAlive}. */
  isAlive?: (owner: LockOwner) => boolean;
  /**
   * Reads a file of /proc as text, throwing where there is none. Default: `readFileSync`. Tests
   * pass a failing one to see the lock on a system without /proc (no boot id, no start time).
   */
  readProc?: ProcReader;
}

/** Reads a file of /proc (e.g. `/proc/<pid>/stat`) as text; throws when it cannot. */
export type ProcReader = (path: string) => string;

const readProcFile: ProcReader = (path) => readFileSync(path, 'utf8');

/** A held write lock. */
export class WriteLock {
  private held = true;

  constructor(
    private readonly fs: FileSystem,
    /** The lock file. */
    readonly path: string,
    /** What this process wrote into it. */
    readonly owner: LockOwner,
  ) {}

  /** True until {@link release}. */
  get isHeld(): boolean {
    return this.held;
  }

  /** Removes the lock file if it is still ours. Idempotent. */
  release(): void {
    if (!this.held) return;
    this.held = false;
    const current = readOwner(this.fs, this.path);
    if (current?.token === this.owner.token) this.fs.unlink(this.path);
  }
}

/** Takes the write lock of `dir`; throws `locked` when a live process holds it. */
export function acquireWriteLock(
  fs: FileSystem,
  dir: string,
  options: WriteLockOptions = {},
): WriteLock {
  const path = posix.join(dir, LOCK_FILE);
  const readProc = options.readProc ?? readProcFile;
  const isAlive = options.isAlive ?? ((holder: LockOwner) => isOwnerAlive(holder, readProc));
  const owner = currentOwner(readProc);
  const content = new TextEncoder().encode(JSON.stringify(owner));

  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    if (tryCreate(fs, path, content)) return new WriteLock(fs, path, owner);
    const holder = readOwner(fs, path);
    if (holder === undefined) continue;
    const live =
      holder === null ? !olderThan(fs, path, UNREADABLE_GRACE_MS, true) : isAlive(holder);
    if (live) throw lockedError(path, holder);
    breakStaleLock(fs, dir, holder, { content, isAlive });
  }
  throw lockedError(path, readOwner(fs, path) ?? null);
}

/** The owner recorded in `dir`'s lock file; null when there is no lock (or it is unreadable). */
export function readLockOwner(fs: FileSystem, dir: string): LockOwner | null {
  return readOwner(fs, posix.join(dir, LOCK_FILE)) ?? null;
}

/**
 * The default liveness check: same host, same boot, the pid exists, is not a zombie, and (when
 * known) started at the recorded time. Owners on other hosts count as alive, and so does a live
 * pid whose state cannot be read (no /proc).
 */
export function isOwnerAlive(owner: LockOwner, readProc: ProcReader = readProcFile): boolean {
  if (owner.hostname !== hostname()) return true;
  const boot = bootId(readProc);
  if (owner.bootId && boot && owner.bootId !== boot) return false;
  try {
    process.kill(owner.pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  const stat = processStat(owner.pid, readProc);
  if (stat === null) return true;
  if (stat.state === 'Z' || stat.state === 'X') return false;
  return owner.startTime === undefined || owner.startTime === stat.startTime;
}

function currentOwner(readProc: ProcReader): LockOwner {
  const owner: LockOwner = {
    pid: process.pid,
    hostname: hostname(),
    token: randomBytes(TOKEN_BYTES).toString('hex'),
    acquiredAt: new Date().toISOString(),
  };
  const boot = bootId(readProc);
  const stat = processStat(process.pid, readProc);
  if (boot) owner.bootId = boot;
  if (stat) owner.startTime = stat.startTime;
  return owner;
}

/**
 * Creates `path` holding `content`, atomically: the content goes to a unique temp file that is
 * then hard-linked to `path` (link fails when `path` exists), so no reader ever sees an empty
 * lock. False when `path` exists.
 */
function tryCreate(fs: FileSystem, path: string, content: Uint8Array): boolean {
  const temp = `${path}.${randomBytes(TOKEN_BYTES).toString('hex')}${TEMP_SUFFIX}`;
  try {
    writeNewFile(fs, temp, content, false);
    return tryLink(fs, temp, path);
  } finally {
    removeQuietly(fs, temp);
  }
}

/** Links `temp` to `path`; false when `path` exists or `temp` was removed by a writer's cleanup. */
function tryLink(fs: FileSystem, temp: string, path: string): boolean {
  try {
    fs.link(temp, path);
    return true;
  } catch (error) {
    const code = error instanceof MuveraError ? error.code : undefined;
    if (code === 'already-exists' || code === 'not-found') return false;
    throw error;
  }
}

/** The owner in a lock file: undefined when the file is gone, null when it is unreadable. */
function readOwner(fs: FileSystem, path: string): LockOwner | null | undefined {
  let bytes: Uint8Array;
  try {
    bytes = fs.readFile(path, MAX_LOCK_BYTES);
  } catch (error) {
    if (error instanceof MuveraError && error.code === 'not-found') return undefined;
    if (error instanceof MuveraError && error.code === 'corrupt-data') return null;
    throw error;
  }
  try {
    const parsed = JSON.parse(new TextDecoder().decode(bytes)) as LockOwner;
    const valid =
      Number.isSafeInteger(parsed.pid) && parsed.pid > 0 && typeof parsed.token === 'string';
    return valid && typeof parsed.hostname === 'string' ? parsed : null;
  } catch {
    return null;
  }
}

/** True when `path` was last modified more than `ms` ago; `missing` when it does not exist. */
function olderThan(fs: FileSystem, path: string, ms: number, missing: boolean): boolean {
  try {
    return Date.now() - fs.stat(path).mtimeMs > ms;
  } catch (error) {
    if (error instanceof MuveraError && error.code === 'not-found') return missing;
    throw error;
  }
}

/** Removes a stale `LOCK` under `LOCK.break`, only if it still names `holder`. */
function breakStaleLock(
  fs: FileSystem,
  dir: string,
  holder: LockOwner | null,
  me: { content: Uint8Array; isAlive: (owner: LockOwner) => boolean },
): void {
  const path = posix.join(dir, LOCK_FILE);
  const breakPath = posix.join(dir, BREAK_FILE);
  if (!tryCreate(fs, breakPath, me.content)) {
    const breaker = readOwner(fs, breakPath);
    const dead = breaker ? !me.isAlive(breaker) : olderThan(fs, breakPath, BREAK_STALE_MS, false);
    if (dead && readOwner(fs, breakPath)?.token === breaker?.token) unlinkIfPresent(fs, breakPath);
    return;
  }
  try {
    const again = readOwner(fs, path);
    if (again !== undefined && again?.token === holder?.token) unlinkIfPresent(fs, path);
  } finally {
    unlinkIfPresent(fs, breakPath);
  }
}

/** Best-effort removal of a temp file (the next writer's open removes leftovers). */
function removeQuietly(fs: FileSystem, path: string): void {
  try {
    fs.unlink(path);
  } catch (error) {
    if (!(error instanceof MuveraError)) throw error;
  }
}

function unlinkIfPresent(fs: FileSystem, path: string): void {
  try {
    fs.unlink(path);
  } catch (error) {
    if (!(error instanceof MuveraError && error.code === 'not-found')) throw error;
  }
}

function lockedError(path: string, holder: LockOwner | null): MuveraError {
  const who = holder
    ? `process ${holder.pid} on ${holder.hostname} since ${holder.acquiredAt}`
    : 'another process';
  return new MuveraError('locked', `${path} is held by ${who}`, {
    file: path,
    actual: holder ?? undefined,
    remedy: `Close the collection there first. If that process is gone (e.g. on another host), remove ${path}`,
  });
}

/** This boot's id on Linux; undefined elsewhere. */
function bootId(readProc: ProcReader): string | undefined {
  try {
    return readProc('/proc/sys/kernel/random/boot_id').trim();
  } catch {
    return undefined;
  }
}

/** State letter and start time of a process from /proc (Linux); null when unknown. */
function processStat(
  pid: number,
  readProc: ProcReader,
): { state: string; startTime: number } | null {
  try {
    const text = readProc(`/proc/${pid}/stat`);
    // NOTE: the command name (field 2) may contain spaces and parentheses: split after its last ')'.
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return { state: fields[0], startTime: Number(fields[STAT_START_TIME_FIELD - 3]) };
  } catch {
    return null;
  }
}
