/**
 * A collection in PostgreSQL with pgvector, behind the same API as the embedded `Collection`
 * (src/collection/): MUVERA (Jayaram et al., NeurIPS 2024, arXiv 2405.19504) fits a database
 * naturally because a document's FDE is one vector. pgvector's HNSW index finds candidates by
 * inner product of FDEs; the application fetches their stored token vectors and re-ranks them
 * by exact Chamfer.
 *
 * - Every client encodes queries with the FDE config (seeds included) stored in the
 *   collection's `config` table; a client that expects another config is refused
 *   (`config-mismatch`).
 * - An upsert or delete call is one transaction: all of its documents or none.
 * - Several processes may share a collection: PostgreSQL's row locks and MVCC isolate them, and
 *   each search reads one snapshot. Tables are described in schema.ts, searches in search.ts.
 */
import { bytesPerToken, decodeTokens } from '../chamfer/encode.js';
import type { Precision } from '../chamfer/precision.js';
import type { FdeParts } from '../collection/parts.js';
import { makeFde } from '../collection/parts.js';
import type {
  CollectionApi,
  CollectionOptions,
  CollectionStats,
  DeleteResult,
  SearchOptions,
  SearchResult,
  StoredDocument,
  UpsertResult,
} from '../collection/types.js';
import {
  checkDocuments,
  checkId,
  checkIds,
  checkQuery,
  resolveSearchOptions,
} from '../collection/validate.js';
import { DEFAULTS } from '../defaults.js';
import { invalidArgument, MuveraError } from '../errors.js';
import { checkExpected, type ExpectedConfig, newConfig } from './config.js';
import { createPool, inTransaction, type SqlPool } from './pool.js';
import { DOCUMENT_COLUMNS, toRecord } from './rows.js';
import {
  createTables,
  indexNames,
  indexStatements,
  type PostgresConfig,
  readConfig,
  table,
} from './schema.js';
import { runPostgresSearch, type SearchContext } from './search.js';
import { parseTarget, redact } from './target.js';
import { writeDocuments } from './write.js';

/** How a Postgres collection connects. */
export interface PostgresOptions {
  /** Use this pool instead of creating one from the URL; `close` then leaves it open. */
  pool?: SqlPool;
  /** Connections of the pool created from the URL. */
  poolSize?: number;
}

/** Options of {@link PostgresCollection.create} and {@link PostgresCollection.connect}. */
export interface PostgresCreateOptions extends CollectionOptions, PostgresOptions {
  /** Keep a table of every token with its own HNSW index, for the `tokens` strategy. */
  tokenTable?: boolean;
}

/** Options of {@link PostgresCollection.open}. */
export interface PostgresOpenOptions extends PostgresOptions {
  /**
   * The configuration this client expects. Any field given must match the stored one, or the
   * open is refused with `config-mismatch`.
   */
  expect?: ExpectedConfig;
}

const PRECISION_SCALE_MODE = 'token';

/** A collection stored in one schema of a PostgreSQL database with pgvector. */
export class PostgresCollection implements CollectionApi {
  /** The target URL, password redacted. */
  readonly target: string;
  readonly schema: string;
  readonly config: PostgresConfig;
  readonly dim: number;
  readonly precision: Precision;
  readonly #pool: SqlPool;
  readonly #ownsPool: boolean;
  readonly #fde: FdeParts;
  #closed = false;

  private constructor(
    target: string,
    schema: string,
    pool: SqlPool,
    owns: boolean,
    config: PostgresConfig,
  ) {
    this.target = redact(target);
    this.schema = schema;
    this.config = config;
    this.dim = config.dim;
    this.precision = config.precision;
    this.#pool = pool;
    this.#ownsPool = owns;
    this.#fde = makeFde(config.fde, config.dim);
    if (this.#fde.fingerprint !== config.fingerprint) {
      throw new MuveraError(
        'config-mismatch',
        `the FDE config of ${schema} does not match its fingerprint`,
        {
          parameter: 'config.fingerprint',
          expected: config.fingerprint,
          actual: this.#fde.fingerprint,
          remedy:
            'This muvera encodes the stored config differently; use the version that wrote it',
        },
      );
    }
  }

