/**
 * The token segment format: document token matrices stored for exact Chamfer re-ranking.
 *
 * A segment file holds the token matrices of many documents in one precision (float32, float16
 * bits, or int8 codes with float32 scales, as `src/chamfer/precision.ts` defines them). Layout,
 * little-endian, every block 8-byte aligned so values are read through typed-array views:
 *
 *     header      64 bytes   magic, version, dim, precision, scale mode, counts, offsets, CRCs
 *     blocks      one per document: values, zero padding to 8, [scales, zero padding to 8]
 *     directory   24 bytes per document: block offset, first row, token count, block CRC
 *
 * The header's CRC covers the directory's CRC, which covers every block's CRC, so the header CRC
 * names the whole segment (the manifest stores it as the segment's checksum). docs/storage.md
 * gives every field with its offset.
 */
import type { EncodedTokens, Precision, ScaleMode } from '../chamfer/precision.js';
import { invalidArgument, MuveraError } from '../errors.js';
import { align, type BoundedBytes, corruptData, magicBytes, unsupportedVersion } from './binary.js';

/** The first eight bytes of every token segment. */
export const SEGMENT_MAGIC = magicBytes('MUVRTOKS');
/** The format version this build writes; it reads this one and older ones. */
export const SEGMENT_FORMAT_VERSION = 1;
/** Header size of version 1. */
export const SEGMENT_HEADER_BYTES = 64;
/** Bytes of one directory entry. */
export const DIRECTORY_ENTRY_BYTES = 24;
/** Widest token vector a segment may hold; a larger `dim` read from a file is damage. */
export const MAX_DIM = 65536;
/** Largest header a reader considers (a later version may grow it). */
export const MAX_HEADER_BYTES = 4096;

/** Header field offsets (version 1). The first 16 bytes keep their meaning in every version. */
export const HEADER = Object.freeze({
  magic: 0,
  version: 8,
  headerBytes: 10,
  dim: 12,
  precision: 16,
  scaleMode: 17,
  numDocuments: 20,
  numTokens: 24,
  directoryOffset: 32,
  fileBytes: 40,
  directoryCrc: 48,
  headerCrc: 60,
});

/** Directory entry field offsets. */
export const ENTRY = Object.freeze({ blockOffset: 0, firstRow: 8, numTokens: 16, blockCrc: 20 });

/** On-disk codes of precisions and scale modes (0 is never valid, so zeroed bytes are caught). */
export const PRECISION_CODES: Readonly<Record<Precision, number>> = Object.freeze({
  float32: 1,
  float16: 2,
  int8: 3,
});
export const SCALE_MODE_CODES: Readonly<Record<ScaleMode | 'none', number>> = Object.freeze({
  none: 0,
  token: 1,
  dimension: 2,
});

/** Bytes per stored value of each precision. */
export const BYTES_PER_VALUE: Readonly<Record<Precision, number>> = Object.freeze({
  float32: 4,
  float16: 2,
  int8: 1,
});

const FLOAT32_BYTES = 4;

/** The layout shared by every document of a segment. */
export interface SegmentLayout {
  dim: number;
  precision: Precision;
  /** int8 only; `undefined` for float32 and float16. */
  scaleMode?: ScaleMode;
}

/** Where the parts of one document block lie, relative to the block start. */
export interface BlockShape {
  valueBytes: number;
  /** Offset of the scales from the block start (values padded to 8). */
  scalesAt: number;
  numScales: number;
  /** Total block bytes, padding included. */
  blockBytes: number;
}

/** The shape of a block of `numTokens` rows in `layout`. */
export function blockShape(layout: SegmentLayout, numTokens: number): BlockShape {
  const valueBytes = numTokens * layout.dim * BYTES_PER_VALUE[layout.precision];
  const scalesAt = align(valueBytes);
  const numScales =
    layout.precision !== 'int8' ? 0 : layout.scaleMode === 'token' ? numTokens : layout.dim;
  return {
    valueBytes,
    scalesAt,
    numScales,
    blockBytes: align(scalesAt + numScales * FLOAT32_BYTES),
  };
}

