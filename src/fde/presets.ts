/**
 * Named FDE configurations. A preset fixes everything except the token dimension, which comes
 * from the model; `fdePreset(name, dim, overrides)` completes it. Sizes below are for any dim
 * (they depend on R, k and d_proj only); measured trade-offs are in docs/fde.md.
 */
import { invalidArgument } from '../errors.js';
import type { FdeConfigInput } from './config.js';

/** A preset: a config without `dim`. */
export type FdePresetConfig = Readonly<Omit<FdeConfigInput, 'dim' | 'formatVersion'>>;

/** The preset table. Frozen; pass overrides to {@link fdePreset} instead of editing it. */
export const FDE_PRESETS = Object.freeze({
  /** The paper's main setting: R 20, k 5, dense projection to 16; 10,240 values. */
  paper: Object.freeze({
    numRepetitions: 20,
    numSimhashProjections: 5,
    projection: 'dense',
    projectionDimension: 16,
    fillEmptyPartitions: true,
  }),
  /** Weaviate's MUVERA defaults: R 10, k 4, dense projection to 16; 2,560 values. */
  weaviate: Object.freeze({
    numRepetitions: 10,
    numSimhashProjections: 4,
    projection: 'dense',
    projectionDimension: 16,
    fillEmptyPartitions: true,
  }),
  /** Milvus-like: R 7, k 4, dense projection to 16; 1,792 values (fits pgvector HNSW). */
  milvus: Object.freeze({
    numRepetitions: 7,
    numSimhashProjections: 4,
    projection: 'dense',
    projectionDimension: 16,
    fillEmptyPartitions: true,
  }),
  /** The paper's setting count-sketched to 2,000 values: pgvector's `vector` HNSW limit. */
  compact: Object.freeze({
    numRepetitions: 20,
    numSimhashProjections: 5,
    projection: 'dense',
    projectionDimension: 16,
    fillEmptyPartitions: true,
    finalProjectionDimension: 2000,
  }),
  /** Google's reference code's sparse projection at the paper's size: cheapest to encode. */
  sparse: Object.freeze({
    numRepetitions: 20,
    numSimhashProjections: 5,
    projection: 'sparse',
    projectionDimension: 16,
    fillEmptyPartitions: true,
  }),
} satisfies Record<string, FdePresetConfig>);

/** Name of a preset in {@link FDE_PRESETS}. */
export type FdePresetName = keyof typeof FDE_PRESETS;

/** Names of all presets. */
export const FDE_PRESET_NAMES = Object.freeze(Object.keys(FDE_PRESETS) as FdePresetName[]);

/**
 * The config of preset `name` for tokens of `dim` values, with `overrides` applied last (e.g.
 * `{ seed: 7 }`). New collections default to `DEFAULTS.collection.fde`, Postgres ones to
 * `DEFAULTS.postgres.fde` (pgvector's HNSW dimension limit).
 */
export function fdePreset(
  name: string,
  dim: number,
  overrides: Partial<FdeConfigInput> = {},
): FdeConfigInput {
  if (!Object.hasOwn(FDE_PRESETS, name)) {
    throw invalidArgument('preset', `one of ${FDE_PRESET_NAMES.join(', ')}`, name);
  }
  return { ...FDE_PRESETS[name as FdePresetName], dim, ...overrides };
}
