/**
 * The collection's checkpoint and recovery (src/collection/directory-storage.ts) on the paths
 * the collection tests and fault plans leave out (issue 9 asks every error site to be reached):
 * a backup, damaged or inconsistent document files, collection configs of other layouts, a
 * reader racing a checkpoint, int8 tokens with spans, several token segments, and misuse of a
 * closed or read-only handle. Each test checks what a user would see: the typed error naming
 * the file, or the same documents after a reopen.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it, mock } from 'node:test';
import { encodeTokens } from '../../src/chamfer/encode.js';
import type { Precision } from '../../src/chamfer/precision.js';
import {
  COLLECTION_FORMAT_VERSION,
  createStorage,
  openStorage,
  type StorageOptions,
  upgradeConfig,
} from '../../src/collection/directory-storage.js';
import { decodeDocumentsFile, encodeDocumentsFile } from '../../src/collection/documents-file.js';
import type { DocRecord } from '../../src/collection/state.js';
import type { CollectionManifest, LoadedStorage } from '../../src/collection/storage.js';
import { MuveraError } from '../../src/errors.js';
import { logger } from '../../src/log.js';
import { crc32 } from '../../src/store/binary.js';
import { FaultFileSystem, SimulatedCrash } from '../../src/store/fault-file-system.js';
import { type ManifestBody, publishManifest, readManifest } from '../../src/store/manifest.js';
import { MemoryFileSystem } from '../../src/store/memory-file-system.js';
import { LOCK_FILE } from '../../src/store/write-lock.js';

const DIR = '/c';
const DIM = 3;
const INDEX_BYTES = Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8, 9);

const temps: string[] = [];
after(() => {
  for (const dir of temps) rmSync(dir, { recursive: true, force: true });
});

function manifestOf(precision: Precision = 'float32'): CollectionManifest {
  return {
    dim: DIM,
    precision,
    fde: { seed: 7 },
    index: { kind: 'flat', params: {} },
    lastSeq: 0,
    nextKey: 0,
  };
}

/** Document `key` of `numTokens` rows whose values encode the key; spans when `withSpans`. */
function doc(key: number, numTokens: number, precision: Precision = 'float32'): DocRecord {
  const rows = Float32Array.from({ length: numTokens * DIM }, (_, i) => (key + 1) * 0.1 + i / 64);
  const record: DocRecord = {
    key,
    id: `doc-${key}`,
    numTokens,
    tokens: encodeTokens(rows, DIM, precision),
    metadata: { key, tag: `t${key % 3}` },
    text: `text ${key}`,
  };
  if (key % 2 === 0) {
    record.spans = Uint32Array.from({ length: numTokens * 2 }, (_, i) => i);
  }
  return record;
}

/** What a reopen must give back of a record: every stored field, tokens as plain numbers. */
function summary(records: DocRecord[]) {
  return records.map((r) => ({
    key: r.key,
    id: r.id,
    numTokens: r.numTokens,
    precision: r.tokens.precision,
    values: Array.from(r.tokens.values),
    scales: r.tokens.scales ? Array.from(r.tokens.scales) : undefined,
    metadata: r.metadata,
    text: r.text,
    spans: r.spans ? Array.from(r.spans) : undefined,
  }));
}

/** A collection holding `records` at one checkpoint (with an index file), closed. */
function collectionWith(records: DocRecord[], precision: Precision = 'float32') {
  const fs = new MemoryFileSystem();
  const storage = createStorage(DIR, manifestOf(precision), 'fsync', fs);
  storage.checkpoint(manifestOf(precision), records, INDEX_BYTES, false);
  storage.close();
  return fs;
}

function open(fs: MemoryFileSystem, options: StorageOptions = {}): LoadedStorage {
  return openStorage(DIR, { fs, ...options });
}

