/**
 * Bounded little-endian reading and writing of our file formats, and their checksum.
 *
 * Every reader of a stored file parses through {@link BoundedBytes}: each field read is checked
 * against the bytes really present, and every count or size is checked against what the file can
 * hold before anything is allocated from it, so a damaged or hostile file ends in a `corrupt-data`
 * error naming the file and the offset, never in a huge allocation or an untyped exception.
 *
 * The checksum is CRC-32 (IEEE) from `node:zlib` (hardware-assisted, several GB/s here; a
 * table-driven fallback serves Node versions before 20.15): it catches every burst error up to
 * 32 bits and every odd number of flipped bits, which is what torn writes and bit rot produce.
 */
import { endianness } from 'node:os';
import * as zlib from 'node:zlib';
import { MuveraError } from '../errors.js';

/** Alignment of records and blocks in our files, so typed-array views need no copy. */
export const ALIGNMENT = 8;

/** The reflected CRC-32 (IEEE 802.3) polynomial. */
const CRC32_POLYNOMIAL = 0xedb88320;
let crcTable: Uint32Array | null = null;

/** Table-driven CRC-32 for Node versions before 20.15, which lack `zlib.crc32`. */
function portableCrc32(bytes: Uint8Array, previous: number): number {
  if (crcTable === null) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? CRC32_POLYNOMIAL ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let crc = ~previous >>> 0;
  for (let i = 0; i < bytes.length; i++) crc = crcTable[(crc ^ bytes[i]) & 0xff] ^ (crc >>> 8);
  return ~crc >>> 0;
}

const nativeCrc32 = (zlib as { crc32?: (data: Uint8Array, value?: number) => number }).crc32;

/** CRC-32 of `bytes`, continuing from `previous` when given. */
export function crc32(bytes: Uint8Array, previous = 0): number {
  return nativeCrc32 ? nativeCrc32(bytes, previous) >>> 0 : portableCrc32(bytes, previous);
}

/** The portable implementation, exported for the test that pins it to the native one. */
export const crc32Portable = (bytes: Uint8Array, previous = 0): number =>
  portableCrc32(bytes, previous);

/** Rounds `n` up to a multiple of {@link ALIGNMENT}. */
export function align(n: number): number {
  return Math.ceil(n / ALIGNMENT) * ALIGNMENT;
}

/** Our formats are little-endian and read through typed-array views, which use host order. */
export function requireLittleEndian(): void {
  if (endianness() !== 'LE') {
    throw new MuveraError('unavailable', 'muvera storage needs a little-endian host', {
      expected: 'LE',
      actual: endianness(),
    });
  }
}

/** The error for bytes that fail a check: names the file, the offset and what was wrong. */
export function corruptData(
  file: string,
  offset: number,
  problem: string,
  details: { expected?: unknown; actual?: unknown } = {},
): MuveraError {
  return new MuveraError('corrupt-data', `${file} is damaged at byte ${offset}: ${problem}`, {
    file,
    offset,
    ...details,
    remedy: 'Restore the file from a backup, or rebuild it from the collection if it is derived',
  });
}

/** The error for a file written by a newer format version than this build reads. */
export function unsupportedVersion(
  file: string,
  kind: string,
  found: number,
  newest: number,
): MuveraError {
  return new MuveraError(
    'unsupported-version',
    `${file} is a ${kind} of format version ${found}, newer than version ${newest} that this build reads`,
    {
      file,
      offset: 0,
      expected: `at most ${newest}`,
      actual: found,
      remedy: 'Upgrade muvera to read it',
    },
  );
}

/** Read-only, bounds-checked view of a file's bytes (see the module comment). */
export class BoundedBytes {
  private readonly view: DataView;

