/**
 * The document file of a checkpoint: for every live document its id, key, where its tokens are
 * (segment and index in it), metadata, text and spans. One file per manifest generation,
 * written once and never changed. docs/storage.md has the layout:
 *
 *     offset  size  field
 *          0     8  magic "MUVRDOCS"
 *          8     4  format version (u32)
 *         12     4  CRC-32 of the payload (u32)
 *         16     8  payload length P (u64, must equal file length - 24)
 *         24     P  UTF-8 JSON: { documents: [{ id, key, numTokens, segment, index, ... }] }
 */
import { MuveraError } from '../errors.js';
import {
  BoundedBytes,
  ByteWriter,
  corruptData,
  crc32,
  magicBytes,
  unsupportedVersion,
} from '../store/binary.js';
import type { Metadata } from './types.js';

/** The first eight bytes of a document file. */
export const DOCUMENTS_MAGIC = magicBytes('MUVRDOCS');
/** The format this build writes and the newest it reads. */
export const DOCUMENTS_FORMAT_VERSION = 1;
const HEADER_BYTES = 24;

/** One document as the file lists it. */
export interface DocumentEntry {
  id: string;
  key: number;
  numTokens: number;
  /** Position of the token segment in the manifest's segment list. */
  segment: number;
  /** Index of the document in that segment. */
  index: number;
  metadata?: Metadata;
  text?: string;
  spans?: number[];
}

/** Encodes the entries into file bytes. */
export function encodeDocumentsFile(entries: DocumentEntry[]): Uint8Array {
  const payload = new TextEncoder().encode(JSON.stringify({ documents: entries }));
  const writer = new ByteWriter(HEADER_BYTES + payload.length);
  writer.bytes.set(DOCUMENTS_MAGIC, 0);
  writer.u32(8, DOCUMENTS_FORMAT_VERSION);
  writer.u32(12, crc32(payload));
  writer.u64(16, payload.length);
  writer.put(HEADER_BYTES, payload);
  return writer.bytes;
}

/** Decodes and checks file bytes; `corrupt-data` or `unsupported-version` naming `file`. */
export function decodeDocumentsFile(
  bytes: Uint8Array,
  file: string,
  numSegments: number,
): DocumentEntry[] {
  const data = new BoundedBytes(bytes, file);
  data.magic(0, DOCUMENTS_MAGIC, 'document file');
  const version = data.u32(8, 'format version');
  if (version > DOCUMENTS_FORMAT_VERSION) {
    throw unsupportedVersion(file, 'document file', version, DOCUMENTS_FORMAT_VERSION);
  }
  const length = data.u64(16, 'payload length');
  if (version === 0 || length !== bytes.length - HEADER_BYTES) {
    throw corruptData(file, 8, 'the document file header does not match its length');
  }
  data.checksum(HEADER_BYTES, bytes.length, 12, 'document file');

  let parsed: { documents?: unknown };
  try {
    parsed = JSON.parse(
      new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(HEADER_BYTES)),
    );
  } catch (cause) {
    throw new MuveraError('corrupt-data', `${file}: the document list is not valid JSON`, {
      file,
      cause,
    });
  }
  const list = parsed?.documents;
  if (!Array.isArray(list) || !list.every((entry) => isEntry(entry, numSegments))) {
    throw corruptData(file, HEADER_BYTES, 'the document list has a bad shape');
  }
  return list as DocumentEntry[];
}

function isEntry(value: unknown, numSegments: number): boolean {
  const entry = value as DocumentEntry;
  const count = (n: unknown) => Number.isSafeInteger(n) && (n as number) >= 0;
  return (
    typeof entry === 'object' &&
    entry !== null &&
    typeof entry.id === 'string' &&
    count(entry.key) &&
    count(entry.numTokens) &&
    count(entry.index) &&
    count(entry.segment) &&
    entry.segment < numSegments &&
    (entry.text === undefined || typeof entry.text === 'string') &&
    (entry.spans === undefined ||
      (Array.isArray(entry.spans) &&
        entry.spans.length === 2 * entry.numTokens &&
        entry.spans.every(count))) &&
    (entry.metadata === undefined ||
      (typeof entry.metadata === 'object' && entry.metadata !== null))
  );
}
