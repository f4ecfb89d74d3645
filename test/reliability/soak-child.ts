/**
 * Child process of the kill soak and the recovery test. Arguments: directory, seed, first step,
 * mode. `create` creates the collection; `open` opens it and prints `state <json>` (what it
 * recovered, see reportState) with the open time; `open-only` stops there. Then it prints
 * `ready` and runs steps from the first one on, printing `ack <s>` after each call returns, until
 * the parent kills it.
 */
import { Collection } from '../../src/collection/collection.js';
import { CHECKPOINT_LOG_BYTES, DIM, reportState, runStep, stepOf } from './workload.js';

const [dir, seedText, firstText, mode] = process.argv.slice(2);
const seed = Number(seedText);
const options = { checkpointLogBytes: CHECKPOINT_LOG_BYTES };
const write = (line: string) => process.stdout.write(`${line}\n`);
// End with the parent (its end of our stdin closes when it dies), so no child outlives a run.
process.stdin.on('end', () => process.exit(1)).resume();

let collection: Collection;
if (mode === 'create') {
  const index = { kind: 'hnsw' };
  collection = await Collection.create(dir, { dim: DIM, fde: 'milvus', index, ...options });
} else {
  const start = performance.now();
  collection = await Collection.open(dir, options);
  const openMs = performance.now() - start;
  write(`state ${JSON.stringify({ openMs, ...(await reportState(collection)) })}`);
  if (mode === 'open-only') {
    await collection.close();
    process.exit(0);
  }
}
write('ready');
for (let s = Number(firstText); ; s++) {
  await runStep(collection, stepOf(seed, s));
  write(`ack ${s}`);
  // NOTE: the writes resolve without I/O waits; a turn of the event loop lets stdin's end in.
  await new Promise((resolve) => setImmediate(resolve));
}
