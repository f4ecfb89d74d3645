/**
 * Token vectors computed elsewhere (by a Python ColBERT, PyLate, a service), read as a stream of
 * token sets, one at a time, so a corpus larger than memory can be imported.
 *
 * Formats, chosen by file extension unless `format` says otherwise:
 * - JSON Lines (`.jsonl`, `.ndjson`): one record a line, `{"id": "doc1", "vectors": [[...], ...]}`
 *   (`id` a string or a number; every row of every record the same width).
 * - NumPy (`.npy`): one 2-D float32 / float16 / float64 matrix of all token rows, set after set,
 *   plus `offsets` (a `.npy` of numSets + 1 integers, in rows, starting at 0) or `counts` (numSets
 *   integers). Ids from `ids` (a text file, one a line) or the set's position.
 * - safetensors (`.safetensors`): the same matrix as tensor `vectors`, and tensor `offsets` or
 *   `counts` in the same file. Ids as for `.npy`.
 *
 * Every problem is a MuveraError naming the file, the record (line or set number, from 1 for
 * lines and 0 for sets) and what is wrong; bad syntax and shapes are `parse-error`, a width other
 * than the expected `dim` is `dimension-mismatch`.
 */
import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { createInterface } from 'node:readline';
import { type ErrorCode, MuveraError } from '../errors.js';
import { openNpy, readNpyFloats, readNpyNumbers } from './npy.js';
import { openSafetensors } from './safetensors.js';

/** One imported token set: `data` is numTokens x dim. */
export interface ImportedTokens {
  id: string;
  data: Float32Array;
  numTokens: number;
  dim: number;
}

/** Formats {@link readTokenVectors} reads. */
export type TokenFileFormat = 'jsonl' | 'npy' | 'safetensors';

/** Options of {@link readTokenVectors}. */
export interface TokenImportOptions {
  format?: TokenFileFormat;
  /** Expected row width; by default the first record's. */
  dim?: number;
  /** `.npy` only: file of numSets + 1 row offsets. */
  offsets?: string;
  /** `.npy` only: file of numSets row counts (instead of offsets). */
  counts?: string;
  /** `.npy` and `.safetensors`: text file of ids, one a line, in set order. */
  ids?: string;
}

const EXTENSIONS: Record<string, TokenFileFormat> = {
  '.jsonl': 'jsonl',
  '.ndjson': 'jsonl',
  '.npy': 'npy',
  '.safetensors': 'safetensors',
};

/** Streams the token sets of `file`; see the module comment for formats. */
export function readTokenVectors(
  file: string,
  options: TokenImportOptions = {},
): AsyncGenerator<ImportedTokens> {
  const format = options.format ?? EXTENSIONS[extname(file).toLowerCase()];
  if (format === 'jsonl') return readJsonLines(file, options.dim);
  if (format === 'npy') return readNpySets(file, options);
  if (format === 'safetensors') return readSafetensorsSets(file, options);
  throw new MuveraError('invalid-argument', `cannot tell the format of ${file}`, {
    parameter: 'format',
    file,
    expected: 'jsonl, npy or safetensors (or a file ending in one of those)',
    actual: extname(file),
  });
}

function recordError(
  file: string,
  record: string,
  problem: string,
  code: ErrorCode = 'parse-error',
) {
  return new MuveraError(code, `${file} ${record}: ${problem}`, { file, parameter: record });
}

async function* readJsonLines(file: string, expectedDim?: number): AsyncGenerator<ImportedTokens> {
  const lines = createInterface({ input: createReadStream(file), crlfDelay: Infinity });
  let dim = expectedDim;
  let lineNumber = 0;
  try {
    for await (const line of lines) {
      lineNumber++;
      if (line.trim() === '') continue;
      const record = parseRecord(file, `line ${lineNumber}`, line, dim);
      dim = record.dim;
      yield record;
    }
  } catch (error) {
    if (error instanceof MuveraError) throw error;
    throw new MuveraError('io-error', `cannot read ${file}`, { file, cause: error });
  }
}

function parseRecord(file: string, where: string, line: string, dim?: number): ImportedTokens {
  let value: { id?: unknown; vectors?: unknown };
  try {
    value = JSON.parse(line);
  } catch (cause) {
    throw recordError(file, where, `not valid JSON (${(cause as Error).message})`);
  }
  const { id, vectors } = value ?? {};
  if (typeof id !== 'string' && typeof id !== 'number') {
    throw recordError(file, where, '"id" must be a string or a number');
  }
  if (!Array.isArray(vectors) || vectors.length === 0) {
    throw recordError(file, where, '"vectors" must be a non-empty array of rows');
  }
  const width = dim ?? (Array.isArray(vectors[0]) ? vectors[0].length : 0);
  const data = new Float32Array(vectors.length * width);
  vectors.forEach((row, r) => {
    if (!Array.isArray(row) || row.length !== width || width === 0) {
      const code = Array.isArray(row) && width > 0 ? 'dimension-mismatch' : 'parse-error';
      throw recordError(file, where, `row ${r} must be an array of ${width} numbers`, code);
    }
    row.forEach((x, j) => {
      if (typeof x !== 'number' || !Number.isFinite(x)) {
        throw recordError(
          file,
          where,
          `row ${r} value ${j} is ${JSON.stringify(x)}, not a finite number`,
        );
      }
      data[r * width + j] = x;
    });
  });
  return { id: String(id), data, numTokens: vectors.length, dim: width };
}

