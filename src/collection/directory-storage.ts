/**
 * The embedded collection's files, built on src/store: one commit point (the manifest
 * generation), the write-ahead log, token segments, a document file and the candidate index.
 * File formats are in docs/storage.md; the layout and promises in docs/collection.md.
 *
 *     <dir>/LOCK                          write lock (one writer process)
 *     <dir>/manifest-<generation>         manifest generations: the commit point
 *     <dir>/wal-<first sequence>.log      write-ahead log: one record per upsert/delete call
 *     <dir>/tokens-<n>.seg                token segments, written once at a checkpoint
 *     <dir>/docs-<generation>.bin         document file of a generation
 *     <dir>/index-<generation>.bin        candidate index of a generation (derived)
 *
 * A write is durable once its log record is synced (one write and one fdatasync per call). A
 * checkpoint rotates the log, writes and syncs the new segment, document and index files,
 * publishes the manifest generation naming them and the log position after them, and only then
 * drops the log files before that position and unlinks files no generation names. Opening reads
 * the newest generation and replays the log from its position (idempotent), after the log has
 * cut any torn tail.
 */
import { dirname, join } from 'node:path';
import { PRECISIONS } from '../chamfer/encode.js';
import type { Precision } from '../chamfer/precision.js';
import { DEFAULTS } from '../defaults.js';
import { MuveraError } from '../errors.js';
import { CANDIDATE_INDEX_KINDS } from '../index/types.js';
import { logger } from '../log.js';
import { crc32 } from '../store/binary.js';
import { type FileSystem, NodeFileSystem, WriteFence, writeNewFile } from '../store/file-system.js';
import { replayLog } from '../store/log-format.js';
import {
  cleanTempFiles,
  listGenerations,
  type ManifestBody,
  publishManifest,
  readManifest,
} from '../store/manifest.js';
import type { SegmentLayout } from '../store/token-format.js';
import { TokenSegmentReader } from '../store/token-segment-reader.js';
import { TokenSegmentWriter } from '../store/token-segment-writer.js';
import { WriteAheadLog } from '../store/write-ahead-log.js';
import { acquireWriteLock, type WriteLock } from '../store/write-lock.js';
import { type DocumentEntry, decodeDocumentsFile, encodeDocumentsFile } from './documents-file.js';
import { decodeRecord, encodeRecord, type LogRecord, type LogWrite } from './records.js';
import type { DocRecord } from './state.js';
import type { CollectionManifest, Durability, LoadedStorage, StorageHandle } from './storage.js';

/** Version of the collection's part of the manifest (`config`). */
export const COLLECTION_FORMAT_VERSION = 1;

/** What the collection keeps in the manifest's `config`. */
interface CollectionConfig {
  formatVersion: number;
  collection: CollectionManifest;
  /** Number of the next token segment file. */
  nextSegment: number;
}

/** Log record types (the store's log carries one byte of type per record). */
const RECORD_TYPE: Readonly<Record<LogWrite['op'], number>> = Object.freeze({
  upsert: 1,
  delete: 2,
});
const DOCUMENTS_ROLE = 'documents';
const STRAY_PATTERN = /^(docs-\d+\.bin|index-\d+\.bin|tokens-\d+\.seg)$/;

/** Times a reader starts over when the writer published a newer generation meanwhile. */
const READER_ATTEMPTS = 10;
/** One real file system for the process, so in-process lock ownership is tracked in one place. */
const REAL_FS = new NodeFileSystem();
/** int8 tokens are stored with one scale per token row (encodeTokens' default). */
const INT8_SCALE_MODE = 'token';

/** Options of the storage calls. */
export interface StorageOptions {
  readOnly?: boolean;
  durability?: Durability;
  /** The file system (tests pass a fault-injecting one). Default: the real one. */
  fs?: FileSystem;
  /**
   * Largest token segment a checkpoint writes before starting the next one. Default
   * `DEFAULTS.store.maxSegmentBytes`; tests make it small to see several segments.
   */
  maxSegmentBytes?: number;
}

