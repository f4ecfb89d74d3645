/**
 * Where a Postgres collection lives: a `postgres://` (or `postgresql://`) connection URL whose
 * `collection` query parameter names the collection. Each collection is one PostgreSQL schema
 * of that name (default `DEFAULTS.postgres.schema`), holding its `config`, `documents` and
 * optional `tokens` tables, so several collections share one database without clashing.
 *
 *     postgres://user:secret@db.internal:5432/search?collection=papers
 */
import { DEFAULTS } from '../defaults.js';
import { invalidArgument } from '../errors.js';

/** A parsed target: the URL the driver connects with, and the collection's schema name. */
export interface PostgresTarget {
  /** The connection URL without the `collection` parameter. */
  connectionString: string;
  /** Schema (collection) name: lower-case letters, digits and `_`, starting with a letter. */
  schema: string;
}

const URL_PREFIXES = ['postgres://', 'postgresql://'];

/** A schema name PostgreSQL takes unquoted and that cannot inject SQL. */
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/** True when `target` is a PostgreSQL connection URL rather than a directory. */
export function isPostgresUrl(target: unknown): target is string {
  return typeof target === 'string' && URL_PREFIXES.some((prefix) => target.startsWith(prefix));
}

/** Parses a target URL; throws `invalid-argument` for anything else or a bad collection name. */
export function parseTarget(target: string): PostgresTarget {
  if (!isPostgresUrl(target)) {
    throw invalidArgument('target', 'a postgres:// or postgresql:// URL', target);
  }
  let url: URL;
  try {
    url = new URL(target);
  } catch (error) {
    throw invalidArgument('target', 'a valid connection URL', redact(target), String(error));
  }
  const schema = url.searchParams.get('collection') ?? DEFAULTS.postgres.schema;
  url.searchParams.delete('collection');
  return { connectionString: url.toString(), schema: checkSchemaName(schema) };
}

/** Checks a collection (schema) name. */
export function checkSchemaName(name: unknown): string {
  if (typeof name !== 'string' || !SCHEMA_NAME.test(name)) {
    throw invalidArgument(
      'collection',
      'a name of lower-case letters, digits and _ starting with a letter or _ (at most 63)',
      name,
    );
  }
  return name;
}

/** The URL with its password replaced, for messages and logs. */
export function redact(target: string): string {
  try {
    const url = new URL(target);
    if (url.password) url.password = '***';
    return url.toString();
  } catch {
    return target.replace(/:[^:@/]*@/, ':***@');
  }
}
