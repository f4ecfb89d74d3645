/**
 * After a failed sync the collection refuses every write until it is reopened, including writes
 * with nothing to append: a delete of unknown ids and an empty upsert.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Collection } from '../../src/collection/collection.js';
import { FaultFileSystem } from '../../src/store/fault-file-system.js';
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
});
