/**
 * Reader process of the concurrency test: opens the collection in argv[2] read-only and searches
 * it in rounds, refreshing between searches, while the parent writes. Prints one JSON line:
 * `{ searches, problems }`.
 *
 * NOTE: a child process rather than a worker thread: usearch's native addon does not load in a
 * worker thread here (the import never returns), and the collection imports it.
 */
import { Collection } from '../../src/collection/collection.js';

const [dir, roundsText, queryText] = process.argv.slice(2);
const query = Float32Array.from(JSON.parse(queryText) as number[]);
let searches = 0;
const problems: string[] = [];
for (let round = 0; round < Number(roundsText); round++) {
  try {
    const collection = await Collection.open(dir, { readOnly: true });
    for (let i = 0; i < 5; i++) {
      const { hits } = await collection.search(query, { k: 5 });
      if (new Set(hits.map((h) => h.id)).size !== hits.length) problems.push('duplicate hits');
      if (hits.some((h, j) => j > 0 && h.score > hits[j - 1].score)) problems.push('unordered');
      if (hits.some((h) => h.id !== `doc-${h.metadata?.n}`)) problems.push('mixed documents');
      searches++;
      await collection.refresh();
    }
    await collection.close();
  } catch (error) {
    // NOTE: an open racing a checkpoint that removes old log files is documented as retryable.
    if ((error as { code?: string }).code !== 'not-found') problems.push(String(error));
  }
}
process.stdout.write(`${JSON.stringify({ searches, problems: problems.slice(0, 5) })}\n`);
