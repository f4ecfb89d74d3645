/**
 * NumPy `.npy` files: reading the header, reading rows as a stream, writing float32 matrices.
 *
 * Layout (NumPy format versions 1.0 to 3.0): the magic bytes `\x93NUMPY`, a major and a minor
 * version byte, the header length (2 bytes little-endian in version 1, 4 bytes in 2 and 3), and
 * the header: a Python dict literal such as `{'descr': '<f4', 'fortran_order': False,
 * 'shape': (1000, 128), }`, padded with spaces to a multiple of 64 bytes. Then the data.
 */
import { type FileHandle, open } from 'node:fs/promises';
import { MuveraError } from '../errors.js';
import { halfToFloat } from './float16.js';

const MAGIC = '\x93NUMPY';
const PREAMBLE_BYTES = 8;
const HEADER_ALIGNMENT = 64;
const MAX_HEADER_BYTES = 1 << 20;
/** NumPy format versions this reader knows (1.0 uses a 2-byte header length, 2.0 and 3.0 four). */
const KNOWN_MAJOR_VERSIONS = [1, 2, 3];
/** Most elements `readNpyNumbers` turns into a JS number array (it is meant for small files). */
const MAX_NUMBER_ELEMENTS = 1 << 24;
const SHAPE_ENTRY = /^\d+$/;
const WIDTHS: Record<string, number> = {
  '<f4': 4,
  '<f2': 2,
  '<f8': 8,
  '<i4': 4,
  '<i8': 8,
  '<u4': 4,
  '<u8': 8,
};

/** An open `.npy` file: its element type, shape, and where its data starts. */
export interface NpyFile {
  file: string;
  handle: FileHandle;
  descr: string;
  shape: number[];
  dataStart: number;
  /** Elements in the array (the product of `shape`); the file holds at least this many. */
  count: number;
}

function npyError(file: string, problem: string, cause?: unknown): MuveraError {
  return new MuveraError('parse-error', `${file}: ${problem}`, { file, cause });
}

/** Opens `file` and parses its header. Close `handle` when done. */
export async function openNpy(file: string): Promise<NpyFile> {
  const handle = await open(file, 'r').catch((cause) => {
    throw new MuveraError('not-found', `cannot open ${file}`, { file, cause });
  });
  try {
    const { size } = await handle.stat();
    const preamble = Buffer.alloc(PREAMBLE_BYTES + 4);
    const { bytesRead } = await handle.read(preamble, 0, preamble.length, 0);
    if (bytesRead < PREAMBLE_BYTES + 2 || preamble.toString('latin1', 0, MAGIC.length) !== MAGIC)
      throw npyError(file, 'not a .npy file');
    const major = preamble[6];
    if (!KNOWN_MAJOR_VERSIONS.includes(major))
      throw npyError(file, `format version ${major} is not supported (1, 2 or 3)`);
    const lengthBytes = major === 1 ? 2 : 4;
    const length = major === 1 ? preamble.readUInt16LE(8) : preamble.readUInt32LE(8);
    const dataStart = PREAMBLE_BYTES + lengthBytes + length;
    if (length > MAX_HEADER_BYTES || dataStart > size) {
      throw npyError(file, `header of ${length} bytes does not fit a ${size}-byte file`);
    }

    const header = Buffer.alloc(length);
    await handle.read(header, 0, length, PREAMBLE_BYTES + lengthBytes);
    const { descr, shape } = parseHeader(file, header.toString('latin1'));
    const count = elementCount(file, shape, WIDTHS[descr], size - dataStart);
    return { file, handle, descr, shape, dataStart, count };
  } catch (error) {
    await handle.close();
    throw error;
  }
}

function parseHeader(file: string, header: string): { descr: string; shape: number[] } {
  const descr = /'descr':\s*'([^']+)'/.exec(header)?.[1];
  const fortran = /'fortran_order':\s*(True|False)/.exec(header)?.[1];
  const shape = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1];
  if (!descr || !fortran || shape === undefined)
    throw npyError(file, `bad header ${header.trim()}`);
  if (fortran === 'True') throw npyError(file, 'Fortran (column-major) order is not supported');
  if (!Object.hasOwn(WIDTHS, descr)) {
    throw npyError(
      file,
      `element type ${descr} is not supported (use float32, float16, float64 or integers)`,
    );
  }
  const parts = shape
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '');
  const dims = parts.map((part) => (SHAPE_ENTRY.test(part) ? Number(part) : Number.NaN));
  const bad = dims.findIndex((n) => !Number.isSafeInteger(n));
  if (bad >= 0) {
    throw npyError(file, `shape entry ${bad} is ${JSON.stringify(parts[bad])}, not a whole number`);
  }
  return { descr, shape: dims };
}

