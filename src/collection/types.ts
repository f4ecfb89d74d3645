/**
 * The public shape of a collection, shared by every backend (embedded directory, PostgreSQL) and
 * by the front ends (CLI, HTTP server). Backends implement {@link CollectionApi}; the shared
 * behavioural suite in test/collection/ runs against each.
 */
import type { Precision } from '../chamfer/precision.js';

/** How a search finds candidates before the exact Chamfer re-rank. */
export type StrategyName = 'fde' | 'tokens' | 'exact';

/** JSON-serialisable metadata stored with a document. */
export type Metadata = Record<string, unknown>;

/** A metadata equality filter: every field must equal the given value. */
export type MetadataFilter = Record<string, string | number | boolean | null>;

/** One document to store. */
export interface DocumentInput {
  /** Unique id, 1 to 512 UTF-8 bytes. Re-upserting an id replaces the stored document. */
  id: string;
  /** Token matrix: numTokens rows of `dim` values, row-major. Padding (all-zero) rows dropped. */
  tokens: Float32Array;
  /** Optional JSON-serialisable metadata, returned with hits and usable in filters. */
  metadata?: Metadata;
  /** Optional text, stored and returned with hits. */
  text?: string;
  /**
   * Optional character spans into `text`, two numbers per token row `[start, end)`, so a front
   * end can highlight the words that matched.
   */
  spans?: ArrayLike<number>;
}

/** A stored document as returned by `get`. */
export interface StoredDocument {
  id: string;
  tokens: Float32Array;
  metadata?: Metadata;
  text?: string;
  spans?: Uint32Array;
}

/** Options of `search`. Every default lives in DEFAULTS.search. */
export interface SearchOptions {
  /** Hits to return. */
  k?: number;
  /** FDE (or token) candidates to re-rank exactly; ignored by `exact`. Must be >= k. */
  candidates?: number;
  /** Candidate strategy. */
  strategy?: StrategyName;
  /** Equality filter on metadata fields. */
  filter?: MetadataFilter;
  /** Report, per query token, the best-matching document token of each hit. */
  explain?: boolean;
}

/** Which document token a query token matched best. */
export interface TokenMatch {
  /** Query token row. */
  queryToken: number;
  /** Document token row (in the stored, padding-free token matrix). */
  docToken: number;
  /** Their inner product. */
  score: number;
  /** `[start, end)` of the document token in the document text, when spans were stored. */
  span?: [number, number];
}

/** One search result. */
export interface SearchHit {
  id: string;
  /** Exact Chamfer score of the query against the stored tokens. */
  score: number;
  metadata?: Metadata;
  text?: string;
  /** Present when `explain` was asked for. */
  matches?: TokenMatch[];
}

/** What a search did, for `--stats`, the server's `stats` and benchmarks. */
export interface SearchStats {
  strategy: StrategyName;
  /** Query tokens scored (after padding removal and any query reduction). */
  queryTokens: number;
  /** Candidates the first stage returned. */
  candidatesFetched: number;
  /** Exact Chamfer scorings done in the re-rank. */
  exactScorings: number;
  /**
   * True when the candidate stage returned fewer than `k` documents although more passed the
   * filter, and the search re-ranked every passing document instead (see docs/collection.md).
   */
  exactFallback?: boolean;
  /** Milliseconds per stage. */
  timings: { candidatesMs: number; rerankMs: number; totalMs: number };
}

/** Hits in order (best first) plus statistics. */
export interface SearchResult {
  hits: SearchHit[];
  stats: SearchStats;
}

/** Outcome of an upsert call. */
export interface UpsertResult {
  inserted: number;
  replaced: number;
  /** Earlier occurrences of ids repeated within the batch, dropped (the last one wins). */
  duplicates?: number;
}

/** Outcome of a delete call: unknown ids are reported, not fatal. */
export interface DeleteResult {
  deleted: string[];
  missing: string[];
}

/** Options given when a collection is created. */
export interface CollectionOptions {
  /** Token dimension. */
  dim: number;
  /** FDE preset name or a full FDE config (see docs/fde.md). */
  fde?: string | Record<string, unknown>;
  /** Candidate index kind and parameters (see docs/indexes.md). */
  index?: { kind?: string; [parameter: string]: unknown };
  /** Stored precision of document tokens. */
  precision?: Precision;
  /** The encoder that produces this collection's tokens, remembered for text queries. */
  encoder?: Record<string, unknown>;
}

/** Counts and sizes. */
export interface CollectionStats {
  documents: number;
  tokens: number;
  dim: number;
  fdeDimension: number;
  precision: Precision;
  bytesPerToken: number;
  diskBytes: number;
  indexKind: string;
  /** The FDE config of the candidate index (JSON form, seeds included). */
  fde?: Record<string, unknown>;
  /** Manifest generation last published (embedded backend). */
  generation?: number;
  /** Bytes in the write-ahead log not yet folded into a checkpoint (embedded backend). */
  logBytes?: number;
  /** Estimated memory of stored tokens plus the candidate index (embedded backend). */
  memoryBytes?: number;
}

/** What every collection backend offers. */
export interface CollectionApi {
  upsert(docs: DocumentInput[]): Promise<UpsertResult>;
  delete(ids: string[]): Promise<DeleteResult>;
  get(id: string): Promise<StoredDocument | undefined>;
  search(query: Float32Array, options?: SearchOptions): Promise<SearchResult>;
  searchBatch(queries: Float32Array[], options?: SearchOptions): Promise<SearchResult[]>;
  stats(): Promise<CollectionStats>;
  /**
   * Folds the write-ahead log into a checkpoint so the next open need not replay it (embedded
   * backend; backends without a log leave it out).
   */
  checkpoint?(): Promise<void>;
  close(): Promise<void>;
}
