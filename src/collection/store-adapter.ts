/**
 * The collection's write lock: `LOCK` created exclusively, holding the owner's pid. A lock whose
 * pid is dead is stale and taken over; one held by this process is refused like any other.
 *
 * TODO(#4): an interim lock written while src/store's cross-process lock was still being built;
 * swap it for src/store's once it lands, keeping this signature.
 */
import { join } from 'node:path';
import { MuveraError } from '../errors.js';
import { type FileSystem, writeNewFile } from '../store/file-system.js';
import { readManifest } from '../store/manifest.js';

/** A held write lock. */
export interface CollectionLock {
  release(): void;
}

const LOCK_FILE = 'LOCK';

/** Lock files this process holds, per file system (so a simulated crash image is not locked). */
const held = new WeakMap<FileSystem, Set<string>>();

/** Takes the write lock of `dir`; `locked` when a live process (or this one) holds it. */
export function acquireLock(fs: FileSystem, dir: string): CollectionLock {
  const path = join(dir, LOCK_FILE);
  const mine = new TextEncoder().encode(String(process.pid));
  const ours = held.get(fs) ?? new Set<string>();
  held.set(fs, ours);
  try {
    writeNewFile(fs, path, mine, false);
  } catch (error) {
    if (!(error instanceof MuveraError && error.code === 'already-exists')) throw error;
    const owner = Number(new TextDecoder().decode(fs.readFile(path, 64)));
    const live = owner === process.pid ? ours.has(path) : isAlive(owner);
    if (Number.isInteger(owner) && owner > 0 && live) {
      throw new MuveraError(
        'locked',
        `the collection in ${dir} is open for writing by process ${owner}`,
        {
          file: path,
          actual: owner,
          remedy: 'Close it there first, or open this one with { readOnly: true }',
        },
      );
    }
    fs.unlink(path);
    writeNewFile(fs, path, mine, false);
  }
  ours.add(path);
  return {
    release() {
      if (!ours.delete(path)) return;
      if (fs.exists(path)) fs.unlink(path);
    },
  };
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * The collection part (`config`) of the newest manifest generation of `dir`, or undefined.
 * @deprecated Use `collection.encoder` and `collection.stats()` of an open collection.
 */
export function readLatestManifest(
  fs: FileSystem,
  dir: string,
): { generation: number; body: unknown } | undefined {
  const loaded = readManifest(fs, dir);
  return loaded === null ? undefined : { generation: loaded.generation, body: loaded.body.config };
}
