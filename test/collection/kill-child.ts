/**
 * Child process of the SIGKILL test: opens (or creates) the collection in argv[2] and runs the
 * kill workload from step argv[3] on, printing `ack <step>` after each call returns, until the
 * parent kills it.
 */
import { Collection } from '../../src/collection/collection.js';
import { KILL_DIM, runKillStep } from './kill-workload.js';

const [dir, first] = process.argv.slice(2);
const start = Number(first);
const collection =
  start === 0
    ? await Collection.create(dir, { dim: KILL_DIM, fde: 'milvus', index: { kind: 'hnsw' } })
    : await Collection.open(dir);
process.stdout.write('ready\n');
for (let s = start; ; s++) {
  await runKillStep(collection, s);
  process.stdout.write(`ack ${s}\n`);
}
