/**
 * Exporting FDEs (one vector per document) so they can go into any vector database.
 *
 * Token sets are read from any async iterable (e.g. {@link readTokenVectors} or an encoder's
 * output), encoded in batches by anything with `encodeDocuments(data, offsets)` (an FdeEncoder
 * from src/fde), and written as:
 * - `npy`: a float32 matrix numDocuments x fdeDim, plus the ids, one a line, in `<file>.ids.txt`.
 *   The header is written first with room for any row count and rewritten at the end.
 * - `jsonl`: one line per document, `{"id": "...", "fde": [...]}`.
 * Query FDEs are not exported: they are computed per query, with the same FdeEncoder.
 */
import { open } from 'node:fs/promises';
import { DEFAULTS } from '../defaults.js';
import { invalidArgument } from '../errors.js';
import { npyHeader } from './npy.js';

/** What the export needs of an FDE encoder (src/fde FdeEncoder fits). */
export interface DocumentFdeEncoder {
  encodeDocuments(
    data: Float32Array,
    offsets: ArrayLike<number>,
  ): { vectors: Float32Array; outputDimension: number };
}

/** A token set to export. */
export interface TokenSetToExport {
  id: string;
  data: Float32Array;
}

/** Options of {@link exportFdes}. */
export interface FdeExportOptions {
  format: 'npy' | 'jsonl';
  /** Token dimension of the sets. */
  dim: number;
  /** Sets encoded per call; defaults to `DEFAULTS.encoders.exportBatchSize`. */
  batchSize?: number;
}

/** Header room for the largest row count a `.npy` export may reach (a 15-digit count). */
const NPY_HEADER_BYTES = 128;
const PLACEHOLDER_ROWS = 0;

/** Writes FDEs of `sets` to `file`; returns the number of documents and the FDE dimension. */
export async function exportFdes(
  sets: AsyncIterable<TokenSetToExport> | Iterable<TokenSetToExport>,
  encoder: DocumentFdeEncoder,
  file: string,
  options: FdeExportOptions,
): Promise<{ count: number; fdeDim: number }> {
  if (options.format !== 'npy' && options.format !== 'jsonl') {
    throw invalidArgument('options.format', '"npy" or "jsonl"', options.format);
  }
  const batchSize = options.batchSize ?? DEFAULTS.encoders.exportBatchSize;
  const out = await open(file, 'w');
  const ids = options.format === 'npy' ? await open(`${file}.ids.txt`, 'w') : null;
  let count = 0;
  let fdeDim = 0;
  try {
    if (options.format === 'npy')
      await out.write(npyHeader('<f4', [PLACEHOLDER_ROWS, 0], NPY_HEADER_BYTES));
    for await (const batch of batches(sets, batchSize)) {
      const encoded = encodeBatch(encoder, batch, options.dim);
      fdeDim = encoded.outputDimension;
      await writeBatch(out, ids, batch, encoded.vectors, fdeDim, options.format);
      count += batch.length;
    }
    if (options.format === 'npy')
      await out.write(npyHeader('<f4', [count, fdeDim], NPY_HEADER_BYTES), 0, undefined, 0);
  } finally {
    await out.close();
    await ids?.close();
  }
  return { count, fdeDim };
}

async function* batches<T>(
  items: AsyncIterable<T> | Iterable<T>,
  size: number,
): AsyncGenerator<T[]> {
  let batch: T[] = [];
  for await (const item of items) {
    batch.push(item);
    if (batch.length === size) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length > 0) yield batch;
}

function encodeBatch(encoder: DocumentFdeEncoder, batch: TokenSetToExport[], dim: number) {
  const offsets = new Uint32Array(batch.length + 1);
  batch.forEach((set, i) => {
    offsets[i + 1] = offsets[i] + set.data.length / dim;
  });
  const data = new Float32Array(offsets[batch.length] * dim);
  batch.forEach((set, i) => {
    data.set(set.data, offsets[i] * dim);
  });
  return encoder.encodeDocuments(data, offsets);
}

async function writeBatch(
  out: import('node:fs/promises').FileHandle,
  ids: import('node:fs/promises').FileHandle | null,
  batch: TokenSetToExport[],
  vectors: Float32Array,
  fdeDim: number,
  format: 'npy' | 'jsonl',
) {
  if (format === 'npy') {
    await out.write(new Uint8Array(vectors.buffer, vectors.byteOffset, vectors.byteLength));
    await ids?.write(batch.map((set) => `${set.id}\n`).join(''));
    return;
  }
  const lines = batch.map((set, i) => {
    const fde = Array.from(vectors.subarray(i * fdeDim, (i + 1) * fdeDim));
    return `${JSON.stringify({ id: set.id, fde })}\n`;
  });
  await out.write(lines.join(''));
}