/** Creates the directory of a new collection with an empty first generation. */
export function createStorage(
  dir: string,
  manifest: CollectionManifest,
  durability: Durability = DEFAULTS.collection.durability as Durability,
  fs: FileSystem = REAL_FS,
): StorageHandle {
  fs.mkdir(dir);
  if (durability === 'fsync') fs.syncDir(dirname(dir));
  const lock = acquireWriteLock(fs, dir);
  try {
    if (listGenerations(fs, dir).length > 0) {
      throw new MuveraError('already-exists', `${dir} already holds a collection`, {
        file: dir,
        remedy: 'Open it with Collection.open, or choose another directory',
      });
    }
    const config = {
      formatVersion: COLLECTION_FORMAT_VERSION,
      collection: manifest,
      nextSegment: 0,
    };
    const log = WriteAheadLog.open(fs, dir, { sync: durability === 'fsync' });
    const storage = new DirectoryStorage(fs, dir, lock, emptyBody(config), durability, log);
    storage.checkpoint(manifest, [], new Uint8Array(0), false);
    return storage;
  } catch (error) {
    lock.release();
    throw error;
  }
}

/** Opens a collection directory and loads its newest generation and log. */
export function openStorage(dir: string, options: StorageOptions = {}): LoadedStorage {
  const fs = options.fs ?? REAL_FS;
  if (!fs.exists(dir))
    throw new MuveraError('not-found', `there is no collection in ${dir}`, { file: dir });
  if (!options.readOnly) {
    const lock = acquireWriteLock(fs, dir);
    try {
      return loadGeneration(fs, dir, options, lock);
    } catch (error) {
      lock.release();
      throw error;
    }
  }
  // A reader races the writer: a checkpoint may publish a generation and remove the log files
  // or parts of the one the reader started from. Then it starts again from the newer one.
  for (let attempt = 1; ; attempt++) {
    const generation = listGenerations(fs, dir).at(-1);
    try {
      return loadGeneration(fs, dir, options, null);
    } catch (error) {
      const moved = listGenerations(fs, dir).at(-1) !== generation;
      const retry = error instanceof MuveraError && moved && attempt < READER_ATTEMPTS;
      if (!retry) throw error;
    }
  }
}

/** Reads the newest generation, its parts and the log after it (a writer also opens the log). */
function loadGeneration(
  fs: FileSystem,
  dir: string,
  options: StorageOptions,
  lock: WriteLock | null,
): LoadedStorage {
  const loaded = readManifest(fs, dir);
  if (loaded === null) {
    throw new MuveraError('not-found', `${dir} holds no collection manifest`, { file: dir });
  }
  const config = checkConfig(loaded.body.config, loaded.file);
  const durability = options.durability ?? (DEFAULTS.collection.durability as Durability);
  const dim = config.collection.dim;

  // The log after the generation: a writer opens it (cutting a torn tail), a reader only reads.
  const log: LogRecord[] = [];
  const onRecord = (record: { sequence: number; payload: Uint8Array }) => {
    log.push({ ...decodeRecord(record.payload, dim, dir), seq: record.sequence });
  };
  const fromSequence = loaded.body.log.sequence;
  let wal: WriteAheadLog | null = null;
  let readOnlyLogBytes = 0;
  if (lock === null) {
    const { scans } = replayLog(fs, dir, { fromSequence, onRecord });
    readOnlyLogBytes = scans.reduce((sum, scan) => sum + scan.validBytes, 0);
  } else {
    cleanTempFiles(fs, dir);
    wal = WriteAheadLog.open(fs, dir, { fromSequence, onRecord, sync: durability === 'fsync' });
  }
  const storage = new DirectoryStorage(fs, dir, lock, loaded.body, durability, wal);
  storage.readOnlyLogBytes = readOnlyLogBytes;
  storage.maxSegmentBytes = options.maxSegmentBytes ?? DEFAULTS.store.maxSegmentBytes;
  try {
    if (wal) storage.removeStrayFiles();
    return storage.load(log);
  } catch (error) {
    wal?.close();
    throw error;
  }
}

function emptyBody(config: CollectionConfig): ManifestBody {
  return {
    generation: 0,
    config,
    segments: [],
    index: null,
    parts: [],
    log: { sequence: 1 },
    counts: { documents: 0, tokens: 0 },
  };
}

/** A named step turning a collection config of version `from` into version `from + 1`. */
export interface CollectionUpgrade {
  from: number;
  name: string;
  upgrade(config: Record<string, unknown>): Record<string, unknown>;
}

/**
 * Upgrade steps of the collection config, oldest first. Version 1 is the first layout, so the
 * list is empty; version 2's step goes here (e.g. `{ from: 1, name: 'addTokenPooling', ... }`).
 */
export const COLLECTION_UPGRADES: readonly CollectionUpgrade[] = Object.freeze([]);