/** Average stored bytes per token of a document of `numTokens` rows, padding and scales included. */
export function bytesPerToken(layout: SegmentLayout, numTokens: number): number {
  return (blockShape(layout, numTokens).blockBytes + DIRECTORY_ENTRY_BYTES) / numTokens;
}

/** Checks a segment layout given by a caller. */
export function validateLayout(layout: SegmentLayout): SegmentLayout {
  const { dim, precision, scaleMode } = layout;
  if (!Number.isInteger(dim) || dim < 1 || dim > MAX_DIM) {
    throw invalidArgument('dim', `an integer from 1 to ${MAX_DIM}`, dim);
  }
  if (!(precision in PRECISION_CODES)) {
    throw invalidArgument('precision', '"float32", "float16" or "int8"', precision);
  }
  if (precision === 'int8' && scaleMode !== 'token' && scaleMode !== 'dimension') {
    throw invalidArgument('scaleMode', '"token" or "dimension" for int8', scaleMode);
  }
  return { dim, precision, scaleMode: precision === 'int8' ? scaleMode : undefined };
}

const VALUE_TYPES: Readonly<Record<Precision, string>> = Object.freeze({
  float32: 'Float32Array',
  float16: 'Uint16Array',
  int8: 'Int8Array',
});

/** Checks that `tokens` fits `layout`: precision, dim, array types and lengths. */
export function validateEncoded(tokens: EncodedTokens, layout: SegmentLayout, name: string): void {
  const mismatch = (field: string, expected: unknown, actual: unknown) =>
    new MuveraError(
      'config-mismatch',
      `${name}.${field} is ${String(actual)} but the segment stores ${String(expected)}`,
      {
        parameter: `${name}.${field}`,
        expected,
        actual,
      },
    );
  if (tokens.precision !== layout.precision)
    throw mismatch('precision', layout.precision, tokens.precision);
  if (tokens.dim !== layout.dim) {
    throw new MuveraError(
      'dimension-mismatch',
      `${name} has dim ${tokens.dim} but the segment stores dim ${layout.dim}`,
      {
        parameter: `${name}.dim`,
        expected: layout.dim,
        actual: tokens.dim,
      },
    );
  }
  if (!Number.isInteger(tokens.numTokens) || tokens.numTokens < 0) {
    throw invalidArgument(`${name}.numTokens`, 'a non-negative integer', tokens.numTokens);
  }
  const valueType = VALUE_TYPES[layout.precision];
  if (
    tokens.values?.constructor.name !== valueType ||
    tokens.values.length !== tokens.numTokens * layout.dim
  ) {
    throw invalidArgument(
      `${name}.values`,
      `a ${valueType} of ${tokens.numTokens * layout.dim} values`,
      tokens.values,
    );
  }
  if (layout.precision !== 'int8') return;

  if (tokens.scaleMode !== layout.scaleMode)
    throw mismatch('scaleMode', layout.scaleMode, tokens.scaleMode);
  const numScales = blockShape(layout, tokens.numTokens).numScales;
  if (!(tokens.scales instanceof Float32Array) || tokens.scales.length !== numScales) {
    throw invalidArgument(`${name}.scales`, `a Float32Array of ${numScales} scales`, tokens.scales);
  }
}

const PRECISION_BY_CODE = new Map(
  Object.entries(PRECISION_CODES).map(([name, code]) => [code, name as Precision]),
);
const SCALE_MODE_BY_CODE = new Map(
  Object.entries(SCALE_MODE_CODES).map(([name, code]) => [code, name]),
);

/** Parsed and checked header fields. */
export interface SegmentHeader {
  layout: SegmentLayout;
  headerBytes: number;
  numDocuments: number;
  numTokens: number;
  directoryOffset: number;
  /** The stored CRC-32 of the directory. */
  directoryCrc: number;
  /** The header CRC-32. */
  checksum: number;
}

