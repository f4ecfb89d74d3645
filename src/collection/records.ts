/**
 * The bytes of one collection write as it goes into the write-ahead log: one record per
 * `upsert` or `delete` call (the log frames and checksums records; see docs/storage.md).
 *
 * Layout, little-endian:
 *
 *     offset  size  field
 *          0     4  header length H (u32)
 *          4     H  header: UTF-8 JSON { op, docs? | ids? }, space-padded to 4 bytes
 *        4+H     *  upserts only: every document's tokens as float32, in header order
 *
 * An upsert header lists `{ id, key, numTokens, metadata?, text?, spans? }` per document. The
 * log gives every record a sequence number; a checkpoint records the first one it does not
 * hold, and replay starts there, so it is idempotent.
 */
import { MuveraError } from '../errors.js';
import type { DocRecord } from './state.js';
import type { Metadata } from './types.js';

/** A logged document: float32 rows of the stored (precision-rounded) values. */
export interface LoggedDocument extends Omit<DocRecord, 'tokens'> {
  tokens: Float32Array;
}

/** A write as the collection logs it. */
export type LogWrite = { op: 'upsert'; docs: LoggedDocument[] } | { op: 'delete'; ids: string[] };

/** A logged write read back, with the log's sequence number. */
export type LogRecord = LogWrite & { seq: number };

interface DocHeader {
  id: string;
  key: number;
  numTokens: number;
  metadata?: Metadata;
  text?: string;
  spans?: number[];
}

const LENGTH_BYTES = 4;
const FLOAT_BYTES = 4;

/** Encodes a record; the token bytes are 4-byte aligned for a zero-copy read. */
export function encodeRecord(record: LogWrite): Uint8Array {
  const header =
    record.op === 'delete'
      ? { op: record.op, ids: record.ids }
      : { op: record.op, docs: record.docs.map(docHeader) };
  const json = new TextEncoder().encode(JSON.stringify(header));
  const padded = Math.ceil((LENGTH_BYTES + json.length) / FLOAT_BYTES) * FLOAT_BYTES;
  const tokenValues =
    record.op === 'upsert' ? record.docs.reduce((n, d) => n + d.tokens.length, 0) : 0;

  const out = new Uint8Array(padded + tokenValues * FLOAT_BYTES);
  new DataView(out.buffer).setUint32(0, padded - LENGTH_BYTES, true);
  out.fill(0x20, LENGTH_BYTES, padded);
  out.set(json, LENGTH_BYTES);
  if (record.op === 'upsert') {
    const floats = new Float32Array(out.buffer, padded, tokenValues);
    let offset = 0;
    for (const doc of record.docs) {
      floats.set(doc.tokens, offset);
      offset += doc.tokens.length;
    }
  }
  return out;
}

function docHeader(doc: LoggedDocument): DocHeader {
  const header: DocHeader = { id: doc.id, key: doc.key, numTokens: doc.numTokens };
  if (doc.metadata !== undefined) header.metadata = doc.metadata;
  if (doc.text !== undefined) header.text = doc.text;
  if (doc.spans !== undefined) header.spans = Array.from(doc.spans);
  return header;
}

/** Decodes a record written by {@link encodeRecord}; `corrupt-data` on any inconsistency. */
export function decodeRecord(bytes: Uint8Array, dim: number, file: string): LogWrite {
  if (bytes.length < LENGTH_BYTES) throw corrupt('a log record is shorter than its header', file);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = view.getUint32(0, true);
  if (headerLength > bytes.length - LENGTH_BYTES) {
    throw corrupt(`a log record header claims ${headerLength} bytes of ${bytes.length}`, file);
  }
  const header = parseHeader(bytes.subarray(LENGTH_BYTES, LENGTH_BYTES + headerLength), file);
  if (header.op === 'delete') return { op: 'delete', ids: header.ids as string[] };

  const tokenBytes = bytes.subarray(LENGTH_BYTES + headerLength);
  const docs = header.docs as DocHeader[];
  const total = docs.reduce((n, d) => n + d.numTokens * dim, 0);
  if (tokenBytes.length !== total * FLOAT_BYTES) {
    throw corrupt(
      `a log record holds ${tokenBytes.length} token bytes, expected ${total * 4}`,
      file,
    );
  }
  const floats = new Float32Array(tokenBytes.slice().buffer);
  let offset = 0;
  const records = docs.map((doc): LoggedDocument => {
    const tokens = floats.slice(offset, offset + doc.numTokens * dim);
    offset += doc.numTokens * dim;
    const record: LoggedDocument = { id: doc.id, key: doc.key, numTokens: doc.numTokens, tokens };
    if (doc.metadata !== undefined) record.metadata = doc.metadata;
    if (doc.text !== undefined) record.text = doc.text;
    if (doc.spans !== undefined) record.spans = Uint32Array.from(doc.spans);
    return record;
  });
  return { op: 'upsert', docs: records };
}

function parseHeader(bytes: Uint8Array, file: string): Record<string, unknown> {
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (cause) {
    throw new MuveraError('corrupt-data', 'a log record header is not valid JSON', { file, cause });
  }
  const deleteOk = header?.op === 'delete' && isStringArray(header.ids);
  const upsertOk =
    header?.op === 'upsert' && Array.isArray(header.docs) && header.docs.every(isDocHeader);
  if (!(deleteOk || upsertOk)) throw corrupt('a log record header has a bad shape', file);
  return header;
}

function isStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((id) => typeof id === 'string');
}

function isDocHeader(value: unknown): value is DocHeader {
  const doc = value as DocHeader;
  return (
    typeof doc === 'object' &&
    doc !== null &&
    typeof doc.id === 'string' &&
    Number.isSafeInteger(doc.key) &&
    doc.key >= 0 &&
    Number.isSafeInteger(doc.numTokens) &&
    doc.numTokens > 0 &&
    (doc.text === undefined || typeof doc.text === 'string') &&
    (doc.spans === undefined ||
      (Array.isArray(doc.spans) && doc.spans.length === 2 * doc.numTokens)) &&
    (doc.metadata === undefined || (typeof doc.metadata === 'object' && doc.metadata !== null))
  );
}

function corrupt(message: string, file: string): MuveraError {
  return new MuveraError('corrupt-data', message, { file });
}
