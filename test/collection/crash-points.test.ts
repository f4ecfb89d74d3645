/**
 * Every crash point of a scripted workload, in-process: the workload runs on src/store's fault
 * file system once per mutating call, killed at that call; the collection is then reopened on
 * the process-kill image and on every power-loss image of that moment, and checked against the
 * operations acknowledged before the kill (the one in flight may be entirely present or
 * entirely absent, never partly).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Collection } from '../../src/collection/collection.js';
import type { DocumentInput } from '../../src/collection/types.js';
import { MuveraError } from '../../src/errors.js';
import { FaultFileSystem, SimulatedCrash } from '../../src/store/fault-file-system.js';
import type { MemoryFileSystem } from '../../src/store/memory-file-system.js';
import { TokenFactory } from './helpers.js';

const DIM = 5;
const DIR = '/data/c';

/** id -> serialised document: what the collection must hold. */
type Model = Map<string, string>;

type Step =
  | { kind: 'upsert'; docs: DocumentInput[] }
  | { kind: 'delete'; ids: string[] }
  | { kind: 'checkpoint' | 'compact' | 'rebuild' };

function script(): Step[] {
  const tokens = new TokenFactory(DIM, 5);
  return [
    { kind: 'upsert', docs: tokens.documents(4) },
    { kind: 'upsert', docs: tokens.documents(3, 2) },
    { kind: 'delete', ids: ['doc-0', 'doc-9'] },
    { kind: 'checkpoint' },
    { kind: 'upsert', docs: tokens.documents(2, 10) },
    { kind: 'compact' },
    { kind: 'delete', ids: ['doc-3'] },
    { kind: 'rebuild' },
    { kind: 'upsert', docs: tokens.documents(2, 3) },
  ];
}

function serialise(doc: { tokens: Float32Array; metadata?: unknown; text?: string }): string {
  return JSON.stringify([Array.from(doc.tokens), doc.metadata ?? null, doc.text ?? null]);
}

function applyStep(model: Model, step: Step): Model {
  const next = new Map(model);
  if (step.kind === 'upsert') for (const doc of step.docs) next.set(doc.id, serialise(doc));
  if (step.kind === 'delete') for (const id of step.ids) next.delete(id);
  return next;
}

async function runStep(collection: Collection, step: Step): Promise<void> {
  if (step.kind === 'upsert') await collection.upsert(step.docs);
  else if (step.kind === 'delete') await collection.delete(step.ids);
  else if (step.kind === 'checkpoint') await collection.checkpoint();
  else if (step.kind === 'compact') await collection.compact();
  else await collection.rebuildIndex({ fde: 'milvus' });
}

/** Runs the workload; returns the models after each acknowledged step and whether it crashed. */
async function workload(fs: FaultFileSystem): Promise<{ acknowledged: Model[]; crashed: boolean }> {
  const models: Model[] = [];
  let model: Model = new Map();
  try {
    // A small log threshold, so automatic checkpoints (which may keep the index file) run too.
    const options = { dim: DIM, index: { kind: 'flat' }, fs, checkpointLogBytes: 1500 };
    const collection = await Collection.create(DIR, options);
    models.push(model);
    for (const step of script()) {
      await runStep(collection, step);
      model = applyStep(model, step);
      models.push(model);
    }
    await collection.close();
    return { acknowledged: models, crashed: false };
  } catch (error) {
    const injected = error instanceof MuveraError && ['io-error', 'closed'].includes(error.code);
    if (!(error instanceof SimulatedCrash) && !injected) throw error;
    return { acknowledged: models, crashed: true };
  }
}