/** Publishes the next generation with `change` applied to the current body. */
function republish(fs: MemoryFileSystem, change: (body: ManifestBody) => ManifestBody): string {
  const current = readManifest(fs, DIR);
  assert.ok(current);
  const body = change(structuredClone(current.body));
  return publishManifest(fs, DIR, { ...body, generation: current.generation + 1 }).file;
}

/** The document file the newest generation names. */
function documentsFile(fs: MemoryFileSystem): string {
  const part = readManifest(fs, DIR)?.body.parts.find((p) => p.role === 'documents');
  assert.ok(part);
  return join(DIR, part.file);
}

describe('directory storage: what a checkpoint writes comes back', () => {
  it('int8 tokens with their scales, spans, metadata and text', () => {
    const records = [doc(0, 3, 'int8'), doc(1, 1, 'int8'), doc(2, 5, 'int8')];
    const loaded = open(collectionWith(records, 'int8'));
    assert.deepEqual(summary(loaded.records), summary(records));
    assert.equal(loaded.records[0].tokens.scaleMode, 'token');
    assert.deepEqual(loaded.indexBytes, INDEX_BYTES);
    loaded.storage.close();
  });

  it('starts a new token segment when the next document would not fit', () => {
    const records = [doc(0, 4), doc(1, 4), doc(2, 4)];
    // Room for exactly one 4-token document per segment: the size of a segment holding one.
    const maxSegmentBytes = readManifest(collectionWith([doc(0, 4)]), DIR)?.body.segments[0].length;
    const fs = collectionWith([]);
    const writer = open(fs, { maxSegmentBytes });
    writer.storage.checkpoint(manifestOf(), records, INDEX_BYTES, false);
    writer.storage.close();

    const segments = readManifest(fs, DIR)?.body.segments ?? [];
    assert.deepEqual(
      segments.map((s) => [s.file, s.numDocuments]),
      [
        ['tokens-0.seg', 1],
        ['tokens-1.seg', 1],
        ['tokens-2.seg', 1],
      ],
    );
    const loaded = open(fs);
    assert.deepEqual(summary(loaded.records), summary(records));

    // Compaction rewrites every document into one new segment and removes the old ones.
    loaded.storage.checkpoint(manifestOf(), loaded.records, INDEX_BYTES, true);
    loaded.storage.close();
    assert.deepEqual(
      readManifest(fs, DIR)?.body.segments.map((s) => [s.file, s.numDocuments]),
      [['tokens-3.seg', 3]],
    );
    assert.deepEqual(
      fs.readdir(DIR).filter((name) => name.endsWith('.seg')),
      ['tokens-3.seg'],
    );
    const compacted = open(fs);
    assert.deepEqual(summary(compacted.records), summary(records));
    compacted.storage.close();
  });

  it("names the previous index file again for 'keep', and writes none for empty bytes", () => {
    const fs = collectionWith([doc(0, 2)]);
    const writer = open(fs);
    const before = readManifest(fs, DIR)?.body.index;
    writer.storage.checkpoint(manifestOf(), [doc(0, 2), doc(1, 3)], 'keep', false);
    assert.deepEqual(readManifest(fs, DIR)?.body.index, before);
    writer.storage.close();

    const kept = open(fs);
    assert.deepEqual(kept.indexBytes, INDEX_BYTES);
    assert.deepEqual(summary(kept.records), summary([doc(0, 2), doc(1, 3)]));
    kept.storage.checkpoint(manifestOf(), kept.records, new Uint8Array(0), false);
    kept.storage.close();
    const none = open(fs);
    assert.equal(none.indexBytes, undefined);
    assert.equal(readManifest(fs, DIR)?.body.index, null);
    none.storage.close();
  });

  it('replaces a stray file that took the name of the next document file', () => {
    const fs = collectionWith([doc(0, 2)]);
    const writer = open(fs);
    const next = join(DIR, `docs-${writer.storage.generation + 1}.bin`);
    fs.putFile(next, Uint8Array.of(0xde, 0xad));
    writer.storage.checkpoint(manifestOf(), [doc(0, 2), doc(1, 1)], 'keep', false);
    writer.storage.close();

    assert.equal(documentsFile(fs), next);
    const loaded = open(fs);
    assert.deepEqual(summary(loaded.records), summary([doc(0, 2), doc(1, 1)]));
    loaded.storage.close();
  });
});

