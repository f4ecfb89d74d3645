/**
 * Reading and writing `.safetensors` files (the Hugging Face tensor format).
 *
 * Layout: 8 bytes little-endian unsigned header length N; N bytes of UTF-8 JSON mapping each
 * tensor name to `{ dtype, shape, data_offsets: [begin, end] }` (offsets relative to the byte
 * after the header) plus an optional `__metadata__` object of strings; then the data, row-major,
 * little-endian. This reader accepts F32, F16, BF16 and F64 tensors as Float32Array and the
 * integer types I64, I32, U32 as number arrays (for offsets and counts).
 */
import { open, writeFile } from 'node:fs/promises';
import { MuveraError } from '../errors.js';
import { halfToFloat } from './float16.js';

/** One tensor's entry in the header. */
export interface SafetensorsEntry {
  dtype: string;
  shape: number[];
  dataOffsets: [number, number];
}

/** An open file: its header and a reader for single tensors. */
export interface SafetensorsFile {
  file: string;
  tensors: Map<string, SafetensorsEntry>;
  metadata: Record<string, string>;
  /** Values of `name` as float32 (float types) or plain numbers (integer types). */
  read(name: string): Promise<{ shape: number[]; values: Float32Array | number[] }>;
  /** Elements `first` to `first + count - 1` (flat index) of float tensor `name`, as float32. */
  readRange(name: string, first: number, count: number): Promise<Float32Array>;
  close(): Promise<void>;
}

const HEADER_LENGTH_BYTES = 8;
/**
 * Largest header this reader accepts (the Hugging Face reference reader's limit is also 100 MB);
 * a header must also fit in the file, and is checked against its size before it is allocated.
 */
const MAX_HEADER_BYTES = 100 * 1024 * 1024;
const BYTES: Record<string, number> = { F32: 4, F16: 2, BF16: 2, F64: 8, I64: 8, I32: 4, U32: 4 };
const BFLOAT_SHIFT = 16;

/** Bytes per element of `dtype`, or undefined for a type this reader does not decode. */
function widthOf(dtype: unknown): number | undefined {
  return typeof dtype === 'string' && Object.hasOwn(BYTES, dtype) ? BYTES[dtype] : undefined;
}

function corrupt(file: string, problem: string): MuveraError {
  return new MuveraError('parse-error', `${file}: ${problem}`, { file });
}

/** Opens a safetensors file and parses its header; tensors are read on demand. */
export async function openSafetensors(file: string): Promise<SafetensorsFile> {
  const handle = await open(file, 'r').catch((cause) => {
    throw new MuveraError('not-found', `cannot open ${file}`, { file, cause });
  });
  try {
    const { size } = await handle.stat();
    const lengthBytes = Buffer.alloc(HEADER_LENGTH_BYTES);
    const { bytesRead } = await handle.read(lengthBytes, 0, HEADER_LENGTH_BYTES, 0);
    if (bytesRead < HEADER_LENGTH_BYTES) throw corrupt(file, 'shorter than its header length');
    const headerLength = Number(lengthBytes.readBigUInt64LE(0));
    const dataStart = HEADER_LENGTH_BYTES + headerLength;
    if (headerLength <= 0 || headerLength > MAX_HEADER_BYTES || dataStart > size) {
      throw corrupt(file, `header length ${headerLength} does not fit a ${size}-byte file`);
    }

    const headerBytes = Buffer.alloc(headerLength);
    await handle.read(headerBytes, 0, headerLength, HEADER_LENGTH_BYTES);
    const { tensors, metadata } = parseHeader(file, headerBytes.toString('utf8'), size - dataStart);
    const read = (name: string) => readTensor(file, handle, tensors, name, dataStart);
    const readRange = (name: string, first: number, count: number) =>
      readFloatRange(
        file,
        handle,
        tensors,
        name,
        dataStart,
        first * elementWidth(tensors, name),
        count,
      );
    return { file, tensors, metadata, read, readRange, close: () => handle.close() };
  } catch (error) {
    await handle.close();
    throw error;
  }
}

