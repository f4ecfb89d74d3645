/**
 * The write-ahead log format and its reader.
 *
 * A log is a series of files `wal-<first sequence, 16 digits>.log` in the collection directory.
 * Each file starts with a 32-byte header (magic, version, header size, the sequence number of
 * its first record, header CRC) followed by records, each 8-byte aligned:
 *
 *     0  u32 record magic      4  u32 CRC-32 of bytes 8 .. 24 + length
 *     8  u32 payload length   12  u8 type (1..255)   13  u8 flags   14  u16 zero
 *    16  u64 sequence         24  payload, then zero padding to a multiple of 8
 *
 * Flag 1 marks the last record of one `append` call. Replay delivers only whole calls, so a
 * batch is atomic: after a crash it is entirely present or entirely absent.
 *
 * Sequence numbers run from 1 without gaps across files. Reading stops at the first record that
 * fails any check, or at an unfinished batch. If no valid record follows it anywhere in the file
 * and the file is the last one, it is a torn tail (a write that was never acknowledged) and the
 * tail is cut back to the end of the last whole batch. Otherwise acknowledged data after it would
 * be lost, so it is `corrupt-data` naming the file and offset.
 *
 * NOTE: a damaged final record cannot be told from a torn write (both are the end of the log
 * failing its CRC), so bit rot in the very last acknowledged record is cut like a torn tail and
 * reported in the replay summary and a warning. Every earlier record is protected.
 */
import { posix } from 'node:path';
import { DEFAULTS } from '../defaults.js';
import { invalidArgument, MuveraError } from '../errors.js';
import {
  ALIGNMENT,
  align,
  BoundedBytes,
  ByteWriter,
  corruptData,
  crc32,
  magicBytes,
  unsupportedVersion,
} from './binary.js';
import type { FileHandle, FileSystem } from './file-system.js';

/** The first eight bytes of every log file. */
export const LOG_MAGIC = magicBytes('MUVRWLOG');
/** The log format version this build writes. */
export const LOG_FORMAT_VERSION = 1;
/** Log file header size. */
export const LOG_HEADER_BYTES = 32;
/** Record header size. */
export const RECORD_HEADER_BYTES = 24;
/** The u32 at the start of every record ("MWR1" in ASCII). */
export const RECORD_MAGIC = 0x3152574d;

const FILE_HEADER = Object.freeze({
  magic: 0,
  version: 8,
  headerBytes: 10,
  firstSequence: 16,
  headerCrc: 28,
});
const RECORD = Object.freeze({
  magic: 0,
  crc: 4,
  length: 8,
  type: 12,
  flags: 13,
  reserved: 14,
  sequence: 16,
});
/** Flag of the last record of one `append` call: replay delivers only whole calls. */
const FLAG_BATCH_END = 1;
const MAX_TYPE = 255;
const NAME_PATTERN = /^wal-(\d{16})\.log$/;
/** Bytes read from a log file at a time while replaying. */
const READ_WINDOW_BYTES = 1 << 20;

/** One record to append. */
export interface LogEntry {
  /** What the record is, 1 to 255 (the collection defines the values). */
  type: number;
  payload: Uint8Array;
}

/** One record read back. */
export interface LogRecord extends LogEntry {
  sequence: number;
}

/** A torn tail found (and, by a writer, cut). */
export interface TornTail {
  file: string;
  offset: number;
  droppedBytes: number;
}

/** What a replay found. */
export interface ReplaySummary {
  /** Records handed to `onRecord` (sequence at or after `fromSequence`). */
  records: number;
  /** Valid records before `fromSequence`, skipped (already in the manifest's parts). */
  skipped: number;
  /** Log files read. */
  files: number;
  /** The sequence number the next appended record gets. */
  nextSequence: number;
  tornTail: TornTail | null;
}

/** Options of a replay. */
export interface ReplayOptions {
  /** Records before this sequence are skipped. Default 1 (all). */
  fromSequence?: number;
  /** Called for each record from `fromSequence` on, in order. The payload is the caller's. */
  onRecord?: (record: LogRecord) => void;
  /** Largest payload accepted. Default `DEFAULTS.store.maxLogRecordBytes`. */
  maxRecordBytes?: number;
}

/** The file name of the log file whose first record is `sequence`. */
export function logFileName(sequence: number): string {
  return `wal-${String(sequence).padStart(16, '0')}.log`;
}

