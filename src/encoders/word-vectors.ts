/**
 * Word-vector tables for the static encoder: reading them from the formats people have, and
 * writing the compact folder the repository ships.
 *
 * Formats read:
 * - fastText / word2vec text (`.vec`): a header line `count dim`, then one line per word,
 *   `word v1 ... vdim`, separated by single spaces. Read as a stream.
 * - A matrix folder: `vocab.txt` (one word a line, row order) beside `vectors.f32` (float32,
 *   little-endian, row-major, count x dim) or `vectors.f16` (IEEE half precision), and a manifest
 *   `encoder.json` (written by {@link writeWordVectorFolder}) or `manifest.json`, holding `dim`.
 */
import { createReadStream } from 'node:fs';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { MuveraError } from '../errors.js';
import { floatsToHalves, halvesToFloats } from './float16.js';

/** A vocabulary and its vectors: `vectors` is words.length x dim, row i for words[i]. */
export interface WordVectors {
  words: string[];
  vectors: Float32Array;
  dim: number;
}

/** Element type of a matrix folder's vector file. */
export type WordVectorDtype = 'float32' | 'float16';

/** Manifest of a matrix folder written by this library. */
export interface WordVectorManifest {
  format: 'muvera-word-vectors';
  version: 1;
  dtype: WordVectorDtype;
  dim: number;
  count: number;
  vectors: string;
  vocab: string;
}

const MANIFEST_FILE = 'encoder.json';
const OTHER_MANIFEST_FILE = 'manifest.json';
const VOCAB_FILE = 'vocab.txt';
const VECTOR_FILES: Record<WordVectorDtype, string> = {
  float32: 'vectors.f32',
  float16: 'vectors.f16',
};
const BYTES_PER_VALUE: Record<WordVectorDtype, number> = { float32: 4, float16: 2 };

/** Reads a `.vec` file or a matrix folder, whichever `path` is. */
export async function readWordVectors(path: string): Promise<WordVectors> {
  const info = await stat(path).catch((cause) => {
    throw new MuveraError('not-found', `word vectors not found at ${path}`, { file: path, cause });
  });
  return info.isDirectory() ? readMatrixFolder(path) : readVecFile(path);
}

/** Reads fastText / word2vec text format, line by line. */
export async function readVecFile(file: string): Promise<WordVectors> {
  const lines = createInterface({ input: createReadStream(file), crlfDelay: Infinity });
  const words: string[] = [];
  let vectors: Float32Array = new Float32Array(0);
  let dim = 0;
  let lineNumber = 0;
  for await (const line of lines) {
    lineNumber++;
    if (lineNumber === 1) {
      ({ dim, vectors } = parseVecHeader(line, file));
      continue;
    }
    if (line.trim() === '') continue;
    const row = words.length;
    if (row * dim >= vectors.length) throw vecError(file, lineNumber, 'more rows than the header');
    words.push(parseVecLine(line, vectors.subarray(row * dim, (row + 1) * dim), file, lineNumber));
  }
  if (words.length * dim !== vectors.length) {
    throw vecError(file, lineNumber, `${words.length} rows but the header says more`);
  }
  return { words, vectors, dim };
}

function parseVecHeader(line: string, file: string): { dim: number; vectors: Float32Array } {
  const [count, dim] = line.trim().split(/\s+/).map(Number);
  if (!Number.isInteger(count) || !Number.isInteger(dim) || count <= 0 || dim <= 0) {
    throw vecError(file, 1, `header must be "count dim", got ${JSON.stringify(line)}`);
  }
  return { dim, vectors: new Float32Array(count * dim) };
}

function parseVecLine(line: string, row: Float32Array, file: string, lineNumber: number): string {
  const parts = line.trimEnd().split(' ');
  if (parts.length !== row.length + 1) {
    throw vecError(file, lineNumber, `expected a word and ${row.length} values`);
  }
  for (let j = 0; j < row.length; j++) {
    const value = Number(parts[j + 1]);
    if (!Number.isFinite(value)) throw vecError(file, lineNumber, `value ${j} is not a number`);
    row[j] = value;
  }
  return parts[0];
}

function vecError(file: string, line: number, problem: string): MuveraError {
  return new MuveraError('parse-error', `${file} line ${line}: ${problem}`, {
    file,
    parameter: `line ${line}`,
  });
}

/** Reads a matrix folder: vocab.txt plus vectors.f32 or vectors.f16, dim from its manifest. */
export async function readMatrixFolder(dir: string): Promise<WordVectors> {
  const manifest = await readManifest(dir);
  const vocabText = await readFile(join(dir, manifest.vocab), 'utf8');
  const words = vocabText.split('\n').filter((word) => word !== '');
  const bytes = await readFile(join(dir, manifest.vectors));
  const expected = words.length * manifest.dim * BYTES_PER_VALUE[manifest.dtype];
  if (bytes.length !== expected) {
    throw new MuveraError(
      'corrupt-data',
      `${manifest.vectors} has ${bytes.length} bytes, expected ${expected} for ${words.length} words of dim ${manifest.dim} (${manifest.dtype})`,
      { file: join(dir, manifest.vectors), expected, actual: bytes.length },
    );
  }
  const copy = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length);
  const vectors =
    manifest.dtype === 'float32' ? new Float32Array(copy) : halvesToFloats(new Uint16Array(copy));
  return { words, vectors, dim: manifest.dim };
}

async function readManifest(dir: string): Promise<WordVectorManifest> {
  for (const name of [MANIFEST_FILE, OTHER_MANIFEST_FILE]) {
    const text = await readFile(join(dir, name), 'utf8').catch(() => null);
    if (text === null) continue;
    const raw = JSON.parse(text) as Partial<WordVectorManifest>;
    const dtype: WordVectorDtype = raw.dtype ?? 'float32';
    if (!Number.isInteger(raw.dim) || !(dtype in VECTOR_FILES)) {
      throw new MuveraError('parse-error', `${name} in ${dir} lacks a valid dim or dtype`, {
        file: join(dir, name),
      });
    }
    const vectors = raw.vectors ?? VECTOR_FILES[dtype];
    return { ...raw, dtype, vectors, vocab: raw.vocab ?? VOCAB_FILE } as WordVectorManifest;
  }
  throw new MuveraError('not-found', `no ${MANIFEST_FILE} or ${OTHER_MANIFEST_FILE} in ${dir}`, {
    file: dir,
    remedy: 'Point at a .vec file, or a folder with vocab.txt, vectors.f32|f16 and encoder.json',
  });
}

/** Writes `table` as a matrix folder (vocab.txt, vectors.f32|f16, encoder.json). */
export async function writeWordVectorFolder(
  dir: string,
  table: WordVectors,
  dtype: WordVectorDtype,
): Promise<void> {
  const manifest: WordVectorManifest = {
    format: 'muvera-word-vectors',
    version: 1,
    dtype,
    dim: table.dim,
    count: table.words.length,
    vectors: VECTOR_FILES[dtype],
    vocab: VOCAB_FILE,
  };
  const values = dtype === 'float32' ? table.vectors : floatsToHalves(table.vectors);
  await writeFile(join(dir, VOCAB_FILE), `${table.words.join('\n')}\n`);
  await writeFile(join(dir, manifest.vectors), new Uint8Array(values.buffer, 0, values.byteLength));
  await writeFile(join(dir, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
}
