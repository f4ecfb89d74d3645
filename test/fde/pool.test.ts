import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { FdeEncoder, FdePool, fdePreset } from '../../src/fde/index.js';
import { SeededRandom } from '../../src/fde/random.js';

const DIM = 16;
const NUM_SETS = 40;
const TOKENS = 60;

function batch(): { data: Float32Array; offsets: number[] } {
  const random = new SeededRandom(21);
  const data = Float32Array.from({ length: NUM_SETS * TOKENS * DIM }, () => random.nextNormal());
  const offsets = Array.from({ length: NUM_SETS + 1 }, (_, i) => i * TOKENS);
  return { data, offsets };
}

describe('FdePool', () => {
  const config = fdePreset('weaviate', DIM);
  const pool = new FdePool(config, { threads: 2 });
  after(() => pool.close());

  it('gives the same bytes as one thread, in input order', async () => {
    const { data, offsets } = batch();
    const single = new FdeEncoder(config);
    for (const kind of ['query', 'document'] as const) {
      const parallel = await pool.encodeBatch(data, offsets, kind);
      const expected = single.encodeBatch(data, offsets, kind);
      assert.equal(parallel.numSets, NUM_SETS);
      assert.deepEqual(parallel.vectors, expected.vectors);
      assert.deepEqual(parallel.numPadding, expected.numPadding);
    }
  });

  it('names a bad set by its index in the whole batch', async () => {
    const { data, offsets } = batch();
    data.fill(0, 33 * TOKENS * DIM, 34 * TOKENS * DIM);
    await assert.rejects(pool.encodeDocuments(data, offsets), {
      code: 'empty-input',
      parameter: 'documents[33]',
    });
  });

  it('refuses a bad thread count and calls after close', async () => {
    assert.throws(() => new FdePool(config, { threads: 0 }), { code: 'invalid-argument' });
    const closing = new FdePool(config, { threads: 1 });
    await closing.close();
    const { data, offsets } = batch();
    await assert.rejects(closing.encodeQueries(data, offsets), { code: 'closed' });
  });
});