/** What a reopened image holds, or null when there is no collection (create not durable). */
async function recovered(image: MemoryFileSystem): Promise<Model | null> {
  const fs = FaultFileSystem.from(image);
  // The killed writer was this process: its lock names a live pid, so clear it as its death would.
  if (fs.exists(`${DIR}/LOCK`)) fs.unlink(`${DIR}/LOCK`);
  let collection: Collection;
  try {
    collection = await Collection.open(DIR, { fs });
  } catch (error) {
    if ((error as { code?: string }).code === 'not-found') return null;
    throw error;
  }
  const probe = new Float32Array(DIM).fill(1);
  const { hits } = await collection.search(probe, { strategy: 'exact', k: 1000 });
  const fde = await collection.search(probe, { k: 1000, candidates: 1000 });
  assert.deepEqual(
    fde.hits.map((h) => h.id).sort(),
    hits.map((h) => h.id).sort(),
    'the candidate index agrees with the documents',
  );
  const model: Model = new Map();
  for (const hit of hits) {
    const doc = await collection.get(hit.id);
    assert.ok(doc);
    model.set(hit.id, serialise(doc));
  }
  await collection.upsert([{ id: 'after-recovery', tokens: probe }]);
  await collection.close();
  return model;
}

describe('crash points of a scripted workload', () => {
  it('rejects with io-error at every failing call and reopens to an acknowledged state', async () => {
    const counting = new FaultFileSystem();
    const full = await workload(counting);
    for (let n = 1; n <= counting.mutations; n++) {
      for (const plan of [
        { failAt: n, failWith: 'EIO' as const },
        { failAt: n, failWith: 'ENOSPC' as const },
      ]) {
        const fs = new FaultFileSystem(plan);
        const { acknowledged, crashed } = await workload(fs);
        const call = fs.trace[n - 1];
        if (!crashed) {
          // A call whose failure the library may absorb (the lock's temp-file cleanup).
          assert.ok(
            call.path.includes('LOCK'),
            `${plan.failWith} at ${call.kind} ${call.path} was not reported`,
          );
          continue;
        }
        const inFlight = full.acknowledged[acknowledged.length];
        const model = await recovered(fs.processKillImage());
        if (model === null) continue;
        const options = [acknowledged.at(-1), inFlight].filter((m): m is Model => m !== undefined);
        assert.ok(
          options.some((expected) => sameModel(model, expected)),
          `${plan.failWith} at call ${n}: recovered state matches no acknowledged state`,
        );
      }
    }
  });

  it('recovers every acknowledged write at every kill point and power-loss image', async (t) => {
    const counting = new FaultFileSystem();
    const full = await workload(counting);
    assert.equal(full.crashed, false);
    const total = counting.mutations;
    assert.ok(total > 40, `the workload makes ${total} mutating calls`);

    let images = 0;
    for (let n = 1; n <= total; n++) {
      const fs = new FaultFileSystem({ crashAt: n });
      const { acknowledged, crashed } = await workload(fs);
      assert.ok(crashed, `call ${n} is a kill point`);
      const done = acknowledged.at(-1);
      const inFlight = full.acknowledged[acknowledged.length];
      const candidates = [done, inFlight].filter((m): m is Model => m !== undefined);
      const scenarios = [
        { scenario: 'process-kill', fs: fs.processKillImage() },
        ...fs.powerLossImages(n),
      ];
      for (const { scenario, fs: image } of scenarios) {
        const model = await recovered(image);
        images++;
        const where = `kill at call ${n} (${fs.trace.at(-1)?.kind} ${fs.trace.at(-1)?.path}), ${scenario}`;
        if (model === null) {
          assert.ok(acknowledged.length === 0, `${where}: an acknowledged create vanished`);
          continue;
        }
        const matches = candidates.some((expected) => sameModel(model, expected));
        assert.ok(
          matches,
          `${where}: recovered ${[...model.keys()]} matches no acknowledged state`,
        );
      }
    }
    assert.ok(images >= total * 10);
    t.diagnostic(`${total} kill points, ${images} reopened images`);
  });
});

function sameModel(a: Model, b: Model): boolean {
  if (a.size !== b.size) return false;
  for (const [id, value] of a) if (b.get(id) !== value) return false;
  return true;
}
