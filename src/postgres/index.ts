export {
  PostgresCollection,
  type PostgresCreateOptions,
  type PostgresOpenOptions,
  type PostgresOptions,
} from './collection.js';
export {
  type MigrateOptions,
  type MigrateSummary,
  migrateCollection,
} from './migrate.js';
export {
  type CollectionOpener,
  createCollection,
  openCollection,
  postgresCollectionExists,
  withPostgres,
} from './open.js';
export type { SqlClient, SqlPool, SqlResult } from './pool.js';
export {
  MAX_HALFVEC_DIMENSIONS,
  MAX_VECTOR_DIMENSIONS,
  type PostgresConfig,
  type VectorType,
} from './schema.js';
export { MAX_EF_SEARCH } from './search.js';
export { isPostgresUrl, type PostgresTarget, parseTarget } from './target.js';
