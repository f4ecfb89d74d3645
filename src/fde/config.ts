/**
 * The FDE encoder configuration: validation, caps, the JSON form stored with every index, and
 * the fingerprint that lets an index refuse queries encoded with another configuration.
 *
 * Output length: numRepetitions * 2^numSimhashProjections * projectionDimension (with identity
 * projection the projection dimension is `dim`), or `finalProjectionDimension` when the final
 * count sketch is on. See docs/fde.md for every field.
 */
import { createHash } from 'node:crypto';
import { DEFAULTS } from '../defaults.js';
import { describe, invalidArgument, MuveraError } from '../errors.js';

/** How each token is projected before aggregation. */
export const FDE_PROJECTIONS = ['identity', 'dense', 'sparse'] as const;
export type FdeProjection = (typeof FDE_PROJECTIONS)[number];

/** Version of the JSON form of {@link FdeConfig}. Bump it when encodings change. */
export const FDE_FORMAT_VERSION = 1;

/** Largest k: 2^30 partitions per repetition is already far past the output cap. */
export const MAX_SIMHASH_PROJECTIONS = 30;

/** Cap on R * 2^k * d_proj and on the final dimension (floats in one FDE: 8 MiB). */
export const MAX_FDE_DIMENSION = 2 ** 21;

/**
 * Cap on each random matrix, in values: the SimHash directions (R * k * dim) and the dense
 * projection (R * d_proj * dim; 2^24 float32 values are 64 MiB). The sparse projection is stored
 * as R * dim buckets but held to the same cap, so both projections accept the same configs.
 */
export const MAX_MATRIX_VALUES = 2 ** 24;

const MAX_SEED = 2 ** 32 - 1;

/** A complete, validated encoder configuration. */
export interface FdeConfig {
  /** Token dimension d: values per token row. */
  dim: number;
  /** R: independent repetitions, each contributing 2^k * d_proj values. */
  numRepetitions: number;
  /** k: SimHash directions per repetition, giving 2^k partitions (0 means one partition). */
  numSimhashProjections: number;
  /** Inner projection of each partition's aggregate. */
  projection: FdeProjection;
  /** d_proj for `dense` and `sparse`; `null` for `identity` (which keeps `dim`). */
  projectionDimension: number | null;
  /** Documents only: an empty partition takes the Hamming-nearest token. */
  fillEmptyPartitions: boolean;
  /** Count-sketch the whole vector down to this many values; `null` for off. */
  finalProjectionDimension: number | null;
  /** Seed of every random matrix (an integer in 0..2^32-1); see src/fde/random.ts. */
  seed: number;
}

/** The JSON form of a configuration, as `encoder.config` returns it and indexes store it. */
export interface FdeConfigJson extends FdeConfig {
  /** {@link FDE_FORMAT_VERSION} when written. */
  formatVersion: number;
}

/** What `new FdeEncoder(...)` accepts: optional fields take their defaults from `DEFAULTS.fde`. */
export interface FdeConfigInput {
  dim: number;
  numRepetitions: number;
  numSimhashProjections: number;
  projection: FdeProjection;
  projectionDimension?: number | null;
  fillEmptyPartitions?: boolean;
  finalProjectionDimension?: number | null;
  seed?: number;
  /** Present in stored configs; a newer version than this build reads is refused. */
  formatVersion?: number;
}

/** Validates `input`, fills defaults, and returns a frozen {@link FdeConfigJson}. */
export function normalizeFdeConfig(input: FdeConfigInput): Readonly<FdeConfigJson> {
  if (input === null || typeof input !== 'object') {
    throw invalidArgument('config', 'an FDE config object', describe(input));
  }
  checkFormatVersion(input.formatVersion);
  const projection = checkProjection(input.projection);
  const config: FdeConfigJson = {
    formatVersion: FDE_FORMAT_VERSION,
    dim: positiveInteger('config.dim', input.dim),
    numRepetitions: positiveInteger('config.numRepetitions', input.numRepetitions),
    numSimhashProjections: simhashCount(input.numSimhashProjections),
    projection,
    projectionDimension:
      projection === 'identity'
        ? null
        : positiveInteger('config.projectionDimension', input.projectionDimension),
    fillEmptyPartitions: booleanOr(
      'config.fillEmptyPartitions',
      input.fillEmptyPartitions,
      DEFAULTS.fde.fillEmptyPartitions,
    ),
    finalProjectionDimension: finalDimension(input.finalProjectionDimension),
    seed: seedOf(input.seed),
  };
  checkCaps(config);
  return Object.freeze(config);
}

/** d_proj in effect: `projectionDimension`, or `dim` for the identity projection. */
export function effectiveProjectionDimension(config: FdeConfig): number {
  return config.projectionDimension ?? config.dim;
}

/** Length of the vector before the final projection: R * 2^k * d_proj. */
export function fdeDimension(config: FdeConfig): number {
  return (
    config.numRepetitions * 2 ** config.numSimhashProjections * effectiveProjectionDimension(config)
  );
}

