// The README's first example: index three abstracts with the bundled static encoder, search them.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Collection, createEncoder } from '../src/index.js';

const encoder = await createEncoder('static:data/encoders/fasttext-skipgram128');
const dir = mkdtempSync(join(tmpdir(), 'muvera-quickstart-'));
const collection = await Collection.create(dir, { dim: encoder.dim, encoder: { ...encoder.spec } });

const abstracts = {
  a: 'Aspirin lowers the risk of a second stroke in patients with atrial fibrillation.',
  b: 'Vitamin D supplements did not change bone density in healthy adults.',
  c: 'White matter of the newborn brain develops quickly in the first weeks after birth.',
};
const ids = Object.keys(abstracts);
const texts = Object.values(abstracts);
const encoded = await encoder.encodeDocuments(texts);
await collection.upsert(
  encoded.map((doc, i) => ({ id: ids[i], text: texts[i], tokens: doc.data })),
);

const query = await encoder.encodeQuery('does aspirin prevent stroke?');
const { hits, stats } = await collection.search(query.data, { k: 2 });
for (const hit of hits) console.log(hit.id, hit.score.toFixed(3), hit.text);
console.log(`${stats.candidatesFetched} candidates, ${stats.exactScorings} exact scorings`);

await collection.close();
rmSync(dir, { recursive: true, force: true });
