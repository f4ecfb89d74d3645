/**
 * The collection's use of three storage primitives: the write lock, the write-ahead log and the
 * manifest generations.
 *
 * TODO(#4): these are interim versions written while src/store's own lock, log and manifest
 * were still being built; swap each for src/store's once it lands, keeping these signatures.
 *
 * - Lock: `LOCK` created exclusively, holding the owner's pid; a lock whose pid is dead is stale
 *   and taken over.
 * - Log: frames of [u32 payload length][u32 CRC-32 of payload][payload][zero padding to 8]; a
 *   reader stops at the first frame that is short or fails its checksum (a torn tail), and a
 *   writer cuts the file there.
 * - Manifest: `manifest-<generation>` files, each [8-byte magic][u32 CRC-32][u32 length][JSON],
 *   written to a temporary name, synced, renamed, directory synced. The newest valid one wins.
 */
import { dirname, join } from 'node:path';
import { DEFAULTS } from '../defaults.js';
import { MuveraError } from '../errors.js';
import { align, BoundedBytes, ByteWriter, crc32, magicBytes } from '../store/binary.js';
import {
  type FileHandle,
  type FileSystem,
  WriteFence,
  writeNewFile,
} from '../store/file-system.js';

/** A held write lock. */
export interface CollectionLock {
  release(): void;
}

/** The write-ahead log of an open collection. */
export interface CollectionLog {
  /** Payloads of the valid records, in order. */
  readonly records: Uint8Array[];
  /** Appends one record; syncs it when `sync`. */
  append(payload: Uint8Array, sync: boolean): void;
  /** Bytes in the log. */
  bytes(): number;
  /** Empties the log (after a checkpoint published what it held). */
  reset(): void;
  close(): void;
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

const FRAME_HEADER = 8;

/** Opens (creating when absent) the log at `path` and reads its valid records. */
export function openLog(fs: FileSystem, path: string, readOnly: boolean): CollectionLog {
  if (!fs.exists(path)) {
    if (readOnly) return readOnlyLog([]);
    fs.open(path, 'create').close();
    fs.syncDir(dirname(path));
  }
  const bytes = fs.readFile(path, Number.MAX_SAFE_INTEGER);
  const { records, validBytes } = readFrames(bytes);
  if (readOnly) return readOnlyLog(records);
  const handle = fs.open(path, 'write');
  if (validBytes < handle.size()) {
    handle.truncate(validBytes);
    handle.datasync();
  }
  return writableLog(handle, records);
}

function readFrames(bytes: Uint8Array): { records: Uint8Array[]; validBytes: number } {
  const data = new BoundedBytes(bytes, 'wal.log');
  const records: Uint8Array[] = [];
  let offset = 0;
  while (offset + FRAME_HEADER <= bytes.length) {
    const length = data.u32(offset, 'record length');
    const end = offset + FRAME_HEADER + length;
    if (length === 0 || length > DEFAULTS.store.maxLogRecordBytes || end > bytes.length) break;
    const payload = bytes.subarray(offset + FRAME_HEADER, end);
    if (crc32(payload) !== data.u32(offset + 4, 'record checksum')) break;
    records.push(payload);
    offset = align(end);
  }
  return { records, validBytes: Math.min(offset, bytes.length) };
}

function readOnlyLog(records: Uint8Array[]): CollectionLog {
  const refuse = () => {
    throw new MuveraError('closed', 'the log was opened read-only');
  };
  return { records, append: refuse, bytes: () => 0, reset: refuse, close: () => undefined };
}

function writableLog(handle: FileHandle, records: Uint8Array[]): CollectionLog {
  const fence = new WriteFence(`write-ahead log ${handle.path}`);
  return {
    records,
    append(payload, sync) {
      const before = handle.size();
      try {
        fence.run(() => {
          const frame = new ByteWriter(align(FRAME_HEADER + payload.length));
          frame.u32(0, payload.length).u32(4, crc32(payload)).put(FRAME_HEADER, payload);
          handle.append(frame.bytes);
          if (sync) handle.datasync();
        });
      } catch (error) {
        forget(handle, before);
        throw error;
      }
    },
    bytes: () => handle.size(),
    reset() {
      fence.run(() => {
        handle.truncate(0);
        handle.datasync();
      });
    },
    close: () => handle.close(),
  };
}

/**
 * Best effort after a failed append: cut the log back so the rejected record is not replayed.
 * If this fails too, the record may or may not survive a reopen (whole, never torn: its
 * checksum decides), which docs/collection.md states.
 */
function forget(handle: FileHandle, length: number): void {
  try {
    handle.truncate(length);
    handle.datasync();
  } catch {
    // The fence is latched already; the reopen decides from what reached the disk.
  }
}

const MANIFEST_MAGIC = magicBytes('MUVRMANI');
const MANIFEST_HEADER = 16;
const MANIFEST_PATTERN = /^manifest-(\d+)$/;

/** The newest valid manifest generation of `dir`, or undefined when there is none. */
export function readLatestManifest(
  fs: FileSystem,
  dir: string,
): { generation: number; body: unknown } | undefined {
  const generations = fs
    .readdir(dir)
    .map((name) => MANIFEST_PATTERN.exec(name))
    .filter((match): match is RegExpExecArray => match !== null)
    .map((match) => Number(match[1]))
    .sort((a, b) => b - a);
  let firstError: unknown;
  for (const generation of generations) {
    try {
      return { generation, body: readManifest(fs, join(dir, `manifest-${generation}`)) };
    } catch (error) {
      if (!(error instanceof MuveraError)) throw error;
      firstError ??= error;
    }
  }
  if (firstError) throw firstError;
  return undefined;
}

function readManifest(fs: FileSystem, path: string): unknown {
  const bytes = fs.readFile(path, DEFAULTS.store.maxManifestBytes);
  const data = new BoundedBytes(bytes, path);
  data.magic(0, MANIFEST_MAGIC, 'manifest');
  const length = data.u32(12, 'manifest length');
  data.need(MANIFEST_HEADER, length, 'manifest body');
  data.checksum(MANIFEST_HEADER, MANIFEST_HEADER + length, 8, 'manifest');
  const text = new TextDecoder().decode(bytes.subarray(MANIFEST_HEADER, MANIFEST_HEADER + length));
  try {
    return JSON.parse(text);
  } catch (cause) {
    throw new MuveraError('corrupt-data', `${path}: the manifest is not valid JSON`, {
      file: path,
      cause,
    });
  }
}

/** Publishes `body` as generation `generation` of `dir` (the commit point); returns it. */
export function publishManifest(
  fs: FileSystem,
  dir: string,
  body: unknown,
  generation: number,
): number {
  const json = new TextEncoder().encode(JSON.stringify(body));
  const writer = new ByteWriter(MANIFEST_HEADER + json.length);
  writer.put(0, MANIFEST_MAGIC).u32(12, json.length).put(MANIFEST_HEADER, json);
  writer.checksum(MANIFEST_HEADER, MANIFEST_HEADER + json.length, 8);

  const final = join(dir, `manifest-${generation}`);
  const temporary = `${final}.tmp`;
  if (fs.exists(temporary)) fs.unlink(temporary);
  writeNewFile(fs, temporary, writer.bytes, true);
  fs.rename(temporary, final);
  fs.syncDir(dir);

  for (const name of fs.readdir(dir)) {
    const match = MANIFEST_PATTERN.exec(name);
    const old = match && Number(match[1]) <= generation - DEFAULTS.store.manifestGenerationsKept;
    if (old || name.endsWith('.tmp')) fs.unlink(join(dir, name));
  }
  return generation;
}
