import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { Collection } from '../../src/collection/collection.js';
import type { DocumentInput } from '../../src/collection/types.js';
import { TokenFactory } from './helpers.js';

const DIM = 12;
const READER = join(import.meta.dirname, 'reader-child.ts');
const root = mkdtempSync(join(tmpdir(), 'muvera-concurrency-'));
after(() => rmSync(root, { recursive: true, force: true }));

/** Writes rounds of upserts (with replacements) and deletes; returns the final documents. */
async function writeRounds(collection: Collection, tokens: TokenFactory, rounds: number) {
  const model = new Map<string, DocumentInput>();
  for (let round = 0; round < rounds; round++) {
    const docs = tokens.documents(15, round * 7);
    await collection.upsert(docs);
    for (const doc of docs) model.set(doc.id, doc);
    const gone = [`doc-${round * 5}`, `doc-${round * 5 + 1}`];
    await collection.delete(gone);
    for (const id of gone) model.delete(id);
    if (round % 4 === 3) await collection.checkpoint();
    // Give searches on this thread a turn between writes, as a server's event loop would.
    await new Promise((resolve) => setImmediate(resolve));
  }
  return [...model.values()];
}

describe('concurrent searches while one writer writes', () => {
  it('never throw or see half a write, and end equal to a fresh collection', async () => {
    const tokens = new TokenFactory(DIM, 21);
    const collection = await Collection.create(join(root, 'a'), {
      dim: DIM,
      index: { kind: 'flat' },
    });
    const query = tokens.tokens(4, 2);
    let searches = 0;
    let writing = true;
    const searching = (async () => {
      while (writing) {
        const { hits } = await collection.search(query, { k: 8, candidates: 20 });
        assert.equal(new Set(hits.map((h) => h.id)).size, hits.length, 'duplicate hits');
        for (const hit of hits) {
          assert.equal(hit.id, `doc-${hit.metadata?.n}`, 'a hit mixes two documents');
        }
        searches++;
        await new Promise((resolve) => setImmediate(resolve));
      }
    })();
    const final = await writeRounds(collection, tokens, 20);
    writing = false;
    await searching;
    assert.ok(searches > 10);

    const fresh = await Collection.create(join(root, 'b'), { dim: DIM, index: { kind: 'flat' } });
    await fresh.upsert(final);
    for (const strategy of ['fde', 'exact'] as const) {
      const options = { k: 10, candidates: 40, strategy };
      const mine = await collection.search(query, options);
      const theirs = await fresh.search(query, options);
      assert.deepEqual(mine.hits, theirs.hits);
    }
    await collection.close();
    await fresh.close();
  });

  it('readers in other processes search without errors while the writer works', async () => {
    const tokens = new TokenFactory(DIM, 22);
    const dir = join(root, 'c');
    const collection = await Collection.create(dir, { dim: DIM, index: { kind: 'flat' } });
    await collection.upsert(tokens.documents(10, 1000));
    const query = tokens.tokens(3, 1);
    const readers = [0, 1].map(
      () =>
        new Promise<{ searches: number; problems: string[] }>((resolve, reject) => {
          const args = [dir, '6', JSON.stringify(Array.from(query))];
          const child = spawn(process.execPath, ['--import', 'tsx', READER, ...args]);
          let out = '';
          child.stdout.on('data', (chunk: Buffer) => {
            out += chunk.toString();
          });
          child.on('exit', (code) =>
            code === 0 ? resolve(JSON.parse(out)) : reject(new Error(out)),
          );
        }),
    );
    let finished = false;
    const all = Promise.all(readers).finally(() => {
      finished = true;
    });
    let writes = 0;
    while (!finished) {
      await writeRounds(collection, tokens, 4);
      writes += 4;
    }
    const reports = await all;
    assert.ok(writes >= 8, 'the writer wrote while the readers searched');
    await collection.close();
    for (const report of reports) {
      assert.deepEqual(report.problems, []);
      assert.ok(report.searches > 0);
    }
  });
});
