/**
 * Creating candidate indexes by name, and reading any of them back from envelope bytes.
 */
import { readFile, rename, writeFile } from 'node:fs/promises';
import { invalidArgument, MuveraError } from '../errors.js';
import { checkDim } from '../tokens/token-set.js';
import { DynamicIndex, type DynamicOptions } from './dynamic.js';
import { openEnvelope } from './envelope.js';
import { FlatIndex, type FlatOptions } from './flat.js';
import { HnswIndex, type HnswOptions } from './hnsw.js';
import { PqIndex, type PqOptions } from './pq.js';
import { CANDIDATE_INDEX_KINDS, type CandidateIndex, type CandidateIndexKind } from './types.js';

/** Options of each kind. */
export interface CandidateIndexOptions {
  hnsw: HnswOptions;
  flat: FlatOptions;
  pq: PqOptions;
  dynamic: DynamicOptions;
}

/**
 * A new empty index of `kind` for vectors of `dimensions` values. Options not given take their
 * defaults from `DEFAULTS.index.<kind>`; an unknown option name throws `invalid-argument`.
 */
export function createCandidateIndex<K extends CandidateIndexKind>(
  kind: K,
  dimensions: number,
  options?: CandidateIndexOptions[K],
): CandidateIndex;
export function createCandidateIndex(
  kind: CandidateIndexKind,
  dimensions: number,
  options: object = {},
): CandidateIndex {
  checkDim(dimensions, 'dimensions');
  if (options === null || typeof options !== 'object') {
    throw invalidArgument('options', 'an object of index parameters', options);
  }
  switch (kind) {
    case 'hnsw':
      return new HnswIndex(dimensions, options as HnswOptions);
    case 'flat':
      return new FlatIndex(dimensions, options as FlatOptions);
    case 'pq':
      return new PqIndex(dimensions, options as PqOptions);
    case 'dynamic':
      return new DynamicIndex(dimensions, options as DynamicOptions);
    default:
      throw invalidArgument('kind', `one of ${CANDIDATE_INDEX_KINDS.join(', ')}`, kind);
  }
}

/** What a caller may require of stored bytes, and runtime settings that are not stored. */
export interface DeserializeOptions {
  /** Throw `config-mismatch` unless the stored index is of this kind. */
  kind?: CandidateIndexKind;
  /** Throw `config-mismatch` unless the stored index has this dimension. */
  dimensions?: number;
  /** HNSW native threads (not stored); default `DEFAULTS.index.hnsw.threads`. */
  threads?: number;
  /**
   * HNSW only: search with this beam width instead of the stored one (usearch fixes it when an
   * index is built or loaded, so loading is the way to change it). Ignored by other kinds.
   */
  expansionSearch?: number;
  /** HNSW only: search with this beam per result wanted instead of the stored one. */
  expansionPerResult?: number;
}

/**
 * Reads an index from {@link CandidateIndex.serialize} bytes. The envelope (magic, version,
 * lengths, checksum, header) is verified before any payload is parsed or handed to usearch:
 * damaged bytes throw `corrupt-data`, a newer format `unsupported-version`.
 */
export function deserializeCandidateIndex(
  bytes: Uint8Array,
  expect: DeserializeOptions = {},
): CandidateIndex {
  const { header, payload } = openEnvelope(bytes);
  for (const field of ['kind', 'dimensions'] as const) {
    if (expect[field] !== undefined && expect[field] !== header[field]) {
      throw new MuveraError(
        'config-mismatch',
        `stored candidate index has ${field} ${header[field]}, expected ${expect[field]}`,
        { parameter: field, expected: expect[field], actual: header[field] },
      );
    }
  }
  switch (header.kind) {
    case 'hnsw':
      return HnswIndex.fromPayload(header, payload, {
        threads: expect.threads,
        expansionSearch: expect.expansionSearch,
        expansionPerResult: expect.expansionPerResult,
      });
    case 'flat':
      return FlatIndex.fromPayload(header, payload);
    case 'pq':
      return PqIndex.fromPayload(header, payload);
    case 'dynamic':
      return DynamicIndex.fromPayload(header, payload, {
        threads: expect.threads,
        expansionSearch: expect.expansionSearch,
        expansionPerResult: expect.expansionPerResult,
      });
  }
}

/**
 * Writes `index` to `path` through a temporary file and a rename, so a reader sees the old file
 * or the new one, never half of one. Durability (fsync) is the caller's: the index is derived
 * data and is rebuilt when missing or corrupt.
 */
export async function saveCandidateIndex(index: CandidateIndex, path: string): Promise<void> {
  const temporary = `${path}.tmp-${process.pid}`;
  await writeFile(temporary, index.serialize());
  await rename(temporary, path);
}

/** Reads an index written by {@link saveCandidateIndex}; see {@link deserializeCandidateIndex}. */
export async function loadCandidateIndex(
  path: string,
  expect: DeserializeOptions = {},
): Promise<CandidateIndex> {
  const bytes = await readFile(path);
  try {
    return deserializeCandidateIndex(bytes, expect);
  } catch (error) {
    if (error instanceof MuveraError && error.file === undefined) {
      throw new MuveraError(error.code, `cannot load the candidate index ${path}`, {
        file: path,
        remedy: error.remedy,
        cause: error,
      });
    }
    throw error;
  }
}
