/**
 * The tables of one Postgres collection, all in the collection's own schema:
 *
 *     config     one row: the collection config as jsonb (dim, precision, the FDE config with
 *                its seeds and fingerprint, vector types, HNSW parameters, encoder)
 *     documents  id text primary key, fde vector(D) or halfvec(D), num_tokens, tokens bytea,
 *                metadata jsonb, text, spans bytea; HNSW index on fde (inner product)
 *     tokens     optional: doc_id, row, embedding vector(dim); HNSW index on embedding
 *
 * pgvector's HNSW indexes at most {@link MAX_VECTOR_DIMENSIONS} dimensions as `vector` and
 * {@link MAX_HALFVEC_DIMENSIONS} as `halfvec`, so an FDE longer than the first is stored as
 * `halfvec` and one longer than the second is refused (use a preset with a final projection,
 * such as `compact`).
 */
import type { Precision } from '../chamfer/precision.js';
import { MuveraError } from '../errors.js';
import type { SqlClient } from './pool.js';

/** pgvector's largest HNSW-indexable `vector`. */
export const MAX_VECTOR_DIMENSIONS = 2000;
/** pgvector's largest HNSW-indexable `halfvec`. */
export const MAX_HALFVEC_DIMENSIONS = 4000;
/** Version of the table layout and config row; a newer one is refused. */
export const POSTGRES_FORMAT_VERSION = 1;

/** A pgvector column type. */
export type VectorType = 'vector' | 'halfvec';

/** The config row of a collection. */
export interface PostgresConfig {
  formatVersion: number;
  dim: number;
  precision: Precision;
  /** The full FDE config (JSON form, seeds included). */
  fde: Record<string, unknown>;
  fingerprint: string;
  fdeDimension: number;
  fdeType: VectorType;
  /** Null when the collection keeps no token table. */
  tokenType: VectorType | null;
  hnsw: { m: number; efConstruction: number };
  encoder?: Record<string, unknown>;
}

/** The column type that can hold and index `dimensions` values; `limit-exceeded` otherwise. */
export function vectorTypeFor(dimensions: number, what: string): VectorType {
  if (dimensions <= MAX_VECTOR_DIMENSIONS) return 'vector';
  if (dimensions <= MAX_HALFVEC_DIMENSIONS) return 'halfvec';
  throw new MuveraError('limit-exceeded', `${what} has ${dimensions} dimensions`, {
    parameter: what,
    expected: `at most ${MAX_HALFVEC_DIMENSIONS} (pgvector's HNSW limit for halfvec)`,
    actual: dimensions,
    remedy: "Use an FDE preset with a final projection, such as 'compact' (2000 dimensions)",
  });
}

/** The schema-qualified name of one of the collection's tables. */
export function table(schema: string, name: 'config' | 'documents' | 'tokens'): string {
  return `"${schema}"."${name}"`;
}

/** Creates the schema, tables and indexes of a new collection (inside the caller's transaction). */
export async function createTables(
  client: SqlClient,
  schema: string,
  config: PostgresConfig,
): Promise<void> {
  await client.query('CREATE EXTENSION IF NOT EXISTS vector');
  await client.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
  await client.query(
    `CREATE TABLE ${table(schema, 'config')} (
       singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
       body jsonb NOT NULL)`,
  );
  await client.query(
    `CREATE TABLE ${table(schema, 'documents')} (
       id text PRIMARY KEY,
       fde ${config.fdeType}(${config.fdeDimension}) NOT NULL,
       num_tokens integer NOT NULL,
       tokens bytea NOT NULL,
       metadata jsonb,
       text text,
       spans bytea)`,
  );
  if (config.tokenType !== null) {
    await client.query(
      `CREATE TABLE ${table(schema, 'tokens')} (
         doc_id text NOT NULL REFERENCES ${table(schema, 'documents')} (id) ON DELETE CASCADE,
         row integer NOT NULL,
         embedding ${config.tokenType}(${config.dim}) NOT NULL,
         PRIMARY KEY (doc_id, row))`,
    );
  }
  for (const statement of indexStatements(schema, config)) await client.query(statement);
  await client.query(`INSERT INTO ${table(schema, 'config')} (body) VALUES ($1)`, [
    JSON.stringify(config),
  ]);
}

/** The HNSW index names of a collection (schema-qualified). */
export function indexNames(schema: string, config: PostgresConfig): string[] {
  const names = [`"${schema}".documents_fde_hnsw`];
  if (config.tokenType !== null) names.push(`"${schema}".tokens_embedding_hnsw`);
  return names;
}

/** The CREATE INDEX statements of a collection's HNSW indexes (inner product). */
export function indexStatements(schema: string, config: PostgresConfig): string[] {
  const { m, efConstruction } = config.hnsw;
  const using = `WITH (m = ${m}, ef_construction = ${efConstruction})`;
  const statements = [
    `CREATE INDEX IF NOT EXISTS documents_fde_hnsw ON ${table(schema, 'documents')}
       USING hnsw (fde ${config.fdeType}_ip_ops) ${using}`,
  ];
  if (config.tokenType !== null) {
    statements.push(
      `CREATE INDEX IF NOT EXISTS tokens_embedding_hnsw ON ${table(schema, 'tokens')}
         USING hnsw (embedding ${config.tokenType}_ip_ops) ${using}`,
    );
  }
  return statements;
}

/** The config row, or undefined when the schema holds no collection. */
export async function readConfig(
  client: SqlClient,
  schema: string,
): Promise<PostgresConfig | undefined> {
  const exists = await client.query('SELECT to_regclass($1) AS name', [`"${schema}"."config"`]);
  if (exists.rows[0]?.name === null) return undefined;
  const result = await client.query(`SELECT body FROM ${table(schema, 'config')}`);
  const body = result.rows[0]?.body as PostgresConfig | undefined;
  if (body === undefined) return undefined;
  if (typeof body.formatVersion !== 'number' || body.formatVersion > POSTGRES_FORMAT_VERSION) {
    throw new MuveraError(
      'unsupported-version',
      `collection ${schema} was written by a newer muvera (format ${body.formatVersion})`,
      { expected: `at most ${POSTGRES_FORMAT_VERSION}`, actual: body.formatVersion },
    );
  }
  return body;
}
