/**
 * Files whose checksums are right but whose content is inconsistent (a buggy writer or a hostile
 * file): each structural check must still answer with a typed error naming file and offset.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { crc32, magicBytes } from '../../src/store/binary.js';
import {
  decodeManifest,
  encodeManifest,
  type ManifestBody,
  manifestName,
  readManifest,
} from '../../src/store/manifest.js';
import { MemoryFileSystem } from '../../src/store/memory-file-system.js';
import { DIRECTORY_ENTRY_BYTES, ENTRY, HEADER } from '../../src/store/token-format.js';
import { TokenSegmentReader } from '../../src/store/token-segment-reader.js';
import { TokenSegmentWriter } from '../../src/store/token-segment-writer.js';

function segment(): Uint8Array {
  const fs = new MemoryFileSystem();
  const writer = TokenSegmentWriter.create(fs, '/seg', { dim: 2, precision: 'float32' });
  for (const numTokens of [2, 1, 3]) {
    writer.append({
      precision: 'float32',
      dim: 2,
      numTokens,
      values: new Float32Array(numTokens * 2).fill(numTokens),
    });
  }
  writer.finish();
  return fs.peek('/seg');
}

/** Applies `edit` to a segment, then makes its directory and header checksums right again. */
function crafted(edit: (view: DataView, directoryOffset: number) => void): Uint8Array {
  const bytes = segment();
  const view = new DataView(bytes.buffer);
  const directoryOffset = Number(view.getBigUint64(HEADER.directoryOffset, true));
  edit(view, directoryOffset);
  view.setUint32(HEADER.directoryCrc, crc32(bytes.subarray(directoryOffset)), true);
  view.setUint32(HEADER.headerCrc, crc32(bytes.subarray(0, HEADER.headerCrc)), true);
  return bytes;
}

const entry = (directoryOffset: number, index: number, field: number) =>
  directoryOffset + index * DIRECTORY_ENTRY_BYTES + field;
const typed = (offset?: number) => ({
  code: 'corrupt-data',
  file: '/seg',
  ...(offset === undefined ? {} : { offset }),
});

describe('crafted token segments', () => {
  it('refuses a block that does not start where the previous one ended', () => {
    const bytes = crafted((view, dir) =>
      view.setBigUint64(entry(dir, 1, ENTRY.blockOffset), 8n, true),
    );
    assert.throws(() => TokenSegmentReader.fromBytes(bytes, '/seg'), typed());
  });

  it('refuses a wrong first row', () => {
    const bytes = crafted((view, dir) =>
      view.setBigUint64(entry(dir, 1, ENTRY.firstRow), 5n, true),
    );
    assert.throws(() => TokenSegmentReader.fromBytes(bytes, '/seg'), typed());
  });

  it('refuses a token count that cannot fit', () => {
    const bytes = crafted((view, dir) =>
      view.setUint32(entry(dir, 2, ENTRY.numTokens), 0xffffffff, true),
    );
    assert.throws(() => TokenSegmentReader.fromBytes(bytes, '/seg'), typed());
  });

  it('refuses blocks that do not add up to the header counts', () => {
    const bytes = crafted((view) => view.setBigUint64(HEADER.numTokens, 5n, true));
    assert.throws(() => TokenSegmentReader.fromBytes(bytes, '/seg'), typed());
    const shorter = crafted((view, dir) => view.setUint32(entry(dir, 2, ENTRY.numTokens), 2, true));
    assert.throws(() => TokenSegmentReader.fromBytes(shorter, '/seg', false), typed());
  });

  it('refuses unknown codes and a scale mode that does not fit the precision', () => {
    assert.throws(
      () =>
        TokenSegmentReader.fromBytes(
          crafted((v) => v.setUint8(HEADER.precision, 9)),
          '/seg',
        ),
      typed(HEADER.precision),
    );
    assert.throws(
      () =>
        TokenSegmentReader.fromBytes(
          crafted((v) => v.setUint8(HEADER.scaleMode, 1)),
          '/seg',
        ),
      typed(HEADER.scaleMode),
    );
    assert.throws(
      () =>
        TokenSegmentReader.fromBytes(
          crafted((v) => v.setUint32(HEADER.dim, 0)),
          '/seg',
        ),
      typed(HEADER.dim),
    );
    assert.throws(
      () =>
        TokenSegmentReader.fromBytes(
          crafted((v) => v.setUint16(HEADER.version, 0, true)),
          '/seg',
        ),
      typed(HEADER.version),
    );
  });

  it('refuses a directory that does not end the file', () => {
    const bytes = crafted((view) => view.setUint32(HEADER.numDocuments, 2, true));
    assert.throws(() => TokenSegmentReader.fromBytes(bytes, '/seg'), typed());
  });

  it('checks document indexes given by the caller', () => {
    const reader = TokenSegmentReader.fromBytes(segment(), '/seg');
    assert.throws(() => reader.get(3), { code: 'invalid-argument' });
    assert.throws(() => reader.numTokensOf(-1), { code: 'invalid-argument' });
  });
});

const MANIFEST_HEADER_BYTES = 32;
/** Manifest bytes with `json` as body and right checksums. */
function manifestWith(json: string, generation = 1): Uint8Array {
  const body = new TextEncoder().encode(json);
  const bytes = new Uint8Array(MANIFEST_HEADER_BYTES + body.length);
  const view = new DataView(bytes.buffer);
  bytes.set(magicBytes('MUVRMANI'), 0);
  view.setUint16(8, 1, true);
  view.setUint16(10, MANIFEST_HEADER_BYTES, true);
  view.setUint32(12, body.length, true);
  view.setBigUint64(16, BigInt(generation), true);
  view.setUint32(24, crc32(body), true);
  bytes.set(body, MANIFEST_HEADER_BYTES);
  view.setUint32(28, crc32(bytes.subarray(0, 28)), true);
  return bytes;
}

const body = (generation: number): ManifestBody => ({
  generation,
  config: null,
  segments: [],
  index: null,
  parts: [],
  log: { sequence: 1 },
  counts: {},
});

describe('crafted manifests', () => {
  it('refuses a body that is not JSON, breaks the schema, or disagrees on the generation', () => {
    assert.throws(() => decodeManifest(manifestWith('{"generation":'), '/m'), {
      code: 'corrupt-data',
      offset: 32,
    });
    assert.throws(() => decodeManifest(manifestWith('[1,2]'), '/m'), {
      code: 'corrupt-data',
      offset: 32,
    });
    const unsafe = {
      ...body(1),
      segments: [{ file: '../x', length: 1, checksum: 1, numDocuments: 1, numTokens: 1 }],
    };
    assert.throws(() => decodeManifest(manifestWith(JSON.stringify(unsafe)), '/m'), {
      code: 'corrupt-data',
    });
    assert.throws(() => decodeManifest(manifestWith(JSON.stringify(body(2)), 1), '/m'), {
      code: 'corrupt-data',
      offset: 16,
    });
    assert.deepEqual(decodeManifest(manifestWith(JSON.stringify(body(1))), '/m').body, body(1));
  });

  it('refuses a generation file whose content names another generation', () => {
    const fs = new MemoryFileSystem();
    fs.putFile(`/${manifestName(4)}`, encodeManifest(body(3)));
    assert.throws(() => readManifest(fs, '/'), {
      code: 'corrupt-data',
      file: `/${manifestName(4)}`,
    });
  });
});
