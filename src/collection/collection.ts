/**
 * The embedded collection: documents of token vectors in a directory, searched with MUVERA FDE
 * candidates and an exact Chamfer re-rank (Jayaram et al., NeurIPS 2024, arXiv 2405.19504).
 *
 * Layers:
 * - validate.ts checks every input; nothing is written before a whole call has passed.
 * - state.ts holds the documents and candidate indexes in memory.
 * - storage.ts makes a write durable (one log record and one sync per call) before
 *   {@link CollectionState.apply} makes it visible, publishes checkpoints, and recovers.
 * - strategies.ts and search.ts answer searches against the in-memory state.
 *
 * Writes on one collection object run one at a time, in call order (a promise queue); searches
 * never wait for them and see each write entirely or not at all. See docs/collection.md.
 */
import { availableParallelism } from 'node:os';
import { bytesPerToken, encodeTokens } from '../chamfer/encode.js';
import type { EncodedTokens, Precision } from '../chamfer/precision.js';
import { DEFAULTS } from '../defaults.js';
import { invalidArgument, MuveraError } from '../errors.js';
import { FdePool } from '../fde/pool.js';
import { logger } from '../log.js';
import type { FileSystem } from '../store/file-system.js';
import { checkDim } from '../tokens/token-set.js';
import { type FdeParts, type IndexSpec, makeFde, makeIndex, resolveIndexSpec } from './parts.js';
import type { LoggedDocument, LogRecord } from './records.js';
import {
  buildIndex,
  buildTokenIndex,
  encodeDocumentFdes,
  packRows,
  restoreState,
} from './restore.js';
import { runSearch, runSearchBatch } from './search.js';
import { CollectionState, type DocRecord, rowsOf } from './state.js';
import {
  type CollectionManifest,
  createStorage,
  type Durability,
  openStorage,
  type StorageHandle,
} from './storage.js';
import type { StrategyContext } from './strategies.js';
import type {
  CollectionApi,
  CollectionOptions,
  CollectionStats,
  DeleteResult,
  SearchOptions,
  SearchResult,
  StoredDocument,
  UpsertResult,
} from './types.js';
import {
  type CleanDocument,
  checkDocuments,
  checkId,
  checkIds,
  checkQuery,
  resolveSearchOptions,
} from './validate.js';

/** How a collection directory is opened. */
export interface OpenOptions {
  /**
   * Open without the write lock: searches and `get` work, writes throw `closed`. The reader sees
   * the collection as of `open` (the last checkpoint plus the log); `refresh()` catches up.
   */
  readOnly?: boolean;
  /**
   * `fsync` (default): `upsert` and `delete` return after their log record is synced, so they
   * survive a process kill and a power loss. `none`: no sync (survives a process kill only:
   * the bytes are in the page cache); for bulk loads that are redone on failure.
   */
  durability?: Durability;
  /** The file system to use; tests pass src/store's in-memory or fault-injecting ones. */
  fs?: FileSystem;
  /** Log size that triggers a checkpoint after a write; default `collection.checkpointLogBytes`. */
  checkpointLogBytes?: number;
}

/** Options of {@link Collection.rebuildIndex}. */
export interface RebuildOptions {
  /** A new FDE preset or config; the stored one when absent. */
  fde?: string | Record<string, unknown>;
  /** A new index kind and parameters; the stored ones when absent. */
  index?: { kind?: string; [parameter: string]: unknown };
}

const PRECISIONS: readonly Precision[] = ['float32', 'float16', 'int8'];
/** Writes of fewer documents encode their FDEs on the calling thread (no transfer cost). */
const POOL_MIN_DOCUMENTS = 64;

/** A collection stored in a directory. */
export class Collection implements CollectionApi {
  readonly dir: string;
  readonly dim: number;
  readonly precision: Precision;
  readonly readOnly: boolean;
  #storage: StorageHandle;
  #fde: FdeParts;
  #indexSpec: IndexSpec;
  #state: CollectionState;
  #seq: number;
  #queue: Promise<unknown> = Promise.resolve();
  /** Documents upserted or deleted since the index file was last written, and its size then. */
  #indexChanges = 0;
  #indexSavedSize = 0;
  #checkpointLogBytes: number = DEFAULTS.collection.checkpointLogBytes;
  #closed = false;
  /** Why writes stopped: applying a logged write to the in-memory state failed. */
  #stateFailure: unknown = null;
  /** FDE worker threads for large writes, started on first use. */
  #pool: FdePool | null = null;