  constructor(
    readonly bytes: Uint8Array,
    readonly file: string,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  get length(): number {
    return this.bytes.length;
  }

  /** Throws `corrupt-data` unless `[offset, offset + size)` lies inside the bytes. */
  need(offset: number, size: number, what: string): void {
    if (
      !Number.isSafeInteger(offset) ||
      !Number.isSafeInteger(size) ||
      offset < 0 ||
      size < 0 ||
      offset + size > this.length
    ) {
      throw corruptData(
        this.file,
        Math.max(0, Math.min(offset, this.length)),
        `${what} needs bytes ${offset} to ${offset + size} but the file has ${this.length}`,
        {
          expected: `at least ${offset + size} bytes`,
          actual: this.length,
        },
      );
    }
  }

  u8(offset: number, what: string): number {
    this.need(offset, 1, what);
    return this.view.getUint8(offset);
  }

  u16(offset: number, what: string): number {
    this.need(offset, 2, what);
    return this.view.getUint16(offset, true);
  }

  u32(offset: number, what: string): number {
    this.need(offset, 4, what);
    return this.view.getUint32(offset, true);
  }

  /** A u64 field; `corrupt-data` when it exceeds 2^53 (no file of ours holds such a value). */
  u64(offset: number, what: string): number {
    this.need(offset, 8, what);
    const value = this.view.getBigUint64(offset, true);
    if (value > BigInt(Number.MAX_SAFE_INTEGER)) {
      throw corruptData(this.file, offset, `${what} is ${value}, beyond any plausible size`);
    }
    return Number(value);
  }

  /** Checks a count or size read from the file against `[min, max]`. */
  bounded(value: number, min: number, max: number, offset: number, what: string): number {
    if (value < min || value > max) {
      throw corruptData(this.file, offset, `${what} is ${value}, outside ${min} to ${max}`, {
        expected: `${min} to ${max}`,
        actual: value,
      });
    }
    return value;
  }

  /** Checks that the bytes at `offset` equal `magic`. */
  magic(offset: number, magic: Uint8Array, what: string): void {
    this.need(offset, magic.length, what);
    for (let i = 0; i < magic.length; i++) {
      if (this.bytes[offset + i] !== magic[i]) {
        throw corruptData(
          this.file,
          offset,
          `${what} has the wrong magic bytes (not one of our files, or damaged)`,
        );
      }
    }
  }

  /** Checks the CRC-32 of `[start, end)` against the u32 stored at `at`. */
  checksum(start: number, end: number, at: number, what: string): number {
    this.need(start, end - start, what);
    const stored = this.u32(at, `${what} checksum`);
    const actual = crc32(this.bytes.subarray(start, end));
    if (stored !== actual) {
      throw corruptData(this.file, start, `${what} checksum mismatch`, {
        expected: stored,
        actual,
      });
    }
    return stored;
  }
}

/** Little-endian writing into a fixed-size buffer (headers, directories, records). */
export class ByteWriter {
  readonly bytes: Uint8Array;
  private readonly view: DataView;

  constructor(size: number) {
    this.bytes = new Uint8Array(size);
    this.view = new DataView(this.bytes.buffer);
  }

  u8(offset: number, value: number): this {
    this.view.setUint8(offset, value);
    return this;
  }

  u16(offset: number, value: number): this {
    this.view.setUint16(offset, value, true);
    return this;
  }

  u32(offset: number, value: number): this {
    this.view.setUint32(offset, value >>> 0, true);
    return this;
  }

  u64(offset: number, value: number): this {
    this.view.setBigUint64(offset, BigInt(value), true);
    return this;
  }

  put(offset: number, bytes: Uint8Array): this {
    this.bytes.set(bytes, offset);
    return this;
  }

  /** The u32 stored at `offset` (e.g. a checksum just written). */
  checksumAt(offset: number): number {
    return this.view.getUint32(offset, true);
  }

  /** Stores the CRC-32 of `[start, end)` at `at`. */
  checksum(start: number, end: number, at: number): this {
    return this.u32(at, crc32(this.bytes.subarray(start, end)));
  }
}

/** ASCII bytes of a magic string. */
export function magicBytes(text: string): Uint8Array {
  return Uint8Array.from(text, (c) => c.charCodeAt(0));
}