/** Length of the encoder's output: the final dimension when set, else {@link fdeDimension}. */
export function outputDimensionOf(config: FdeConfig): number {
  return config.finalProjectionDimension ?? fdeDimension(config);
}

/** The fields that define an encoding, in a fixed order (formatVersion included). */
const FINGERPRINT_FIELDS = [
  'formatVersion',
  'dim',
  'numRepetitions',
  'numSimhashProjections',
  'projection',
  'projectionDimension',
  'fillEmptyPartitions',
  'finalProjectionDimension',
  'seed',
] as const;

const FINGERPRINT_HEX_CHARS = 16;

/** A stable hash of a config: `fde1-` and 16 hex digits of SHA-256 over its canonical JSON. */
export function fdeFingerprint(config: FdeConfigJson): string {
  const canonical = JSON.stringify(FINGERPRINT_FIELDS.map((field) => [field, config[field]]));
  const hash = createHash('sha256').update(canonical).digest('hex');
  return `fde${config.formatVersion}-${hash.slice(0, FINGERPRINT_HEX_CHARS)}`;
}

/**
 * Throws `config-mismatch` unless `actual` encodes exactly like `expected`, naming every field
 * that differs. `context` says what is compared, e.g. `query encoder vs collection`.
 */
export function assertSameFdeConfig(
  expected: FdeConfigJson,
  actual: FdeConfigJson,
  context = 'FDE config',
): void {
  const differing = FINGERPRINT_FIELDS.filter((field) => expected[field] !== actual[field]);
  if (differing.length === 0) return;
  const details = differing.map(
    (field) => `${field} ${describe(actual[field])} (expected ${describe(expected[field])})`,
  );
  throw new MuveraError('config-mismatch', `${context} differs: ${details.join(', ')}`, {
    parameter: differing[0],
    expected: expected[differing[0]],
    actual: actual[differing[0]],
    remedy: 'encode queries and documents with the same FDE config (store it with the index)',
  });
}

function checkFormatVersion(version: unknown): void {
  if (version === undefined) return;
  if (!Number.isInteger(version) || (version as number) < 1) {
    throw invalidArgument('config.formatVersion', 'a positive integer', version);
  }
  if ((version as number) > FDE_FORMAT_VERSION) {
    throw new MuveraError(
      'unsupported-version',
      `FDE config format version ${version} is newer than this build reads (${FDE_FORMAT_VERSION})`,
      { parameter: 'config.formatVersion', expected: FDE_FORMAT_VERSION, actual: version },
    );
  }
}

function checkProjection(value: unknown): FdeProjection {
  if (!FDE_PROJECTIONS.includes(value as FdeProjection)) {
    throw invalidArgument('config.projection', `one of ${FDE_PROJECTIONS.join(', ')}`, value);
  }
  return value as FdeProjection;
}

function positiveInteger(parameter: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) {
    const remedy =
      parameter === 'config.projectionDimension'
        ? 'dense and sparse projections need projectionDimension (e.g. 16)'
        : undefined;
    throw invalidArgument(parameter, 'a positive integer', value, remedy);
  }
  return value;
}

function simhashCount(value: unknown): number {
  const valid = typeof value === 'number' && Number.isInteger(value);
  if (!valid || value < 0 || value > MAX_SIMHASH_PROJECTIONS) {
    throw invalidArgument(
      'config.numSimhashProjections',
      `an integer in 0..${MAX_SIMHASH_PROJECTIONS} (0 means one partition)`,
      value,
    );
  }
  return value;
}

function booleanOr(parameter: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw invalidArgument(parameter, 'true or false', value);
  return value;
}

function finalDimension(value: unknown): number | null {
  if (value === undefined || value === null) return DEFAULTS.fde.finalProjectionDimension;
  return positiveInteger('config.finalProjectionDimension', value);
}

function seedOf(value: unknown): number {
  if (value === undefined) return DEFAULTS.fde.seed;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > MAX_SEED) {
    throw invalidArgument('config.seed', `an integer in 0..${MAX_SEED}`, value);
  }
  return value;
}

function checkCaps(config: FdeConfig): void {
  const dProj = effectiveProjectionDimension(config);
  limit('R * 2^k * projection dimension', fdeDimension(config), MAX_FDE_DIMENSION);
  if (config.finalProjectionDimension !== null) {
    limit('finalProjectionDimension', config.finalProjectionDimension, MAX_FDE_DIMENSION);
  }
  const simhashValues = config.numRepetitions * config.numSimhashProjections * config.dim;
  limit('SimHash matrix size R * k * dim', simhashValues, MAX_MATRIX_VALUES);
  if (config.projection !== 'identity') {
    const projectionValues = config.numRepetitions * dProj * config.dim;
    limit('projection size R * projectionDimension * dim', projectionValues, MAX_MATRIX_VALUES);
  }
}

function limit(what: string, value: number, cap: number): void {
  if (value <= cap) return;
  throw new MuveraError('limit-exceeded', `FDE ${what} is ${value}, above the cap of ${cap}`, {
    parameter: what,
    expected: `at most ${cap}`,
    actual: value,
    remedy: 'lower numSimhashProjections, numRepetitions or projectionDimension',
  });
}
