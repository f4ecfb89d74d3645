import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, it } from 'node:test';
import {
  createCandidateIndex,
  loadCandidateIndex,
  saveCandidateIndex,
} from '../../src/index/factory.js';
import { vectors } from './contract.js';

const dir = mkdtempSync(join(tmpdir(), 'muvera-index-test-'));
after(() => rmSync(dir, { recursive: true, force: true }));

it('createCandidateIndex rejects unknown kinds, bad dimensions and unknown options', () => {
  const bad: [() => unknown, string][] = [
    [() => createCandidateIndex('annoy' as never, 8), 'invalid-argument'],
    [() => createCandidateIndex('flat', 0), 'invalid-argument'],
    [() => createCandidateIndex('flat', 2.5), 'invalid-argument'],
    [() => createCandidateIndex('flat', 8, { connectivity: 8 } as never), 'invalid-argument'],
    [() => createCandidateIndex('pq', 8, { centroids: 1 }), 'invalid-argument'],
    [() => createCandidateIndex('pq', 8, { centroids: 257 }), 'invalid-argument'],
    [() => createCandidateIndex('pq', 8, { groupSize: 0 }), 'invalid-argument'],
    [() => createCandidateIndex('pq', 8, { seed: -1 }), 'invalid-argument'],
    [() => createCandidateIndex('hnsw', 8, null as never), 'invalid-argument'],
  ];
  for (const [call, code] of bad) assert.throws(call, { code });
});

it('saveCandidateIndex and loadCandidateIndex round-trip every kind through a file', async () => {
  for (const kind of ['flat', 'hnsw', 'pq'] as const) {
    const index = createCandidateIndex(kind, 12);
    index.add([3, 1, 4], vectors(3, 12, 1));
    const path = join(dir, `${kind}.idx`);
    await saveCandidateIndex(index, path);
    const loaded = await loadCandidateIndex(path, { kind, dimensions: 12 });
    const query = vectors(1, 12, 2);
    assert.deepEqual(loaded.search(query, 3), index.search(query, 3));
  }
});

it('loadCandidateIndex names the file of a damaged index', async () => {
  const path = join(dir, 'damaged.idx');
  writeFileSync(path, new Uint8Array(64));
  await assert.rejects(loadCandidateIndex(path), { code: 'corrupt-data', file: path });
});
