/**
 * The small slice of the `pg` driver the Postgres collection uses, and transactions over it.
 * Everything goes through {@link SqlPool}, so tests can wrap a real pool to watch the SQL or cut
 * a connection half-way through a write.
 */
import pg from 'pg';
import { DEFAULTS } from '../defaults.js';
import { MuveraError } from '../errors.js';

/** A query result: rows as objects keyed by column name. */
export interface SqlResult {
  rows: Record<string, unknown>[];
  rowCount: number | null;
}

/** One connection taken from a pool. */
export interface SqlClient {
  query(text: string, values?: unknown[]): Promise<SqlResult>;
  /** Returns the connection; with an error, the pool discards it. */
  release(error?: Error | boolean): void;
}

/** A connection pool (a `pg.Pool`, or a wrapper around one). */
export interface SqlPool {
  connect(): Promise<SqlClient>;
  end(): Promise<void>;
}

/** SQLSTATE of a table or schema that does not exist (the collection was dropped). */
const MISSING_ERRORS = new Set(['42P01', '3F000']);

/** SQLSTATE of a failed connection attempt or a connection lost mid-call. */
const CONNECTION_ERRORS = new Set(['08000', '08001', '08003', '08006', '57P01']);

/** A `pg.Pool` for `connectionString` with `size` connections. */
export function createPool(connectionString: string, size = DEFAULTS.postgres.poolSize): SqlPool {
  const pool = new pg.Pool({ connectionString, max: size });
  // NOTE: a connection the server drops emits 'error' (on the pool while idle, on the client
  // while checked out); without a listener Node would crash the process. The query in flight
  // rejects anyway, and the pool replaces the connection.
  pool.on('error', ignore);
  pool.on('connect', (client) => client.on('error', ignore));
  return pool as unknown as SqlPool;
}

/** Swallows a connection's 'error' event (the failed call reports it). */
function ignore(): void {}

/**
 * Wraps a driver error as `io-error` (connection lost), `not-found` (the collection's tables are
 * gone) or `internal` (the SQL failed).
 */
export function wrapError(error: unknown, what: string): MuveraError {
  if (error instanceof MuveraError) return error;
  const code = (error as { code?: unknown })?.code;
  const lost = typeof code !== 'string' || CONNECTION_ERRORS.has(code);
  const message = error instanceof Error ? error.message : String(error);
  if (typeof code === 'string' && MISSING_ERRORS.has(code)) {
    return new MuveraError('not-found', `${what} failed: ${message}`, {
      cause: error,
      remedy: 'The collection was dropped; create it again',
    });
  }
  return new MuveraError(lost ? 'io-error' : 'internal', `${what} failed: ${message}`, {
    cause: error,
    remedy: lost ? 'Check that the database is reachable and retry' : undefined,
  });
}

/**
 * Runs `work` in one transaction on one connection: all of it commits or none of it does. On
 * any failure the transaction is rolled back (or the connection discarded, which rolls it back
 * on the server) and the error is rethrown as a MuveraError.
 */
export async function inTransaction<T>(
  pool: SqlPool,
  begin: string,
  work: (client: SqlClient) => Promise<T>,
  what: string,
): Promise<T> {
  let client: SqlClient;
  try {
    client = await pool.connect();
  } catch (error) {
    throw wrapError(error, what);
  }
  try {
    await client.query(begin);
    const result = await work(client);
    await client.query('COMMIT');
    client.release();
    return result;
  } catch (error) {
    const rolledBack = await client.query('ROLLBACK').then(
      () => true,
      () => false,
    );
    client.release(rolledBack ? undefined : true);
    throw wrapError(error, what);
  }
}
