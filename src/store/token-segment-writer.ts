/**
 * Writes one token segment (format in token-format.ts): documents are appended one after the
 * other, gathered into a buffer of `store.writeBufferBytes` before each write call, and
 * `finish()` appends the directory, writes the final header over the placeholder at offset 0
 * and syncs the file. A segment is never modified after `finish()`: new documents go to a new
 * segment, and the manifest names which segments (and lengths and checksums) are live.
 *
 * Crash behaviour: until `finish()` returns, the file is incomplete (its placeholder header has
 * zero counts and no checksum), and no manifest names it, so recovery deletes it as an orphan.
 */
import type { EncodedTokens } from '../chamfer/precision.js';
import { DEFAULTS } from '../defaults.js';
import { MuveraError } from '../errors.js';
import { ByteWriter, crc32 } from './binary.js';
import { type FileHandle, type FileSystem, WriteFence } from './file-system.js';
import {
  blockShape,
  DIRECTORY_ENTRY_BYTES,
  ENTRY,
  HEADER,
  PRECISION_CODES,
  SCALE_MODE_CODES,
  SEGMENT_FORMAT_VERSION,
  SEGMENT_HEADER_BYTES,
  SEGMENT_MAGIC,
  type SegmentLayout,
  validateEncoded,
  validateLayout,
} from './token-format.js';

/** Options of {@link TokenSegmentWriter.create}. */
export interface SegmentWriterOptions {
  /** The segment may not grow past this many bytes. Default `DEFAULTS.store.maxSegmentBytes`. */
  maxBytes?: number;
  /** Bytes gathered before each write call. Default `DEFAULTS.store.writeBufferBytes`. */
  bufferBytes?: number;
  /** fdatasync in `finish()` (false only when durability is not wanted). Default true. */
  sync?: boolean;
}

/** What a finished segment is, as the manifest records it. */
export interface SegmentInfo {
  /** The path the segment was written to. */
  file: string;
  /** File length in bytes. */
  length: number;
  /** The header CRC-32, which covers the directory and every block. */
  checksum: number;
  numDocuments: number;
  numTokens: number;
}

/** Appends documents to a new token segment file (see the module comment). */
export class TokenSegmentWriter {
  private readonly fence: WriteFence;
  private readonly directory: DirectoryEntry[] = [];
  private chunks: Uint8Array[] = [];
  private chunkBytes = 0;
  private fileBytes = SEGMENT_HEADER_BYTES;
  private tokens = 0;

  private constructor(
    private readonly handle: FileHandle,
    readonly layout: SegmentLayout,
    private readonly options: Required<SegmentWriterOptions>,
  ) {
    this.fence = new WriteFence(`token segment ${handle.path}`);
  }

  /** Creates the file (it must not exist) and writes a placeholder header. */
  static create(
    fs: FileSystem,
    path: string,
    layout: SegmentLayout,
    options: SegmentWriterOptions = {},
  ): TokenSegmentWriter {
    const checked = validateLayout(layout);
    const settings = {
      maxBytes: options.maxBytes ?? DEFAULTS.store.maxSegmentBytes,
      bufferBytes: options.bufferBytes ?? DEFAULTS.store.writeBufferBytes,
      sync: options.sync ?? true,
    };
    const handle = fs.open(path, 'create');
    const writer = new TokenSegmentWriter(handle, checked, settings);
    try {
      writer.fence.run(() => handle.write(new Uint8Array(SEGMENT_HEADER_BYTES), 0));
    } catch (error) {
      handle.close();
      throw error;
    }
    return writer;
  }

  /** The file being written. */
  get file(): string {
    return this.handle.path;
  }

  /** Documents appended so far. */
  get numDocuments(): number {
    return this.directory.length;
  }

  /** Token rows appended so far. */
  get numTokens(): number {
    return this.tokens;
  }

  /** The size the file would have if finished now. */
  get projectedBytes(): number {
    return this.fileBytes + this.numDocuments * DIRECTORY_ENTRY_BYTES;
  }

  /** True when a document of `numTokens` rows still fits under the size limit. */
  hasRoomFor(numTokens: number): boolean {
    const added = blockShape(this.layout, numTokens).blockBytes + DIRECTORY_ENTRY_BYTES;
    return this.projectedBytes + added <= this.options.maxBytes;
  }

