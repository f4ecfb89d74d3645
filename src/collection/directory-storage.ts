/**
 * The embedded collection's files: one commit point (a manifest generation), a write-ahead log,
 * token segments, a document file and the candidate index. Formats are in docs/storage.md;
 * the collection-level layout and the promises are in docs/collection.md.
 *
 *     <dir>/LOCK                       write lock (one writer process)
 *     <dir>/manifest...                manifest generations (the commit point)
 *     <dir>/wal.log                    write-ahead log: one record per upsert/delete call
 *     <dir>/segments/tokens-<n>.seg    token segments, written once at a checkpoint
 *     <dir>/docs-<generation>.bin      document file of a generation
 *     <dir>/index-<generation>.bin     candidate index of a generation (derived, rebuildable)
 *
 * A write is durable once its log record is synced. A checkpoint writes and syncs the new
 * segment, document and index files, publishes the manifest generation naming them (the one
 * commit point), and only then empties the log and removes files no generation names. Opening
 * reads the newest valid generation, replays the log records after its `lastSeq` (so replay
 * is idempotent), and cuts a torn log tail.
 */
import { dirname, join } from 'node:path';
import { DEFAULTS } from '../defaults.js';
import { MuveraError } from '../errors.js';
import { type FileSystem, NodeFileSystem, WriteFence, writeNewFile } from '../store/file-system.js';
import type { SegmentLayout } from '../store/token-format.js';
import { TokenSegmentReader } from '../store/token-segment-reader.js';
import { TokenSegmentWriter } from '../store/token-segment-writer.js';
import { type DocumentEntry, decodeDocumentsFile, encodeDocumentsFile } from './documents-file.js';
import { decodeRecord, encodeRecord, type LogRecord } from './records.js';
import type { DocRecord } from './state.js';
import type { CollectionManifest, Durability, LoadedStorage, StorageHandle } from './storage.js';
import {
  acquireLock,
  type CollectionLock,
  type CollectionLog,
  openLog,
  publishManifest,
  readLatestManifest,
} from './store-adapter.js';

/** Version of the collection layout inside the manifest. */
export const COLLECTION_FORMAT_VERSION = 1;

/** A token segment as the manifest names it. */
interface SegmentRef {
  name: string;
  length: number;
  checksum: number;
}

/** A derived file as the manifest names it. */
interface FileRef {
  name: string;
  length: number;
}

/** The manifest body this module publishes (the store wraps it with generation and checksum). */
interface ManifestBody {
  formatVersion: number;
  collection: CollectionManifest;
  segments: SegmentRef[];
  documents: FileRef;
  index: FileRef | null;
  nextSegment: number;
  counts: { documents: number; tokens: number };
}

/** One real file system for the process, so in-process lock ownership is tracked in one place. */
const REAL_FS = new NodeFileSystem();
const SEGMENTS_DIR = 'segments';
/** int8 tokens are stored with one scale per token row (encodeTokens' default). */
const INT8_SCALE_MODE = 'token';
const LOG_FILE = 'wal.log';

/** Options of the storage calls. */
export interface StorageOptions {
  readOnly?: boolean;
  durability?: Durability;
  /** The file system (tests pass a fault-injecting one). Default: the real one. */
  fs?: FileSystem;
}

/** Creates the directory of a new collection with an empty first generation. */
export function createStorage(
  dir: string,
  manifest: CollectionManifest,
  durability: Durability = DEFAULTS.collection.durability as Durability,
  fs: FileSystem = REAL_FS,
): StorageHandle {
  fs.mkdir(dir);
  fs.syncDir(dirname(dir));
  const lock = acquireLock(fs, dir);
  try {
    if (readLatestManifest(fs, dir) !== undefined) {
      throw new MuveraError('already-exists', `${dir} already holds a collection`, {
        file: dir,
        remedy: 'Open it with Collection.open, or choose another directory',
      });
    }
    fs.mkdir(join(dir, SEGMENTS_DIR));
    fs.syncDir(dir);
    const storage = new DirectoryStorage(fs, dir, lock, emptyBody(manifest), 0, durability);
    storage.checkpoint(manifest, [], new Uint8Array(0), false);
    return storage;
  } catch (error) {
    lock?.release();
    throw error;
  }
}

