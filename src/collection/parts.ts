/**
 * The collection's view of the stages it is built from: the FDE encoder (src/fde) and the
 * candidate indexes (src/index). Everything the collection needs from them passes through
 * here, so the rest of src/collection names no concrete class.
 */
import { DEFAULTS } from '../defaults.js';
import { invalidArgument, MuveraError } from '../errors.js';
import { type FdeConfigInput, FdeEncoder } from '../fde/index.js';
import {
  CANDIDATE_INDEX_KINDS,
  type CandidateIndex,
  type CandidateIndexKind,
  createCandidateIndex,
  deserializeCandidateIndex,
} from '../index/index.js';

/** What the collection uses of an FDE encoder. */
export interface FdeParts {
  encoder: FdeEncoder;
  /** The full config, seeds included (JSON form), as stored in the manifest. */
  config: Record<string, unknown>;
  fingerprint: string;
  outputDimension: number;
}

/** An FDE encoder from a preset name or a full config, for tokens of `dim` values. */
export function makeFde(spec: unknown, dim: number): FdeParts {
  let encoder: FdeEncoder;
  if (typeof spec === 'string') encoder = FdeEncoder.fromPreset(spec, dim);
  else if (spec !== null && typeof spec === 'object') {
    const config = spec as Partial<FdeConfigInput>;
    if (config.dim !== undefined && config.dim !== dim) {
      throw new MuveraError(
        'config-mismatch',
        `the FDE config is for dim ${config.dim}, the collection's tokens have dim ${dim}`,
        { parameter: 'options.fde.dim', expected: dim, actual: config.dim },
      );
    }
    encoder = new FdeEncoder({ ...config, dim } as FdeConfigInput);
  } else throw invalidArgument('options.fde', 'a preset name or an FDE config object', spec);
  return {
    encoder,
    config: encoder.toJSON() as unknown as Record<string, unknown>,
    fingerprint: encoder.fingerprint,
    outputDimension: encoder.outputDimension,
  };
}

/** Index kind and parameters as given to `Collection.create` or stored in the manifest. */
export interface IndexSpec {
  kind: CandidateIndexKind;
  params: Record<string, unknown>;
}

/** Checks `options.index` and fills the default kind. */
export function resolveIndexSpec(given: unknown): IndexSpec {
  if (given === undefined)
    return { kind: DEFAULTS.collection.index as CandidateIndexKind, params: {} };
  if (given === null || typeof given !== 'object') {
    throw invalidArgument('options.index', 'an object { kind, ...parameters }', given);
  }
  const { kind = DEFAULTS.collection.index, ...params } = given as Record<string, unknown>;
  if (!CANDIDATE_INDEX_KINDS.includes(kind as CandidateIndexKind)) {
    throw invalidArgument('options.index.kind', `one of ${CANDIDATE_INDEX_KINDS.join(', ')}`, kind);
  }
  return { kind: kind as CandidateIndexKind, params };
}

/** An empty candidate index of `spec` for vectors of `dimensions` values. */
export function makeIndex(spec: IndexSpec, dimensions: number): CandidateIndex {
  return createCandidateIndex(spec.kind, dimensions, spec.params);
}

/** A candidate index read back from its checksummed bytes (`corrupt-data` when damaged). */
export function loadIndex(bytes: Uint8Array): CandidateIndex {
  return deserializeCandidateIndex(bytes);
}
