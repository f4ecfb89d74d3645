/**
 * Building candidate indexes from stored documents, and the state of a collection restored from
 * a checkpoint: the index file is loaded and caught up with the documents, or rebuilt when it is
 * missing, damaged or of another configuration.
 */
import { MuveraError } from '../errors.js';
import type { CandidateIndex } from '../index/types.js';
import { logger } from '../log.js';
import { type FdeParts, type IndexSpec, loadIndex, makeFde, makeIndex } from './parts.js';
import { addTokens, CollectionState, type DocRecord, keepsTombstones, rowsOf } from './state.js';
import type { CollectionManifest } from './storage.js';

/** FDEs of `records`, row after row, in one batch call. */
export function encodeDocumentFdes(fde: FdeParts, records: DocRecord[], dim: number): Float32Array {
  if (records.length === 0) return new Float32Array(0);
  const { data, offsets } = packRows(records, dim);
  return fde.encoder.encodeDocuments(data, offsets).vectors;
}

/** The float32 rows of `records` in one matrix, with row offsets (a batch). */
export function packRows(
  records: DocRecord[],
  dim: number,
): { data: Float32Array; offsets: Uint32Array } {
  const offsets = new Uint32Array(records.length + 1);
  records.forEach((record, i) => {
    offsets[i + 1] = offsets[i] + record.numTokens;
  });
  const data = new Float32Array(offsets[records.length] * dim);
  records.forEach((record, i) => {
    data.set(rowsOf(record), offsets[i] * dim);
  });
  return { data, offsets };
}

/** A fresh candidate index holding the FDE of every record. */
export function buildIndex(spec: IndexSpec, fde: FdeParts, records: DocRecord[]): CandidateIndex {
  const index = makeIndex(spec, fde.outputDimension);
  if (records.length > 0) {
    index.add(
      records.map((r) => r.key),
      encodeDocumentFdes(fde, records, fde.encoder.config.dim),
    );
  }
  return index;
}

/**
 * The index of every document token for the `tokens` strategy: the exact flat scan for the
 * `flat` collection index kind, HNSW otherwise.
 */
export function buildTokenIndex(
  spec: IndexSpec,
  dim: number,
  records: DocRecord[],
): CandidateIndex {
  const kind = spec.kind === 'flat' ? 'flat' : 'hnsw';
  const index = makeIndex({ kind, params: {} }, dim);
  if (records.length > 0) addTokens(index, records);
  return index;
}

/**
 * The in-memory state from a checkpoint: its documents and its candidate index, which is
 * rebuilt from the tokens when the file is missing, damaged or does not match the documents.
 */
export function restoreState(
  manifest: CollectionManifest,
  records: DocRecord[],
  indexBytes: Uint8Array | undefined,
): { state: CollectionState; changes: number } {
  const fde = makeFde(manifest.fde, manifest.dim);
  const { index, changes, tombstones } = loadOrRebuild(manifest, fde, records, indexBytes);
  const state = new CollectionState(manifest.dim, index);
  state.restore(records, index, tombstones);
  state.seeKey(manifest.nextKey - 1);
  return { state, changes };
}

function loadOrRebuild(
  manifest: CollectionManifest,
  fde: FdeParts,
  records: DocRecord[],
  indexBytes: Uint8Array | undefined,
): { index: CandidateIndex; changes: number; tombstones: number[] } {
  if (indexBytes !== undefined) {
    try {
      const index = loadIndex(indexBytes);
      const matches =
        index.dimensions === fde.outputDimension && index.kind === manifest.index.kind;
      const caughtUp = matches ? catchUp(index, fde, records, manifest.nextKey) : null;
      if (caughtUp) return { index, ...caughtUp };
      logger.warn(
        matches
          ? 'the candidate index is too far behind the documents; rebuilding it'
          : 'the candidate index does not match the collection config; rebuilding it',
      );
    } catch (error) {
      if (!(error instanceof MuveraError)) throw error;
      logger.warn(`the candidate index is unreadable (${error.message}); rebuilding it`);
    }
  }
  const index = buildIndex(manifest.index, fde, records);
  return { index, changes: records.length, tombstones: [] };
}

/**
 * Finding stale keys visits every key ever handed out; beyond this many per indexed or stored
 * document, rebuilding the index is cheaper (and a damaged `nextKey` cannot stall an open).
 */
const MAX_KEYS_SCANNED_PER_DOCUMENT = 16;

/**
 * Brings an index written at an earlier checkpoint up to date with `records`: removes the keys
 * of documents replaced or deleted since (or returns them as tombstones for an index that keeps
 * them, see state.ts), adds the FDEs of documents added since. Also returns how many keys
 * changed. Null when finding the stale keys would cost more than a rebuild.
 */
function catchUp(
  index: CandidateIndex,
  fde: FdeParts,
  records: DocRecord[],
  nextKey: number,
): { changes: number; tombstones: number[] } | null {
  const live = new Set(records.map((r) => r.key));
  const missing = records.filter((r) => !index.has(r.key));
  let changes = missing.length;
  const stale: number[] = [];
  if (index.size + missing.length > live.size) {
    const budget = MAX_KEYS_SCANNED_PER_DOCUMENT * (index.size + records.length);
    if (nextKey > budget) return null;
    // NOTE: the interface lists no keys, but every key ever handed out is below nextKey.
    for (let key = 0; key < nextKey; key++) {
      if (!live.has(key) && index.has(key)) stale.push(key);
    }
    changes += stale.length;
  }
  const tombstones = keepsTombstones(index) ? stale : [];
  if (!keepsTombstones(index)) index.remove(stale);
  if (missing.length > 0) {
    index.add(
      missing.map((r) => r.key),
      encodeDocumentFdes(fde, missing, fde.encoder.config.dim),
    );
  }
  return { changes, tombstones };
}
