/**
 * Moving a collection between the embedded store (a directory) and PostgreSQL, either way,
 * without re-encoding: the stored token vectors are copied (float32 and float16 bit for bit;
 * int8 is re-quantised from its decoded values with one scale per token row, which gives back
 * the same codes), with metadata, text, spans, the FDE config and its seeds, the precision and
 * the encoder spec. FDEs are recomputed from the copied tokens under the same config, which
 * reproduces them exactly (the encoder is deterministic); a different `fde` may be asked for,
 * e.g. `compact` when the source's FDE is too long for pgvector's HNSW.
 *
 * The target must not exist. The copy goes in batches, one transaction (or one durable log
 * record) each; a failed migration leaves a partial target to drop and redo, and never
 * touches the source.
 */

import type { Precision } from '../chamfer/precision.js';
import { Collection } from '../collection/collection.js';
import { rowsOf } from '../collection/state.js';
import { openStorage } from '../collection/storage.js';
import type { CollectionOptions, DocumentInput, Metadata } from '../collection/types.js';
import { DEFAULTS } from '../defaults.js';
import { PostgresCollection } from './collection.js';
import { isPostgresUrl } from './target.js';

/** Options of {@link migrateCollection}. */
export interface MigrateOptions {
  /** Another FDE preset or config for the target (FDEs are recomputed; tokens are not). */
  fde?: string | Record<string, unknown>;
  /** Documents per write. */
  batchSize?: number;
  /** Postgres target: keep a token table (the `tokens` strategy). */
  tokenTable?: boolean;
  /** Embedded target: candidate index kind and parameters. */
  index?: CollectionOptions['index'];
  /** Called after each batch with the documents copied so far and the total. */
  onProgress?(copied: number, total: number): void;
}

/** What a migration copied. */
export interface MigrateSummary {
  documents: number;
  tokens: number;
  seconds: number;
}

/** A source: its config and its documents in batches. */
interface Source {
  options: CollectionOptions & { dim: number; precision: Precision };
  total: number;
  batches(size: number): AsyncGenerator<DocumentInput[]>;
  close(): Promise<void>;
}

/**
 * Copies the collection at `from` (a directory or a `postgres://` URL) to `to` (the other kind,
 * or the same kind elsewhere), which must not exist yet.
 */
export async function migrateCollection(
  from: string,
  to: string,
  options: MigrateOptions = {},
): Promise<MigrateSummary> {
  const started = performance.now();
  const source = isPostgresUrl(from) ? await postgresSource(from) : embeddedSource(from);
  try {
    const create = { ...source.options, fde: options.fde ?? source.options.fde };
    const target = isPostgresUrl(to)
      ? await PostgresCollection.create(to, { ...create, tokenTable: options.tokenTable })
      : await Collection.create(to, { ...create, index: options.index, durability: 'none' });
    let documents = 0;
    let tokens = 0;
    const copy = async () => {
      for await (const batch of source.batches(options.batchSize ?? DEFAULT_BATCH)) {
        await target.upsert(batch);
        documents += batch.length;
        tokens += batch.reduce((sum, doc) => sum + doc.tokens.length / source.options.dim, 0);
        options.onProgress?.(documents, source.total);
      }
    };
    try {
      // A new Postgres target builds its HNSW index once, after the rows (much faster).
      if (target instanceof PostgresCollection) await target.bulkLoad(copy);
      else await copy();
      if (target instanceof Collection) await target.checkpoint();
    } finally {
      await target.close();
    }
    return { documents, tokens, seconds: (performance.now() - started) / 1000 };
  } finally {
    await source.close();
  }
}

/** Documents per write when no batch size is given. */
const DEFAULT_BATCH = DEFAULTS.postgres.writeBatchDocuments;

/**
 * An embedded collection read without its write lock: the last checkpoint plus the log after
 * it, replayed in order (the same state `Collection.open` rebuilds, without an index).
 */
function embeddedSource(dir: string): Source {
  const loaded = openStorage(dir, { readOnly: true });
  loaded.storage.close();
  const { manifest } = loaded;
  const docs = new Map<string, DocumentInput>();
  for (const record of loaded.records) {
    docs.set(record.id, inputOf(record.id, rowsOf(record), record));
  }
  for (const write of loaded.log) {
    if (write.op === 'delete') for (const id of write.ids) docs.delete(id);
    else for (const doc of write.docs) docs.set(doc.id, inputOf(doc.id, doc.tokens, doc));
  }
  const options: Source['options'] = {
    dim: manifest.dim,
    precision: manifest.precision,
    fde: manifest.fde,
  };
  if (manifest.encoder !== undefined) options.encoder = manifest.encoder;
  return {
    options,
    total: docs.size,
    async *batches(size) {
      const all = [...docs.values()];
      for (let first = 0; first < all.length; first += size) yield all.slice(first, first + size);
    },
    close: async () => undefined,
  };
}

/** A document input from stored parts. */
function inputOf(
  id: string,
  tokens: Float32Array,
  parts: { metadata?: Metadata; text?: string; spans?: Uint32Array },
): DocumentInput {
  const doc: DocumentInput = { id, tokens };
  if (parts.metadata !== undefined) doc.metadata = parts.metadata;
  if (parts.text !== undefined) doc.text = parts.text;
  if (parts.spans !== undefined) doc.spans = parts.spans;
  return doc;
}

/** A Postgres collection read page by page in id order. */
async function postgresSource(url: string): Promise<Source> {
  const collection = await PostgresCollection.open(url);
  const { config } = collection;
  const options: Source['options'] = {
    dim: config.dim,
    precision: config.precision,
    fde: config.fde,
  };
  if (config.encoder !== undefined) options.encoder = config.encoder;
  return {
    options,
    total: (await collection.stats()).documents,
    batches: (size) => collection.documents(size),
    close: () => collection.close(),
  };
}