  private constructor(
    storage: StorageHandle,
    manifest: CollectionManifest,
    state: CollectionState,
    options: OpenOptions,
  ) {
    this.#storage = storage;
    this.dir = storage.dir;
    this.dim = manifest.dim;
    this.precision = manifest.precision;
    this.readOnly = storage.readOnly;
    this.#fde = makeFde(manifest.fde, manifest.dim);
    this.#indexSpec = manifest.index;
    this.#state = state;
    this.#seq = manifest.lastSeq;
    this.#indexSavedSize = state.size;
    const bytes = options.checkpointLogBytes ?? DEFAULTS.collection.checkpointLogBytes;
    if (!Number.isSafeInteger(bytes) || bytes < 1) {
      throw invalidArgument('options.checkpointLogBytes', 'a positive integer', bytes);
    }
    this.#checkpointLogBytes = bytes;
  }

  /**
   * Creates a collection in `dir` (which must not hold one) and opens it for writing.
   * Throws `already-exists` when `dir` holds a collection.
   */
  static async create(dir: string, options: CollectionOptions & OpenOptions): Promise<Collection> {
    if (options === null || typeof options !== 'object') {
      throw invalidArgument('options', 'an object { dim, fde?, index?, precision? }', options);
    }
    const dim = checkDim(options.dim, 'options.dim');
    const precision = options.precision ?? (DEFAULTS.collection.precision as Precision);
    if (!PRECISIONS.includes(precision)) {
      throw invalidArgument('options.precision', `one of ${PRECISIONS.join(', ')}`, precision);
    }
    const fde = makeFde(options.fde ?? DEFAULTS.collection.fde, dim);
    const index = resolveIndexSpec(options.index);
    makeIndex(index, fde.outputDimension);

    const manifest: CollectionManifest = {
      dim,
      precision,
      fde: fde.config,
      index,
      lastSeq: 0,
      nextKey: 0,
    };
    if (options.encoder !== undefined) manifest.encoder = options.encoder;
    const storage = createStorage(dir, manifest, options.durability, options.fs);
    const state = new CollectionState(dim, makeIndex(index, fde.outputDimension));
    return new Collection(storage, manifest, state, options);
  }

  /**
   * Opens the collection in `dir`: loads the last published checkpoint, replays the log, and
   * rebuilds the candidate index when its file is missing or damaged. Throws `not-found`,
   * `locked` (another process writes to it), `corrupt-data` or `unsupported-version`.
   */
  static async open(dir: string, options: OpenOptions = {}): Promise<Collection> {
    const loaded = openStorage(dir, options);
    try {
      const { state, changes } = restoreState(loaded.manifest, loaded.records, loaded.indexBytes);
      const collection = new Collection(loaded.storage, loaded.manifest, state, options);
      collection.#indexChanges = changes;
      collection.#replay(loaded.log);
      return collection;
    } catch (error) {
      loaded.storage.close();
      throw error;
    }
  }

  /**
   * Inserts or replaces documents, all or nothing. Duplicate ids within the batch: the last
   * occurrence wins. Durable when it returns (see {@link OpenOptions.durability}).
   */
  upsert(docs: DocumentInputs): Promise<UpsertResult> {
    return this.#write(async () => {
      const { docs: clean, duplicates } = checkDocuments(docs, this.dim);
      if (clean.length === 0) return { inserted: 0, replaced: 0, duplicates };
      const records = this.#toRecords(clean);
      // The pool's threads compute the FDEs while this thread writes and syncs the log record:
      // neither needs the other, and the write is applied only when both are done.
      const pending = this.#encodeDocuments(records);
      pending.catch(() => undefined);
      this.#seq = this.#storage.append({ op: 'upsert', docs: records.map(logged) });
      // NOTE: the record is durable now, so a failed pool falls back to this thread's encoder
      // (the same config, the same bytes) instead of failing a write that replay would apply.
      const fdes = await pending.catch(() => encodeDocumentFdes(this.#fde, records, this.dim));
      const { replaced } = this.#apply({ upserts: records, fdes, deletes: [] });
      this.#indexChanges += records.length;
      this.#maybeCheckpoint();
      return { inserted: records.length - replaced, replaced, duplicates };
    });
  }