describe('directory storage: the index file', () => {
  it('is rebuilt (undefined) when damaged, and when missing', () => {
    const fs = collectionWith([doc(0, 2)]);
    const ref = readManifest(fs, DIR)?.body.index;
    assert.ok(ref);
    const path = join(DIR, ref.file);
    const damaged = fs.peek(path);
    damaged[4] ^= 0x01;
    fs.putFile(path, damaged);
    const warn = mock.method(logger, 'warn', () => undefined);
    const rebuilt = open(fs);
    assert.equal(rebuilt.indexBytes, undefined);
    assert.match(String(warn.mock.calls[0]?.arguments[0]), /does not match its manifest entry/);
    warn.mock.restore();
    assert.deepEqual(summary(rebuilt.records), summary([doc(0, 2)]));
    rebuilt.storage.close();

    fs.unlink(path);
    const missing = open(fs, { readOnly: true });
    assert.equal(missing.indexBytes, undefined);
    missing.storage.close();
  });

  it('passes on a failure reading it that is not damage (a kill, a closed file system)', () => {
    const failures = [
      new SimulatedCrash('killed while reading the index'),
      new MuveraError('closed', 'the file system was closed'),
    ];
    for (const failure of failures) {
      const fs = RaceFs.from(collectionWith([doc(0, 2)]));
      const ref = readManifest(fs, DIR)?.body.index;
      assert.ok(ref);
      fs.step = {
        path: join(DIR, ref.file),
        run: () => {
          throw failure;
        },
      };
      assert.throws(
        () => open(fs),
        (error) => error === failure,
      );
      assert.equal(fs.exists(join(DIR, LOCK_FILE)), false, 'a failed open releases the lock');
    }
  });
});

describe('directory storage: damaged or inconsistent files', () => {
  it('refuses a damaged document file with corrupt-data naming it, and frees the lock', () => {
    const fs = collectionWith([doc(0, 2), doc(1, 3)]);
    const path = documentsFile(fs);
    const original = fs.peek(path);

    const flipped = original.slice();
    flipped[flipped.length - 2] ^= 0x10;
    fs.putFile(path, flipped);
    assert.throws(() => open(fs), { code: 'corrupt-data', file: path, message: /differs from/ });
    assert.equal(fs.exists(join(DIR, LOCK_FILE)), false, 'a failed open releases the lock');
    assert.throws(() => open(fs, { readOnly: true }), { code: 'corrupt-data', file: path });

    fs.putFile(path, original.subarray(0, original.length - 1));
    assert.throws(() => open(fs), { code: 'corrupt-data', file: path });

    fs.putFile(path, original);
    const restored = open(fs);
    assert.deepEqual(summary(restored.records), summary([doc(0, 2), doc(1, 3)]));
    restored.storage.close();
  });

  it('refuses a document that points past its token segment or disagrees with it', () => {
    const cases = [
      { change: { index: 5 }, message: /doc-1 points past its token segment/ },
      { change: { numTokens: 2 }, message: /doc-1 disagrees with its token segment/ },
    ];
    for (const { change, message } of cases) {
      const fs = collectionWith([doc(0, 2), doc(1, 3)]);
      const segment = readManifest(fs, DIR)?.body.segments[0].file;
      const entries = decodeDocumentsFile(fs.peek(documentsFile(fs)), 'docs', 1);
      entries[1] = { ...entries[1], ...change };
      const bytes = encodeDocumentsFile(entries);
      fs.putFile(join(DIR, 'docs-9.bin'), bytes);
      republish(fs, (body) => ({
        ...body,
        parts: [
          { file: 'docs-9.bin', length: bytes.length, checksum: crc32(bytes), role: 'documents' },
        ],
      }));
      assert.throws(() => open(fs), { code: 'corrupt-data', file: `${DIR}/${segment}`, message });
    }
  });
});

