/**
 * Error sites of src/store that neither the fault plans nor the fuzzers reach (issue 9 asks for
 * every error site to be reached): log files missing from the middle, the start or the end of the
 * log the manifest needs, a damaged record in a log file that is not the last, misuse of file
 * handles, and OS errors without a code.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { MuveraError } from '../../src/errors.js';
import { fileSystemError, NodeFileSystem } from '../../src/store/file-system.js';
import { logFileName, replayLog } from '../../src/store/log-format.js';
import { publishManifest } from '../../src/store/manifest.js';
import { MemoryFileSystem } from '../../src/store/memory-file-system.js';
import { bytesPerToken, validateEncoded, validateLayout } from '../../src/store/token-format.js';
import { TokenSegmentReader } from '../../src/store/token-segment-reader.js';
import { TokenSegmentWriter } from '../../src/store/token-segment-writer.js';
import { WriteAheadLog } from '../../src/store/write-ahead-log.js';

const DIR = '/c';
const entry = (n: number) => ({ type: 1, payload: Uint8Array.of(n, n + 1, n + 2) });

/** A log of three files: records 1-2, 3-4 and 5-6. */
function threeFiles(): MemoryFileSystem {
  const fs = new MemoryFileSystem();
  fs.mkdir(DIR);
  const log = WriteAheadLog.open(fs, DIR);
  log.append([entry(1), entry(2)]);
  log.rotate();
  log.append([entry(3), entry(4)]);
  log.rotate();
  log.append([entry(5), entry(6)]);
  log.close();
  return fs;
}

const fileOf = (sequence: number) => `${DIR}/${logFileName(sequence)}`;

describe('log files missing or damaged', () => {
  it('reads the whole log of three files', () => {
    const records: number[] = [];
    replayLog(threeFiles(), DIR, { onRecord: (record) => records.push(record.sequence) });
    assert.deepEqual(records, [1, 2, 3, 4, 5, 6]);
  });

  it('names a gap between log files', () => {
    const fs = threeFiles();
    fs.unlink(fileOf(3));
    assert.throws(() => replayLog(fs, DIR), {
      code: 'corrupt-data',
      message: /jumps from sequence 2 to 5/,
    });
  });

  it('names a log that starts after the sequence the manifest needs', () => {
    const fs = threeFiles();
    fs.unlink(fileOf(1));
    assert.throws(() => replayLog(fs, DIR, { fromSequence: 1 }), {
      code: 'corrupt-data',
      message: /starts at sequence 3 but the manifest needs it from 1/,
    });
  });

  it('names a log that ends before the sequence the manifest needs', () => {
    assert.throws(() => replayLog(threeFiles(), DIR, { fromSequence: 9 }), {
      code: 'corrupt-data',
    });
  });

  it('names a damaged record in a log file that is not the last', () => {
    const fs = threeFiles();
    const bytes = fs.peek(fileOf(3)).slice();
    // NOTE: the payload of the file's second record: 32-byte file header, 32-byte first record,
    // 24-byte record header (the padding after a payload is not part of the checksum).
    bytes[32 + 32 + 24] ^= 0xff;
    fs.putFile(fileOf(3), bytes);
    assert.throws(() => replayLog(fs, DIR), {
      code: 'corrupt-data',
      message: /not the last/,
    });
  });
});