  /** Deletes documents by id; unknown ids are reported in `missing`, not fatal. Durable. */
  delete(ids: string[]): Promise<DeleteResult> {
    return this.#write(() => {
      const unique = checkIds(ids);
      const present = unique.filter((id) => this.#state.byId(id));
      if (present.length > 0) {
        this.#seq = this.#storage.append({ op: 'delete', ids: present });
      }
      const empty = new Float32Array(0);
      this.#indexChanges += present.length;
      const result = this.#apply({ upserts: [], fdes: empty, deletes: unique });
      if (present.length > 0) this.#maybeCheckpoint();
      return result;
    }).then(({ deleted, missing }) => ({ deleted, missing }));
  }

  /** The stored document (tokens padding-free, at the stored precision), or undefined. */
  async get(id: string): Promise<StoredDocument | undefined> {
    this.#checkOpen();
    const record = this.#state.byId(checkId(id));
    if (!record) return undefined;
    const doc: StoredDocument = { id: record.id, tokens: rowsOf(record).slice() };
    if (record.metadata !== undefined) doc.metadata = structuredClone(record.metadata);
    if (record.text !== undefined) doc.text = record.text;
    if (record.spans !== undefined) doc.spans = record.spans.slice();
    return doc;
  }

  /** Searches with one query token matrix; see docs/collection.md for every option. */
  async search(query: Float32Array, options?: SearchOptions): Promise<SearchResult> {
    this.#checkOpen();
    const resolved = resolveSearchOptions(options);
    const checked = checkQuery(query, this.dim);
    return runSearch(this.#context(), checked, resolved);
  }

  /** One search per query, same options; results in query order. */
  async searchBatch(queries: Float32Array[], options?: SearchOptions): Promise<SearchResult[]> {
    this.#checkOpen();
    if (!Array.isArray(queries))
      throw invalidArgument('queries', 'an array of Float32Array', queries);
    const resolved = resolveSearchOptions(options);
    const checked = queries.map((query, i) => checkQuery(query, this.dim, `queries[${i}]`));
    return runSearchBatch(this.#context(), checked, resolved);
  }

  /** The encoder spec given at creation (remembered for text queries), or undefined. */
  get encoder(): Record<string, unknown> | undefined {
    return this.#storage.encoder;
  }

  /** Counts, sizes and the configuration in use. */
  async stats(): Promise<CollectionStats> {
    this.#checkOpen();
    return {
      documents: this.#state.size,
      tokens: this.#state.tokens,
      dim: this.dim,
      fdeDimension: this.#fde.outputDimension,
      precision: this.precision,
      bytesPerToken: bytesPerToken(this.dim, this.precision),
      diskBytes: this.#storage.diskBytes(),
      indexKind: this.#indexSpec.kind,
      fde: this.#fde.config,
      generation: this.#storage.generation,
      logBytes: this.#storage.logBytes(),
      memoryBytes:
        this.#state.tokens * bytesPerToken(this.dim, this.precision) +
        this.#state.candidateIndex.stats().memoryBytes,
    };
  }

  /**
   * Folds the log into a new checkpoint (token segments, metadata, candidate index) and empties
   * the log. Runs on its own when the log passes `collection.checkpointLogBytes`.
   */
  checkpoint(): Promise<void> {
    return this.#write(() => this.#checkpointNow(false));
  }

  /** Rewrites the token store without replaced and deleted documents, then checkpoints. */
  compact(): Promise<void> {
    return this.#write(() => this.#checkpointNow(true));
  }

  /**
   * Rebuilds the candidate index from the stored tokens, optionally with another FDE preset or
   * config and another index kind, and publishes it in a checkpoint. Searches keep using the
   * old index until the new one is complete.
   */
  rebuildIndex(options: RebuildOptions = {}): Promise<void> {
    return this.#write(() => {
      const fde = options.fde === undefined ? this.#fde : makeFde(options.fde, this.dim);
      const spec = options.index === undefined ? this.#indexSpec : resolveIndexSpec(options.index);
      const index = buildIndex(spec, fde, this.#state.records());
      if (fde !== this.#fde) void this.#stopPool();
      this.#fde = fde;
      this.#indexSpec = spec;
      this.#state.replaceIndex(index);
      this.#checkpointNow(false);
    });
  }

  /**
   * Writes a consistent copy of the collection to `target` (a new directory) while it keeps
   * serving: a checkpoint, then a copy of the files it names. Writes wait until it is done.
   */
  backup(target: string): Promise<void> {
    return this.#write(() => {
      this.#checkpointNow(false);
      this.#storage.backup(target);
    });
  }

  /** Catches a read-only collection up with the writer's last checkpoint and log. */
  async refresh(): Promise<void> {
    this.#checkOpen();
    const loaded = openStorage(this.dir, { readOnly: true, fs: this.#storage.fs });
    loaded.storage.close();
    const { state } = restoreState(loaded.manifest, loaded.records, loaded.indexBytes);
    this.#fde = makeFde(loaded.manifest.fde, this.dim);
    this.#indexSpec = loaded.manifest.index;
    this.#state = state;
    this.#seq = loaded.manifest.lastSeq;
    this.#replay(loaded.log);
  }

  /** Waits for pending writes, releases the lock and files. Later calls throw `closed`. */
  async close(): Promise<void> {
    if (this.#closed) return;
    await this.#queue.catch(() => undefined);
    this.#closed = true;
    this.#storage.close();
    await this.#stopPool();
  }

  async #stopPool(): Promise<void> {
    const pool = this.#pool;
    this.#pool = null;
    await pool?.close();
  }

  #checkOpen(): void {
    if (this.#closed) throw new MuveraError('closed', `the collection in ${this.dir} is closed`);
  }

  /** Runs writes one at a time, in call order; every failure is a rejection. */
  async #write<T>(run: () => T | Promise<T>): Promise<T> {
    this.#checkOpen();
    if (this.readOnly) {
      throw new MuveraError('closed', `the collection in ${this.dir} was opened read-only`, {
        remedy: 'Open it without readOnly to write',
      });
    }
    const next = this.#queue.then(() => {
      this.#checkOpen();
      // NOTE: checked before `run`, so a write with nothing to append (an empty batch, only
      // unknown ids) is refused after a failed sync like any other.
      this.#storage.checkWritable();
      if (this.#stateFailure !== null) {
        throw new MuveraError('closed', `the collection in ${this.dir} stopped accepting writes`, {
          cause: this.#stateFailure,
          remedy: 'Close and reopen the collection; it recovers from its log',
        });
      }
      return run();
    });
    this.#queue = next.catch(() => undefined);
    return next;
  }

  /**
   * Applies a write whose log record is durable. Should that fail (the candidate index refusing
   * an add it was configured to take), memory and log disagree: later writes are refused until
   * the collection is reopened from its files.
   */
  #apply(batch: Parameters<CollectionState['apply']>[0]): ReturnType<CollectionState['apply']> {
    try {
      return this.#state.apply(batch);
    } catch (error) {
      this.#stateFailure = error;
      throw error;
    }
  }

  /** Gives documents fresh keys and encodes their tokens at the stored precision. */
  #toRecords(docs: CleanDocument[]): DocRecord[] {
    const first = this.#state.reserveKeys(docs.length);
    return docs.map((doc, i) => toRecord(doc, first + i, this.dim, this.precision));
  }

  /**
   * Document FDEs of a write. Large batches go to an FdePool (worker threads, started on first
   * use, stopped by `close`); the write is applied only after, so searches meanwhile see the
   * collection as before.
   */
  async #encodeDocuments(records: DocRecord[]): Promise<Float32Array> {
    if (records.length < POOL_MIN_DOCUMENTS || availableParallelism() < 2) {
      return encodeDocumentFdes(this.#fde, records, this.dim);
    }
    this.#pool ??= new FdePool(this.#fde.encoder.config);
    const { data, offsets } = packRows(records, this.dim);
    return (await this.#pool.encodeDocuments(data, offsets)).vectors;
  }

  #replay(log: LogRecord[]): void {
    for (const record of log) {
      if (record.seq <= this.#seq) continue;
      const logged = record.op === 'upsert' ? record.docs : [];
      const upserts = logged.map((doc) => toRecord(doc, doc.key, this.dim, this.precision));
      const fdes = encodeDocumentFdes(this.#fde, upserts, this.dim);
      const deletes = record.op === 'delete' ? record.ids : [];
      this.#state.apply({ upserts, fdes, deletes });
      this.#indexChanges += upserts.length + deletes.length;
      this.#seq = record.seq;
    }
  }

  /**
   * Checkpoints when the log has grown past `checkpointLogBytes`. The write that triggered it is
   * already durable, so a failure here is logged, not thrown. A failed write or sync in the
   * collection's directory makes the storage refuse further writes (`closed`) until the
   * collection is reopened; a failure before anything reached it (the candidate index could not
   * be serialised) leaves the log as it was, and a later write tries again.
   */
  #maybeCheckpoint(): void {
    if (this.#storage.logBytes() < this.#checkpointLogBytes) return;
    try {
      this.#checkpointNow(false, false);
    } catch (error) {
      if (!(error instanceof MuveraError)) throw error;
      const next = this.#acceptsWrites()
        ? 'a later write retries it'
        : 'writes stop until it is reopened';
      logger.warn(`checkpoint of ${this.dir} failed; ${next}: ${error.message}`);
    }
  }

  /** Whether the storage still takes writes (its fence latches on a failed write or sync). */
  #acceptsWrites(): boolean {
    try {
      this.#storage.checkWritable();
      return true;
    } catch {
      return false;
    }
  }

  /**
   * Publishes a checkpoint. The candidate index is derived data, and writing it costs time in
   * proportion to the whole collection, so an automatic checkpoint (`saveIndex` false) writes it
   * only once the documents changed since it was last written reach the number it then held
   * (amortised linear cost); otherwise the previous index file stays named, and an open brings
   * it up to date from the documents (see `catchUp`).
   */
  #checkpointNow(compact: boolean, saveIndex = true): void {
    const manifest: CollectionManifest = {
      dim: this.dim,
      precision: this.precision,
      fde: this.#fde.config,
      index: this.#indexSpec,
      lastSeq: this.#seq,
      nextKey: this.#state.nextKey,
    };
    const existing = this.#storage.encoder;
    if (existing !== undefined) manifest.encoder = existing;
    const state = this.#state;
    if (state.tombstones > 0 && (compact || state.tombstones > state.size)) {
      state.replaceIndex(buildIndex(this.#indexSpec, this.#fde, state.records()));
      saveIndex = true;
    }
    const save = saveIndex || this.#indexChanges >= this.#indexSavedSize;
    const indexBytes = save ? this.#state.candidateIndex.serialize() : 'keep';
    this.#storage.checkpoint(manifest, this.#state.records(), indexBytes, compact);
    if (save) {
      this.#indexChanges = 0;
      this.#indexSavedSize = this.#state.size;
    }
  }

  #context(): StrategyContext {
    const state = this.#state;
    const fde = this.#fde;
    const spec = this.#indexSpec;
    return {
      state,
      encodeQuery: (rows) => fde.encoder.encodeQuery(rows),
      tokenIndex: () => {
        state.tokenIndex ??= buildTokenIndex(spec, this.dim, state.records());
        return state.tokenIndex;
      },
    };
  }
}

/** A stored record of a validated (or logged) document under `key`. */
function toRecord(
  doc: CleanDocument | LoggedDocument,
  key: number,
  dim: number,
  precision: Precision,
): DocRecord {
  const { tokens, ...rest } = doc;
  // NOTE: validation already copied float32 rows, so they are stored as they are.
  const stored: EncodedTokens =
    precision === 'float32'
      ? { precision, dim, numTokens: doc.numTokens, values: tokens }
      : encodeTokens(tokens, dim, precision);
  return { ...rest, key, tokens: stored };
}

/** The log form of a record: float32 rows of the stored values. */
function logged(record: DocRecord): LoggedDocument {
  return { ...record, tokens: rowsOf(record) };
}

/** The document input of {@link Collection.upsert}. */
type DocumentInputs = Parameters<CollectionApi['upsert']>[0];