/** Parses the header; every tensor's shape and byte range is checked against `dataBytes`. */
function parseHeader(file: string, text: string, dataBytes: number) {
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(text);
  } catch (cause) {
    throw new MuveraError('parse-error', `${file}: header is not JSON`, { file, cause });
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw corrupt(file, 'header is not a JSON object');
  }
  const tensors = new Map<string, SafetensorsEntry>();
  let metadata: Record<string, string> = {};
  for (const [name, value] of Object.entries(raw)) {
    if (name === '__metadata__') {
      metadata = value as Record<string, string>;
      continue;
    }
    const entry = value as { dtype: string; shape: number[]; data_offsets: [number, number] };
    if (!Array.isArray(entry?.shape) || !Array.isArray(entry?.data_offsets)) {
      throw corrupt(file, `tensor ${JSON.stringify(name)} lacks shape or data_offsets`);
    }
    const checked = { dtype: entry.dtype, shape: entry.shape, dataOffsets: entry.data_offsets };
    checkEntry(file, name, checked, dataBytes);
    tensors.set(name, checked);
  }
  return { tensors, metadata };
}

const isCount = (n: unknown): n is number => Number.isSafeInteger(n) && (n as number) >= 0;

/**
 * Checks one tensor before anything is allocated from it: whole non-negative shape entries and
 * offsets, a byte range inside the `dataBytes` after the header, and (for a dtype this reader
 * decodes) a range length equal to what the shape needs. Other dtypes fail only when read.
 */
function checkEntry(file: string, name: string, entry: SafetensorsEntry, dataBytes: number) {
  const label = `tensor ${JSON.stringify(name)}`;
  if (!entry.shape.every(isCount)) {
    throw corrupt(file, `${label} has shape ${JSON.stringify(entry.shape)}, not whole numbers`);
  }
  const [begin, end] = entry.dataOffsets;
  const inFile = isCount(begin) && isCount(end) && begin <= end && end <= dataBytes;
  if (entry.dataOffsets.length !== 2 || !inFile) {
    throw corrupt(
      file,
      `${label} spans bytes ${JSON.stringify(entry.dataOffsets)}, outside the ${dataBytes} data bytes`,
    );
  }
  const width = widthOf(entry.dtype);
  const needed = entry.shape.reduce((a, b) => a * b, width ?? 0);
  if (width !== undefined && end - begin !== needed) {
    throw corrupt(file, `${label} spans ${end - begin} bytes, shape needs ${needed}`);
  }
}

async function readTensor(
  file: string,
  handle: import('node:fs/promises').FileHandle,
  tensors: Map<string, SafetensorsEntry>,
  name: string,
  dataStart: number,
) {
  const entry = tensors.get(name);
  if (!entry) {
    throw new MuveraError('not-found', `${file} has no tensor ${JSON.stringify(name)}`, {
      file,
      parameter: name,
      expected: [...tensors.keys()].join(', '),
    });
  }
  const width = widthOf(entry.dtype);
  const count = entry.shape.reduce((a, b) => a * b, 1);
  const [begin, end] = entry.dataOffsets;
  if (width === undefined)
    throw corrupt(file, `tensor ${name} has unsupported dtype ${entry.dtype}`);
  if (end - begin !== count * width) {
    throw corrupt(file, `tensor ${name} spans ${end - begin} bytes, shape needs ${count * width}`);
  }
  const bytes = Buffer.alloc(end - begin);
  const { bytesRead } = await handle.read(bytes, 0, bytes.length, dataStart + begin);
  if (bytesRead !== bytes.length) throw corrupt(file, `tensor ${name} is cut short`);
  return { shape: entry.shape, values: decode(bytes, entry.dtype, count) };
}

function elementWidth(tensors: Map<string, SafetensorsEntry>, name: string): number {
  return widthOf(tensors.get(name)?.dtype) ?? 0;
}

async function readFloatRange(
  file: string,
  handle: import('node:fs/promises').FileHandle,
  tensors: Map<string, SafetensorsEntry>,
  name: string,
  dataStart: number,
  at: number,
  count: number,
): Promise<Float32Array> {
  const entry = tensors.get(name);
  if (!entry || !['F32', 'F16', 'BF16', 'F64'].includes(entry.dtype)) {
    throw corrupt(file, `no float tensor ${JSON.stringify(name)}`);
  }
  const width = BYTES[entry.dtype];
  const [begin, end] = entry.dataOffsets;
  const valid = isCount(at) && isCount(count) && at % width === 0;
  if (!valid || at + count * width > end - begin) {
    throw corrupt(
      file,
      `elements ${at / width}..${at / width + count} are outside tensor ${JSON.stringify(name)}`,
    );
  }
  const bytes = Buffer.alloc(count * width);
  const { bytesRead } = await handle.read(bytes, 0, bytes.length, dataStart + at + begin);
  if (bytesRead !== bytes.length) throw corrupt(file, `tensor ${name} is cut short`);
  return decode(bytes, entry.dtype, count) as Float32Array;
}

