/**
 * The config row of a collection: built from creation options, and compared with what a client
 * expects when it opens one (every client must encode queries as the documents were).
 */
import type { Precision } from '../chamfer/precision.js';
import { makeFde } from '../collection/parts.js';
import type { CollectionOptions } from '../collection/types.js';
import { DEFAULTS } from '../defaults.js';
import { invalidArgument, MuveraError } from '../errors.js';
import { checkDim } from '../tokens/token-set.js';
import { POSTGRES_FORMAT_VERSION, type PostgresConfig, vectorTypeFor } from './schema.js';

const PRECISIONS: readonly Precision[] = ['float32', 'float16', 'int8'];

/** What a new collection is made of. */
export interface NewConfigOptions extends CollectionOptions {
  tokenTable?: boolean;
}

/** The fields of a config a client may insist on. */
export type ExpectedConfig = Partial<Pick<CollectionOptions, 'dim' | 'fde' | 'precision'>>;

/** The config row of a new collection, after checking the options. */
export function newConfig(options: NewConfigOptions): PostgresConfig {
  if (options === null || typeof options !== 'object') {
    throw invalidArgument('options', 'an object { dim, fde?, precision?, tokenTable? }', options);
  }
  const dim = checkDim(options.dim, 'options.dim');
  const precision = options.precision ?? (DEFAULTS.collection.precision as Precision);
  if (!PRECISIONS.includes(precision)) {
    throw invalidArgument('options.precision', `one of ${PRECISIONS.join(', ')}`, precision);
  }
  const fde = makeFde(options.fde ?? DEFAULTS.postgres.fde, dim);
  const tokenTable = options.tokenTable ?? DEFAULTS.postgres.tokenTable;
  const config: PostgresConfig = {
    formatVersion: POSTGRES_FORMAT_VERSION,
    dim,
    precision,
    fde: fde.config,
    fingerprint: fde.fingerprint,
    fdeDimension: fde.outputDimension,
    fdeType: vectorTypeFor(fde.outputDimension, 'the FDE'),
    tokenType: tokenTable ? vectorTypeFor(dim, 'options.dim') : null,
    hnsw: { m: DEFAULTS.postgres.hnswM, efConstruction: DEFAULTS.postgres.hnswEfConstruction },
  };
  if (options.encoder !== undefined) config.encoder = options.encoder;
  return config;
}

/** Throws `config-mismatch` when a field the client expects differs from the stored config. */
export function checkExpected(
  config: PostgresConfig,
  expect: ExpectedConfig,
  schema: string,
): void {
  const mismatch = (parameter: string, expected: unknown, actual: unknown) =>
    new MuveraError('config-mismatch', `collection ${schema} was built with another ${parameter}`, {
      parameter,
      expected,
      actual,
      remedy: 'Open it without that option to use the stored config, or use another collection',
    });
  if (expect?.dim !== undefined && expect.dim !== config.dim) {
    throw mismatch('dim', config.dim, expect.dim);
  }
  if (expect?.precision !== undefined && expect.precision !== config.precision) {
    throw mismatch('precision', config.precision, expect.precision);
  }
  if (expect?.fde !== undefined) {
    const wanted = makeFde(expect.fde, config.dim);
    if (wanted.fingerprint !== config.fingerprint) {
      throw mismatch('fde', config.fingerprint, wanted.fingerprint);
    }
  }
}
