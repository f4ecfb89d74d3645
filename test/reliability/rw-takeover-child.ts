/**
 * New-writer process of the readers-and-one-writer test: tries to open the collection in argv[2]
 * for writing every few milliseconds (printing `waiting` after the first refusal) until it gets
 * the lock, prints `acquired <epoch ms>`, checks that every group is whole and of one version,
 * prints `whole <true|false>` and closes.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Collection } from '../../src/collection/collection.js';
import { isMuveraError } from '../../src/errors.js';
import { GROUP_DIM, GROUP_SIZE, GROUPS } from './groups.js';

const RETRY_MS = 2;
const epoch = () => performance.timeOrigin + performance.now();

let collection: Collection | undefined;
for (let attempt = 0; !collection; attempt++) {
  try {
    collection = await Collection.open(process.argv[2]);
  } catch (error) {
    if (!isMuveraError(error) || error.code !== 'locked') throw error;
    if (attempt === 0) process.stdout.write('waiting\n');
    await sleep(RETRY_MS);
  }
}
process.stdout.write(`acquired ${epoch()}\n`);
const query = new Float32Array(GROUP_DIM).fill(1);
let whole = true;
for (let g = 0; g < GROUPS; g++) {
  const { hits } = await collection.search(query, {
    strategy: 'exact',
    k: 100,
    filter: { group: g },
  });
  const versions = new Set(hits.map((hit) => hit.metadata?.version));
  if (hits.length > 0 && (hits.length !== GROUP_SIZE || versions.size !== 1)) whole = false;
}
process.stdout.write(`whole ${whole}\n`);
await collection.close();
