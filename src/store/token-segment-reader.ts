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
 *
 * For collections larger than memory, the `paged` option keeps only the header and directory in
 * memory and reads each document with one positional read when `get` asks for it (checking its
 * block checksum then), so memory stays bounded at the cost of one read and copy per document.
 */
import type { EncodedTokens } from '../chamfer/precision.js';
import { DEFAULTS } from '../defaults.js';
import { invalidArgument } from '../errors.js';
import { BoundedBytes, corruptData, crc32, requireLittleEndian } from './binary.js';
import { type FileHandle, type FileSystem, tooLarge } from './file-system.js';
import {
  BYTES_PER_VALUE,
  blockShape,
  DIRECTORY_ENTRY_BYTES,
  ENTRY,
  MAX_HEADER_BYTES,
  readSegmentHeader,
  type SegmentLayout,
} from './token-format.js';

/** Options of {@link TokenSegmentReader.open}. */
export interface SegmentReaderOptions {
  /** Check every block checksum now (loaded readers). Default `DEFAULTS.store.verifyOnOpen`. */
  verify?: boolean;
  /**
   * Read documents from the file on each `get` instead of loading the segment: memory stays
   * bounded by the header and directory, at the cost of one read and one copy per document.
   * Paged readers always check a document's checksum when reading it. Default false.
   */
  paged?: boolean;
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

/** Where a reader gets a segment's bytes: the whole file in memory, or positional reads. */
interface SegmentSource {
  readonly file: string;
  readonly length: number;
  /** True when each `bytes` call reads from the file (a fresh buffer) instead of memory. */
  readonly paged: boolean;
  /** `length` bytes at `offset` (inside the file), starting at an 8-aligned buffer offset. */
  bytes(offset: number, length: number): Uint8Array;
  close(): void;
}

/** The whole segment in one buffer: views share it, nothing is copied. */
function loadedSource(bytes: Uint8Array, file: string): SegmentSource {
  return {
    file,
    length: bytes.length,
    paged: false,
    bytes: (offset, length) => bytes.subarray(offset, offset + length),
    close: () => {},
  };
}

/** Positional reads through an open handle: one read (and one buffer) per document. */
function pagedSource(handle: FileHandle): SegmentSource {
  return {
    file: handle.path,
    length: handle.size(),
    paged: true,
    bytes: (offset, length) => {
      const target = new Uint8Array(new ArrayBuffer(length));
      if (handle.readInto(target, offset) !== length) {
        throw corruptData(handle.path, offset, 'the file ended early (changed while open?)');
      }
      return target;
    },
    close: () => handle.close(),
  };
}

/** An open token segment: counts, layout, and access to each document. */
export class TokenSegmentReader {
  readonly layout: SegmentLayout;
  readonly numDocuments: number;
  readonly numTokens: number;
  /** The header CRC-32, as recorded in the manifest. */
  readonly checksum: number;
  private readonly entries: BoundedBytes;
  private readonly directoryOffset: number;

  private constructor(
    private readonly source: SegmentSource,
    private readonly verify: boolean,
  ) {
    const headBytes = Math.min(source.length, MAX_HEADER_BYTES);
    const header = readSegmentHeader(
      new BoundedBytes(source.bytes(0, headBytes), source.file),
      source.length,
    );
    this.layout = header.layout;
    this.numDocuments = header.numDocuments;
    this.numTokens = header.numTokens;
    this.checksum = header.checksum;
    this.directoryOffset = header.directoryOffset;
    const directory = source.bytes(header.directoryOffset, source.length - header.directoryOffset);
    if (crc32(directory) !== header.directoryCrc) {
      throw corruptData(
        source.file,
        header.directoryOffset,
        'the segment directory checksum mismatch',
        {
          expected: header.directoryCrc,
          actual: crc32(directory),
        },
      );
    }
    this.entries = new BoundedBytes(directory, source.file);
    this.checkDirectory(header.headerBytes, verify && !source.paged);
  }