function decode(bytes: Buffer, dtype: string, count: number): Float32Array | number[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  const width = BYTES[dtype];
  if (dtype === 'I64' || dtype === 'I32' || dtype === 'U32') {
    return Array.from({ length: count }, (_, i) => readInteger(view, dtype, i * width));
  }
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) out[i] = readFloat(view, dtype, i * width);
  return out;
}

function readInteger(view: DataView, dtype: string, at: number): number {
  if (dtype === 'I64') return Number(view.getBigInt64(at, true));
  return dtype === 'I32' ? view.getInt32(at, true) : view.getUint32(at, true);
}

function readFloat(view: DataView, dtype: string, at: number): number {
  if (dtype === 'F32') return view.getFloat32(at, true);
  if (dtype === 'F64') return view.getFloat64(at, true);
  if (dtype === 'F16') return halfToFloat(view.getUint16(at, true));
  const bits = new DataView(new ArrayBuffer(4));
  bits.setUint32(0, view.getUint16(at, true) << BFLOAT_SHIFT, true);
  return bits.getFloat32(0, true);
}

/** A tensor to write: float32 values, or integers stored as I64. */
export interface TensorToWrite {
  shape: number[];
  values: Float32Array | BigInt64Array;
}

/** Writes float32 / int64 tensors as a safetensors file. */
export async function writeSafetensors(
  file: string,
  tensors: Record<string, TensorToWrite>,
  metadata: Record<string, string> = {},
): Promise<void> {
  const header: Record<string, unknown> = { __metadata__: metadata };
  const parts: Uint8Array[] = [];
  let offset = 0;
  for (const [name, tensor] of Object.entries(tensors)) {
    const bytes = new Uint8Array(
      tensor.values.buffer,
      tensor.values.byteOffset,
      tensor.values.byteLength,
    );
    const dtype = tensor.values instanceof Float32Array ? 'F32' : 'I64';
    header[name] = { dtype, shape: tensor.shape, data_offsets: [offset, offset + bytes.length] };
    parts.push(bytes);
    offset += bytes.length;
  }
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const length = Buffer.alloc(HEADER_LENGTH_BYTES);
  length.writeBigUInt64LE(BigInt(json.length));
  await writeFile(file, Buffer.concat([length, json, ...parts]));
}

/** Every tensor of a safetensors file already in memory (small files: projection layers). */
export function parseSafetensors(
  bytes: Buffer,
  file: string,
): Map<string, { shape: number[]; values: Float32Array | number[] }> {
  if (bytes.length < HEADER_LENGTH_BYTES) throw corrupt(file, 'shorter than its header length');
  const headerLength = Number(bytes.readBigUInt64LE(0));
  const dataStart = HEADER_LENGTH_BYTES + headerLength;
  if (dataStart > bytes.length) throw corrupt(file, `header length ${headerLength} past the end`);
  const header = bytes.subarray(HEADER_LENGTH_BYTES, dataStart).toString();
  const { tensors } = parseHeader(file, header, bytes.length - dataStart);
  const out = new Map<string, { shape: number[]; values: Float32Array | number[] }>();
  for (const [name, entry] of tensors) {
    const width = widthOf(entry.dtype);
    const count = entry.shape.reduce((a, b) => a * b, 1);
    const [begin, end] = entry.dataOffsets;
    if (width === undefined)
      throw corrupt(file, `tensor ${name} has unsupported dtype ${entry.dtype}`);
    if (end - begin !== count * width || dataStart + end > bytes.length) {
      throw corrupt(
        file,
        `tensor ${name} spans bytes ${begin}..${end}, shape needs ${count * width}`,
      );
    }
    const slice = bytes.subarray(dataStart + begin, dataStart + end);
    out.set(name, { shape: entry.shape, values: decode(slice, entry.dtype, count) });
  }
  return out;
}
