/**
 * Fuzzed readers (issue 9): at least 20,000 mutated inputs per file reader (token segment,
 * manifest, write-ahead log). Each must end in a valid read or a MuveraError, never an untyped
 * exception, and none may take long. Mutations: random byte overwrites, bit flips, truncations,
 * extensions with garbage, and sizes/counts overwritten with extreme values at field offsets.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isMuveraError } from '../../src/errors.js';
import { logFileName, replayLog } from '../../src/store/log-format.js';
import { decodeManifest, encodeManifest } from '../../src/store/manifest.js';
import { MemoryFileSystem, seededRandom } from '../../src/store/memory-file-system.js';
import { TokenSegmentReader } from '../../src/store/token-segment-reader.js';
import { TokenSegmentWriter } from '../../src/store/token-segment-writer.js';
import { WriteAheadLog } from '../../src/store/write-ahead-log.js';
import { mutateBytes } from '../helpers/mutate-bytes.js';

const INPUTS_PER_READER = 20_000;
/** A single input slower than this is a failure (the bound is one second). */
const SLOW_MS = 1000;

/** Runs `read` on INPUTS_PER_READER mutations of `good`; returns how many read without error. */
function fuzz(good: Uint8Array, seed: number, read: (bytes: Uint8Array) => void): number {
  // NOTE: an AssertionError thrown by `read` is not a MuveraError, so it fails the test.
  const random = seededRandom(seed);
  let valid = 0;
  let slowest = 0;
  for (let i = 0; i < INPUTS_PER_READER; i++) {
    const input = mutateBytes(good, random, { alignWords: true });
    const start = performance.now();
    try {
      read(input);
      valid++;
    } catch (error) {
      assert.ok(isMuveraError(error), `input ${i}: untyped ${String(error)}`);
    }
    slowest = Math.max(slowest, performance.now() - start);
  }
  assert.ok(slowest < SLOW_MS, `slowest input took ${slowest} ms`);
  return valid;
}

describe('fuzzed readers', () => {
  it(`token segment reader: ${INPUTS_PER_READER} inputs`, () => {
    const fs = new MemoryFileSystem();
    const writer = TokenSegmentWriter.create(fs, '/seg', {
      dim: 5,
      precision: 'int8',
      scaleMode: 'token',
    });
    const random = seededRandom(1);
    for (const numTokens of [1, 3, 0, 2]) {
      const values = Int8Array.from({ length: numTokens * 5 }, () => (random() * 255 - 127) | 0);
      writer.append({
        precision: 'int8',
        dim: 5,
        numTokens,
        values,
        scales: new Float32Array(numTokens).fill(0.5),
        scaleMode: 'token',
      });
    }
    writer.finish();
    let round = 0;
    fuzz(fs.peek('/seg'), 2, (bytes) => {
      const paged = round++ % 2 === 1;
      fs.putFile('/bad', bytes);
      const reader = paged
        ? TokenSegmentReader.open(fs, '/bad', { paged })
        : TokenSegmentReader.fromBytes(bytes, '/seg', true);
      for (let i = 0; i < reader.numDocuments; i++) reader.get(i);
    });
  });

  it(`manifest reader: ${INPUTS_PER_READER} inputs`, () => {
    const good = encodeManifest({
      generation: 3,
      config: { dim: 128, seeds: [1, 2] },
      segments: [{ file: 'seg-1.tok', length: 10, checksum: 5, numDocuments: 1, numTokens: 2 }],
      index: null,
      parts: [],
      log: { sequence: 9 },
      counts: { documents: 1 },
    });
    fuzz(good, 3, (bytes) => {
      decodeManifest(bytes, '/m');
      assert.deepEqual(bytes, good, 'a changed manifest was read without an error');
    });
  });

  it(`write-ahead log reader: ${INPUTS_PER_READER} inputs`, () => {
    const fs = new MemoryFileSystem();
    const log = WriteAheadLog.open(fs, '/');
    log.append([
      { type: 1, payload: new Uint8Array(13).fill(7) },
      { type: 2, payload: new Uint8Array(0) },
    ]);
    log.append([{ type: 3, payload: new Uint8Array(40).fill(1) }]);
    log.close();
    const path = `/${logFileName(1)}`;
    const image = new MemoryFileSystem();
    fuzz(fs.peek(path), 4, (bytes) => {
      image.putFile(path, bytes);
      replayLog(image, '/', { onRecord: () => {} });
    });
  });
});