/** Row offsets from an offsets or counts array, checked against the row count. */
function toOffsets(file: string, values: number[], kind: 'offsets' | 'counts', rows: number) {
  const offsets = kind === 'offsets' ? values : [0, ...running(values)];
  offsets.forEach((value, i) => {
    if (!Number.isInteger(value) || value < (i > 0 ? offsets[i - 1] : 0)) {
      throw recordError(file, `${kind}[${i}]`, `${value} is not a non-decreasing integer`);
    }
  });
  if (offsets[0] !== 0 || offsets[offsets.length - 1] !== rows) {
    const range = `${offsets[0]} to ${offsets.at(-1)}`;
    const problem = `must run from 0 to the row count ${rows}, got ${range}`;
    throw recordError(file, kind, problem);
  }
  return offsets;
}

function running(counts: number[]): number[] {
  let total = 0;
  return counts.map((count) => {
    total += count;
    return total;
  });
}

async function readIds(file: string | undefined, count: number): Promise<string[]> {
  if (!file) return Array.from({ length: count }, (_, i) => String(i));
  const ids = (await readFile(file, 'utf8')).split('\n').filter((line) => line !== '');
  if (ids.length !== count) throw recordError(file, 'ids', `${ids.length} ids for ${count} sets`);
  return ids;
}

async function* readNpySets(
  file: string,
  options: TokenImportOptions,
): AsyncGenerator<ImportedTokens> {
  const side = options.offsets ?? options.counts;
  if (!side) {
    throw new MuveraError('invalid-argument', `${file} needs an offsets or counts file`, {
      parameter: 'offsets',
      file,
      remedy: 'Pass offsets (numSets + 1 row offsets) or counts (rows per set) as .npy',
    });
  }
  const npy = await openNpy(file);
  try {
    const [rows, dim] = matrixShape(file, npy.shape, options.dim);
    const kind = options.offsets ? 'offsets' : 'counts';
    const offsets = toOffsets(side, (await readNpyNumbers(side)).values, kind, rows);
    const ids = await readIds(options.ids, offsets.length - 1);
    for (let i = 0; i + 1 < offsets.length; i++) {
      const numTokens = offsets[i + 1] - offsets[i];
      const data = await readNpyFloats(npy, offsets[i] * dim, numTokens * dim);
      yield checked(file, `set ${i}`, { id: ids[i], data, numTokens, dim });
    }
  } finally {
    await npy.handle.close();
  }
}

async function* readSafetensorsSets(
  file: string,
  options: TokenImportOptions,
): AsyncGenerator<ImportedTokens> {
  const tensors = await openSafetensors(file);
  try {
    const vectors = tensors.tensors.get('vectors');
    if (!vectors) throw recordError(file, 'vectors', 'no tensor named "vectors"', 'parse-error');
    const [rows, dim] = matrixShape(file, vectors.shape, options.dim);
    const kind = tensors.tensors.has('offsets') ? 'offsets' : 'counts';
    if (!tensors.tensors.has(kind))
      throw recordError(file, kind, 'no tensor "offsets" or "counts"');
    const offsets = toOffsets(file, (await tensors.read(kind)).values as number[], kind, rows);
    const ids = await readIds(options.ids, offsets.length - 1);
    for (let i = 0; i + 1 < offsets.length; i++) {
      const numTokens = offsets[i + 1] - offsets[i];
      const data = await tensors.readRange('vectors', offsets[i] * dim, numTokens * dim);
      yield checked(file, `set ${i}`, { id: ids[i], data, numTokens, dim });
    }
  } finally {
    await tensors.close();
  }
}

function matrixShape(file: string, shape: number[], dim?: number): [number, number] {
  if (shape.length !== 2) throw recordError(file, 'shape', `expected 2 dimensions, got (${shape})`);
  if (dim !== undefined && shape[1] !== dim) {
    throw recordError(
      file,
      'shape',
      `rows have ${shape[1]} values, expected dim ${dim}`,
      'dimension-mismatch',
    );
  }
  return [shape[0], shape[1]];
}

function checked(file: string, where: string, set: ImportedTokens): ImportedTokens {
  if (set.numTokens === 0)
    throw recordError(file, where, `set ${set.id} has no rows`, 'empty-input');
  const bad = set.data.findIndex((value) => !Number.isFinite(value));
  if (bad >= 0) {
    const row = Math.floor(bad / set.dim);
    throw recordError(file, where, `row ${row} value ${bad % set.dim} is ${set.data[bad]}`);
  }
  return set;
}
