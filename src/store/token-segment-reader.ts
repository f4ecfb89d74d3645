/**
 * Reads a finished token segment (format in token-format.ts) with no copying of token values.
 *
 * Node has no mmap, so a segment is read into one ArrayBuffer (segments are bounded by
 * `store.maxSegmentBytes`, 256 MiB by default, so a large collection is many segments) and
 * `get(i)` hands out typed-array views at the block's 8-aligned offset. Before any view exists,
 * every size and offset in the header and directory is checked against the file's real length
 * and the format's caps, and the header and directory checksums are checked; block checksums are
 * checked at open too unless `verify` is off. Any failure is `corrupt-data` naming the file and
 * the offset; a newer format version is `unsupported-version`.
 */
import type { EncodedTokens, Precision, ScaleMode } from '../chamfer/precision.js';
import { DEFAULTS } from '../defaults.js';
import { invalidArgument } from '../errors.js';
import {
  BoundedBytes,
  corruptData,
  crc32,
  requireLittleEndian,
  unsupportedVersion,
} from './binary.js';
import type { FileSystem } from './file-system.js';
import {
  BYTES_PER_VALUE,
  blockShape,
  DIRECTORY_ENTRY_BYTES,
  ENTRY,
  HEADER,
  MAX_DIM,
  MAX_HEADER_BYTES,
  PRECISION_CODES,
  SCALE_MODE_CODES,
  SEGMENT_FORMAT_VERSION,
  SEGMENT_HEADER_BYTES,
  SEGMENT_MAGIC,
  type SegmentLayout,
} from './token-format.js';

/** Options of {@link TokenSegmentReader.open}. */
export interface SegmentReaderOptions {
  /** Check every block checksum now. Default `DEFAULTS.store.verifyOnOpen`. */
  verify?: boolean;
  /** Refuse larger files as damaged. Default `DEFAULTS.store.maxSegmentBytes`. */
  maxBytes?: number;
  /** What the manifest recorded; a different length or checksum is `corrupt-data`. */
  expected?: { length: number; checksum: number };
}

/** Storage figures of one segment or of a whole token store. */
export interface TokenStoreStats {
  segments: number;
  numDocuments: number;
  numTokens: number;
  /** Bytes of the segment files. */
  fileBytes: number;
  /** fileBytes / numTokens: what one stored token really costs, headers and padding included. */
  bytesPerToken: number;
  /** Bytes of values alone per token (dim x bytes per value), for comparison. */
  valueBytesPerToken: number;
}

const PRECISION_BY_CODE = new Map(
  Object.entries(PRECISION_CODES).map(([name, code]) => [code, name as Precision]),
);
const SCALE_MODE_BY_CODE = new Map(
  Object.entries(SCALE_MODE_CODES).map(([name, code]) => [code, name]),
);

/** A loaded token segment: counts, layout, and zero-copy access to each document. */
export class TokenSegmentReader {
  readonly layout: SegmentLayout;
  readonly numDocuments: number;
  readonly numTokens: number;
  /** The header CRC-32, as recorded in the manifest. */
  readonly checksum: number;
  private readonly entries: BoundedBytes;
  private readonly directoryOffset: number;

  private constructor(
    private readonly data: BoundedBytes,
    verify: boolean,
  ) {
    const header = readHeader(data);
    this.layout = header.layout;
    this.numDocuments = header.numDocuments;
    this.numTokens = header.numTokens;
    this.checksum = header.checksum;
    this.directoryOffset = header.directoryOffset;
    this.entries = new BoundedBytes(data.bytes.subarray(header.directoryOffset), data.file);
    this.checkDirectory(header.headerBytes, verify);
  }

  /** Reads and checks a segment file (see the module comment). */
  static open(
    fs: FileSystem,
    path: string,
    options: SegmentReaderOptions = {},
  ): TokenSegmentReader {
    requireLittleEndian();
    const bytes = fs.readFile(path, options.maxBytes ?? DEFAULTS.store.maxSegmentBytes);
    const reader = TokenSegmentReader.fromBytes(bytes, path, options.verify);
    const expected = options.expected;
    if (expected && (expected.length !== bytes.length || expected.checksum !== reader.checksum)) {
      throw corruptData(path, 0, 'the segment differs from the one the manifest names', {
        expected,
        actual: { length: bytes.length, checksum: reader.checksum },
      });
    }
    return reader;
  }

  /** Parses segment bytes already in memory (`file` names them in errors). */
  static fromBytes(
    bytes: Uint8Array,
    file: string,
    verify = DEFAULTS.store.verifyOnOpen,
  ): TokenSegmentReader {
    requireLittleEndian();
    return new TokenSegmentReader(new BoundedBytes(bytes, file), verify);
  }

  /** The file this segment was read from. */
  get file(): string {
    return this.data.file;
  }

  /** Bytes of the segment file. */
  get byteLength(): number {
    return this.data.length;
  }

  /** Token rows of document `index`. */
  numTokensOf(index: number): number {
    return this.entry(index, ENTRY.numTokens);
  }

  /** Row offset of document `index`: the rows of the documents before it in this segment. */
  firstRowOf(index: number): number {
    return this.entries.u64(this.at(index) + ENTRY.firstRow, 'first row');
  }

  /** Document `index` as typed-array views into the loaded segment (no copy; do not modify). */
  get(index: number): EncodedTokens {
    const blockOffset = this.entries.u64(this.at(index) + ENTRY.blockOffset, 'block offset');
    const numTokens = this.numTokensOf(index);
    const { dim, precision, scaleMode } = this.layout;
    const shape = blockShape(this.layout, numTokens);
    const buffer = this.data.bytes.buffer;
    const start = this.data.bytes.byteOffset + blockOffset;
    const count = numTokens * dim;
    if (precision === 'float32')
      return { precision, dim, numTokens, values: new Float32Array(buffer, start, count) };
    if (precision === 'float16')
      return { precision, dim, numTokens, values: new Uint16Array(buffer, start, count) };
    const scales = new Float32Array(buffer, start + shape.scalesAt, shape.numScales);
    return {
      precision,
      dim,
      numTokens,
      values: new Int8Array(buffer, start, count),
      scales,
      scaleMode,
    };
  }