describe('directory storage: the collection config in the manifest', () => {
  const withConfig = (config: unknown) => {
    const fs = collectionWith([doc(0, 1)]);
    const file = republish(fs, (body) => ({ ...body, config }));
    return { fs, file };
  };
  const config = () => {
    const fs = collectionWith([]);
    return readManifest(fs, DIR)?.body.config as Record<string, unknown>;
  };

  it('refuses a collection of a newer layout with unsupported-version', () => {
    const { fs, file } = withConfig({ ...config(), formatVersion: COLLECTION_FORMAT_VERSION + 1 });
    assert.throws(() => open(fs), {
      code: 'unsupported-version',
      file,
      expected: COLLECTION_FORMAT_VERSION,
      actual: COLLECTION_FORMAT_VERSION + 1,
      remedy: 'Upgrade muvera',
    });
    assert.throws(() => open(fs, { readOnly: true }), { code: 'unsupported-version' });
  });

  it('refuses an older layout that has no upgrade step', () => {
    const { fs, file } = withConfig({ ...config(), formatVersion: 0 });
    assert.throws(() => open(fs), {
      code: 'unsupported-version',
      file,
      actual: 0,
      message: /no upgrade from collection layout 0/,
    });
  });

  it('runs the named upgrade steps up to the current layout', () => {
    const steps = [
      {
        from: 0,
        name: 'addNextSegment',
        upgrade: (old: Record<string, unknown>) => ({ ...old, nextSegment: 0 }),
      },
    ];
    const { nextSegment: _dropped, ...current } = config();
    const upgraded = upgradeConfig({ ...current, formatVersion: 0 }, 'manifest-1', steps);
    assert.deepEqual(upgraded, config());
    assert.equal((upgraded as { formatVersion: number }).formatVersion, COLLECTION_FORMAT_VERSION);
  });

  it('refuses a config of a bad shape with corrupt-data naming the manifest', () => {
    const collection = (change: Record<string, unknown>) => ({
      ...config(),
      collection: { ...manifestOf(), ...change },
    });
    const shapes = [
      null,
      { ...config(), nextSegment: 'one' },
      collection({ dim: 0 }),
      collection({ index: {} }),
      // Before the fix these five opened, and the three after them failed with invalid-argument
      // naming an option (`options.fde`, `kind`) the caller never passed.
      collection({ precision: 'int3' }),
      collection({ nextKey: undefined }),
      collection({ encoder: 'name' }),
      collection({ index: { kind: 'flat', params: null } }),
      { ...config(), nextSegment: -5 },
      collection({ fde: null }),
      collection({ fde: [] }),
      collection({ index: { kind: 'bogus', params: {} } }),
    ];
    for (const shape of shapes) {
      const { fs, file } = withConfig(shape);
      assert.throws(
        () => open(fs),
        { code: 'corrupt-data', file, message: /bad shape/ },
        JSON.stringify(shape),
      );
    }
  });
});