/** Log files in `dir`, ordered, with the first sequence their names give. */
export function listLogFiles(
  fs: FileSystem,
  dir: string,
): { path: string; firstSequence: number }[] {
  const out = [];
  for (const name of fs.readdir(dir)) {
    const match = NAME_PATTERN.exec(name);
    if (match) out.push({ path: posix.join(dir, name), firstSequence: Number(match[1]) });
  }
  return out.sort((a, b) => a.firstSequence - b.firstSequence);
}

/** The header of a new log file whose first record will be `firstSequence`. */
export function encodeLogHeader(firstSequence: number): Uint8Array {
  return new ByteWriter(LOG_HEADER_BYTES)
    .put(FILE_HEADER.magic, LOG_MAGIC)
    .u16(FILE_HEADER.version, LOG_FORMAT_VERSION)
    .u16(FILE_HEADER.headerBytes, LOG_HEADER_BYTES)
    .u64(FILE_HEADER.firstSequence, firstSequence)
    .checksum(0, FILE_HEADER.headerCrc, FILE_HEADER.headerCrc).bytes;
}

/** The bytes of `entries` as consecutive records numbered from `firstSequence`. */
export function encodeRecords(
  entries: readonly LogEntry[],
  firstSequence: number,
  maxRecordBytes: number,
): Uint8Array {
  let total = 0;
  entries.forEach((entry, i) => {
    checkEntry(entry, i, maxRecordBytes);
    total += align(RECORD_HEADER_BYTES + entry.payload.length);
  });
  const out = new ByteWriter(total);
  let at = 0;
  entries.forEach((entry, i) => {
    const end = at + RECORD_HEADER_BYTES + entry.payload.length;
    out.u32(at + RECORD.magic, RECORD_MAGIC).u32(at + RECORD.length, entry.payload.length);
    out.u8(at + RECORD.type, entry.type).u64(at + RECORD.sequence, firstSequence + i);
    if (i === entries.length - 1) out.u8(at + RECORD.flags, FLAG_BATCH_END);
    out
      .put(at + RECORD_HEADER_BYTES, entry.payload)
      .checksum(at + RECORD.length, end, at + RECORD.crc);
    at = align(end);
  });
  return out.bytes;
}

function checkEntry(entry: LogEntry, index: number, maxRecordBytes: number): void {
  if (!Number.isInteger(entry?.type) || entry.type < 1 || entry.type > MAX_TYPE) {
    throw invalidArgument(
      `entries[${index}].type`,
      `an integer from 1 to ${MAX_TYPE}`,
      entry?.type,
    );
  }
  if (!(entry.payload instanceof Uint8Array))
    throw invalidArgument(`entries[${index}].payload`, 'a Uint8Array', entry.payload);
  if (entry.payload.length > maxRecordBytes) {
    throw new MuveraError(
      'limit-exceeded',
      `log record ${index} has ${entry.payload.length} bytes, more than ${maxRecordBytes}`,
      {
        parameter: `entries[${index}].payload`,
        expected: `at most ${maxRecordBytes} bytes`,
        actual: entry.payload.length,
        remedy: 'Split the batch into smaller records (or raise store.maxLogRecordBytes)',
      },
    );
  }
}

/** What scanning one log file found. */
export interface FileScan {
  path: string;
  firstSequence: number;
  /** The sequence after the file's last valid record. */
  nextSequence: number;
  /** Where valid content ends (the file length when nothing is torn). */
  validBytes: number;
  /** False when the header itself was torn (only possible for a last file without records). */
  headerValid: boolean;
  tornTail: TornTail | null;
}

/** Reads a log file through a window of positional reads (no whole-file allocation). */
class LogCursor {
  private window: Uint8Array = new Uint8Array(0);
  private windowStart = 0;

  constructor(
    private readonly handle: FileHandle,
    readonly size: number,
  ) {}

  /** `length` bytes at `position` (the caller checked they are inside the file). */
  bytes(position: number, length: number): Uint8Array {
    const offset = position - this.windowStart;
    if (offset < 0 || offset + length > this.window.length) {
      this.window = this.handle.read(position, Math.max(length, READ_WINDOW_BYTES));
      this.windowStart = position;
      return this.window.subarray(0, length);
    }
    return this.window.subarray(offset, offset + length);
  }
}

