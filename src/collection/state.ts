/**
 * The in-memory core of a collection: documents by id and by integer key, and the derived
 * candidate indexes kept in step with them.
 *
 * Every document version gets a fresh key (keys are never reused), so a replaced document's old
 * key simply disappears from every structure. A write is applied by {@link CollectionState.apply}
 * in one synchronous step, after the write is durable: a search running on the same thread
 * sees the collection entirely before or entirely after it, never half a write. Stored records
 * and their typed arrays are never mutated after they are created, so a search that holds one
 * (for example while worker threads re-rank it) keeps a consistent view.
 */
import { decodeTokens } from '../chamfer/encode.js';
import type { EncodedTokens } from '../chamfer/precision.js';
import { isGraphIndex } from '../index/dynamic.js';
import type { CandidateIndex } from '../index/types.js';
import type { Metadata } from './types.js';

/** One stored document version. Immutable once created. */
export interface DocRecord {
  /** The integer key of this version in every index. */
  key: number;
  id: string;
  /** Stored tokens (numTokens x dim, no padding) at the collection's precision. */
  tokens: EncodedTokens;
  numTokens: number;
  metadata?: Metadata;
  text?: string;
  /** Two numbers per stored token row, `[start, end)` into `text`. */
  spans?: Uint32Array;
}

/** The float32 rows of a record's tokens (a view for float32, decoded otherwise). */
export function rowsOf(record: DocRecord): Float32Array {
  const { values } = record.tokens;
  return values instanceof Float32Array ? values : decodeTokens(record.tokens);
}

/** A write to apply: documents to insert or replace, ids to remove. */
export interface WriteBatch {
  upserts: DocRecord[];
  /** FDE of each upsert, row after row (`upserts.length * fdeDimension`). */
  fdes: Float32Array;
  deletes: string[];
}

/**
 * NOTE: usearch 2.25's HNSW `remove` can hang forever after some sequences of adds and removes
 * (reproduced with 38 calls on 2,560-dim vectors, one thread or many). The collection therefore
 * never removes from an `hnsw` index (or a `dynamic` one that turned into HNSW): the keys of
 * replaced and deleted documents stay in it as tombstones, searches fetch that many extra
 * candidates and drop them, and a checkpoint rebuilds the index once tombstones outnumber live
 * documents (compaction always does).
 */
export function keepsTombstones(index: CandidateIndex): boolean {
  return isGraphIndex(index);
}

/** Where each token of the optional token index comes from. */
export const TOKEN_KEY_STRIDE = 2 ** 17;

/** The key of token `row` of the document with key `docKey` in the token index. */
export function tokenKey(docKey: number, row: number): number {
  return docKey * TOKEN_KEY_STRIDE + row;
}

/** The document key of a token-index key. */
export function docKeyOfToken(key: number): number {
  return Math.floor(key / TOKEN_KEY_STRIDE);
}

/** Documents and indexes of one open collection. */
export class CollectionState {
  readonly dim: number;
  readonly #byId = new Map<string, DocRecord>();
  readonly #byKey = new Map<number, DocRecord>();
  #nextKey = 0;
  #tokens = 0;
  /** The FDE candidate index. Replaced wholesale by a rebuild. */
  candidateIndex: CandidateIndex;
  /** The index of every document token, built on the first `tokens` search. */
  tokenIndex: CandidateIndex | undefined;
  /** Keys still in the candidate index whose documents were replaced or deleted. */
  readonly #tombstones = new Set<number>();
  /** Token rows still in the token index whose documents were replaced or deleted. */
  #staleTokens = 0;

  constructor(dim: number, candidateIndex: CandidateIndex) {
    this.dim = dim;
    this.candidateIndex = candidateIndex;
  }

  /** Live documents. */
  get size(): number {
    return this.#byId.size;
  }

  /** Live token rows (padding excluded). */
  get tokens(): number {
    return this.#tokens;
  }

  /** The key the next new document version will get. */
  get nextKey(): number {
    return this.#nextKey;
  }

  /** Hands out `count` fresh keys (not yet visible anywhere). */
  reserveKeys(count: number): number {
    const first = this.#nextKey;
    this.#nextKey += count;
    return first;
  }

