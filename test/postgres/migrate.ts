/**
 * Moving collections between a directory and Postgres, through the library and the CLI:
 * tokens, metadata, text, spans and the FDE config arrive unchanged, and searches agree.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { after, describe, it } from 'node:test';
import { main } from '../../src/cli/main.js';
import { Collection } from '../../src/collection/collection.js';
import type { CollectionApi } from '../../src/collection/types.js';
import { PostgresCollection } from '../../src/postgres/collection.js';
import { migrateCollection } from '../../src/postgres/migrate.js';
import { TokenFactory } from '../collection/helpers.js';
import { testPostgres } from './server.js';

const DIM = 11;

/** Checks that two collections hold the same documents, bit for bit, and rank alike. */
async function assertSame(a: CollectionApi, b: CollectionApi, ids: string[], query: Float32Array) {
  for (const id of ids) {
    const [x, y] = [await a.get(id), await b.get(id)];
    assert.ok(x && y, id);
    assert.deepEqual(Array.from(y.tokens), Array.from(x.tokens), id);
    assert.deepEqual(y.metadata, x.metadata);
    assert.equal(y.text, x.text);
    assert.deepEqual(Array.from(y.spans ?? []), Array.from(x.spans ?? []));
  }
  const [sa, sb] = [await a.stats(), await b.stats()];
  assert.deepEqual(
    [sb.documents, sb.tokens, sb.precision],
    [sa.documents, sa.tokens, sa.precision],
  );
  assert.deepEqual(sb.fde, sa.fde);
  const [ra, rb] = [
    await a.search(query, { k: 8, strategy: 'exact' }),
    await b.search(query, { k: 8, strategy: 'exact' }),
  ];
  assert.deepEqual(
    rb.hits.map((h) => [h.id, h.score]),
    ra.hits.map((h) => [h.id, h.score]),
  );
}

/** Registers the migration tests. */
export function migrationTests(): void {
  describe('migrating between embedded and postgres', () => {
    const root = mkdtempSync(join(tmpdir(), 'muvera-migrate-'));
    after(() => rmSync(root, { recursive: true, force: true }));

    it('directory -> postgres -> directory keeps every document and the FDE config', async () => {
      const tokens = new TokenFactory(DIM, 9);
      const source = await Collection.create(join(root, 'src'), {
        dim: DIM,
        fde: 'milvus',
        precision: 'float16',
        encoder: { kind: 'static', path: '/nowhere' },
      });
      const docs = tokens.documents(30);
      docs[2] = {
        ...docs[2],
        text: 'abc',
        spans: Array.from({ length: docs[2].tokens.length / DIM }, () => [0, 3]).flat(),
      };
      await source.upsert(docs);
      await source.checkpoint();
      await source.delete(['doc-5']);
      await source.upsert([{ ...docs[7], metadata: { late: true } }]);
      await source.close();

      const url = (await testPostgres()).url('migrated');
      const copied = await migrateCollection(join(root, 'src'), url, { batchSize: 7 });
      assert.equal(copied.documents, 29);
      const back = join(root, 'back');
      await migrateCollection(url, back, { batchSize: 4 });

      const ids = docs.map((d) => d.id).filter((id) => id !== 'doc-5');
      const query = tokens.tokens(4, 3);
      const original = await Collection.open(join(root, 'src'), { readOnly: true });
      const postgres = await PostgresCollection.open(url);
      const returned = await Collection.open(back, { readOnly: true });
      assert.equal(postgres.config.fdeType, 'vector');
      const indexed = await postgres.search(query, { k: 3, candidates: 20 });
      assert.equal(indexed.hits.length, 3, 'the HNSW index was built again after the copy');
      assert.deepEqual(postgres.encoder, { kind: 'static', path: '/nowhere' });
      assert.deepEqual((await postgres.get('doc-7'))?.metadata, { late: true });
      assert.equal(await postgres.get('doc-5'), undefined);
      await assertSame(original, postgres, ids, query);
      await assertSame(original, returned, ids, query);
      for (const c of [original, postgres, returned]) await c.close();
    });

    it('refuses an existing target and a too-long FDE, which --fde fixes (CLI)', async () => {
      const tokens = new TokenFactory(DIM, 10);
      const dir = join(root, 'paper');
      const source = await Collection.create(dir, { dim: DIM, fde: 'paper' });
      await source.upsert(tokens.documents(5));
      await source.close();
      const url = (await testPostgres()).url('paper_copy');
      await assert.rejects(() => migrateCollection(dir, url), { code: 'limit-exceeded' });

      const out = new PassThrough();
      const err = new PassThrough();
      const chunks: string[] = [];
      out.on('data', (chunk) => chunks.push(String(chunk)));
      err.resume();
      const code = await main(['migrate', dir, url, '--fde', 'compact', '--json'], { out, err });
      assert.equal(code, 0);
      assert.equal(JSON.parse(chunks.join('')).documents, 5);
      const again = await main(['migrate', dir, url, '--fde', 'compact', '--quiet'], { out, err });
      assert.equal(again, 73, 'already-exists');

      chunks.length = 0;
      assert.equal(await main(['info', url, '--json'], { out, err }), 0);
      const info = JSON.parse(chunks.join(''));
      assert.equal(info.documents, 5);
      assert.equal(info.fdeDimension, 2000);
    });

    it('muvera serve attaches a postgres:// collection under its name', async () => {
      const url = (await testPostgres()).url('paper_copy');
      const out = new PassThrough();
      let text = '';
      out.on('data', (chunk) => {
        text += String(chunk);
      });
      let stop = () => {};
      const stopped = new Promise<void>((resolve) => {
        stop = resolve;
      });
      const err = new PassThrough();
      err.resume();
      const running = main(['serve', url, '--port', '0'], { out, err, interrupted: () => stopped });
      while (!text.includes('search page')) await new Promise((r) => setTimeout(r, 10));
      const base = /search page: (\S+)\//.exec(text)?.[1];
      const listed = (await (await fetch(`${base}/v1/collections`)).json()) as {
        collections: { name: string; documents: number }[];
      };
      assert.deepEqual(
        listed.collections.map((c) => [c.name, c.documents]),
        [['paper_copy', 5]],
      );
      stop();
      assert.equal(await running, 0);
    });

    it('muvera index and search work on a postgres:// target', async () => {
      const url = (await testPostgres()).url('cli_vectors');
      const tokens = new TokenFactory(DIM, 12);
      const docs = tokens.documents(6);
      const rows = (t: Float32Array) =>
        Array.from({ length: t.length / DIM }, (_, r) =>
          Array.from(t.subarray(r * DIM, (r + 1) * DIM)),
        );
      const corpus = join(root, 'vectors.jsonl');
      writeFileSync(
        corpus,
        docs.map((d) => JSON.stringify({ id: d.id, vectors: rows(d.tokens) })).join('\n'),
      );
      const query = join(root, 'query.json');
      writeFileSync(query, JSON.stringify(rows(docs[4].tokens)));
      const out = new PassThrough();
      const err = new PassThrough();
      let text = '';
      out.on('data', (chunk) => {
        text += String(chunk);
      });
      err.resume();
      const args = ['index', url, '--corpus', corpus, '--dim', String(DIM), '--quiet'];
      assert.equal(await main(args, { out, err }), 0);
      text = '';
      const search = ['search', url, '--vectors', query, '--k', '1', '--json'];
      assert.equal(await main(search, { out, err }), 0);
      assert.match(text, /"doc-4"/);
    });
  });
}
