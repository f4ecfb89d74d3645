/**
 * Every default of the library in one frozen object. Code reads its defaults from here, and
 * test/defaults.test.ts checks that docs/configuration.md states the same values.
 */

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}

export const DEFAULTS = deepFreeze({
  /** Logging: see src/log.ts. */
  logLevel: 'warn',
  /** FDE encoder: see src/fde/ and docs/fde.md. */
  fde: {
    /** Seed of every FDE random matrix when a config gives none. */
    seed: 42,
    /** Documents fill empty partitions from the Hamming-nearest token. */
    fillEmptyPartitions: true,
    /** Final count-sketch dimension; null keeps the full R * 2^k * d_proj vector. */
    finalProjectionDimension: null as number | null,
    /** Worker threads of an FdePool; null means one per core. */
    threads: null as number | null,
  },
  /** Exact Chamfer scoring, ball carving, token pooling: see src/chamfer/ and docs/chamfer.md. */
  chamfer: {
    /** Kernel: 'auto' (WebAssembly SIMD, else portable TypeScript), 'wasm-simd' or 'portable'. */
    kernel: 'auto' as 'auto' | 'wasm-simd' | 'portable',
    /** Threads of a ChamferPool, the calling thread included; null uses every core. */
    threads: null as number | null,
    /** Candidate lists shorter than this are scored on the calling thread alone. */
    parallelThreshold: 256,
    /** Ball carving merges a query token into a leader when their dot product is at least this. */
    ballCarvingTau: 0.7,
    /** Token pooling keeps about numTokens / poolFactor vectors per document. */
    poolFactor: 2,
  },
  /** Collection search: see src/collection/ and docs/collection.md. */
  search: {
    k: 10,
    candidates: 100,
    strategy: 'fde',
    maxK: 10000,
    maxCandidates: 100000,
    maxQueryTokens: 1024,
    tokenNeighbours: null,
  },
  /** Collections on disk: see src/collection/ and docs/collection.md. */
  collection: {
    fde: 'weaviate',
    index: 'dynamic',
    precision: 'float32',
    durability: 'fsync',
    checkpointLogBytes: 67108864,
    maxIdBytes: 512,
    maxMetadataBytes: 65536,
    maxMetadataDepth: 32,
    maxTextLength: 1048576,
    maxTokensPerDocument: 131072,
    maxBatchDocuments: 100000,
  },
  /** Storage files (segments, manifest, log): see src/store/ and docs/storage.md. */
  store: {
    /** A token segment is closed and a new one started before it would exceed this size. */
    maxSegmentBytes: 268435456,
    /** Token segment writers gather this many bytes before each write call. */
    writeBufferBytes: 1048576,
    /** Check every block checksum of a token segment when it is opened. */
    verifyOnOpen: true,
    /** Largest manifest a reader accepts. */
    maxManifestBytes: 16777216,
    /** Manifest generations kept on disk (the newest and the ones before it). */
    manifestGenerationsKept: 2,
    /** Largest write-ahead log record payload a writer writes or a reader accepts. */
    maxLogRecordBytes: 268435456,
  },
  /** Candidate indexes over document FDEs: see src/index/ and docs/indexes.md. */
  index: {
    /** HNSW on usearch (src/index/hnsw.ts). */
    hnsw: {
      connectivity: 16,
      expansionAdd: 48,
      expansionSearch: 64,
      expansionPerResult: 4,
      precision: 'f16' as 'f32' | 'f16',
      center: true,
      threads: 0,
    },
    /** Flat scan while small, HNSW past a threshold (src/index/dynamic.ts). */
    dynamic: {
      threshold: 10000,
    },
    /** Product quantization of FDEs (src/index/pq.ts), the paper's PQ-256-8. */
    pq: {
      groupSize: 8,
      centroids: 256,
      trainingSize: 4096,
      iterations: 10,
      seed: 42,
    },
  },
  /** PostgreSQL + pgvector collections: see src/postgres/ and docs/postgres.md. */
  postgres: {
    /** Collection (schema) name when the URL has no `collection` parameter. */
    schema: 'muvera',
    /** FDE preset of new Postgres collections: 2,000 values, pgvector's `vector` HNSW limit. */
    fde: 'compact',
    /** Connections each collection object keeps open. */
    poolSize: 4,
    /** HNSW `m` (links per node) of the FDE and token indexes. */
    hnswM: 16,
    /** HNSW `ef_construction` of the FDE and token indexes. */
    hnswEfConstruction: 64,
    /** `hnsw.ef_search` of a search, as a multiple of its candidates (capped at 1,000). */
    efSearchPerCandidate: 4,
    /** `hnsw.iterative_scan` mode used when a search filters or wants more than ef_search rows. */
    iterativeScan: 'strict_order' as 'strict_order' | 'relaxed_order',
    /** `hnsw.max_scan_tuples`: how far an iterative scan may go before it gives up. */
    maxScanTuples: 20000,
    /** Keep a table of every document token with its own HNSW index (the `tokens` strategy). */
    tokenTable: false,
    /** Documents per INSERT statement within one upsert transaction. */
    writeBatchDocuments: 256,
  },
  /** Text encoders: see src/encoders/ and docs/encoders.md. */
  encoders: {
    /** Static word-vector encoder (src/encoders/static-encoder.ts). */
    static: {
      stopWords: 'english' as 'english' | null,
      uniqueDocumentTokens: true,
      uniqueQueryTokens: false,
      normalize: true,
    },
    /** ColBERT models through ONNX (src/encoders/colbert-onnx.ts). */
    colbert: {
      dtype: 'fp32',
      batchSize: 16,
      queryLength: null as number | null,
      documentLength: null as number | null,
    },
    /** Token sets per FDE encoding call in exportFdes (src/encoders/fde-export.ts). */
    exportBatchSize: 256,
  },
  /** HTTP server: see src/server/ and docs/server.md. */
  server: {
    host: '127.0.0.1',
    port: 7700,
    apiKey: null as string | null,
    bodyLimitBytes: 16777216,
    maxK: 1000,
    maxCandidates: 10000,
    maxDocumentsPerRequest: 1000,
  },
  /** Command line: see src/cli/ and docs/cli.md. */
  cli: {
    indexBatchSize: 64,
  },
  /** Evaluation: see src/eval/ and docs/evaluation.md. */
  eval: {
    /** Score tolerance of recall against the exact ranking; null counts set overlap only. */
    tieTolerance: 1e-6 as number | null,
    /** Queries run untimed before an evaluation's timed run (src/eval/run.ts). */
    warmupQueries: 5,
  },
});

export type Defaults = typeof DEFAULTS;