/**
 * Checks a segment header (`data` holds at least its first bytes): magic, header size, header
 * CRC, version, layout codes, and every size against `fileLength`, the real size of the file.
 * The directory CRC (at `HEADER.directoryCrc`) is left to the caller, which has the directory.
 */
export function readSegmentHeader(data: BoundedBytes, fileLength: number): SegmentHeader {
  data.need(0, SEGMENT_HEADER_BYTES, 'the segment header');
  data.magic(HEADER.magic, SEGMENT_MAGIC, 'the segment header');
  const headerBytes = data.bounded(
    data.u16(HEADER.headerBytes, 'header size'),
    SEGMENT_HEADER_BYTES,
    MAX_HEADER_BYTES,
    HEADER.headerBytes,
    'header size',
  );
  const checksum = data.checksum(0, headerBytes - 4, headerBytes - 4, 'the segment header');
  const version = data.u16(HEADER.version, 'format version');
  if (version > SEGMENT_FORMAT_VERSION)
    throw unsupportedVersion(data.file, 'token segment', version, SEGMENT_FORMAT_VERSION);
  data.bounded(version, 1, SEGMENT_FORMAT_VERSION, HEADER.version, 'format version');

  const layout = readLayout(data);
  const fileBytes = data.u64(HEADER.fileBytes, 'file size');
  if (fileBytes !== fileLength) {
    throw corruptData(
      data.file,
      Math.min(fileBytes, fileLength),
      `the header says ${fileBytes} bytes but the file has ${fileLength} (truncated or extended)`,
      {
        expected: fileBytes,
        actual: fileLength,
      },
    );
  }
  const directoryOffset = data.bounded(
    data.u64(HEADER.directoryOffset, 'directory offset'),
    headerBytes,
    fileLength,
    HEADER.directoryOffset,
    'directory offset',
  );
  const maxDocuments = Math.floor((fileLength - directoryOffset) / DIRECTORY_ENTRY_BYTES);
  const numDocuments = data.bounded(
    data.u32(HEADER.numDocuments, 'documents'),
    0,
    maxDocuments,
    HEADER.numDocuments,
    'document count',
  );
  if (directoryOffset + numDocuments * DIRECTORY_ENTRY_BYTES !== fileLength) {
    throw corruptData(
      data.file,
      directoryOffset,
      'the directory does not end at the end of the file',
    );
  }
  const maxTokens = Math.floor(directoryOffset / (layout.dim * BYTES_PER_VALUE[layout.precision]));
  const numTokens = data.bounded(
    data.u64(HEADER.numTokens, 'tokens'),
    0,
    maxTokens,
    HEADER.numTokens,
    'token count',
  );
  const directoryCrc = data.u32(HEADER.directoryCrc, 'directory checksum');
  return { layout, headerBytes, numDocuments, numTokens, directoryOffset, directoryCrc, checksum };
}

function readLayout(data: BoundedBytes): SegmentLayout {
  const dim = data.bounded(data.u32(HEADER.dim, 'dim'), 1, MAX_DIM, HEADER.dim, 'dim');
  const precision = PRECISION_BY_CODE.get(data.u8(HEADER.precision, 'precision'));
  if (precision === undefined)
    throw corruptData(data.file, HEADER.precision, 'unknown precision code');
  const mode = SCALE_MODE_BY_CODE.get(data.u8(HEADER.scaleMode, 'scale mode'));
  if (mode === undefined || (precision === 'int8') === (mode === 'none')) {
    throw corruptData(
      data.file,
      HEADER.scaleMode,
      `scale mode ${String(mode)} does not fit precision ${precision}`,
    );
  }
  return { dim, precision, scaleMode: mode === 'none' ? undefined : (mode as ScaleMode) };
}
