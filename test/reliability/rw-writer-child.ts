/**
 * Writer process of the readers-and-one-writer test: creates (argv[3] `create`) or opens the
 * collection in argv[2], prints
 * `ready`, then rewrites and deletes whole groups (see groups.ts) until killed, printing
 * `round <n>` every so often.
 */
import { Collection } from '../../src/collection/collection.js';
import { GROUP_DIM, GROUPS, groupDocuments, groupIds } from './groups.js';

const CHECKPOINT_EVERY = 15;
const COMPACT_EVERY = 70;
const DELETE_EVERY = 9;
const REPORT_EVERY = 10;

const [dir, mode] = process.argv.slice(2);
// End with the parent (its end of our stdin closes when it dies), so no writer outlives a run.
process.stdin.on('end', () => process.exit(1)).resume();
const checkpointLogBytes = 16 * 1024;
const collection =
  mode === 'create'
    ? await Collection.create(dir, {
        dim: GROUP_DIM,
        fde: 'milvus',
        index: { kind: 'hnsw' },
        checkpointLogBytes,
      })
    : await Collection.open(dir, { checkpointLogBytes });
if (mode === 'create')
  for (let g = 0; g < GROUPS; g++) await collection.upsert(groupDocuments(g, 0));
process.stdout.write('ready\n');
for (let round = 1; ; round++) {
  const g = round % GROUPS;
  if (round % DELETE_EVERY === 0) await collection.delete(groupIds(g));
  else await collection.upsert(groupDocuments(g, round));
  if (round % CHECKPOINT_EVERY === 0) await collection.checkpoint();
  if (round % COMPACT_EVERY === 0) await collection.compact();
  if (round % REPORT_EVERY === 0) process.stdout.write(`round ${round}\n`);
  // NOTE: the writes resolve without I/O waits; a turn of the event loop lets stdin's end in.
  await new Promise((resolve) => setImmediate(resolve));
}