  /** Storage figures of this segment. */
  stats(): TokenStoreStats {
    return tokenStoreStats([this]);
  }

  private at(index: number): number {
    if (!Number.isInteger(index) || index < 0 || index >= this.numDocuments) {
      throw invalidArgument('index', `a document index from 0 to ${this.numDocuments - 1}`, index);
    }
    return index * DIRECTORY_ENTRY_BYTES;
  }

  private entry(index: number, field: number): number {
    return this.entries.u32(this.at(index) + field, 'directory entry');
  }

  /** Every entry: contiguous blocks, running row offsets, token counts that fit, block CRCs. */
  private checkDirectory(headerBytes: number, verify: boolean): void {
    let expectedOffset = headerBytes;
    let rows = 0;
    for (let i = 0; i < this.numDocuments; i++) {
      const at = i * DIRECTORY_ENTRY_BYTES;
      const fileAt = this.directoryOffset + at;
      const blockOffset = this.entries.u64(at + ENTRY.blockOffset, 'block offset');
      if (blockOffset !== expectedOffset) {
        throw corruptData(
          this.file,
          fileAt,
          `document ${i} starts at ${blockOffset}, not ${expectedOffset}`,
        );
      }
      if (this.entries.u64(at + ENTRY.firstRow, 'first row') !== rows) {
        throw corruptData(
          this.file,
          fileAt + ENTRY.firstRow,
          `document ${i} has a wrong first row`,
          { expected: rows },
        );
      }
      const room = this.directoryOffset - blockOffset;
      const maxTokens = Math.floor(
        room / (this.layout.dim * BYTES_PER_VALUE[this.layout.precision]),
      );
      const numTokens = this.entries.bounded(
        this.entries.u32(at + ENTRY.numTokens, 'tokens'),
        0,
        maxTokens,
        fileAt + ENTRY.numTokens,
        'token count',
      );
      const blockBytes = blockShape(this.layout, numTokens).blockBytes;
      if (blockBytes > room)
        throw corruptData(this.file, fileAt, `document ${i} runs past the directory`);
      if (verify)
        this.checkBlock(
          i,
          blockOffset,
          blockBytes,
          this.entries.u32(at + ENTRY.blockCrc, 'block checksum'),
        );
      expectedOffset = blockOffset + blockBytes;
      rows += numTokens;
    }
    if (expectedOffset !== this.directoryOffset || rows !== this.numTokens) {
      throw corruptData(
        this.file,
        this.directoryOffset,
        'the blocks do not add up to the header counts',
        {
          expected: { directoryOffset: this.directoryOffset, numTokens: this.numTokens },
          actual: { directoryOffset: expectedOffset, numTokens: rows },
        },
      );
    }
  }

  private checkBlock(index: number, offset: number, length: number, stored: number): void {
    const actual = crc32(this.data.bytes.subarray(offset, offset + length));
    if (actual !== stored) {
      throw corruptData(this.file, offset, `document ${index} fails its checksum`, {
        expected: stored,
        actual,
      });
    }
  }
}

/** Parsed and checked header fields. */
interface SegmentHeader {
  layout: SegmentLayout;
  headerBytes: number;
  numDocuments: number;
  numTokens: number;
  directoryOffset: number;
  checksum: number;
}

/** Checks magic, header size, header CRC, version, layout codes and the sizes against the file. */
function readHeader(data: BoundedBytes): SegmentHeader {
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
  if (fileBytes !== data.length) {
    throw corruptData(
      data.file,
      Math.min(fileBytes, data.length),
      `the header says ${fileBytes} bytes but the file has ${data.length} (truncated or extended)`,
      {
        expected: fileBytes,
        actual: data.length,
      },
    );
  }
  const directoryOffset = data.bounded(
    data.u64(HEADER.directoryOffset, 'directory offset'),
    headerBytes,
    data.length,
    HEADER.directoryOffset,
    'directory offset',
  );
  const maxDocuments = Math.floor((data.length - directoryOffset) / DIRECTORY_ENTRY_BYTES);
  const numDocuments = data.bounded(
    data.u32(HEADER.numDocuments, 'documents'),
    0,
    maxDocuments,
    HEADER.numDocuments,
    'document count',
  );
  if (directoryOffset + numDocuments * DIRECTORY_ENTRY_BYTES !== data.length) {
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
  data.checksum(directoryOffset, data.length, HEADER.directoryCrc, 'the segment directory');
  return { layout, headerBytes, numDocuments, numTokens, directoryOffset, checksum };
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

/** Storage figures summed over several segments of one layout. */
export function tokenStoreStats(segments: readonly TokenSegmentReader[]): TokenStoreStats {
  let numDocuments = 0;
  let numTokens = 0;
  let fileBytes = 0;
  for (const segment of segments) {
    numDocuments += segment.numDocuments;
    numTokens += segment.numTokens;
    fileBytes += segment.byteLength;
  }
  const layout = segments[0]?.layout;
  const valueBytesPerToken = layout ? layout.dim * BYTES_PER_VALUE[layout.precision] : 0;
  return {
    segments: segments.length,
    numDocuments,
    numTokens,
    fileBytes,
    bytesPerToken: numTokens === 0 ? 0 : fileBytes / numTokens,
    valueBytesPerToken,
  };
}