  /**
   * Opens and checks a segment file (see the module comment). With `paged`, only the header and
   * directory are read now; each `get` then reads its document (and checks its checksum).
   */
  static open(
    fs: FileSystem,
    path: string,
    options: SegmentReaderOptions = {},
  ): TokenSegmentReader {
    requireLittleEndian();
    const maxBytes = options.maxBytes ?? DEFAULTS.store.maxSegmentBytes;
    const reader = options.paged
      ? TokenSegmentReader.openPaged(fs, path, maxBytes)
      : new TokenSegmentReader(
          loadedSource(fs.readFile(path, maxBytes), path),
          options.verify ?? DEFAULTS.store.verifyOnOpen,
        );
    const expected = options.expected;
    if (
      expected &&
      (expected.length !== reader.byteLength || expected.checksum !== reader.checksum)
    ) {
      reader.close();
      throw corruptData(path, 0, 'the segment differs from the one the manifest names', {
        expected,
        actual: { length: reader.byteLength, checksum: reader.checksum },
      });
    }
    return reader;
  }

  private static openPaged(fs: FileSystem, path: string, maxBytes: number): TokenSegmentReader {
    const handle = fs.open(path, 'read');
    try {
      if (handle.size() > maxBytes) throw tooLarge(path, handle.size(), maxBytes);
      return new TokenSegmentReader(pagedSource(handle), true);
    } catch (error) {
      handle.close();
      throw error;
    }
  }

  /** Parses segment bytes already in memory (`file` names them in errors). */
  static fromBytes(
    bytes: Uint8Array,
    file: string,
    verify = DEFAULTS.store.verifyOnOpen,
  ): TokenSegmentReader {
    requireLittleEndian();
    return new TokenSegmentReader(loadedSource(bytes, file), verify);
  }

  /** The file this segment was read from. */
  get file(): string {
    return this.source.file;
  }

  /** Bytes of the segment file. */
  get byteLength(): number {
    return this.source.length;
  }

  /** True when documents are read from the file on each `get` (the `paged` option). */
  get paged(): boolean {
    return this.source.paged;
  }

  /** Releases the file of a paged reader (no-op for a loaded one). Idempotent. */
  close(): void {
    this.source.close();
  }

  /** Token rows of document `index`. */
  numTokensOf(index: number): number {
    return this.entry(index, ENTRY.numTokens);
  }

  /** Row offset of document `index`: the rows of the documents before it in this segment. */
  firstRowOf(index: number): number {
    return this.entries.u64(this.at(index) + ENTRY.firstRow, 'first row');
  }

  /**
   * Document `index` as typed-array views: into the loaded segment (no copy; do not modify), or,
   * for a paged reader, into a buffer read for this call (its block checksum checked).
   */
  get(index: number): EncodedTokens {
    const blockOffset = this.entries.u64(this.at(index) + ENTRY.blockOffset, 'block offset');
    const numTokens = this.numTokensOf(index);
    const { dim, precision, scaleMode } = this.layout;
    const shape = blockShape(this.layout, numTokens);
    const block = this.source.bytes(blockOffset, shape.blockBytes);
    if (this.source.paged && this.verify) this.checkBlock(index, blockOffset, block);

    const { buffer, byteOffset: start } = block;
    const count = numTokens * dim;
    if (precision === 'float32') {
      return { precision, dim, numTokens, values: new Float32Array(buffer, start, count) };
    }
    if (precision === 'float16') {
      return { precision, dim, numTokens, values: new Uint16Array(buffer, start, count) };
    }
    const values = new Int8Array(buffer, start, count);
    const scales = new Float32Array(buffer, start + shape.scalesAt, shape.numScales);
    return { precision, dim, numTokens, values, scales, scaleMode };
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
      if (verify) this.checkBlock(i, blockOffset, this.source.bytes(blockOffset, blockBytes));
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

  private checkBlock(index: number, offset: number, block: Uint8Array): void {
    const stored = this.entries.u32(this.at(index) + ENTRY.blockCrc, 'block checksum');
    const actual = crc32(block);
    if (actual !== stored) {
      throw corruptData(this.file, offset, `document ${index} fails its checksum`, {
        expected: stored,
        actual,
      });
    }
  }
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