/** Runs the upgrade steps from the config's version to the current one. */
export function upgradeConfig(
  config: unknown,
  file: string,
  steps: readonly CollectionUpgrade[] = COLLECTION_UPGRADES,
): unknown {
  let current = config as Record<string, unknown> | null;
  let version = current?.formatVersion;
  while (typeof version === 'number' && version < COLLECTION_FORMAT_VERSION && current) {
    const step = steps.find((candidate) => candidate.from === version);
    if (!step) {
      throw new MuveraError(
        'unsupported-version',
        `${file}: no upgrade from collection layout ${version}`,
        {
          file,
          expected: COLLECTION_FORMAT_VERSION,
          actual: version,
        },
      );
    }
    current = { ...step.upgrade(current), formatVersion: version + 1 };
    logger.info(`upgraded the collection config of ${file} with step ${step.name}`);
    version = current.formatVersion;
  }
  return current;
}

function checkConfig(config: unknown, file: string): CollectionConfig {
  const value = upgradeConfig(config, file) as CollectionConfig;
  if (typeof value?.formatVersion === 'number' && value.formatVersion > COLLECTION_FORMAT_VERSION) {
    throw new MuveraError(
      'unsupported-version',
      `${file} describes a collection of layout version ${value.formatVersion}, newer than ${COLLECTION_FORMAT_VERSION}`,
      {
        file,
        expected: COLLECTION_FORMAT_VERSION,
        actual: value.formatVersion,
        remedy: 'Upgrade muvera',
      },
    );
  }
  const ok =
    value?.formatVersion === COLLECTION_FORMAT_VERSION &&
    isCount(value.nextSegment) &&
    isCollectionManifest(value.collection);
  if (!ok)
    throw new MuveraError('corrupt-data', `${file}: the collection config has a bad shape`, {
      file,
    });
  return value;
}

