import assert from 'node:assert/strict';
import { it } from 'node:test';
import { ENVELOPE_MAGIC, openEnvelope, wrapEnvelope } from '../../src/index/envelope.js';
import { deserializeCandidateIndex } from '../../src/index/factory.js';
import { PqIndex } from '../../src/index/pq.js';
import { vectors } from './contract.js';

const header = { kind: 'flat' as const, dimensions: 2, count: 1, params: {} };

it('envelope round-trips header and payload, and starts with the magic bytes', () => {
  const payload = Uint8Array.from([1, 2, 3]);
  const bytes = wrapEnvelope(header, payload);
  assert.deepEqual(bytes.subarray(0, 8), ENVELOPE_MAGIC);
  const opened = openEnvelope(bytes);
  assert.deepEqual(opened.header, header);
  assert.deepEqual(opened.payload, payload);
});

it('a well-checksummed envelope with a bad header or a short payload is corrupt-data', () => {
  const noKind = wrapEnvelope({ ...header, kind: 'annoy' as never }, new Uint8Array(0));
  assert.throws(() => openEnvelope(noKind), { code: 'corrupt-data' });

  const short = wrapEnvelope(header, new Uint8Array(4));
  assert.throws(() => deserializeCandidateIndex(short), { code: 'corrupt-data' });

  const long = wrapEnvelope(header, new Uint8Array(8 + 8 + 1));
  assert.throws(() => deserializeCandidateIndex(long), { code: 'corrupt-data' });

  const nan = new Float32Array([Number.NaN, 0]);
  const keys = new Float64Array([0]);
  const payload = new Uint8Array(16);
  payload.set(new Uint8Array(keys.buffer), 0);
  payload.set(new Uint8Array(nan.buffer), 8);
  assert.throws(() => deserializeCandidateIndex(wrapEnvelope(header, payload)), {
    code: 'corrupt-data',
  });
});

it('a usearch payload that fails to load is corrupt-data, not a crash', () => {
  const garbage = wrapEnvelope(
    { kind: 'hnsw', dimensions: 4, count: 3, params: { hasMean: false } },
    new Uint8Array(200).fill(7),
  );
  assert.throws(() => deserializeCandidateIndex(garbage), { code: 'corrupt-data' });
});

it('pq trains on demand with train(), and keeps its answers through serialize', () => {
  const index = new PqIndex(16);
  index.add(
    Array.from({ length: 300 }, (_, i) => i),
    vectors(300, 16, 1),
  );
  assert.equal(index.trained, false);
  index.train();
  assert.equal(index.trained, true);
  assert.equal(index.size, 300);
  const query = vectors(1, 16, 2);
  const copy = deserializeCandidateIndex(index.serialize());
  assert.deepEqual(copy.search(query, 20), index.search(query, 20));
  index.train();
  assert.deepEqual(index.search(query, 20), copy.search(query, 20), 'a second train() changed it');
});
