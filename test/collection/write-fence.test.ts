/**
 * After a failed sync the collection refuses every write until it is reopened, including writes
 * with nothing to append: a delete of unknown ids and an empty upsert.
 */
import assert from 'node:assert/strict';
import { describe, it, mock } from 'node:test';
import { Collection } from '../../src/collection/collection.js';
import { CollectionState } from '../../src/collection/state.js';
import { FaultFileSystem } from '../../src/store/fault-file-system.js';
import { MemoryFileSystem } from '../../src/store/memory-file-system.js';
import { TokenFactory } from './helpers.js';

const DIM = 3;
const DIR = '/disk/fenced';

describe('collection write fence', () => {
  it('refuses a no-op delete and an empty upsert after a failed sync', async () => {
    const fs = new FaultFileSystem();
    const tokens = new TokenFactory(DIM, 5);
    const collection = await Collection.create(DIR, { dim: DIM, index: { kind: 'flat' }, fs });
    await collection.upsert(tokens.documents(4));

    fs.arm({ failSyncAt: fs.syncs + 1 });
    await assert.rejects(collection.upsert(tokens.documents(1, 10)));

    await assert.rejects(collection.delete(['never-stored']), { code: 'closed' });
    await assert.rejects(collection.upsert([]), { code: 'closed' });
    await assert.rejects(collection.delete(['doc-1']), { code: 'closed' });
    await collection.close();
  });

  it('refuses writes after a logged write failed to apply, and reopens with it', async () => {
    const fs = new MemoryFileSystem();
    const tokens = new TokenFactory(DIM, 6);
    const collection = await Collection.create('/state', { dim: DIM, index: { kind: 'flat' }, fs });
    await collection.upsert(tokens.documents(2));
    const apply = mock.method(CollectionState.prototype, 'apply', () => {
      throw new Error('index refused the add');
    });
    await assert.rejects(collection.upsert(tokens.documents(1, 5)), /index refused the add/);
    apply.mock.restore();

    await assert.rejects(collection.upsert(tokens.documents(1, 6)), { code: 'closed' });
    await assert.rejects(collection.delete(['doc-0']), { code: 'closed' });
    assert.equal((await collection.stats()).documents, 2, 'memory kept the state before');
    await collection.close();

    const reopened = await Collection.open('/state', { fs });
    assert.equal((await reopened.stats()).documents, 3, 'the logged write is recovered');
    assert.ok(await reopened.get('doc-5'));
    await reopened.close();
  });
});
