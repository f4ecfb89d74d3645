/**
 * Child process of the native-save fault test, run under strace by the parent. Arguments:
 * collection directory, pinned temp directory, seed, mode.
 *
 * - `explicit`: creates an HNSW collection, runs the first logged steps of the workload
 *   (`ack <s>` after each), checkpoints (`checkpoint 1 ok`), runs the next ones, prints
 *   `state <json>` (reportState), and checkpoints again: `checkpoint 2 ok` or
 *   `checkpoint 2 rejected <json>`. This second save is the one the parent faults.
 * - `automatic`: the same steps without the first checkpoint, then a reopen with a tiny
 *   `checkpointLogBytes`, so the next write's automatic checkpoint saves the index (the only save).
 * - `verify`: opens the collection (no pinning: the real temp directory) and prints its state.
 *
 * Both writing modes then run one more step (`ack <s>` or `refused <json>`) and close (`closed`
 * or `close rejected <json>`). Every HnswIndex temp directory of a writing child is `pinned`
 * (see the parent's header comment for why).
 */
import fs, { mkdirSync } from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Collection } from '../../src/collection/collection.js';
import { isMuveraError } from '../../src/errors.js';
import { DIM, reportState, runStep, type Step, stepOf } from './workload.js';

/** The prefix src/index/hnsw.ts passes to mkdtempSync. */
const HNSW_TEMP_PREFIX = join(tmpdir(), 'muvera-hnsw-');
/** Logged steps before the first and before the second checkpoint. */
const STEPS_PER_PHASE = 12;
/** No automatic checkpoint unless the mode asks for one. */
const NO_AUTOMATIC = 2 ** 40;
/** With `automatic`, any write after the reopen passes this log size and checkpoints. */
const AUTOMATIC_LOG_BYTES = 1;

const [dir, pinned, seedText, mode] = process.argv.slice(2);
const seed = Number(seedText);
const write = (line: string) => process.stdout.write(`${line}\n`);
// End with the parent (its end of our stdin closes when it dies), so no child outlives a run.
process.stdin.on('end', () => process.exit(1)).resume();

/** Makes every HnswIndex temp directory `pinned`, so strace -P can name usearch's file. */
function pinHnswTempDir(): void {
  const mkdtemp = fs.mkdtempSync;
  fs.mkdtempSync = ((prefix: string, options?: fs.EncodingOption) => {
    if (prefix !== HNSW_TEMP_PREFIX) return mkdtemp(prefix, options);
    mkdirSync(pinned);
    return pinned;
  }) as typeof fs.mkdtempSync;
  // NOTE: ESM named imports of node:fs (hnsw.ts's `mkdtempSync`) see the change only after this.
  syncBuiltinESMExports();
}

/** The first `count` logged steps (upserts and deletes) of the workload, with their numbers. */
function loggedSteps(count: number): { s: number; step: Step }[] {
  const out: { s: number; step: Step }[] = [];
  for (let s = 0; out.length < count; s++) {
    const step = stepOf(seed, s);
    if (step.kind === 'upsert' || step.kind === 'delete') out.push({ s, step });
  }
  return out;
}

function describeError(error: unknown): string {
  return JSON.stringify({
    muvera: isMuveraError(error),
    code: isMuveraError(error) ? error.code : null,
    name: error instanceof Error ? error.constructor.name : typeof error,
    message: error instanceof Error ? error.message : String(error),
  });
}

async function runPhase(collection: Collection, steps: { s: number; step: Step }[]) {
  for (const { s, step } of steps) {
    await runStep(collection, step);
    write(`ack ${s}`);
  }
}

if (mode === 'verify') {
  const start = performance.now();
  const collection = await Collection.open(dir);
  const openMs = performance.now() - start;
  write(`state ${JSON.stringify({ openMs, ...(await reportState(collection)) })}`);
  await collection.close();
  process.exit(0);
}

pinHnswTempDir();
const steps = loggedSteps(2 * STEPS_PER_PHASE + 1);
// One native thread: usearch draws node levels per thread, so the file size (and the number of
// writes the faults are placed by) is the same in every run only with one.
const index = { kind: 'hnsw', threads: 1 };
let collection = await Collection.create(dir, {
  dim: DIM,
  fde: 'milvus',
  index,
  checkpointLogBytes: NO_AUTOMATIC,
});
await runPhase(collection, steps.slice(0, STEPS_PER_PHASE));
if (mode === 'explicit') {
  await collection.checkpoint();
  write('checkpoint 1 ok');
}
await runPhase(collection, steps.slice(STEPS_PER_PHASE, 2 * STEPS_PER_PHASE));
if (mode === 'automatic') {
  // No index file was saved yet, so the first automatic checkpoint after the reopen saves one.
  await collection.close();
  collection = await Collection.open(dir, { checkpointLogBytes: AUTOMATIC_LOG_BYTES });
}
write(`state ${JSON.stringify(await reportState(collection))}`);

if (mode === 'explicit') {
  try {
    await collection.checkpoint();
    write('checkpoint 2 ok');
  } catch (error) {
    write(`checkpoint 2 rejected ${describeError(error)}`);
  }
}
const last = steps[2 * STEPS_PER_PHASE];
try {
  await runStep(collection, last.step);
  write(`ack ${last.s}`);
} catch (error) {
  write(`refused ${describeError(error)}`);
}
try {
  await collection.close();
  write('closed');
} catch (error) {
  write(`close rejected ${describeError(error)}`);
}
process.exit(0);