describe('directory storage: create, open and backup', () => {
  it('refuses to open a directory that is missing or holds no manifest', () => {
    const fs = new MemoryFileSystem();
    assert.throws(() => open(fs), { code: 'not-found', file: DIR, message: /no collection in/ });
    fs.mkdir(DIR);
    assert.throws(() => open(fs), {
      code: 'not-found',
      file: DIR,
      message: /no collection manifest/,
    });
    assert.throws(() => open(fs, { readOnly: true }), { code: 'not-found', file: DIR });
    assert.deepEqual(fs.readdir(DIR), [], 'nothing was left behind, not even the lock');
  });

  it('carries the encoder and counts every file in diskBytes', () => {
    const fs = new MemoryFileSystem();
    const manifest = { ...manifestOf(), encoder: { name: 'test-encoder', dim: DIM } };
    const storage = createStorage(DIR, manifest, 'fsync', fs);
    storage.checkpoint(manifest, [doc(0, 2)], INDEX_BYTES, false);
    assert.deepEqual(storage.encoder, manifest.encoder);
    const files = fs.readdir(DIR);
    const bytes = files.reduce((sum, name) => sum + fs.stat(join(DIR, name)).size, 0);
    assert.ok(files.includes(LOCK_FILE) && files.some((name) => name.startsWith('manifest-')));
    assert.equal(storage.diskBytes(), bytes);
    storage.close();
    assert.deepEqual(open(fs, { readOnly: true }).storage.encoder, manifest.encoder);
  });

  it('refuses to create a collection over another one and keeps the first intact', () => {
    const fs = collectionWith([doc(0, 2)]);
    assert.throws(() => createStorage(DIR, manifestOf(), 'fsync', fs), {
      code: 'already-exists',
      file: DIR,
    });
    const loaded = open(fs);
    assert.deepEqual(summary(loaded.records), summary([doc(0, 2)]));
    loaded.storage.close();
  });

  it('uses the real file system by default', () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'muvera-storage-')), 'c');
    temps.push(dir);
    const storage = createStorage(dir, manifestOf(), 'none');
    storage.checkpoint(manifestOf(), [doc(0, 2), doc(1, 1)], INDEX_BYTES, false);
    storage.close();

    const loaded = openStorage(dir);
    assert.deepEqual(summary(loaded.records), summary([doc(0, 2), doc(1, 1)]));
    assert.deepEqual(loaded.indexBytes, INDEX_BYTES);
    loaded.storage.close();
  });

  it('backs up the published generation into an empty directory, which opens to the same state', () => {
    const records = [doc(0, 2), doc(1, 3), doc(2, 1)];
    const fs = collectionWith(records);
    const writer = open(fs);
    writer.storage.append({ op: 'delete', ids: ['doc-1'] });
    fs.mkdir('/empty');
    writer.storage.backup('/empty');
    writer.storage.backup('/new/backup');
    assert.throws(() => writer.storage.backup('/new/backup'), {
      code: 'already-exists',
      file: '/new/backup',
    });
    writer.storage.close();

    for (const target of ['/empty', '/new/backup']) {
      const copy = openStorage(target, { fs });
      assert.deepEqual(summary(copy.records), summary(records));
      assert.deepEqual(copy.indexBytes, INDEX_BYTES);
      assert.deepEqual(copy.log, [], 'the log after the checkpoint is not part of a backup');
      copy.storage.close();
    }
  });

  it('backs up a generation without an index file', () => {
    const fs = new MemoryFileSystem();
    const storage = createStorage(DIR, manifestOf(), 'fsync', fs);
    storage.checkpoint(manifestOf(), [doc(0, 2)], new Uint8Array(0), false);
    storage.backup('/copy');
    storage.close();
    const copy = openStorage('/copy', { fs, readOnly: true });
    assert.equal(copy.indexBytes, undefined);
    assert.deepEqual(summary(copy.records), summary([doc(0, 2)]));
  });
});

