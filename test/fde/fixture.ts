/**
 * Loads the real ColBERTv2 fixture (test/fixtures/colbertv2-nanofiqa): 5 queries of 32 tokens,
 * 35 documents, dim 128, and the reference Chamfer score of every pair.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export const FIXTURE_DIR = join(import.meta.dirname, '..', 'fixtures', 'colbertv2-nanofiqa');

export interface ColbertFixture {
  dim: number;
  queries: Float32Array;
  queryOffsets: number[];
  documents: Float32Array;
  documentOffsets: number[];
  /** reference[q][d]: exact Chamfer of query q against document d, rounded to 5 decimals. */
  reference: number[][];
}

function floats(file: string): Float32Array {
  const bytes = readFileSync(join(FIXTURE_DIR, file));
  return new Float32Array(
    bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength),
  );
}

export function loadColbertFixture(): ColbertFixture {
  const manifest = JSON.parse(readFileSync(join(FIXTURE_DIR, 'manifest.json'), 'utf8'));
  return {
    dim: manifest.documents.dim,
    queries: floats(manifest.queries.file),
    queryOffsets: manifest.queries.row_offsets,
    documents: floats(manifest.documents.file),
    documentOffsets: manifest.documents.row_offsets,
    reference: manifest.reference_chamfer_scores.values,
  };
}

/** Rows offsets[i]..offsets[i+1] of data as one set. */
export function setOf(data: Float32Array, offsets: number[], i: number, dim: number): Float32Array {
  return data.subarray(offsets[i] * dim, offsets[i + 1] * dim);
}

/** Spearman rank correlation (average ranks for ties). */
export function spearman(a: number[], b: number[]): number {
  const ra = ranks(a);
  const rb = ranks(b);
  const mean = (a.length + 1) / 2;
  let num = 0;
  let da = 0;
  let db = 0;
  for (let i = 0; i < a.length; i++) {
    num += (ra[i] - mean) * (rb[i] - mean);
    da += (ra[i] - mean) ** 2;
    db += (rb[i] - mean) ** 2;
  }
  return num / Math.sqrt(da * db);
}

function ranks(values: number[]): number[] {
  const order = values.map((v, i) => [v, i]).sort((x, y) => x[0] - y[0]);
  const out = new Array<number>(values.length);
  for (let i = 0; i < order.length; ) {
    let j = i;
    while (j + 1 < order.length && order[j + 1][0] === order[i][0]) j++;
    for (let t = i; t <= j; t++) out[order[t][1]] = (i + j) / 2 + 1;
    i = j + 1;
  }
  return out;
}
