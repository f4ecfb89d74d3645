/**
 * The checker the kill and recovery tests rely on: `violations` must find nothing for a
 * collection that holds exactly the model, and must name each kind of disagreement.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Collection } from '../../src/collection/collection.js';
import { MemoryFileSystem } from '../../src/store/memory-file-system.js';
import {
  applyStep,
  DIM,
  type Model,
  reportState,
  runStep,
  stepOf,
  violations,
} from './workload.js';

const SEED = 3;

async function collectionAndModel(): Promise<{ collection: Collection; model: Model }> {
  const fs = new MemoryFileSystem();
  const collection = await Collection.create('/c', { dim: DIM, fde: 'milvus', fs });
  let model: Model = new Map();
  for (let s = 0; s < 12; s++) {
    await runStep(collection, stepOf(SEED, s));
    model = applyStep(model, stepOf(SEED, s));
  }
  return { collection, model };
}

describe('the acknowledged-state checker', () => {
  it('accepts the exact state and names every kind of disagreement', async () => {
    const { collection, model } = await collectionAndModel();
    const report = await reportState(collection);
    assert.ok(model.size > 5);
    assert.deepEqual(violations(report, model), []);

    const [firstId, firstDoc] = [...model][0];
    const missing = new Map(model).set('never-written', firstDoc);
    assert.match(violations(report, missing).join(), /never-written is missing/);

    const unknown = new Map(model);
    unknown.delete(firstId);
    assert.match(
      violations(report, unknown).join(),
      new RegExp(`unknown or deleted id ${firstId}`),
    );

    const tokens = firstDoc.tokens.slice();
    tokens[0] += 1e-3;
    const changed = new Map(model).set(firstId, { ...firstDoc, tokens });
    assert.match(violations(report, changed).join(), /differs from its acknowledged version/);

    const duplicated = { ...report, ids: [...report.ids, report.ids[0]] };
    assert.match(violations(duplicated, model).join(), /duplicate ids/);

    const reordered = { ...report, top: report.top.map((hits) => [...hits].reverse()) };
    assert.match(violations(reordered, model).join(), /differs from the oracle/);
    await collection.close();
  });
});