/** Parses the record at `at`; null when any check fails. `expected` is its sequence, if known. */
/** A record as parsed: where it ends (padding included) and whether it closes its batch. */
interface ParsedRecord extends LogRecord {
  batchEnd: boolean;
  end: number;
}

function recordAt(
  cursor: LogCursor,
  at: number,
  expected: number | null,
  maxRecordBytes: number,
): ParsedRecord | null {
  if (at + RECORD_HEADER_BYTES > cursor.size) return null;
  const head = new DataView(cursor.bytes(at, RECORD_HEADER_BYTES).slice().buffer);
  if (head.getUint32(RECORD.magic, true) !== RECORD_MAGIC) return null;
  const length = head.getUint32(RECORD.length, true);
  if (length > maxRecordBytes || at + RECORD_HEADER_BYTES + length > cursor.size) return null;
  const type = head.getUint8(RECORD.type);
  const flags = head.getUint8(RECORD.flags);
  const sequence = Number(head.getBigUint64(RECORD.sequence, true));
  if (type < 1 || (flags & ~FLAG_BATCH_END) !== 0 || head.getUint16(RECORD.reserved, true) !== 0)
    return null;
  if (expected !== null && sequence !== expected) return null;
  const covered = cursor.bytes(at + RECORD.length, RECORD_HEADER_BYTES - RECORD.length + length);
  if (crc32(covered) !== head.getUint32(RECORD.crc, true)) return null;
  const payload = covered.slice(RECORD_HEADER_BYTES - RECORD.length);
  return {
    sequence,
    type,
    payload,
    batchEnd: flags === FLAG_BATCH_END,
    end: align(at + RECORD_HEADER_BYTES + length),
  };
}

/** True when a valid record with sequence >= `minSequence` starts at an aligned offset >= `from`. */
function anyValidAfter(
  cursor: LogCursor,
  from: number,
  minSequence: number,
  maxRecordBytes: number,
): boolean {
  for (let at = align(from); at + RECORD_HEADER_BYTES <= cursor.size; at += ALIGNMENT) {
    const record = recordAt(cursor, at, null, maxRecordBytes);
    if (record !== null && record.sequence >= minSequence) return true;
  }
  return false;
}

/** Checks a log file header; null when it is torn (short or failing its CRC). */
function readFileHeader(cursor: LogCursor, path: string, nameSequence: number): number | null {
  if (cursor.size < LOG_HEADER_BYTES) return null;
  const data = new BoundedBytes(cursor.bytes(0, LOG_HEADER_BYTES).slice(), path);
  try {
    data.magic(FILE_HEADER.magic, LOG_MAGIC, 'the log header');
    data.checksum(0, FILE_HEADER.headerCrc, FILE_HEADER.headerCrc, 'the log header');
  } catch {
    return null;
  }
  const version = data.u16(FILE_HEADER.version, 'format version');
  if (version > LOG_FORMAT_VERSION)
    throw unsupportedVersion(path, 'write-ahead log', version, LOG_FORMAT_VERSION);
  data.bounded(
    data.u16(FILE_HEADER.headerBytes, 'header size'),
    LOG_HEADER_BYTES,
    LOG_HEADER_BYTES,
    FILE_HEADER.headerBytes,
    'header size',
  );
  const firstSequence = data.u64(FILE_HEADER.firstSequence, 'first sequence');
  if (firstSequence !== nameSequence) {
    throw corruptData(
      path,
      FILE_HEADER.firstSequence,
      `the header starts at sequence ${firstSequence} but the name says ${nameSequence}`,
    );
  }
  return firstSequence;
}

/**
 * Scans one log file, calling `visit` for each valid record. A bad record followed by a valid
 * one, or a bad record in a file that is not the last, is `corrupt-data`.
 */