/** Opens a collection directory and loads its last generation and log. */
export function openStorage(dir: string, options: StorageOptions = {}): LoadedStorage {
  const fs = options.fs ?? REAL_FS;
  if (!fs.exists(dir)) {
    throw new MuveraError('not-found', `there is no collection in ${dir}`, { file: dir });
  }
  const lock = options.readOnly ? null : acquireLock(fs, dir);
  try {
    const latest = readLatestManifest(fs, dir);
    if (latest === undefined) {
      throw new MuveraError('not-found', `${dir} holds no collection manifest`, { file: dir });
    }
    const body = checkBody(latest.body, dir);
    const durability = options.durability ?? (DEFAULTS.collection.durability as Durability);
    const storage = new DirectoryStorage(fs, dir, lock, body, latest.generation, durability);
    if (!options.readOnly) storage.removeStrayFiles();
    return storage.load();
  } catch (error) {
    lock?.release();
    throw error;
  }
}

function emptyBody(manifest: CollectionManifest): ManifestBody {
  return {
    formatVersion: COLLECTION_FORMAT_VERSION,
    collection: manifest,
    segments: [],
    documents: { name: '', length: 0 },
    index: null,
    nextSegment: 0,
    counts: { documents: 0, tokens: 0 },
  };
}

function checkBody(body: unknown, dir: string): ManifestBody {
  const value = body as ManifestBody;
  if (typeof value?.formatVersion === 'number' && value.formatVersion > COLLECTION_FORMAT_VERSION) {
    throw new MuveraError(
      'unsupported-version',
      `the collection in ${dir} has layout version ${value.formatVersion}, newer than ${COLLECTION_FORMAT_VERSION}`,
      {
        file: dir,
        expected: COLLECTION_FORMAT_VERSION,
        actual: value.formatVersion,
        remedy: 'Upgrade muvera',
      },
    );
  }
  const ok =
    value?.formatVersion === COLLECTION_FORMAT_VERSION &&
    typeof value.collection === 'object' &&
    Array.isArray(value.segments) &&
    typeof value.documents?.name === 'string' &&
    Number.isSafeInteger(value.nextSegment);
  if (!ok)
    throw new MuveraError('corrupt-data', `the manifest in ${dir} has a bad shape`, { file: dir });
  return value;
}

/** Where a record's tokens live on disk. */
interface Location {
  segment: string;
  index: number;
}

class DirectoryStorage implements StorageHandle {
  readonly readOnly: boolean;
  #log: CollectionLog | null = null;
  #locations = new Map<number, Location>();
  #closed = false;
  /** Latches the first failed write: the writer acknowledges nothing more until reopened. */
  #fence: WriteFence;

  constructor(
    readonly fs: FileSystem,
    readonly dir: string,
    readonly lock: CollectionLock | null,
    public body: ManifestBody,
    public generation: number,
    readonly durability: Durability,
  ) {
    this.readOnly = lock === null;
    this.#fence = new WriteFence(`the collection in ${dir}`);
  }

  get encoder(): Record<string, unknown> | undefined {
    return this.body.collection.encoder;
  }