/**
 * The product of `shape`, checked before anything is allocated from it: the data it describes
 * (`count * width` bytes) must fit in the `available` bytes after the header.
 */
function elementCount(file: string, shape: number[], width: number, available: number): number {
  if (shape.includes(0)) return 0;
  let count = 1;
  for (const n of shape) {
    count *= n;
    if (count * width > available) {
      throw npyError(
        file,
        `shape (${shape.join(', ')}) needs more than the ${available} data bytes in the file`,
      );
    }
  }
  return count;
}

function checkRange(npy: NpyFile, first: number, count: number): void {
  const valid =
    Number.isSafeInteger(first) && Number.isSafeInteger(count) && first >= 0 && count >= 0;
  if (!valid || first + count > npy.count) {
    throw npyError(
      npy.file,
      `elements ${first}..${first + count} are outside its ${npy.count} elements`,
    );
  }
}

/** Reads elements `first` to `first + count - 1` (flat index) as float32. */
export async function readNpyFloats(
  npy: NpyFile,
  first: number,
  count: number,
): Promise<Float32Array> {
  checkRange(npy, first, count);
  const width = WIDTHS[npy.descr];
  const bytes = Buffer.alloc(count * width);
  const { bytesRead } = await npy.handle.read(
    bytes,
    0,
    bytes.length,
    npy.dataStart + first * width,
  );
  if (bytesRead !== bytes.length)
    throw npyError(npy.file, `cut short at element ${first + bytesRead / width}`);
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) out[i] = readElement(bytes, npy.descr, i * width);
  return out;
}

/** Reads a whole (small) integer or float array as numbers. */
export async function readNpyNumbers(file: string): Promise<{ shape: number[]; values: number[] }> {
  const npy = await openNpy(file);
  try {
    const count = npy.count;
    if (count > MAX_NUMBER_ELEMENTS) {
      throw npyError(
        file,
        `${count} elements, more than the ${MAX_NUMBER_ELEMENTS} read as numbers`,
      );
    }
    const width = WIDTHS[npy.descr];
    const bytes = Buffer.alloc(count * width);
    const { bytesRead } = await npy.handle.read(bytes, 0, bytes.length, npy.dataStart);
    if (bytesRead !== bytes.length) throw npyError(file, 'cut short');
    const values = Array.from({ length: count }, (_, i) =>
      readElement(bytes, npy.descr, i * width),
    );
    return { shape: npy.shape, values };
  } finally {
    await npy.handle.close();
  }
}

function readElement(bytes: Buffer, descr: string, at: number): number {
  switch (descr) {
    case '<f4':
      return bytes.readFloatLE(at);
    case '<f2':
      return halfToFloat(bytes.readUInt16LE(at));
    case '<f8':
      return bytes.readDoubleLE(at);
    case '<i4':
      return bytes.readInt32LE(at);
    case '<u4':
      return bytes.readUInt32LE(at);
    case '<i8':
      return Number(bytes.readBigInt64LE(at));
    default:
      return Number(bytes.readBigUInt64LE(at));
  }
}

/**
 * The bytes of a version 1.0 `.npy` header for a float32 (`<f4`) or int64 (`<i8`) array, padded
 * to a multiple of 64 bytes and to at least `minBytes` (so a header written before the row count
 * is known can be rewritten in place).
 */
export function npyHeader(descr: '<f4' | '<i8', shape: number[], minBytes = 0): Buffer {
  const dims = shape.length === 1 ? `${shape[0]},` : shape.join(', ');
  const dict = `{'descr': '${descr}', 'fortran_order': False, 'shape': (${dims}), }`;
  const unpadded = Math.max(PREAMBLE_BYTES + 2 + dict.length + 1, minBytes);
  const aligned = Math.ceil(unpadded / HEADER_ALIGNMENT) * HEADER_ALIGNMENT;
  const padding = aligned - (PREAMBLE_BYTES + 2 + dict.length + 1);
  const header = `${dict}${' '.repeat(padding)}\n`;
  const preamble = Buffer.alloc(PREAMBLE_BYTES + 2);
  preamble.write(MAGIC, 0, 'latin1');
  preamble[6] = 1;
  preamble[7] = 0;
  preamble.writeUInt16LE(header.length, 8);
  return Buffer.concat([preamble, Buffer.from(header, 'latin1')]);
}
