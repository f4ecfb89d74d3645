/**
 * Recovery (issue 9): a collection whose documents all sit in the write-ahead log (no checkpoint
 * since creation) is opened by child processes killed with SIGKILL at random moments during the
 * open, 50 times; every later open must still succeed, and the first query after it must see
 * every acknowledged document with identical tokens and metadata (checked with the soak's
 * report against the model, including exact search against the oracle).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { seededRandom } from '../../bench/harness.js';
import { Collection } from '../../src/collection/collection.js';
import { bundleChild } from './bundle.js';
import { runChild } from './child-process.js';
import { applyStep, DIM, type Model, runStep, stepOf, violations } from './workload.js';

const KILLS = Number(process.env.MUVERA_RECOVERY_KILLS ?? 50);
const SEED = 31;
/** Logged steps before the kills (upserts and deletes only, so everything stays in the log). */
const STEPS = 200;
/** Kills land between this fraction of an unkilled child's life and its end. */
const EARLIEST = 0.3;
const NO_CHECKPOINT = 2 ** 40;

const root = mkdtempSync(join(tmpdir(), 'muvera-recovery-'));
after(() => rmSync(root, { recursive: true, force: true }));

/** Writes the logged steps in this process; returns the model they leave. */
async function prepare(dir: string): Promise<Model> {
  const collection = await Collection.create(dir, {
    dim: DIM,
    fde: 'milvus',
    index: { kind: 'hnsw' },
    checkpointLogBytes: NO_CHECKPOINT,
  });
  let model: Model = new Map();
  for (let s = 0; s < STEPS; s++) {
    const step = stepOf(SEED, s);
    if (step.kind !== 'upsert' && step.kind !== 'delete') continue;
    await runStep(collection, step);
    model = applyStep(model, step);
  }
  const { generation, logBytes } = await collection.stats();
  assert.equal(generation, 1, 'only the empty first generation exists');
  assert.ok((logBytes ?? 0) > 0);
  await collection.close();
  return model;
}

describe('recovery', () => {
  it(`opens after ${KILLS} kills during recovery and sees every acknowledged document`, async (t) => {
    const bundle = bundleChild('soak-child.ts');
    const dir = join(root, 'collection');
    const model = await prepare(dir);
    const args = [dir, String(SEED), '0', 'open-only'];

    const first = await runChild(bundle, args, 0, null);
    assert.ok(first.state, `the first open reported nothing: ${first.stderr}`);
    assert.deepEqual(violations(first.state, model), []);
    const life = first.lifeMs;

    const random = seededRandom(SEED);
    let duringOpen = 0;
    for (let kill = 0; kill < KILLS; kill++) {
      const delay = life * (EARLIEST + (1 - EARLIEST) * random());
      const run = await runChild(bundle, args, 0, { afterSpawn: delay });
      if (run.killed && !run.state) duringOpen++;
      if (run.state) assert.deepEqual(violations(run.state, model), [], `open ${kill}`);
    }
    const last = await runChild(bundle, args, 0, null);
    assert.ok(last.state, `the open after the kills failed: ${last.stderr}`);
    assert.deepEqual(violations(last.state, model), []);
    t.diagnostic(
      `${model.size} documents in ${STEPS} logged steps; unkilled open ${first.state.openMs.toFixed(0)} ms ` +
        `(process life ${life.toFixed(0)} ms); ${KILLS} kills, ${duringOpen} before the open finished; ` +
        `open after them ${last.state.openMs.toFixed(0)} ms, no violation`,
    );
    assert.ok(duringOpen >= KILLS / 2, 'most kills landed before the open finished');
  });
});