describe('file handle misuse', () => {
  const root = mkdtempSync(join(tmpdir(), 'muvera-store-sites-'));
  after(() => rmSync(root, { recursive: true, force: true }));

  it('refuses writes to a read-only memory handle and any use of a closed one', () => {
    const fs = new MemoryFileSystem();
    fs.mkdir(DIR);
    fs.putFile(`${DIR}/f`, Uint8Array.of(1, 2, 3));
    const handle = fs.open(`${DIR}/f`, 'read');
    assert.throws(() => handle.write(Uint8Array.of(9), 0), { code: 'io-error', message: /EBADF/ });
    handle.close();
    assert.throws(() => handle.read(0, 1), { code: 'closed' });
  });

  it('refuses any use of a closed real handle, and closing twice is harmless', () => {
    const path = join(root, 'f');
    writeFileSync(path, Uint8Array.of(1, 2, 3));
    const handle = new NodeFileSystem().open(path, 'read');
    assert.deepEqual([...handle.read(1, 10)], [2, 3]);
    handle.close();
    handle.close();
    assert.throws(() => handle.read(0, 1), { code: 'closed' });
  });

  it('keeps a MuveraError as it is and names an OS error without a code', () => {
    const typed = new MuveraError('closed', 'already typed');
    assert.equal(fileSystemError('read', '/x', typed), typed);
    const untyped = fileSystemError('read', '/x', new Error('no code'));
    assert.equal(untyped.code, 'io-error');
    assert.match(untyped.message, /EUNKNOWN/);
  });
});

describe('token segment inputs', () => {
  const layout = { dim: 3, precision: 'int8' as const, scaleMode: 'token' as const };
  const good = {
    precision: 'int8' as const,
    dim: 3,
    numTokens: 2,
    values: Int8Array.of(1, 2, 3, 4, 5, 6),
    scales: Float32Array.of(0.5, 0.25),
    scaleMode: 'token' as const,
  };

  it('refuses a bad layout by parameter name', () => {
    assert.throws(() => validateLayout({ dim: 0, precision: 'float32' }), { parameter: 'dim' });
    const precision = 'float64' as 'float32';
    assert.throws(() => validateLayout({ dim: 3, precision }), { parameter: 'precision' });
    assert.throws(() => validateLayout({ dim: 3, precision: 'int8' }), { parameter: 'scaleMode' });
    assert.ok(bytesPerToken(layout, 2) > 3);
  });

  it('refuses token matrices that do not fit the layout', () => {
    validateEncoded(good, layout, 'doc');
    const cases: [Record<string, unknown>, string][] = [
      [{ precision: 'float32' }, 'config-mismatch'],
      [{ dim: 4 }, 'dimension-mismatch'],
      [{ numTokens: -1 }, 'invalid-argument'],
      [{ values: Float32Array.of(1, 2, 3, 4, 5, 6) }, 'invalid-argument'],
      [{ scaleMode: 'dimension' }, 'config-mismatch'],
      [{ scales: Float32Array.of(1) }, 'invalid-argument'],
    ];
    for (const [change, code] of cases) {
      const bad = { ...good, ...change } as typeof good;
      assert.throws(() => validateEncoded(bad, layout, 'doc'), { code }, JSON.stringify(change));
    }
  });
});

describe('manifest publish and segment statistics', () => {
  const body = (generation: number) => ({
    generation,
    config: {},
    segments: [],
    index: null,
    parts: [],
    log: { sequence: 1 },
    counts: { documents: 0 },
  });

  it('refuses to keep no generation, and a generation not newer than the newest', () => {
    const fs = new MemoryFileSystem();
    fs.mkdir(DIR);
    assert.throws(() => publishManifest(fs, DIR, body(1), { keep: 0 }), { parameter: 'keep' });
    publishManifest(fs, DIR, body(2));
    assert.throws(() => publishManifest(fs, DIR, body(2)), { parameter: 'body.generation' });
  });

  it('reports the statistics of a written segment', () => {
    const fs = new MemoryFileSystem();
    fs.mkdir(DIR);
    const layout = { dim: 2, precision: 'float32' as const };
    const writer = TokenSegmentWriter.create(fs, `${DIR}/s.tok`, layout);
    writer.append({ precision: 'float32', dim: 2, numTokens: 3, values: new Float32Array(6) });
    writer.finish();
    const stats = TokenSegmentReader.open(fs, `${DIR}/s.tok`).stats();
    assert.equal(stats.numTokens, 3);
    assert.ok(stats.bytesPerToken > 8);
  });
});
