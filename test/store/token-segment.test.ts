import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { EncodedTokens, Precision, ScaleMode } from '../../src/chamfer/precision.js';
import { isMuveraError } from '../../src/errors.js';
import { crc32 } from '../../src/store/binary.js';
import { FaultFileSystem, SimulatedCrash } from '../../src/store/fault-file-system.js';
import { MemoryFileSystem, seededRandom } from '../../src/store/memory-file-system.js';
import { HEADER, type SegmentLayout } from '../../src/store/token-format.js';
import { TokenSegmentReader, tokenStoreStats } from '../../src/store/token-segment-reader.js';
import { TokenSegmentWriter } from '../../src/store/token-segment-writer.js';

/** A random document of `numTokens` rows in `layout`. */
function makeTokens(layout: SegmentLayout, numTokens: number, random: () => number): EncodedTokens {
  const { dim, precision, scaleMode } = layout;
  const count = numTokens * dim;
  if (precision === 'float32') {
    return {
      precision,
      dim,
      numTokens,
      values: Float32Array.from({ length: count }, () => random() * 2 - 1),
    };
  }
  if (precision === 'float16') {
    return {
      precision,
      dim,
      numTokens,
      values: Uint16Array.from({ length: count }, () => (random() * 0x7bff) | 0),
    };
  }
  const numScales = scaleMode === 'token' ? numTokens : dim;
  return {
    precision,
    dim,
    numTokens,
    values: Int8Array.from({ length: count }, () => Math.round(random() * 254 - 127)),
    scales: Float32Array.from({ length: numScales }, () => random() + 0.01),
    scaleMode,
  };
}

const LAYOUTS: SegmentLayout[] = [
  { dim: 1, precision: 'float32' },
  { dim: 97, precision: 'float32' },
  { dim: 3, precision: 'float16' },
  { dim: 128, precision: 'float16' },
  { dim: 3, precision: 'int8', scaleMode: 'token' },
  { dim: 97, precision: 'int8', scaleMode: 'token' },
  { dim: 5, precision: 'int8', scaleMode: 'dimension' },
];

function writeSegment(
  fs: MemoryFileSystem,
  path: string,
  layout: SegmentLayout,
  docs: EncodedTokens[],
) {
  const writer = TokenSegmentWriter.create(fs, path, layout, { bufferBytes: 300 });
  for (const doc of docs) writer.append(doc);
  return writer.finish();
}

function sampleDocs(layout: SegmentLayout, seed = 1): EncodedTokens[] {
  const random = seededRandom(seed);
  return [1, 7, 0, 13, 2].map((n) => makeTokens(layout, n, random));
}

