/**
 * Reader process of the readers-and-one-writer test: opens the collection in argv[2] read-only
 * and, until argv[3] milliseconds have passed, refreshes it and searches every group, checking
 * that each group is whole, of one version, with that version's tokens. Prints one JSON line.
 *
 * A refresh racing a checkpoint may find a file gone (`not-found`) or a log tail mid-write; the
 * storage documents these as retryable (docs/storage.md, "Readers beside a writer"). They are
 * counted as retries; a refresh failing RETRIES times in a row counts as an error.
 */
import { Collection } from '../../src/collection/collection.js';
import { isMuveraError } from '../../src/errors.js';
import { GROUP_DIM, GROUP_SIZE, GROUPS, groupTokens } from './groups.js';

const RETRIES = 20;
const RETRYABLE = new Set(['not-found', 'corrupt-data']);
const [dir, durationText] = process.argv.slice(2);
const deadline = performance.now() + Number(durationText);
const stats = {
  searches: 0,
  refreshes: 0,
  retries: 0,
  errors: [] as string[],
  torn: [] as string[],
};
const query = new Float32Array(GROUP_DIM).fill(1);

/** Runs `call`, retrying the documented transient failures. */
async function retrying<T>(call: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      const transient = isMuveraError(error) && RETRYABLE.has(error.code);
      if (!transient || attempt >= RETRIES) throw error;
      stats.retries++;
    }
  }
}

async function checkGroup(collection: Collection, g: number): Promise<void> {
  const options = { strategy: 'exact' as const, k: GROUP_SIZE * 2, filter: { group: g } };
  const { hits } = await collection.search(query, options);
  stats.searches++;
  if (hits.length === 0) return;
  const versions = new Set(hits.map((hit) => hit.metadata?.version));
  if (hits.length !== GROUP_SIZE || versions.size !== 1) {
    stats.torn.push(`group ${g}: ${hits.length} hits, versions ${[...versions]}`);
    return;
  }
  const [version] = [...versions] as number[];
  for (const hit of hits) {
    const doc = await collection.get(hit.id);
    const i = Number(hit.metadata?.i);
    const expected = groupTokens(g, i, version);
    if (
      !doc ||
      doc.tokens.length !== expected.length ||
      doc.tokens.some((x, j) => x !== expected[j])
    ) {
      stats.torn.push(`${hit.id}: tokens are not those of version ${version}`);
    }
  }
}

try {
  const collection = await retrying(() => Collection.open(dir, { readOnly: true }));
  while (performance.now() < deadline) {
    for (let g = 0; g < GROUPS; g++) await checkGroup(collection, g);
    await retrying(() => collection.refresh());
    stats.refreshes++;
  }
  await collection.close();
} catch (error) {
  stats.errors.push(String(error));
}
process.stdout.write(`${JSON.stringify({ ...stats, torn: stats.torn.slice(0, 5) })}\n`);
