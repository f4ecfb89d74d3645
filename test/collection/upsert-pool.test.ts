/**
 * Large upserts compute their FDEs on an FdePool while the log record is written. The record is
 * durable before the FDEs arrive, so a pool that fails must not fail the write: the collection
 * encodes in its own thread instead, with the same config and the same result.
 */
import assert from 'node:assert/strict';
import { afterEach, describe, it, mock } from 'node:test';
import { Collection } from '../../src/collection/collection.js';
import { FdePool } from '../../src/fde/pool.js';
import { MemoryFileSystem } from '../../src/store/memory-file-system.js';
import { TokenFactory } from './helpers.js';

const DIM = 8;
/** Above the collection's threshold for using the pool. */
const BATCH = 100;

describe('collection upsert through the FDE pool', () => {
  afterEach(() => mock.restoreAll());

  it('encodes in its own thread when the pool fails, with the same hits', async () => {
    const docs = new TokenFactory(DIM, 3).documents(BATCH);
    const query = new TokenFactory(DIM, 4).tokens(4, 1);
    const options = { dim: DIM, index: { kind: 'flat' as const } };

    const healthy = await Collection.create('/a', { ...options, fs: new MemoryFileSystem() });
    await healthy.upsert(docs);
    const expected = await healthy.search(query, { k: 10, candidates: 20 });
    await healthy.close();

    const failing = mock.method(FdePool.prototype, 'encodeDocuments', async () => {
      throw new Error('worker died');
    });
    const fs = new MemoryFileSystem();
    const collection = await Collection.create('/b', { ...options, fs });
    const result = await collection.upsert(docs);
    assert.equal(failing.mock.callCount(), 1, 'the batch went to the pool');
    assert.equal(result.inserted, BATCH);
    const found = await collection.search(query, { k: 10, candidates: 20 });
    assert.deepEqual(found.hits, expected.hits);
    await collection.close();

    const reopened = await Collection.open('/b', { fs });
    assert.deepEqual((await reopened.search(query, { k: 10, candidates: 20 })).hits, expected.hits);
    await reopened.close();
  });
});