describe('directory storage: handles', () => {
  it('stops acknowledging after a failed log write, and reopens to the state before it', () => {
    const fs = FaultFileSystem.from(collectionWith([doc(0, 2)]));
    const writer = open(fs);
    writer.storage.checkWritable();
    fs.arm({ failAt: fs.mutations + 1, failWith: 'EIO' });
    assert.throws(() => writer.storage.append({ op: 'delete', ids: ['doc-0'] }), {
      code: 'io-error',
    });
    assert.throws(() => writer.storage.checkWritable(), { code: 'closed' });
    assert.throws(() => writer.storage.append({ op: 'delete', ids: ['doc-0'] }), {
      code: 'closed',
    });
    writer.storage.close();

    fs.arm({});
    const reopened = open(fs);
    assert.deepEqual(reopened.log, []);
    assert.deepEqual(summary(reopened.records), summary([doc(0, 2)]));
    reopened.storage.close();
  });

  it('refuses writes after close and on a read-only handle; close is idempotent', () => {
    const fs = collectionWith([doc(0, 2)]);
    const writer = open(fs);
    writer.storage.close();
    writer.storage.close();
    assert.throws(() => writer.storage.append({ op: 'delete', ids: ['doc-0'] }), {
      code: 'closed',
      message: /is closed/,
    });
    // A write after close is not a failed write: the message still says closed, not failed.
    assert.throws(() => writer.storage.checkWritable(), { code: 'closed', message: /is closed/ });
    assert.throws(() => writer.storage.checkpoint(manifestOf(), [], 'keep', false), {
      code: 'closed',
    });

    const reader = open(fs, { readOnly: true });
    assert.equal(reader.storage.readOnly, true);
    assert.throws(() => reader.storage.append({ op: 'delete', ids: ['doc-0'] }), {
      code: 'closed',
    });
    reader.storage.close();
  });

  it('a reader replays the log and reports the bytes it read', () => {
    const fs = collectionWith([doc(0, 2)]);
    const writer = open(fs);
    const seq = writer.storage.append({ op: 'delete', ids: ['doc-0'] });
    const reader = open(fs, { readOnly: true });
    assert.deepEqual(reader.log, [{ op: 'delete', ids: ['doc-0'], seq }]);
    assert.equal(reader.storage.logBytes(), writer.storage.logBytes());
    assert.ok(reader.storage.logBytes() > 0);
    assert.equal(fs.exists(join(DIR, LOCK_FILE)), true, 'the reader took no lock');
    reader.storage.close();
    writer.storage.close();
  });
});

/** A memory file system that runs `step` once, just before the first read of `path`. */
class RaceFs extends MemoryFileSystem {
  step: { path: string; run: () => void } | null = null;

  /** A copy of `image` (test setup). */
  static from(image: MemoryFileSystem): RaceFs {
    const fs = new RaceFs();
    fs.loadImage(image);
    return fs;
  }

  override readFile(path: string, maxBytes: number): Uint8Array {
    const step = this.step;
    if (step && step.path === path) {
      this.step = null;
      step.run();
    }
    return super.readFile(path, maxBytes);
  }
}

describe('directory storage: a reader racing a checkpoint', () => {
  function racing() {
    const fs = new RaceFs();
    const storage = createStorage(DIR, manifestOf(), 'fsync', fs);
    storage.checkpoint(manifestOf(), [doc(0, 2)], INDEX_BYTES, false);
    return { fs, storage };
  }

  it('starts again from the newer generation when the one it read is gone', () => {
    const { fs, storage } = racing();
    const records = [doc(0, 2), doc(1, 3)];
    // The writer publishes a generation and removes the document file the reader is about to read.
    fs.step = {
      path: documentsFile(fs),
      run: () => storage.checkpoint(manifestOf(), records, INDEX_BYTES, false),
    };
    const reader = open(fs, { readOnly: true });
    assert.equal(fs.step, null, 'the checkpoint ran in the middle of the open');
    assert.equal(reader.storage.generation, storage.generation);
    assert.deepEqual(summary(reader.records), summary(records));
    reader.storage.close();
    storage.close();
  });

  it('passes the error on when no newer generation explains it', () => {
    const { fs, storage } = racing();
    const path = documentsFile(fs);
    fs.step = { path, run: () => fs.unlink(path) };
    assert.throws(() => open(fs, { readOnly: true }), { code: 'not-found', file: path });
    storage.close();
  });
});
