/** Seeded data and the ColBERT fixture for the Chamfer tests. */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** A small deterministic PRNG (mulberry32) returning values in [0, 1). */
export function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `rows x dim` values uniform in [-1, 1). */
export function randomRows(rows: number, dim: number, seed: number): Float32Array {
  const next = random(seed);
  return Float32Array.from({ length: rows * dim }, () => 2 * next() - 1);
}

/** The real ColBERTv2 token vectors of 35 documents and 5 queries, with exact scores. */
export interface ColbertFixture {
  dim: number;
  documents: Float32Array;
  documentOffsets: number[];
  queries: Float32Array;
  queryOffsets: number[];
  /** reference[q][d]: exact Chamfer of query q and document d (5 decimals). */
  reference: number[][];
}

const FIXTURE_DIRS = [
  join(import.meta.dirname, '../fixtures/colbertv2-nanofiqa'),
  '/work/shared/data/colbertv2-nanofiqa-fixture',
];

function floats(path: string): Float32Array {
  const bytes = readFileSync(path);
  return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length));
}

/** Loads the fixture from test/fixtures (or the shared data folder while it is not copied). */
export function loadColbertFixture(): ColbertFixture {
  const dir = FIXTURE_DIRS.find((path) => existsSync(join(path, 'manifest.json')));
  if (!dir) throw new Error('ColBERT fixture not found');
  const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
  return {
    dim: manifest.documents.dim,
    documents: floats(join(dir, manifest.documents.file)),
    documentOffsets: manifest.documents.row_offsets,
    queries: floats(join(dir, manifest.queries.file)),
    queryOffsets: manifest.queries.row_offsets,
    reference: manifest.reference_chamfer_scores.values,
  };
}
