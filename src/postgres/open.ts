/**
 * One entry point for both backends: a `postgres://` URL opens or creates a
 * {@link PostgresCollection}, anything else an embedded `Collection` directory. The CLI and the
 * server reach Postgres through {@link withPostgres}, which wraps their engine.
 */
import { Collection, type OpenOptions } from '../collection/collection.js';
import type { CollectionApi, CollectionOptions } from '../collection/types.js';
import type { EncoderSpec } from '../encoders/types.js';
import { PostgresCollection, type PostgresCreateOptions } from './collection.js';
import { createPool, inTransaction } from './pool.js';
import { readConfig } from './schema.js';
import { isPostgresUrl, parseTarget } from './target.js';

/** Opens the collection at `target`: a directory, or a `postgres://...?collection=name` URL. */
export async function openCollection(
  target: string,
  options: OpenOptions = {},
): Promise<Collection | PostgresCollection> {
  if (isPostgresUrl(target)) return PostgresCollection.open(target);
  return Collection.open(target, options);
}

/** Creates a collection at `target` (a directory or a `postgres://` URL). */
export async function createCollection(
  target: string,
  options: PostgresCreateOptions,
): Promise<Collection | PostgresCollection> {
  if (isPostgresUrl(target)) return PostgresCollection.create(target, options);
  return Collection.create(target, options);
}

/** True when the URL names an existing Postgres collection. */
export async function postgresCollectionExists(target: string): Promise<boolean> {
  const { connectionString, schema } = parseTarget(target);
  const pool = createPool(connectionString, 1);
  try {
    const config = await inTransaction(
      pool,
      'BEGIN READ ONLY',
      (c) => readConfig(c, schema),
      'open',
    );
    return config !== undefined;
  } finally {
    await pool.end();
  }
}

/** What the front ends' engine does with collection targets (src/server/engine.ts). */
export interface CollectionOpener {
  isCollection(target: string): Promise<boolean>;
  openCollection(
    target: string,
    options?: { readOnly?: boolean },
  ): Promise<{ collection: CollectionApi; encoder: EncoderSpec | null }>;
  createCollection(
    target: string,
    options: CollectionOptions,
  ): Promise<{ collection: CollectionApi; encoder: EncoderSpec | null }>;
}

/**
 * The engine `base` with `postgres://` targets served by {@link PostgresCollection}; every
 * other target goes to `base` unchanged. `readOnly` has no meaning for Postgres (several
 * writers are safe) and is ignored; the candidate index kind is always pgvector's HNSW.
 */
export function withPostgres<E extends CollectionOpener>(base: E): E {
  return {
    ...base,
    isCollection: (target: string) =>
      isPostgresUrl(target) ? postgresCollectionExists(target) : base.isCollection(target),
    async openCollection(target: string, options?: { readOnly?: boolean }) {
      if (!isPostgresUrl(target)) return base.openCollection(target, options);
      const collection = await PostgresCollection.open(target);
      return { collection, encoder: (collection.encoder as EncoderSpec | undefined) ?? null };
    },
    async createCollection(target: string, options: CollectionOptions) {
      if (!isPostgresUrl(target)) return base.createCollection(target, options);
      const { index: _ignored, ...rest } = options;
      const collection = await PostgresCollection.create(target, rest);
      return { collection, encoder: (options.encoder as EncoderSpec | undefined) ?? null };
    },
  };
}
