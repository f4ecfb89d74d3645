/**
 * The manifest: the one commit point of a collection.
 *
 * A collection directory holds numbered manifest generations, `manifest-0000000000000007`. Each
 * names every part that makes up the collection at that point (config, token segments with
 * their lengths and checksums, the candidate index, other parts, the write-ahead log position
 * from which to replay, counts). Whatever no live generation names is garbage; whatever the log
 * holds past `log.sequence` is replayed on top. The newest generation is the collection.
 *
 * Publishing generation G (see {@link publishManifest}), with its durability argument:
 * 1. fsync the directory, so the names of the parts G will name are durable before G can be;
 * 2. write `manifest-G.tmp`, fsync it, so G's bytes are durable before its name;
 * 3. rename it to `manifest-G`, then fsync the directory: from here G is the collection;
 * 4. unlink generations older than the `keep` newest (an undone unlink only leaves an old file).
 * A crash before step 3 completes leaves generation G-1 in force and a temp file, which
 * {@link cleanTempFiles} removes at the next writer open. Only after step 3 may the log be cut.
 *
 * File: a 32-byte header (magic, format version, header size, body size, generation, body CRC,
 * header CRC) and a UTF-8 JSON body checked against a schema. A newer format version is refused
 * with `unsupported-version`; an older one passes through the named steps of
 * {@link MANIFEST_UPGRADES}.
 */
import { posix } from 'node:path';
import { z } from 'zod';
import { DEFAULTS } from '../defaults.js';
import { invalidArgument, MuveraError } from '../errors.js';
import { logger } from '../log.js';
import {
  BoundedBytes,
  ByteWriter,
  corruptData,
  crc32,
  magicBytes,
  unsupportedVersion,
} from './binary.js';
import { type FileSystem, writeNewFile } from './file-system.js';

/** The first eight bytes of every manifest. */
export const MANIFEST_MAGIC = magicBytes('MUVRMANI');
/** The manifest format version this build writes. */
export const MANIFEST_FORMAT_VERSION = 1;
/** Manifest header size. */
export const MANIFEST_HEADER_BYTES = 32;
/** Suffix of temporary files; every `*.tmp` in a collection directory is removed at open. */
export const TEMP_SUFFIX = '.tmp';

const HEADER = Object.freeze({
  magic: 0,
  version: 8,
  headerBytes: 10,
  bodyBytes: 12,
  generation: 16,
  bodyCrc: 24,
  headerCrc: 28,
});
const GENERATION_DIGITS = 16;
const GENERATION_PATTERN = /^manifest-(\d{16})$/;
const MAX_CHECKSUM = 0xffffffff;

const count = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
/** A file name inside the collection directory: no separators, no `..`, nothing hidden. */
const fileName = z
  .string()
  .regex(/^[A-Za-z0-9_-][A-Za-z0-9._-]{0,254}$/)
  .refine((name) => !name.endsWith(TEMP_SUFFIX), 'a temporary name');
const part = z.object({ file: fileName, length: count, checksum: count.max(MAX_CHECKSUM) });

const bodySchema = z.object({
  generation: count.min(1),
  config: z.unknown(),
  segments: z.array(part.extend({ numDocuments: count, numTokens: count })),
  index: part.nullable(),
  parts: z.array(part.extend({ role: z.string().min(1).max(64) })),
  log: z.object({ sequence: count }),
  counts: z.record(z.string().max(64), count),
});

/** One file a manifest names, with what it must be. */
export type ManifestPart = z.infer<typeof part>;
/** Everything one manifest generation records (see the module comment). */
export type ManifestBody = z.infer<typeof bodySchema>;

/** A manifest as read from disk. */
export interface LoadedManifest {
  /** The manifest file. */
  file: string;
  generation: number;
  body: ManifestBody;
  /** The format version the file had (lower than current when it was upgraded on read). */
  formatVersion: number;
}

/** A named step that turns a manifest body of version `from` into version `from + 1`. */
export interface ManifestUpgrade {
  from: number;
  name: string;
  upgrade(body: Record<string, unknown>): Record<string, unknown>;
}

/**
 * Upgrade steps, oldest first. Version 1 is the first format, so the list is empty; when version
 * 2 comes, its step (e.g. `{ from: 1, name: 'addTombstoneCounts', upgrade }`) goes here.
 */