describe('token segments', () => {
  for (const layout of LAYOUTS) {
    it(`round-trips ${layout.precision}${layout.scaleMode ? `/${layout.scaleMode}` : ''} at dim ${layout.dim}`, () => {
      const fs = new MemoryFileSystem();
      const docs = sampleDocs(layout);
      const info = writeSegment(fs, '/seg', layout, docs);
      const reader = TokenSegmentReader.open(fs, '/seg', {
        expected: { length: info.length, checksum: info.checksum },
      });

      assert.equal(reader.numDocuments, docs.length);
      assert.equal(reader.numTokens, 23);
      assert.deepEqual(reader.layout, { ...layout, scaleMode: layout.scaleMode });
      let rows = 0;
      docs.forEach((doc, i) => {
        const got = reader.get(i);
        assert.deepEqual(got, doc);
        assert.equal(reader.firstRowOf(i), rows);
        assert.equal(got.values.byteOffset % 8, 0, 'values are aligned views');
        rows += doc.numTokens;
      });
      assert.equal(info.numTokens, 23);
      assert.equal(reader.checksum, info.checksum);
    });
  }

  it('reads documents positionally with the paged option, checking each block', () => {
    const fs = new MemoryFileSystem();
    for (const layout of LAYOUTS) {
      const docs = sampleDocs(layout, 7);
      const info = writeSegment(fs, `/seg-${layout.precision}-${layout.dim}`, layout, docs);
      const paged = TokenSegmentReader.open(fs, info.file, { paged: true, expected: info });
      assert.equal(paged.paged, true);
      for (const [i, doc] of docs.entries()) assert.deepEqual(paged.get(i), doc);
      paged.close();
    }
    const layout: SegmentLayout = { dim: 4, precision: 'float32' };
    writeSegment(fs, '/damaged', layout, sampleDocs(layout));
    const bytes = fs.peek('/damaged');
    bytes[70] ^= 1;
    fs.putFile('/damaged', bytes);
    const reader = TokenSegmentReader.open(fs, '/damaged', { paged: true });
    assert.throws(() => reader.get(0), { code: 'corrupt-data', file: '/damaged', offset: 64 });
    assert.deepEqual(reader.get(1), sampleDocs(layout)[1]);
    assert.throws(() => TokenSegmentReader.open(fs, '/damaged', { paged: true, maxBytes: 10 }), {
      code: 'corrupt-data',
    });
  });

  it('hands out views, not copies', () => {
    const fs = new MemoryFileSystem();
    const layout: SegmentLayout = { dim: 4, precision: 'float32' };
    writeSegment(fs, '/seg', layout, sampleDocs(layout));
    const reader = TokenSegmentReader.open(fs, '/seg');
    assert.equal(reader.get(0).values.buffer, reader.get(1).values.buffer);
  });

  it('reports bytes per token in its stats', () => {
    const fs = new MemoryFileSystem();
    const layout: SegmentLayout = { dim: 128, precision: 'int8', scaleMode: 'token' };
    const random = seededRandom(3);
    const docs = Array.from({ length: 10 }, () => makeTokens(layout, 100, random));
    writeSegment(fs, '/seg', layout, docs);
    const stats = tokenStoreStats([TokenSegmentReader.open(fs, '/seg')]);
    assert.equal(stats.numTokens, 1000);
    assert.equal(stats.valueBytesPerToken, 128);
    assert.ok(
      stats.bytesPerToken > 132 && stats.bytesPerToken < 133,
      `bytes per token ${stats.bytesPerToken}`,
    );
  });

  it('refuses documents that do not fit the layout', () => {
    const fs = new MemoryFileSystem();
    const writer = TokenSegmentWriter.create(fs, '/seg', { dim: 4, precision: 'float32' });
    const random = seededRandom(1);
    assert.throws(() => writer.append(makeTokens({ dim: 5, precision: 'float32' }, 2, random)), {
      code: 'dimension-mismatch',
    });
    assert.throws(() => writer.append(makeTokens({ dim: 4, precision: 'float16' }, 2, random)), {
      code: 'config-mismatch',
    });
    assert.throws(
      () =>
        writer.append({ precision: 'float32', dim: 4, numTokens: 2, values: new Float32Array(7) }),
      {
        code: 'invalid-argument',
      },
    );
    assert.throws(() => TokenSegmentWriter.create(fs, '/b', { dim: 0, precision: 'float32' }), {
      code: 'invalid-argument',
    });
    assert.throws(() => TokenSegmentWriter.create(fs, '/c', { dim: 4, precision: 'int8' }), {
      code: 'invalid-argument',
    });
  });

  it('keeps a segment under its size limit', () => {
    const fs = new MemoryFileSystem();
    const layout: SegmentLayout = { dim: 8, precision: 'float32' };
    const writer = TokenSegmentWriter.create(fs, '/seg', layout, { maxBytes: 1000 });
    const random = seededRandom(1);
    let appended = 0;
    while (writer.hasRoomFor(10)) {
      writer.append(makeTokens(layout, 10, random));
      appended++;
    }
    assert.throws(() => writer.append(makeTokens(layout, 10, random)), { code: 'limit-exceeded' });
    const info = writer.finish();
    assert.ok(info.length <= 1000);
    assert.equal(info.numDocuments, appended);
  });

  it('refuses further writes once a write failed', () => {
    const fs = new FaultFileSystem();
    const layout: SegmentLayout = { dim: 8, precision: 'float32' };
    const writer = TokenSegmentWriter.create(fs, '/seg', layout, { bufferBytes: 1 });
    fs.arm({ failAt: fs.mutations + 1, failWith: 'EIO' });
    const random = seededRandom(1);
    assert.throws(() => writer.append(makeTokens(layout, 2, random)), { code: 'io-error' });
    assert.throws(() => writer.append(makeTokens(layout, 2, random)), { code: 'closed' });
    assert.throws(() => writer.finish(), { code: 'closed' });
  });

  it('leaves only an unreadable orphan when killed at any call before finish returns', () => {
    const layout: SegmentLayout = { dim: 3, precision: 'int8', scaleMode: 'token' };
    const counter = new FaultFileSystem();
    writeSegment(counter, '/seg', layout, sampleDocs(layout));
    for (let n = 1; n < counter.mutations; n++) {
      const fs = new FaultFileSystem({ crashAt: n });
      assert.throws(() => writeSegment(fs, '/seg', layout, sampleDocs(layout)), SimulatedCrash);
      const image = fs.processKillImage();
      if (image.exists('/seg'))
        assert.throws(() => TokenSegmentReader.open(image, '/seg'), { code: 'corrupt-data' });
    }
  });
});