  /** Raises the next key past `key` (used by recovery). */
  seeKey(key: number): void {
    if (key >= this.#nextKey) this.#nextKey = key + 1;
  }

  byId(id: string): DocRecord | undefined {
    return this.#byId.get(id);
  }

  byKey(key: number): DocRecord | undefined {
    return this.#byKey.get(key);
  }

  /** Every live document, in key order. */
  records(): DocRecord[] {
    return [...this.#byKey.values()].sort((a, b) => a.key - b.key);
  }

  /** Every live key. */
  keys(): number[] {
    return [...this.#byKey.keys()];
  }

  /** Dead keys still held by the candidate index (see {@link keepsTombstones}). */
  get tombstones(): number {
    return this.#tombstones.size;
  }

  /** True when `key` is a live document version. */
  isLive(key: number): boolean {
    return this.#byKey.has(key);
  }

  /** Makes `index` (holding exactly the live documents) the candidate index. */
  replaceIndex(index: CandidateIndex): void {
    this.candidateIndex = index;
    this.#tombstones.clear();
  }

  /**
   * Fills the maps with checkpointed documents whose vectors `index` already holds (recovery),
   * and makes `index` the candidate index.
   */
  restore(records: DocRecord[], index: CandidateIndex, tombstones: number[] = []): void {
    this.replaceIndex(index);
    for (const key of tombstones) this.#tombstones.add(key);
    for (const record of records) {
      this.#byKey.set(record.key, record);
      this.#byId.set(record.id, record);
      this.#tokens += record.numTokens;
      this.seeKey(record.key);
    }
  }

  /**
   * Applies a write in one synchronous step: removes replaced and deleted versions from every
   * structure, then adds the new ones. Returns the ids that were deleted and those unknown.
   */
  apply(batch: WriteBatch): { replaced: number; deleted: string[]; missing: string[] } {
    const gone: DocRecord[] = [];
    let replaced = 0;
    for (const doc of batch.upserts) {
      const old = this.#byId.get(doc.id);
      if (old) {
        gone.push(old);
        replaced++;
      }
    }
    const deleted: string[] = [];
    const missing: string[] = [];
    for (const id of batch.deletes) {
      const old = this.#byId.get(id);
      if (old) {
        gone.push(old);
        deleted.push(id);
      } else missing.push(id);
    }

    this.#removeRecords(gone);
    this.#addRecords(batch.upserts, batch.fdes);
    return { replaced, deleted, missing };
  }

  #removeRecords(records: DocRecord[]): void {
    if (records.length === 0) return;
    const keys = records.map((r) => r.key);
    if (keepsTombstones(this.candidateIndex)) for (const key of keys) this.#tombstones.add(key);
    else this.candidateIndex.remove(keys);
    this.#removeTokens(records);
    for (const record of records) {
      this.#byKey.delete(record.key);
      this.#byId.delete(record.id);
      this.#tokens -= record.numTokens;
    }
  }

  /** Removes tokens from the token index, or drops a tombstoned one that is mostly dead. */
  #removeTokens(records: DocRecord[]): void {
    const index = this.tokenIndex;
    if (!index) return;
    if (!keepsTombstones(index)) {
      index.remove(records.flatMap(tokenKeysOf));
      return;
    }
    this.#staleTokens += records.reduce((n, r) => n + r.numTokens, 0);
    if (this.#staleTokens > this.#tokens) {
      this.tokenIndex = undefined;
      this.#staleTokens = 0;
    }
  }

  #addRecords(records: DocRecord[], fdes: Float32Array): void {
    if (records.length === 0) return;
    this.candidateIndex.add(
      records.map((r) => r.key),
      fdes,
    );
    if (this.tokenIndex) addTokens(this.tokenIndex, records);
    for (const record of records) {
      this.#byKey.set(record.key, record);
      this.#byId.set(record.id, record);
      this.#tokens += record.numTokens;
      this.seeKey(record.key);
    }
  }
}

function tokenKeysOf(record: DocRecord): number[] {
  return Array.from({ length: record.numTokens }, (_, row) => tokenKey(record.key, row));
}

/** Adds every token row of `records` to a token index. */
export function addTokens(index: CandidateIndex, records: DocRecord[]): void {
  const keys = records.flatMap(tokenKeysOf);
  const dim = index.dimensions;
  const rows = new Float32Array(keys.length * dim);
  let offset = 0;
  for (const record of records) {
    rows.set(rowsOf(record), offset);
    offset += record.numTokens * dim;
  }
  index.add(keys, rows);
}