export const MANIFEST_UPGRADES: readonly ManifestUpgrade[] = Object.freeze([]);

/** The file name of generation `generation`. */
export function manifestName(generation: number): string {
  return `manifest-${String(generation).padStart(GENERATION_DIGITS, '0')}`;
}

/** Generations present in `dir`, ascending (temp files excluded). */
export function listGenerations(fs: FileSystem, dir: string): number[] {
  const out: number[] = [];
  for (const name of fs.readdir(dir)) {
    const match = GENERATION_PATTERN.exec(name);
    if (match) out.push(Number(match[1]));
  }
  return out.sort((a, b) => a - b);
}

/** Removes every `*.tmp` file in `dir` (leftovers of interrupted writes); returns their names. */
export function cleanTempFiles(fs: FileSystem, dir: string): string[] {
  const removed = fs.readdir(dir).filter((name) => name.endsWith(TEMP_SUFFIX));
  for (const name of removed) fs.unlink(posix.join(dir, name));
  if (removed.length > 0) logger.info(`removed ${removed.length} temporary files in ${dir}`);
  return removed;
}

/** Reads the newest manifest generation of `dir`; null when there is none. */
export function readManifest(
  fs: FileSystem,
  dir: string,
  maxBytes = DEFAULTS.store.maxManifestBytes,
): LoadedManifest | null {
  const generations = listGenerations(fs, dir);
  const newest = generations.at(-1);
  if (newest === undefined) return null;
  const file = posix.join(dir, manifestName(newest));
  try {
    const loaded = decodeManifest(fs.readFile(file, maxBytes), file);
    if (loaded.generation !== newest) {
      throw corruptData(file, HEADER.generation, `the file name says generation ${newest}`, {
        expected: newest,
        actual: loaded.generation,
      });
    }
    return loaded;
  } catch (error) {
    if (error instanceof MuveraError && error.code === 'corrupt-data' && generations.length > 1) {
      const previous = manifestName(generations[generations.length - 2]);
      throw new MuveraError('corrupt-data', error.message, {
        file,
        offset: error.offset,
        cause: error,
        remedy: `Restore ${file} from a backup; moving it away falls back to ${previous}, losing the writes after it`,
      });
    }
    throw error;
  }
}

/** Options of {@link publishManifest}. */
export interface PublishOptions {
  /** Generations to keep on disk. Default `DEFAULTS.store.manifestGenerationsKept`. */
  keep?: number;
  /** fsync the file and the directory (false gives up power-loss durability). Default true. */
  sync?: boolean;
}

/**
 * Publishes `body` as generation `body.generation` (the caller numbers them: previous + 1) with
 * the protocol of the module comment. When this returns, the generation is the collection and
 * survives power loss. When it throws, the new generation may or may not be in force: the caller
 * must stop writing and reopen, which reads whichever generation is on disk.
 */
export function publishManifest(
  fs: FileSystem,
  dir: string,
  body: ManifestBody,
  options: PublishOptions = {},
): LoadedManifest {
  const keep = options.keep ?? DEFAULTS.store.manifestGenerationsKept;
  const sync = options.sync ?? true;
  if (!Number.isInteger(keep) || keep < 1)
    throw invalidArgument('keep', 'an integer of at least 1', keep);
  const checked = parseBody(body, '(new manifest)', 'manifest body');
  const name = manifestName(checked.generation);
  const file = posix.join(dir, name);
  const newest = listGenerations(fs, dir).at(-1) ?? 0;
  if (checked.generation <= newest) {
    throw invalidArgument(
      'body.generation',
      `greater than ${newest}, the newest generation in ${dir}`,
      checked.generation,
    );
  }

  const temp = file + TEMP_SUFFIX;
  if (fs.exists(temp)) fs.unlink(temp);
  if (sync) fs.syncDir(dir);
  writeNewFile(fs, temp, encodeManifest(checked), sync);
  fs.rename(temp, file);
  if (sync) fs.syncDir(dir);

  for (const old of listGenerations(fs, dir)) {
    if (old <= checked.generation - keep) fs.unlink(posix.join(dir, manifestName(old)));
  }
  return {
    file,
    generation: checked.generation,
    body: checked,
    formatVersion: MANIFEST_FORMAT_VERSION,
  };
}