describe('damaged token segments', () => {
  const layout: SegmentLayout = { dim: 3, precision: 'int8', scaleMode: 'dimension' };
  const fs = new MemoryFileSystem();
  writeSegment(fs, '/seg', layout, sampleDocs(layout));
  const good = fs.peek('/seg');

  it('detects every truncation with corrupt-data naming file and offset', () => {
    for (let length = 0; length < good.length; length++) {
      assert.throws(
        () => TokenSegmentReader.fromBytes(good.slice(0, length), '/seg'),
        (error) =>
          isMuveraError(error, 'corrupt-data') &&
          error.file === '/seg' &&
          typeof error.offset === 'number',
        `truncated to ${length}`,
      );
    }
  });

  it('detects every single-bit flip', () => {
    for (let bit = 0; bit < good.length * 8; bit++) {
      const bad = good.slice();
      bad[bit >> 3] ^= 1 << (bit & 7);
      assert.throws(
        () => TokenSegmentReader.fromBytes(bad, '/seg', true),
        (error) => isMuveraError(error, 'corrupt-data') && error.file === '/seg',
        `bit ${bit}`,
      );
    }
  });

  it('refuses a newer format version with unsupported-version', () => {
    const newer = good.slice();
    const view = new DataView(newer.buffer);
    view.setUint16(HEADER.version, 2, true);
    view.setUint32(HEADER.headerCrc, crc32(newer.subarray(0, HEADER.headerCrc)), true);
    assert.throws(() => TokenSegmentReader.fromBytes(newer, '/seg'), {
      code: 'unsupported-version',
      file: '/seg',
    });
  });

  it('rejects a segment that differs from what the manifest recorded', () => {
    assert.throws(
      () => TokenSegmentReader.open(fs, '/seg', { expected: { length: good.length, checksum: 1 } }),
      {
        code: 'corrupt-data',
      },
    );
  });

  it('never allocates from a huge stated size', () => {
    const bad = good.slice();
    const view = new DataView(bad.buffer);
    view.setUint32(HEADER.numDocuments, 0xffffffff, true);
    view.setUint32(HEADER.headerCrc, crc32(bad.subarray(0, HEADER.headerCrc)), true);
    assert.throws(() => TokenSegmentReader.fromBytes(bad, '/seg'), { code: 'corrupt-data' });
  });
});

const PRECISIONS: [Precision, ScaleMode | undefined][] = [
  ['float32', undefined],
  ['float16', undefined],
  ['int8', 'token'],
];
it('fuzzed segments end in a typed error or a valid read, quickly', () => {
  const random = seededRandom(99);
  for (const [precision, scaleMode] of PRECISIONS) {
    const layout = { dim: 4, precision, scaleMode };
    const fs = new MemoryFileSystem();
    writeSegment(fs, '/seg', layout, sampleDocs(layout, 5));
    const good = fs.peek('/seg');
    for (let round = 0; round < 400; round++) {
      const bad = good.slice();
      const flips = 1 + Math.floor(random() * 8);
      for (let f = 0; f < flips; f++)
        bad[Math.floor(random() * bad.length)] = Math.floor(random() * 256);
      try {
        const reader = TokenSegmentReader.fromBytes(bad, '/seg', false);
        for (let i = 0; i < reader.numDocuments; i++) reader.get(i);
      } catch (error) {
        assert.ok(isMuveraError(error), `untyped error ${String(error)}`);
      }
    }
  }
});
