/**
 * Opening a collection whose candidate index file is older than its documents: the index is
 * caught up (stale keys removed, new ones added) when that is cheap, and rebuilt when finding the
 * stale keys would visit many more keys than there are documents (a long history of replaces).
 * Either way the index answers exactly as a fresh one.
 */
import assert from 'node:assert/strict';
import { afterEach, describe, it, mock } from 'node:test';
import { Collection } from '../../src/collection/collection.js';
import { logger } from '../../src/log.js';
import { MemoryFileSystem } from '../../src/store/memory-file-system.js';
import { TokenFactory } from './helpers.js';

const DIM = 5;
const DOCS = 10;

/**
 * A collection of DOCS documents replaced `rounds` times, then one more replace. Every write
 * checkpoints on its own (a 1-byte log limit), and an automatic checkpoint writes the index only
 * once as many documents changed as it held, so the index file on disk misses the last replace.
 */
async function churned(fs: MemoryFileSystem, rounds: number) {
  const tokens = new TokenFactory(DIM, 9);
  const options = { dim: DIM, index: { kind: 'flat' as const }, fs, checkpointLogBytes: 1 };
  const collection = await Collection.create('/c', options);
  for (let round = 0; round <= rounds; round++) await collection.upsert(tokens.documents(DOCS));
  await collection.upsert(tokens.documents(1));
  await collection.close();
  return tokens.tokens(3, 1);
}

async function check(fs: MemoryFileSystem, query: Float32Array) {
  const collection = await Collection.open('/c', { fs });
  // Fewer candidates than documents, so the candidate index answers (not a full scan).
  const exact = await collection.search(query, { k: 5, strategy: 'exact' });
  const fde = await collection.search(query, { k: 5, candidates: DOCS - 1 });
  assert.equal((await collection.stats()).documents, DOCS);
  assert.equal(fde.stats.candidatesFetched, DOCS - 1);
  assert.deepEqual(
    fde.hits.map((hit) => hit.id),
    exact.hits.map((hit) => hit.id),
  );
  await collection.close();
}

describe('collection open with an index file behind its documents', () => {
  afterEach(() => mock.restoreAll());

  it('catches the index up when few keys were ever handed out', async () => {
    const fs = new MemoryFileSystem();
    const query = await churned(fs, 2);
    const warn = mock.method(logger, 'warn');
    await check(fs, query);
    assert.equal(warn.mock.callCount(), 0);
  });

  it('rebuilds the index when catching up would scan far more keys than documents', async () => {
    const fs = new MemoryFileSystem();
    const query = await churned(fs, 40);
    const warn = mock.method(logger, 'warn');
    await check(fs, query);
    const messages = warn.mock.calls.map((call) => String(call.arguments[0]));
    assert.ok(
      messages.some((m) => m.includes('too far behind')),
      messages.join('\n'),
    );
  });
});
