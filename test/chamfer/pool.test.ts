import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import {
  ChamferPool,
  chamferBatch,
  chamferBatchParallel,
  chamferTopK,
  encodeTokens,
  setChamferKernel,
} from '../../src/chamfer/index.js';
import { random, randomRows } from './helpers.js';

const DIM = 33;
const NUM_DOCS = 300;

/** A flat batch of NUM_DOCS documents of 1 to 40 rows. */
function makeBatch() {
  const next = random(11);
  const offsets = [0];
  for (let i = 0; i < NUM_DOCS; i++) offsets.push(offsets[i] + 1 + Math.floor(next() * 40));
  return { data: randomRows(offsets[NUM_DOCS], DIM, 12), offsets };
}

describe('ChamferPool', () => {
  const pool = new ChamferPool({ threads: 2, parallelThreshold: 10 });
  after(async () => {
    await pool.close();
    setChamferKernel('auto');
  });
  const query = randomRows(7, DIM, 13);
  const batch = makeBatch();

  it('equals single-threaded scores on both kernels, float32 and int8, flat and list', async () => {
    for (const kernel of ['wasm-simd', 'portable'] as const) {
      setChamferKernel(kernel);
      const int8 = { ...batch, data: encodeTokens(batch.data, DIM, 'int8') };
      const list = batch.offsets
        .slice(1)
        .map((end, i) => batch.data.subarray(batch.offsets[i] * DIM, end * DIM));
      for (const docs of [batch, int8, list]) {
        const expected = chamferBatch(query, docs, DIM);
        assert.deepEqual(await pool.scoreBatch(query, docs, DIM), expected, kernel);
      }
    }
  });

  it('gives the same top-k as chamferTopK', async () => {
    assert.deepEqual(await pool.topK(query, batch, DIM, 5), chamferTopK(query, batch, DIM, 5));
  });

  it('reports a bad document in a worker share by its index in the whole list', async () => {
    const list = Array.from({ length: 40 }, (_, i) => randomRows(3, DIM, 100 + i));
    list[35] = new Float32Array(3 * DIM);
    await assert.rejects(pool.scoreBatch(query, list, DIM), {
      code: 'empty-input',
      parameter: 'documents[35]',
    });
  });

  it('chamferBatchParallel (the default pool) equals chamferBatch', async () => {
    const scores = await chamferBatchParallel(query, batch, DIM);
    assert.deepEqual(scores, chamferBatch(query, batch, DIM));
  });

  it('scores short lists on the calling thread', async () => {
    const small = new ChamferPool({ threads: 1 });
    const docs = [randomRows(2, DIM, 5)];
    assert.deepEqual(await small.scoreBatch(query, docs, DIM), chamferBatch(query, docs, DIM));
    await small.close();
  });
});