export function scanLogFile(
  fs: FileSystem,
  file: { path: string; firstSequence: number },
  isLast: boolean,
  maxRecordBytes: number,
  visit: (record: LogRecord) => void,
): FileScan {
  const handle = fs.open(file.path, 'read');
  try {
    const cursor = new LogCursor(handle, handle.size());
    const scan: FileScan = {
      ...file,
      nextSequence: file.firstSequence,
      validBytes: 0,
      headerValid: false,
      tornTail: null,
    };
    if (readFileHeader(cursor, file.path, file.firstSequence) === null) {
      return damaged(cursor, scan, 0, isLast, maxRecordBytes);
    }
    scan.headerValid = true;
    scan.validBytes = LOG_HEADER_BYTES;
    let batch: LogRecord[] = [];
    let at = LOG_HEADER_BYTES;
    while (at < cursor.size) {
      const record = recordAt(cursor, at, scan.nextSequence + batch.length, maxRecordBytes);
      if (record === null) return damaged(cursor, scan, at, isLast, maxRecordBytes);
      batch.push({ sequence: record.sequence, type: record.type, payload: record.payload });
      at = record.end;
      if (!record.batchEnd) continue;
      for (const whole of batch) visit(whole);
      scan.nextSequence += batch.length;
      scan.validBytes = at;
      batch = [];
    }
    if (batch.length > 0) return damaged(cursor, scan, at, isLast, maxRecordBytes);
    if (scan.validBytes > cursor.size) {
      // NOTE: the zero padding of the last record was torn off; the writer restores it.
      scan.tornTail = { file: scan.path, offset: cursor.size, droppedBytes: 0 };
    }
    return scan;
  } finally {
    handle.close();
  }
}

/** Decides between a torn tail (cut) and corruption (error) for a bad record at `at`. */
function damaged(
  cursor: LogCursor,
  scan: FileScan,
  at: number,
  isLast: boolean,
  maxRecordBytes: number,
): FileScan {
  if (!isLast || anyValidAfter(cursor, at + 1, scan.firstSequence, maxRecordBytes)) {
    const problem = isLast
      ? 'a damaged record is followed by valid ones'
      : 'a damaged record in a log file that is not the last';
    throw corruptData(scan.path, at, problem);
  }
  scan.tornTail = {
    file: scan.path,
    offset: scan.validBytes,
    droppedBytes: cursor.size - scan.validBytes,
  };
  return scan;
}

/**
 * Replays the log of `dir` without changing anything (for readers and for the writer's open):
 * checks the files form one gap-free sequence covering `fromSequence`, and calls `onRecord` for
 * every record from `fromSequence` on. A torn tail of the last file ends the replay.
 */
export function replayLog(
  fs: FileSystem,
  dir: string,
  options: ReplayOptions = {},
): { summary: ReplaySummary; scans: FileScan[] } {
  const fromSequence = options.fromSequence ?? 1;
  const maxRecordBytes = options.maxRecordBytes ?? DEFAULTS.store.maxLogRecordBytes;
  if (!Number.isSafeInteger(fromSequence) || fromSequence < 1)
    throw invalidArgument('fromSequence', 'a positive integer', fromSequence);
  const files = listLogFiles(fs, dir);
  const summary: ReplaySummary = {
    records: 0,
    skipped: 0,
    files: files.length,
    nextSequence: fromSequence,
    tornTail: null,
  };
  const scans: FileScan[] = [];

  files.forEach((file, i) => {
    const previous = scans.at(-1);
    if (previous && file.firstSequence !== previous.nextSequence) {
      throw corruptData(
        file.path,
        0,
        `the log jumps from sequence ${previous.nextSequence - 1} to ${file.firstSequence}`,
      );
    }
    const scan = scanLogFile(fs, file, i === files.length - 1, maxRecordBytes, (record) => {
      if (record.sequence < fromSequence) summary.skipped += 1;
      else {
        summary.records += 1;
        options.onRecord?.(record);
      }
    });
    summary.tornTail = scan.tornTail;
    scans.push(scan);
  });

  checkCoverage(scans, fromSequence);
  summary.nextSequence = scans.at(-1)?.nextSequence ?? fromSequence;
  return { summary, scans };
}

/** The log must hold every record from `fromSequence` on: no missing start, no missing end. */
function checkCoverage(scans: FileScan[], fromSequence: number): void {
  const first = scans[0];
  const last = scans.at(-1);
  if (first === undefined || last === undefined) return;
  const relevant = scans.find((scan) => scan.nextSequence > fromSequence) ?? last;
  if (relevant.firstSequence > fromSequence) {
    throw corruptData(
      relevant.path,
      0,
      `the log starts at sequence ${relevant.firstSequence} but the manifest needs it from ${fromSequence}`,
    );
  }
  if (last.nextSequence < fromSequence) {
    throw corruptData(
      last.path,
      last.validBytes,
      `the log ends at sequence ${last.nextSequence - 1} before ${fromSequence}, which the manifest says it reached`,
      {
        expected: fromSequence,
        actual: last.nextSequence,
      },
    );
  }
}