/** The shape of the collection facts a checkpoint stores (their contents are checked on use). */
function isCollectionManifest(value: unknown): value is CollectionManifest {
  const collection = value as Partial<CollectionManifest> | null;
  return (
    isObject(collection) &&
    isCount(collection.dim) &&
    collection.dim > 0 &&
    PRECISIONS.includes(collection.precision as Precision) &&
    isObject(collection.fde) &&
    isObject(collection.index) &&
    CANDIDATE_INDEX_KINDS.includes(collection.index.kind) &&
    isObject(collection.index.params) &&
    (collection.encoder === undefined || isObject(collection.encoder)) &&
    isCount(collection.nextKey)
  );
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isCount(value: unknown): value is number {
  return Number.isSafeInteger(value) && (value as number) >= 0;
}

/** Where a record's tokens live on disk. */
interface Location {
  segment: string;
  index: number;
}

class DirectoryStorage implements StorageHandle {
  readonly readOnly: boolean;
  #locations = new Map<number, Location>();
  #closed = false;
  /** Latches the first failed write: the writer acknowledges nothing more until reopened. */
  #fence: WriteFence;

  constructor(
    readonly fs: FileSystem,
    readonly dir: string,
    readonly lock: WriteLock | null,
    public body: ManifestBody,
    readonly durability: Durability,
    readonly wal: WriteAheadLog | null,
  ) {
    this.readOnly = wal === null;
    this.#fence = new WriteFence(`the collection in ${dir}`);
  }

  get generation(): number {
    return this.body.generation;
  }

  get #config(): CollectionConfig {
    return this.body.config as CollectionConfig;
  }

  get encoder(): Record<string, unknown> | undefined {
    return this.#config.collection.encoder;
  }

  get #sync(): boolean {
    return this.durability === 'fsync';
  }

  /** Reads the generation's segments, documents and index; `log` is what replay found. */
  load(log: LogRecord[]): LoadedStorage {
    const { body, fs, dir } = this;
    const readers = body.segments.map((ref) =>
      TokenSegmentReader.open(fs, join(dir, ref.file), {
        expected: { length: ref.length, checksum: ref.checksum },
      }),
    );
    const documents = body.parts.find((part) => part.role === DOCUMENTS_ROLE);
    let entries: DocumentEntry[] = [];
    if (documents) {
      const path = join(dir, documents.file);
      const bytes = fs.readFile(path, documents.length);
      if (bytes.length !== documents.length || crc32(bytes) !== documents.checksum) {
        throw new MuveraError('corrupt-data', `${path} differs from the one the manifest names`, {
          file: path,
        });
      }
      entries = decodeDocumentsFile(bytes, path, readers.length);
    }
    const records = entries.map((entry) => this.#recordOf(entry, readers));
    const collection = { ...this.#config.collection, lastSeq: body.log.sequence - 1 };
    return { storage: this, manifest: collection, records, indexBytes: this.#readIndex(), log };
  }

  #recordOf(entry: DocumentEntry, readers: TokenSegmentReader[]): DocRecord {
    const reader = readers[entry.segment];
    if (entry.index >= reader.numDocuments) {
      throw new MuveraError('corrupt-data', `document ${entry.id} points past its token segment`, {
        file: reader.file,
      });
    }
    const tokens = reader.get(entry.index);
    if (tokens.numTokens !== entry.numTokens || tokens.dim !== this.#config.collection.dim) {
      throw new MuveraError(
        'corrupt-data',
        `document ${entry.id} disagrees with its token segment`,
        {
          file: reader.file,
        },
      );
    }
    this.#locations.set(entry.key, {
      segment: this.body.segments[entry.segment].file,
      index: entry.index,
    });
    const record: DocRecord = { key: entry.key, id: entry.id, numTokens: entry.numTokens, tokens };
    if (entry.metadata !== undefined) record.metadata = entry.metadata;
    if (entry.text !== undefined) record.text = entry.text;
    if (entry.spans !== undefined) record.spans = Uint32Array.from(entry.spans);
    return record;
  }

  /** The index file's bytes when present and as the manifest says; undefined means rebuild. */
  #readIndex(): Uint8Array | undefined {
    const ref = this.body.index;
    if (!ref) return undefined;
    try {
      const bytes = this.fs.readFile(join(this.dir, ref.file), ref.length);
      if (bytes.length === ref.length && crc32(bytes) === ref.checksum) return bytes;
      logger.warn(`${ref.file} does not match its manifest entry; the index is rebuilt`);
      return undefined;
    } catch (error) {
      if (!(error instanceof MuveraError) || error.code === 'closed') throw error;
      logger.warn(`${ref.file} could not be read (${error.message}); the index is rebuilt`);
      return undefined;
    }
  }

  append(record: LogWrite): number {
    const entry = { type: RECORD_TYPE[record.op], payload: encodeRecord(record) };
    // Outside the fence: a write after close is refused without marking the log as failed.
    const wal = this.#writable();
    return this.#fence.run(() => wal.append([entry]).firstSequence);
  }

  checkWritable(): void {
    this.#fence.check();
  }

  /** Bytes of log a read-only open replayed (it holds no writer to ask). */
  readOnlyLogBytes = 0;

  /** Largest token segment a checkpoint writes. */
  maxSegmentBytes: number = DEFAULTS.store.maxSegmentBytes;

  logBytes(): number {
    return this.wal?.byteLength ?? this.readOnlyLogBytes;
  }

  checkpoint(
    manifest: CollectionManifest,
    records: DocRecord[],
    indexBytes: Uint8Array | 'keep',
    compact: boolean,
  ): void {
    this.#fence.run(() => this.#checkpoint(manifest, records, indexBytes, compact));
  }

  #checkpoint(
    manifest: CollectionManifest,
    records: DocRecord[],
    indexBytes: Uint8Array | 'keep',
    compact: boolean,
  ): void {
    const { fs, dir } = this;
    const wal = this.#writable();
    const next = this.body.generation + 1;

    // 1. The cut: every record before it is in the parts written below.
    const cut = wal.rotate();

    // 2. Token segments for records not in one yet (every record when compacting).
    const pending = compact ? records : records.filter((r) => !this.#locations.has(r.key));
    const locations = compact ? new Map<number, Location>() : new Map(this.#locations);
    const written = this.#writeSegments(pending, locations, manifest);
    const live = new Set(records.map((r) => locations.get(r.key)?.segment));
    const segments = [...this.body.segments, ...written.refs].filter((s) => live.has(s.file));

    // 3. The document file and the candidate index of the new generation.
    const position = new Map(segments.map((s, i) => [s.file, i]));
    const entries = records.map((r) => entryOf(r, locations.get(r.key) as Location, position));
    const documents = this.#writeFile(`docs-${next}.bin`, encodeDocumentsFile(entries));
    const index =
      indexBytes === 'keep'
        ? this.body.index
        : indexBytes.length > 0
          ? this.#writeFile(`index-${next}.bin`, indexBytes)
          : null;

    // 4. The commit point; then the log before the cut and files no generation names go.
    const { lastSeq: _lastSeq, ...collection } = manifest;
    const config: CollectionConfig = {
      formatVersion: COLLECTION_FORMAT_VERSION,
      collection: collection as CollectionManifest,
      nextSegment: written.nextSegment,
    };
    const body: ManifestBody = {
      generation: next,
      config,
      segments,
      index,
      parts: [{ ...documents, role: DOCUMENTS_ROLE }],
      log: { sequence: cut },
      counts: { documents: records.length, tokens: records.reduce((n, r) => n + r.numTokens, 0) },
    };
    publishManifest(fs, dir, body, { sync: this.#sync });
    this.body = body;
    this.#locations = locations;
    wal.dropBefore(cut);
    this.removeStrayFiles();
  }

  #writeSegments(
    records: DocRecord[],
    locations: Map<number, Location>,
    manifest: CollectionManifest,
  ) {
    const refs: ManifestBody['segments'] = [];
    let nextSegment = this.#config.nextSegment;
    const layout: SegmentLayout = { dim: manifest.dim, precision: manifest.precision };
    if (manifest.precision === 'int8') layout.scaleMode = INT8_SCALE_MODE;
    let writer: TokenSegmentWriter | null = null;
    const finish = (open: TokenSegmentWriter) => {
      const info = open.finish();
      refs.push({
        file: baseName(info.file),
        length: info.length,
        checksum: info.checksum,
        numDocuments: info.numDocuments,
        numTokens: info.numTokens,
      });
    };
    for (const record of records) {
      if (writer && !writer.hasRoomFor(record.numTokens)) {
        finish(writer);
        writer = null;
      }
      if (!writer) {
        const path = join(this.dir, `tokens-${nextSegment++}.seg`);
        const options = { sync: this.#sync, maxBytes: this.maxSegmentBytes };
        writer = TokenSegmentWriter.create(this.fs, path, layout, options);
      }
      const index = writer.append(record.tokens);
      locations.set(record.key, { segment: baseName(writer.file), index });
    }
    if (writer) finish(writer);
    return { refs, nextSegment };
  }

  #writeFile(name: string, bytes: Uint8Array): { file: string; length: number; checksum: number } {
    const path = join(this.dir, name);
    if (this.fs.exists(path)) this.fs.unlink(path);
    writeNewFile(this.fs, path, bytes, this.#sync);
    return { file: name, length: bytes.length, checksum: crc32(bytes) };
  }

  /** Unlinks leftovers of interrupted checkpoints and old generations' parts. */
  removeStrayFiles(): void {
    const named = new Set([
      ...this.body.segments.map((s) => s.file),
      ...this.body.parts.map((p) => p.file),
      ...(this.body.index ? [this.body.index.file] : []),
    ]);
    for (const name of this.fs.readdir(this.dir)) {
      if (STRAY_PATTERN.test(name) && !named.has(name)) this.fs.unlink(join(this.dir, name));
    }
  }

  diskBytes(): number {
    return this.fs
      .readdir(this.dir)
      .reduce((total, name) => total + this.fs.stat(join(this.dir, name)).size, 0);
  }

  backup(target: string): void {
    const { fs } = this;
    if (fs.exists(target) && fs.readdir(target).length > 0) {
      throw new MuveraError('already-exists', `the backup target ${target} is not empty`, {
        file: target,
      });
    }
    fs.mkdir(target);
    const files = [
      ...this.body.segments.map((s) => s.file),
      ...this.body.parts.map((p) => p.file),
      ...(this.body.index ? [this.body.index.file] : []),
    ];
    for (const name of files) {
      writeNewFile(
        fs,
        join(target, name),
        fs.readFile(join(this.dir, name), Number.MAX_SAFE_INTEGER),
      );
    }
    publishManifest(fs, target, this.body);
    fs.syncDir(dirname(target));
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#fence.close();
    this.wal?.close();
    this.lock?.release();
  }

  #writable(): WriteAheadLog {
    if (this.#closed || !this.wal)
      throw new MuveraError('closed', `the collection in ${this.dir} is closed`);
    return this.wal;
  }
}

function baseName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

function entryOf(
  record: DocRecord,
  location: Location,
  position: Map<string, number>,
): DocumentEntry {
  const entry: DocumentEntry = {
    id: record.id,
    key: record.key,
    numTokens: record.numTokens,
    segment: position.get(location.segment) as number,
    index: location.index,
  };
  if (record.metadata !== undefined) entry.metadata = record.metadata;
  if (record.text !== undefined) entry.text = record.text;
  if (record.spans !== undefined) entry.spans = Array.from(record.spans);
  return entry;
}