  /** Reads the generation's files and the log after it. */
  load(): LoadedStorage {
    const { body, fs, dir } = this;
    const readers = body.segments.map((ref) =>
      TokenSegmentReader.open(fs, join(dir, SEGMENTS_DIR, ref.name), {
        expected: { length: ref.length, checksum: ref.checksum },
      }),
    );
    const entries = body.documents.name
      ? decodeDocumentsFile(
          fs.readFile(join(dir, body.documents.name), Number.MAX_SAFE_INTEGER),
          body.documents.name,
          readers.length,
        )
      : [];
    const records = entries.map((entry) => this.#recordOf(entry, readers));
    const log = openLog(fs, join(dir, LOG_FILE), this.readOnly);
    const logRecords = log.records.map((bytes) =>
      decodeRecord(bytes, body.collection.dim, LOG_FILE),
    );
    if (this.readOnly) log.close();
    else this.#log = log;
    return {
      storage: this,
      manifest: body.collection,
      records,
      indexBytes: this.#readIndex(),
      log: logRecords,
    };
  }

  #recordOf(entry: DocumentEntry, readers: TokenSegmentReader[]): DocRecord {
    const reader = readers[entry.segment];
    const tokens = reader.get(entry.index);
    if (tokens.numTokens !== entry.numTokens || tokens.dim !== this.body.collection.dim) {
      throw new MuveraError(
        'corrupt-data',
        `document ${entry.id} disagrees with its token segment`,
        {
          file: reader.file,
        },
      );
    }
    this.#locations.set(entry.key, {
      segment: this.body.segments[entry.segment].name,
      index: entry.index,
    });
    const record: DocRecord = { key: entry.key, id: entry.id, numTokens: entry.numTokens, tokens };
    if (entry.metadata !== undefined) record.metadata = entry.metadata;
    if (entry.text !== undefined) record.text = entry.text;
    if (entry.spans !== undefined) record.spans = Uint32Array.from(entry.spans);
    return record;
  }

  #readIndex(): Uint8Array | undefined {
    const ref = this.body.index;
    if (!ref) return undefined;
    try {
      const bytes = this.fs.readFile(join(this.dir, ref.name), Number.MAX_SAFE_INTEGER);
      return bytes.length === ref.length ? bytes : undefined;
    } catch (error) {
      if (error instanceof MuveraError && (error.code === 'not-found' || error.code === 'io-error'))
        return undefined;
      throw error;
    }
  }

  append(record: LogRecord): void {
    const bytes = encodeRecord(record);
    this.#fence.run(() => this.#writable().append(bytes, this.durability === 'fsync'));
  }

  logBytes(): number {
    return this.#log?.bytes() ?? 0;
  }

  checkpoint(
    manifest: CollectionManifest,
    records: DocRecord[],
    indexBytes: Uint8Array,
    compact: boolean,
  ): void {
    const { fs, dir } = this;
    const next = this.generation + 1;
    const sync = this.durability === 'fsync';
    const previous = this.body;

    // 1. Token segments for records not in one yet (every record when compacting).
    const pending = compact ? records : records.filter((r) => !this.#locations.has(r.key));
    const locations = compact ? new Map<number, Location>() : new Map(this.#locations);
    const { refs: fresh, nextSegment } = this.#writeSegments(
      pending,
      locations,
      previous.nextSegment,
      manifest,
      sync,
    );
    const live = new Set(records.map((r) => locations.get(r.key)?.segment));
    const segments = [
      ...previous.segments.filter((s) => live.has(s.name)),
      ...fresh.filter((s) => live.has(s.name)),
    ];

    // 2. The document file and the candidate index of the new generation.
    const position = new Map(segments.map((s, i) => [s.name, i]));
    const entries = records.map((r) => entryOf(r, locations.get(r.key) as Location, position));
    const documents = this.#writeFile(`docs-${next}.bin`, encodeDocumentsFile(entries), sync);
    const index =
      indexBytes.length > 0 ? this.#writeFile(`index-${next}.bin`, indexBytes, sync) : null;
    if (sync) {
      fs.syncDir(join(dir, SEGMENTS_DIR));
      fs.syncDir(dir);
    }

    // 3. The commit point, then the log and the files no generation names any more.
    const tokens = records.reduce((n, r) => n + r.numTokens, 0);
    const body: ManifestBody = {
      formatVersion: COLLECTION_FORMAT_VERSION,
      collection: manifest,
      segments,
      documents,
      index,
      nextSegment,
      counts: { documents: records.length, tokens },
    };
    this.generation = publishManifest(fs, dir, body, next);
    this.body = body;
    this.#locations = locations;
    if (this.#log) this.#log.reset();
    else this.#log = openLog(fs, join(dir, LOG_FILE), false);
    this.removeStrayFiles();
  }

  #writeSegments(
    records: DocRecord[],
    locations: Map<number, Location>,
    first: number,
    manifest: CollectionManifest,
    sync: boolean,
  ): { refs: SegmentRef[]; nextSegment: number } {
    const refs: SegmentRef[] = [];
    let nextSegment = first;
    let writer: TokenSegmentWriter | null = null;
    const layout: SegmentLayout = { dim: manifest.dim, precision: manifest.precision };
    if (manifest.precision === 'int8') layout.scaleMode = INT8_SCALE_MODE;
    const finish = () => {
      if (!writer) return;
      const info = writer.finish();
      refs.push({ name: segmentName(info.file), length: info.length, checksum: info.checksum });
      writer = null;
    };
    for (const record of records) {
      if (writer && !(writer as TokenSegmentWriter).hasRoomFor(record.numTokens)) finish();
      if (!writer) {
        const path = join(this.dir, SEGMENTS_DIR, `tokens-${nextSegment++}.seg`);
        writer = TokenSegmentWriter.create(this.fs, path, layout, { sync });
      }
      const index = (writer as TokenSegmentWriter).append(record.tokens);
      locations.set(record.key, {
        segment: segmentName((writer as TokenSegmentWriter).file),
        index,
      });
    }
    finish();
    return { refs, nextSegment };
  }

  #writeFile(name: string, bytes: Uint8Array, sync: boolean): FileRef {
    const path = join(this.dir, name);
    if (this.fs.exists(path)) this.fs.unlink(path);
    writeNewFile(this.fs, path, bytes, sync);
    return { name, length: bytes.length };
  }

  /** Removes leftovers of interrupted checkpoints: files the current generation does not name. */
  removeStrayFiles(): void {
    const named = new Set([this.body.documents.name, this.body.index?.name]);
    for (const name of this.fs.readdir(this.dir)) {
      if (/^(docs|index)-\d+\.bin$/.test(name) && !named.has(name))
        this.fs.unlink(join(this.dir, name));
    }
    const segments = new Set(this.body.segments.map((s) => s.name));
    const segmentDir = join(this.dir, SEGMENTS_DIR);
    if (!this.fs.exists(segmentDir)) return;
    for (const name of this.fs.readdir(segmentDir)) {
      if (!segments.has(name)) this.fs.unlink(join(segmentDir, name));
    }
  }

  diskBytes(): number {
    let total = 0;
    const walk = (path: string) => {
      for (const name of this.fs.readdir(path)) {
        const child = join(path, name);
        const stat = this.fs.stat(child);
        if (stat.isDirectory) walk(child);
        else total += stat.size;
      }
    };
    walk(this.dir);
    return total;
  }

  backup(target: string): void {
    const { fs } = this;
    if (fs.exists(target) && fs.readdir(target).length > 0) {
      throw new MuveraError('already-exists', `the backup target ${target} is not empty`, {
        file: target,
      });
    }
    fs.mkdir(join(target, SEGMENTS_DIR));
    const files = [
      ...this.body.segments.map((s) => join(SEGMENTS_DIR, s.name)),
      this.body.documents.name,
      ...(this.body.index ? [this.body.index.name] : []),
    ];
    for (const name of files) {
      writeNewFile(
        fs,
        join(target, name),
        fs.readFile(join(this.dir, name), Number.MAX_SAFE_INTEGER),
      );
    }
    fs.syncDir(join(target, SEGMENTS_DIR));
    publishManifest(fs, target, this.body, this.generation);
    fs.syncDir(target);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#log?.close();
    this.lock?.release();
  }

  #writable(): CollectionLog {
    if (this.#closed || !this.#log)
      throw new MuveraError('closed', `the collection in ${this.dir} is closed`);
    return this.#log;
  }
}

function segmentName(path: string): string {
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
