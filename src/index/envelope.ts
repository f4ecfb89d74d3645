/**
 * The serialised form of a candidate index: a small self-describing envelope around the
 * implementation's payload, checked completely before any loader (ours or usearch's native one)
 * reads the payload. A damaged index is reported as `corrupt-data`, so the collection rebuilds it
 * from the stored tokens instead of trusting it.
 *
 * Layout, little-endian:
 *
 *     offset  size  field
 *          0     8  magic "MUVCIDX\0"
 *          8     4  format version (u32)
 *         12     4  header length H in bytes (u32)
 *         16     8  payload length P in bytes (u64)
 *         24     4  CRC-32 of bytes 0..24 followed by bytes 28..end (header and payload)
 *         28     H  header: UTF-8 JSON { kind, dimensions, count, params }
 *       28+H     P  payload, owned by the implementation
 *
 * The total length must be exactly 28 + H + P, so truncation and trailing garbage are caught
 * even before the checksum.
 */
import { crc32 } from 'node:zlib';
import { describe, MuveraError } from '../errors.js';
import { CANDIDATE_INDEX_KINDS, type CandidateIndexKind } from './types.js';

/** Magic bytes opening every serialised candidate index. */
export const ENVELOPE_MAGIC = new Uint8Array([0x4d, 0x55, 0x56, 0x43, 0x49, 0x44, 0x58, 0x00]);

/** The envelope format this build writes and the newest it reads. */
export const ENVELOPE_VERSION = 1;

const VERSION_OFFSET = 8;
const HEADER_LENGTH_OFFSET = 12;
const PAYLOAD_LENGTH_OFFSET = 16;
const CHECKSUM_OFFSET = 24;
const FIXED_BYTES = 28;

/** What the envelope says about the index inside it. */
export interface EnvelopeHeader {
  kind: CandidateIndexKind;
  dimensions: number;
  /** Vectors in the index. */
  count: number;
  /** Resolved parameters of the implementation. */
  params: Record<string, unknown>;
}

/** Wraps `payload` and `header` into envelope bytes. */
export function wrapEnvelope(header: EnvelopeHeader, payload: Uint8Array): Uint8Array {
  const headerBytes = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(FIXED_BYTES + headerBytes.length + payload.length);
  const view = new DataView(out.buffer);

  out.set(ENVELOPE_MAGIC, 0);
  view.setUint32(VERSION_OFFSET, ENVELOPE_VERSION, true);
  view.setUint32(HEADER_LENGTH_OFFSET, headerBytes.length, true);
  view.setBigUint64(PAYLOAD_LENGTH_OFFSET, BigInt(payload.length), true);
  out.set(headerBytes, FIXED_BYTES);
  out.set(payload, FIXED_BYTES + headerBytes.length);

  view.setUint32(CHECKSUM_OFFSET, checksum(out), true);
  return out;
}

/**
 * Verifies magic, version, lengths, checksum and header of `bytes`; returns the header and a view
 * of the payload. Throws `corrupt-data` or `unsupported-version`.
 */
export function openEnvelope(bytes: unknown): { header: EnvelopeHeader; payload: Uint8Array } {
  if (!(bytes instanceof Uint8Array)) {
    throw corrupt(`a candidate index must be a Uint8Array, got ${describe(bytes)}`, 0);
  }
  if (bytes.length < FIXED_BYTES) {
    throw corrupt(`${bytes.length} bytes is shorter than the ${FIXED_BYTES}-byte envelope`, 0);
  }
  for (let i = 0; i < ENVELOPE_MAGIC.length; i++) {
    if (bytes[i] !== ENVELOPE_MAGIC[i]) throw corrupt('the magic bytes are not MUVCIDX', i);
  }

  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint32(VERSION_OFFSET, true);
  if (version > ENVELOPE_VERSION) {
    throw new MuveraError(
      'unsupported-version',
      `candidate index format version ${version} is newer than this build reads (${ENVELOPE_VERSION})`,
      {
        expected: ENVELOPE_VERSION,
        actual: version,
        remedy: 'Upgrade muvera or rebuild the index',
      },
    );
  }
  if (version === 0) throw corrupt('format version 0 does not exist', VERSION_OFFSET);

  const headerLength = view.getUint32(HEADER_LENGTH_OFFSET, true);
  const payloadLength = view.getBigUint64(PAYLOAD_LENGTH_OFFSET, true);
  const expected = BigInt(FIXED_BYTES + headerLength) + payloadLength;
  if (expected !== BigInt(bytes.length)) {
    throw corrupt(`the envelope says ${expected} bytes but there are ${bytes.length}`, 0);
  }
  if (view.getUint32(CHECKSUM_OFFSET, true) !== checksum(bytes)) {
    throw corrupt('the checksum does not match the contents', CHECKSUM_OFFSET);
  }

  const headerEnd = FIXED_BYTES + headerLength;
  const header = parseHeader(bytes.subarray(FIXED_BYTES, headerEnd));
  return { header, payload: bytes.subarray(headerEnd) };
}

/** CRC-32 of everything except the checksum field itself. */
function checksum(bytes: Uint8Array): number {
  const head = crc32(bytes.subarray(0, CHECKSUM_OFFSET));
  return crc32(bytes.subarray(FIXED_BYTES), head);
}

function parseHeader(bytes: Uint8Array): EnvelopeHeader {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (cause) {
    throw new MuveraError('corrupt-data', 'the candidate index header is not valid JSON', {
      offset: FIXED_BYTES,
      cause,
    });
  }
  const header = value as Partial<EnvelopeHeader> | null;
  const valid =
    header !== null &&
    typeof header === 'object' &&
    CANDIDATE_INDEX_KINDS.includes(header.kind as CandidateIndexKind) &&
    Number.isSafeInteger(header.dimensions) &&
    (header.dimensions as number) > 0 &&
    Number.isSafeInteger(header.count) &&
    (header.count as number) >= 0 &&
    typeof header.params === 'object' &&
    header.params !== null;
  if (!valid)
    throw corrupt('the candidate index header lacks kind, dimensions, count or params', 28);
  return header as EnvelopeHeader;
}

function corrupt(message: string, offset: number): MuveraError {
  return new MuveraError('corrupt-data', `corrupt candidate index: ${message}`, {
    offset,
    remedy: 'Rebuild the index from the stored documents',
  });
}