/** The bytes of a manifest file for `body`. */
export function encodeManifest(body: ManifestBody): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(body));
  const out = new ByteWriter(MANIFEST_HEADER_BYTES + json.length)
    .put(HEADER.magic, MANIFEST_MAGIC)
    .u16(HEADER.version, MANIFEST_FORMAT_VERSION)
    .u16(HEADER.headerBytes, MANIFEST_HEADER_BYTES)
    .u32(HEADER.bodyBytes, json.length)
    .u64(HEADER.generation, body.generation)
    .u32(HEADER.bodyCrc, crc32(json))
    .put(MANIFEST_HEADER_BYTES, json);
  return out.checksum(0, HEADER.headerCrc, HEADER.headerCrc).bytes;
}

/** Parses and checks manifest bytes (`file` names them in errors). */
export function decodeManifest(bytes: Uint8Array, file: string): LoadedManifest {
  const data = new BoundedBytes(bytes, file);
  data.magic(HEADER.magic, MANIFEST_MAGIC, 'the manifest header');
  data.need(0, MANIFEST_HEADER_BYTES, 'the manifest header');
  const headerBytes = data.u16(HEADER.headerBytes, 'header size');
  data.bounded(
    headerBytes,
    MANIFEST_HEADER_BYTES,
    Math.min(bytes.length, MANIFEST_HEADER_BYTES * 8),
    HEADER.headerBytes,
    'header size',
  );
  data.checksum(0, headerBytes - 4, headerBytes - 4, 'the manifest header');
  const version = data.u16(HEADER.version, 'format version');
  if (version > MANIFEST_FORMAT_VERSION)
    throw unsupportedVersion(file, 'manifest', version, MANIFEST_FORMAT_VERSION);

  const bodyBytes = data.u32(HEADER.bodyBytes, 'body size');
  if (headerBytes + bodyBytes !== bytes.length) {
    throw corruptData(
      file,
      Math.min(bytes.length, headerBytes + bodyBytes),
      `the header says ${headerBytes + bodyBytes} bytes but the file has ${bytes.length}`,
      {
        expected: headerBytes + bodyBytes,
        actual: bytes.length,
      },
    );
  }
  data.checksum(headerBytes, bytes.length, HEADER.bodyCrc, 'the manifest body');
  const generation = data.u64(HEADER.generation, 'generation');

  let raw: unknown;
  try {
    raw = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(headerBytes)));
  } catch (error) {
    throw corruptData(
      file,
      headerBytes,
      `the manifest body is not JSON (${(error as Error).message})`,
    );
  }
  const body = parseBody(upgradeManifestBody(raw, version, file), file, 'manifest body');
  if (body.generation !== generation) {
    throw corruptData(file, HEADER.generation, 'header and body disagree on the generation', {
      expected: generation,
      actual: body.generation,
    });
  }
  return { file, generation, body, formatVersion: version };
}

/** Runs the upgrade steps from `fromVersion` to the current version; `unsupported-version` if one is missing. */
export function upgradeManifestBody(
  body: unknown,
  fromVersion: number,
  file: string,
  steps: readonly ManifestUpgrade[] = MANIFEST_UPGRADES,
): unknown {
  let current = body;
  for (let version = fromVersion; version < MANIFEST_FORMAT_VERSION; version++) {
    const step = steps.find((candidate) => candidate.from === version);
    if (step === undefined || typeof current !== 'object' || current === null) {
      throw new MuveraError(
        'unsupported-version',
        `${file} is a manifest of format version ${fromVersion}, which this build cannot upgrade`,
        {
          file,
          offset: HEADER.version,
          expected: `${MANIFEST_FORMAT_VERSION}, or an older version with an upgrade step`,
          actual: fromVersion,
        },
      );
    }
    logger.info(`upgrading manifest ${file} from version ${version}: ${step.name}`);
    current = step.upgrade(current as Record<string, unknown>);
  }
  return current;
}

function parseBody(body: unknown, file: string, what: string): ManifestBody {
  const result = bodySchema.safeParse(body);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const where = issue.path.join('.') || '(root)';
  if (file === '(new manifest)') throw invalidArgument(`body.${where}`, issue.message, undefined);
  throw corruptData(file, MANIFEST_HEADER_BYTES, `${what} field ${where}: ${issue.message}`);
}