  /**
   * Creates a collection in the schema named by `target`'s `collection` parameter. Throws
   * `already-exists` when the schema holds one, `limit-exceeded` when the FDE is too long for
   * pgvector's HNSW (more than 4000 values).
   */
  static async create(target: string, options: PostgresCreateOptions): Promise<PostgresCollection> {
    const config = newConfig(options);
    const { connectionString, schema } = parseTarget(target);
    const { pool, owns } = poolFor(connectionString, options);
    try {
      await inTransaction(
        pool,
        'BEGIN',
        async (client) => {
          await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [schema]);
          if ((await readConfig(client, schema)) !== undefined) {
            throw new MuveraError(
              'already-exists',
              `collection ${schema} exists in ${redact(target)}`,
              {
                remedy: 'Open it, or name another collection with ?collection=',
              },
            );
          }
          await createTables(client, schema, config);
        },
        'create collection',
      );
      return new PostgresCollection(target, schema, pool, owns, config);
    } catch (error) {
      if (owns) await pool.end();
      throw error;
    }
  }

  /**
   * Opens an existing collection. Throws `not-found` when there is none, `config-mismatch`
   * when `options.expect` disagrees with the stored config, `unsupported-version` when a newer
   * muvera wrote it.
   */
  static async open(
    target: string,
    options: PostgresOpenOptions = {},
  ): Promise<PostgresCollection> {
    const { connectionString, schema } = parseTarget(target);
    const { pool, owns } = poolFor(connectionString, options);
    try {
      const config = await inTransaction(
        pool,
        'BEGIN READ ONLY',
        (c) => readConfig(c, schema),
        'open collection',
      );
      if (config === undefined) {
        throw new MuveraError('not-found', `no collection ${schema} in ${redact(target)}`, {
          remedy: 'Create it first (muvera index, or PostgresCollection.create)',
        });
      }
      if (options.expect) checkExpected(config, options.expect, schema);
      return new PostgresCollection(target, schema, pool, owns, config);
    } catch (error) {
      if (owns) await pool.end();
      throw error;
    }
  }

  /**
   * Opens the collection when it exists (refusing a different config with `config-mismatch`),
   * creates it otherwise: what each of several processes sharing a collection calls at start.
   */
  static async connect(
    target: string,
    options: PostgresCreateOptions,
  ): Promise<PostgresCollection> {
    try {
      return await PostgresCollection.create(target, options);
    } catch (error) {
      if (!(error instanceof MuveraError) || error.code !== 'already-exists') throw error;
      const { dim, fde, precision } = options;
      return PostgresCollection.open(target, { ...options, expect: { dim, fde, precision } });
    }
  }

  /** Inserts or replaces documents in one transaction. Duplicate ids: the last one wins. */
  async upsert(docs: DocumentInputs): Promise<UpsertResult> {
    this.#checkOpen();
    const { docs: clean, duplicates } = checkDocuments(docs, this.dim);
    if (clean.length === 0) return { inserted: 0, replaced: 0, duplicates };
    const replaced = await inTransaction(
      this.#pool,
      'BEGIN',
      (client) => writeDocuments(client, this.schema, this.config, this.#fde, clean),
      'upsert',
    );
    return { inserted: clean.length - replaced, replaced, duplicates };
  }

  /** Deletes documents by id in one transaction; unknown ids are reported in `missing`. */
  async delete(ids: string[]): Promise<DeleteResult> {
    this.#checkOpen();
    const unique = checkIds(ids);
    if (unique.length === 0) return { deleted: [], missing: [] };
    const result = await inTransaction(
      this.#pool,
      'BEGIN',
      (client) =>
        client.query(
          `DELETE FROM ${table(this.schema, 'documents')} WHERE id = ANY($1) RETURNING id`,
          [unique],
        ),
      'delete',
    );
    const gone = new Set(result.rows.map((row) => row.id as string));
    return {
      deleted: unique.filter((id) => gone.has(id)),
      missing: unique.filter((id) => !gone.has(id)),
    };
  }

  /** The stored document (tokens padding-free, at the stored precision), or undefined. */
  async get(id: string): Promise<StoredDocument | undefined> {
    this.#checkOpen();
    const result = await this.#query(
      `SELECT ${DOCUMENT_COLUMNS} FROM ${table(this.schema, 'documents')} d WHERE d.id = $1`,
      [checkId(id)],
      'get',
    );
    if (result.rows.length === 0) return undefined;
    return storedDocument(result.rows[0], this.dim, this.precision);
  }

  /** Searches with one query token matrix; options as the embedded collection (docs/postgres.md). */
  async search(query: Float32Array, options?: SearchOptions): Promise<SearchResult> {
    this.#checkOpen();
    const resolved = resolveSearchOptions(options);
    const checked = checkQuery(query, this.dim);
    return runPostgresSearch(this.#context(), checked, resolved);
  }

  /** One search per query (run concurrently over the pool), results in query order. */
  async searchBatch(queries: Float32Array[], options?: SearchOptions): Promise<SearchResult[]> {
    this.#checkOpen();
    if (!Array.isArray(queries))
      throw invalidArgument('queries', 'an array of Float32Array', queries);
    const resolved = resolveSearchOptions(options);
    const checked = queries.map((query, i) => checkQuery(query, this.dim, `queries[${i}]`));
    const context = this.#context();
    return Promise.all(checked.map((query) => runPostgresSearch(context, query, resolved)));
  }

  /**
   * Every document in id order, `batchSize` at a time. Pages follow the primary key (keyset
   * pagination), each read in its own snapshot: a write running meanwhile may or may not show.
   */
  async *documents(batchSize: number = DEFAULTS.postgres.writeBatchDocuments) {
    this.#checkOpen();
    let after = '';
    for (;;) {
      const page = await this.#query(
        `SELECT ${DOCUMENT_COLUMNS} FROM ${table(this.schema, 'documents')} d
         WHERE d.id > $1 ORDER BY d.id LIMIT $2`,
        [after, batchSize],
        'documents',
      );
      if (page.rows.length === 0) return;
      yield page.rows.map((row) => storedDocument(row, this.dim, this.precision));
      after = page.rows[page.rows.length - 1].id as string;
    }
  }

  /**
   * Runs `load` (typically many upserts) with the HNSW indexes dropped, then builds them again:
   * pgvector builds an index over existing rows several times faster than it inserts rows one
   * by one (3.7 times in bench/results/postgres-vs-embedded.md). Meanwhile searches scan every
   * row, so use it on a collection that is not serving yet. The indexes are rebuilt even when
   * `load` fails.
   */
  async bulkLoad(load: () => Promise<void>): Promise<void> {
    this.#checkOpen();
    const drop = indexNames(this.schema, this.config).map((name) => `DROP INDEX IF EXISTS ${name}`);
    await this.#run(drop, 'drop indexes');
    try {
      await load();
    } finally {
      await this.#run(indexStatements(this.schema, this.config), 'build indexes');
    }
  }

  /** The encoder spec given at creation (remembered for text queries), or undefined. */
  get encoder(): Record<string, unknown> | undefined {
    return this.config.encoder;
  }

  /** Counts, sizes (tables and indexes on the server) and the configuration in use. */
  async stats(): Promise<CollectionStats> {
    this.#checkOpen();
    const documents = table(this.schema, 'documents');
    const tables = [documents, table(this.schema, 'config')];
    if (this.config.tokenType !== null) tables.push(table(this.schema, 'tokens'));
    const sizes = tables.map((name) => `pg_total_relation_size('${name}')`).join(' + ');
    const result = await this.#query(
      `SELECT count(*)::bigint AS documents, coalesce(sum(num_tokens), 0)::bigint AS tokens,
              (${sizes})::bigint AS bytes FROM ${documents}`,
      [],
      'stats',
    );
    const row = result.rows[0];
    return {
      documents: Number(row.documents),
      tokens: Number(row.tokens),
      dim: this.dim,
      fdeDimension: this.config.fdeDimension,
      precision: this.precision,
      bytesPerToken: bytesPerToken(this.dim, this.precision, PRECISION_SCALE_MODE),
      diskBytes: Number(row.bytes),
      indexKind: `pgvector-hnsw-${this.config.fdeType}`,
      fde: this.config.fde,
    };
  }

  /** Waits for calls in flight and closes the connections it opened. Later calls throw `closed`. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#ownsPool) await this.#pool.end();
  }

  #checkOpen(): void {
    if (this.#closed) {
      throw new MuveraError('closed', `the collection ${this.schema} in ${this.target} is closed`);
    }
  }

  async #query(text: string, values: unknown[], what: string) {
    return inTransaction(
      this.#pool,
      'BEGIN READ ONLY',
      (client) => client.query(text, values),
      what,
    );
  }

  /** Runs statements in one transaction. */
  async #run(statements: string[], what: string): Promise<void> {
    await inTransaction(
      this.#pool,
      'BEGIN',
      async (client) => {
        for (const statement of statements) await client.query(statement);
      },
      what,
    );
  }

  #context(): SearchContext {
    const fde = this.#fde;
    return {
      pool: this.#pool,
      schema: this.schema,
      config: this.config,
      encodeQuery: (rows) => fde.encoder.encodeQuery(rows),
    };
  }
}

/** The document input of {@link PostgresCollection.upsert}. */
type DocumentInputs = Parameters<CollectionApi['upsert']>[0];

/** A `documents` row as returned by `get`: float32 tokens, metadata, text, spans. */
function storedDocument(
  row: Record<string, unknown>,
  dim: number,
  precision: Precision,
): StoredDocument {
  const record = toRecord(row, 0, dim, precision);
  const doc: StoredDocument = { id: record.id, tokens: decodeTokens(record.tokens) };
  if (record.metadata !== undefined) doc.metadata = record.metadata;
  if (record.text !== undefined) doc.text = record.text;
  if (record.spans !== undefined) doc.spans = record.spans;
  return doc;
}

/** The pool to use: the caller's, or a new one this collection owns. */
function poolFor(
  connectionString: string,
  options: PostgresOptions,
): { pool: SqlPool; owns: boolean } {
  if (options.pool !== undefined) return { pool: options.pool, owns: false };
  return { pool: createPool(connectionString, options.poolSize), owns: true };
}