  /**
   * Appends one document; returns its index in the segment. Throws `limit-exceeded` when it does
   * not fit (check {@link hasRoomFor} and start a new segment), `closed` after a failed write.
   */
  append(tokens: EncodedTokens): number {
    this.fence.check();
    validateEncoded(tokens, this.layout, 'tokens');
    if (!this.hasRoomFor(tokens.numTokens)) {
      throw new MuveraError(
        'limit-exceeded',
        `a document of ${tokens.numTokens} tokens does not fit in segment ${this.file}`,
        {
          parameter: 'tokens.numTokens',
          expected: `a segment of at most ${this.options.maxBytes} bytes`,
          actual: this.projectedBytes,
          remedy: 'Start a new segment (or raise store.maxSegmentBytes for very large documents)',
        },
      );
    }
    const block = encodeBlock(tokens, this.layout);
    const entry = {
      blockOffset: this.fileBytes,
      firstRow: this.tokens,
      numTokens: tokens.numTokens,
      blockCrc: crc32(block),
    };
    this.directory.push(entry);
    this.fileBytes += block.length;
    this.tokens += tokens.numTokens;
    this.chunks.push(block);
    this.chunkBytes += block.length;
    if (this.chunkBytes >= this.options.bufferBytes) this.flush();
    return this.directory.length - 1;
  }

  /** Writes the directory and the final header, syncs, closes; returns what the manifest needs. */
  finish(): SegmentInfo {
    return this.fence.run(() => {
      const directoryOffset = this.fileBytes;
      const directory = this.encodeDirectory();
      this.chunks.push(directory);
      this.chunkBytes += directory.length;
      this.flush();
      const length = directoryOffset + directory.length;
      const header = this.encodeHeader(directoryOffset, length, directory);
      this.handle.write(header.bytes, 0);
      if (this.options.sync) this.handle.datasync();
      this.handle.close();
      this.fence.close('finished');
      return {
        file: this.file,
        length,
        checksum: header.checksumAt(HEADER.headerCrc),
        numDocuments: this.numDocuments,
        numTokens: this.tokens,
      };
    });
  }

  /**
   * Stops writing and closes the file; the caller removes it (it is an orphan). Call it after
   * any failed `append` or `finish`, or to give up on a segment.
   */
  abort(): void {
    this.fence.close('aborted');
    this.handle.close();
  }

  private flush(): void {
    if (this.chunkBytes === 0) return;
    const joined = new Uint8Array(this.chunkBytes);
    let at = 0;
    for (const chunk of this.chunks) {
      joined.set(chunk, at);
      at += chunk.length;
    }
    this.chunks = [];
    this.chunkBytes = 0;
    this.fence.run(() => this.handle.append(joined));
  }

  private encodeDirectory(): Uint8Array {
    const out = new ByteWriter(this.numDocuments * DIRECTORY_ENTRY_BYTES);
    this.directory.forEach((entry, i) => {
      const at = i * DIRECTORY_ENTRY_BYTES;
      out.u64(at + ENTRY.blockOffset, entry.blockOffset);
      out.u64(at + ENTRY.firstRow, entry.firstRow);
      out.u32(at + ENTRY.numTokens, entry.numTokens);
      out.u32(at + ENTRY.blockCrc, entry.blockCrc);
    });
    return out.bytes;
  }

  private encodeHeader(directoryOffset: number, length: number, directory: Uint8Array): ByteWriter {
    const { dim, precision, scaleMode } = this.layout;
    return new ByteWriter(SEGMENT_HEADER_BYTES)
      .put(HEADER.magic, SEGMENT_MAGIC)
      .u16(HEADER.version, SEGMENT_FORMAT_VERSION)
      .u16(HEADER.headerBytes, SEGMENT_HEADER_BYTES)
      .u32(HEADER.dim, dim)
      .u8(HEADER.precision, PRECISION_CODES[precision])
      .u8(HEADER.scaleMode, SCALE_MODE_CODES[scaleMode ?? 'none'])
      .u32(HEADER.numDocuments, this.numDocuments)
      .u64(HEADER.numTokens, this.tokens)
      .u64(HEADER.directoryOffset, directoryOffset)
      .u64(HEADER.fileBytes, length)
      .u32(HEADER.directoryCrc, crc32(directory))
      .checksum(0, HEADER.headerCrc, HEADER.headerCrc);
  }
}

/** Where one document's block lies, as its directory entry records it. */
interface DirectoryEntry {
  blockOffset: number;
  firstRow: number;
  numTokens: number;
  blockCrc: number;
}

/** One document's block: values, padding, scales, padding. */
function encodeBlock(tokens: EncodedTokens, layout: SegmentLayout): Uint8Array {
  const shape = blockShape(layout, tokens.numTokens);
  const block = new Uint8Array(shape.blockBytes);
  const values = tokens.values;
  block.set(new Uint8Array(values.buffer, values.byteOffset, shape.valueBytes), 0);
  if (shape.numScales > 0 && tokens.scales) {
    block.set(
      new Uint8Array(tokens.scales.buffer, tokens.scales.byteOffset, shape.numScales * 4),
      shape.scalesAt,
    );
  }
  return block;
}
