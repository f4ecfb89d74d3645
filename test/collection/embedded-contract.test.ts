import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Collection } from '../../src/collection/collection.js';
import { collectionContract } from './contract.js';

const root = mkdtempSync(join(tmpdir(), 'muvera-contract-'));
const open: Collection[] = [];
let count = 0;

for (const kind of ['flat', 'hnsw'] as const) {
  collectionContract(`embedded, ${kind} index`, {
    async create(dim) {
      const collection = await Collection.create(join(root, `c${count++}`), {
        dim,
        fde: 'weaviate',
        index: { kind },
      });
      open.push(collection);
      return collection;
    },
    async cleanup() {
      for (const collection of open.splice(0)) await collection.close();
      if (kind === 'hnsw') rmSync(root, { recursive: true, force: true });
    },
  });
}
