/**
 * What only the Postgres backend has, checked against the real SQL: transactions, config
 * checks, pgvector's search settings. Registered from postgres.test.ts (one database a run).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PostgresCollection } from '../../src/postgres/collection.js';
import { TokenFactory } from '../collection/helpers.js';
import { testPostgres } from './server.js';
import { SpyPool } from './spy-pool.js';

const DIM = 7;
let count = 0;

/** A fresh collection name and its URL. */
async function fresh(prefix: string): Promise<string> {
  return (await testPostgres()).url(`${prefix}_${count++}`);
}

/** Registers the Postgres-only tests. */
export function postgresBehaviour(): void {
  describe('postgres collection', () => {
    transactions();
    configChecks();
    searchSettings();
  });
}

function transactions(): void {
  it('an upsert cut off half-way leaves no trace; the old version stays', async () => {
    const url = await fresh('cut');
    const tokens = new TokenFactory(DIM, 3);
    const setup = await PostgresCollection.create(url, { dim: DIM, tokenTable: true });
    await setup.upsert([{ id: 'kept', tokens: tokens.tokens(3, 0), metadata: { v: 1 } }]);

    const spy = new SpyPool(url);
    const writer = await PostgresCollection.open(url, { pool: spy });
    spy.hooks.cut = (text) => text.includes('INSERT INTO') && text.includes('"tokens"');
    const docs = [
      { id: 'kept', tokens: tokens.tokens(5, 1), metadata: { v: 2 } },
      { id: 'new', tokens: tokens.tokens(2, 2) },
    ];
    await assert.rejects(() => writer.upsert(docs), { code: 'io-error' });
    assert.ok(spy.statements.some((s) => s.includes('INSERT INTO') && s.includes('"documents"')));

    assert.equal(await setup.get('new'), undefined);
    const kept = await setup.get('kept');
    assert.deepEqual(kept?.metadata, { v: 1 });
    assert.equal(kept?.tokens.length, 3 * DIM);
    const stats = await setup.stats();
    assert.deepEqual([stats.documents, stats.tokens], [1, 3]);
    const hits = await setup.search(tokens.tokens(2, 1), { strategy: 'tokens', k: 5 });
    assert.deepEqual(
      hits.hits.map((h) => h.id),
      ['kept'],
    );

    spy.hooks.cut = undefined;
    assert.deepEqual(await writer.upsert(docs), { inserted: 1, replaced: 1, duplicates: 0 });
    assert.deepEqual((await setup.get('kept'))?.metadata, { v: 2 });
    await writer.close();
    await spy.end();
    await setup.close();
  });

  it('a delete cut off before COMMIT deletes nothing', async () => {
    const url = await fresh('cutdel');
    const tokens = new TokenFactory(DIM, 4);
    const collection = await PostgresCollection.create(url, { dim: DIM });
    await collection.upsert(tokens.documents(4));
    const spy = new SpyPool(url);
    const writer = await PostgresCollection.open(url, { pool: spy });
    spy.hooks.cut = (text) => text === 'COMMIT';
    await assert.rejects(() => writer.delete(['doc-0', 'doc-1']), { code: 'io-error' });
    assert.equal((await collection.stats()).documents, 4);
    assert.ok(await collection.get('doc-0'));
    await writer.close();
    await spy.end();
    await collection.close();
  });

  it("two collection objects on one collection see each other's committed writes", async () => {
    const url = await fresh('shared');
    const tokens = new TokenFactory(DIM, 5);
    const a = await PostgresCollection.connect(url, { dim: DIM });
    const b = await PostgresCollection.connect(url, { dim: DIM });
    await a.upsert(tokens.documents(3));
    await b.upsert(tokens.documents(2, 3));
    await a.delete(['doc-4']);
    assert.equal((await b.stats()).documents, 4);
    const seen = await b.search(tokens.tokens(2, 1), { k: 10, strategy: 'exact' });
    assert.deepEqual(seen.hits.map((h) => h.id).sort(), ['doc-0', 'doc-1', 'doc-2', 'doc-3']);
    await a.close();
    await b.close();
  });
}

function configChecks(): void {
  it('a client expecting another config is refused with config-mismatch', async () => {
    const url = await fresh('config');
    const created = await PostgresCollection.create(url, { dim: DIM, fde: 'compact' });
    const cases: [object, string][] = [
      [{ dim: DIM + 1 }, 'dim'],
      [{ fde: 'milvus' }, 'fde'],
      [{ fde: { ...created.config.fde, seed: 7 } }, 'fde'],
      [{ precision: 'float16' }, 'precision'],
    ];
    for (const [expect, parameter] of cases) {
      await assert.rejects(() => PostgresCollection.open(url, { expect }), {
        code: 'config-mismatch',
        parameter,
      });
    }
    await assert.rejects(() => PostgresCollection.connect(url, { dim: DIM, fde: 'milvus' }), {
      code: 'config-mismatch',
    });
    const same = await PostgresCollection.open(url, { expect: { dim: DIM, fde: 'compact' } });
    assert.deepEqual(same.config, created.config);
    await same.close();
    await created.close();
  });

  it('a config row whose FDE config does not match its fingerprint is refused', async () => {
    const url = await fresh('tamper');
    const created = await PostgresCollection.create(url, { dim: DIM });
    const spy = new SpyPool(url);
    const client = await spy.connect();
    const schema = created.schema;
    await client.query(
      `UPDATE "${schema}".config SET body = jsonb_set(body, '{fde,seed}', '43'::jsonb)`,
    );
    client.release();
    await assert.rejects(() => PostgresCollection.open(url), { code: 'config-mismatch' });
    await spy.end();
    await created.close();
  });

  it('create refuses an existing collection, open a missing one, both a bad target', async () => {
    const url = await fresh('exists');
    const created = await PostgresCollection.create(url, { dim: DIM });
    await assert.rejects(() => PostgresCollection.create(url, { dim: DIM }), {
      code: 'already-exists',
    });
    const missing = await fresh('missing');
    await assert.rejects(() => PostgresCollection.open(missing), {
      code: 'not-found',
    });
    await assert.rejects(() => PostgresCollection.open(`${url}X-`), { code: 'invalid-argument' });
    await assert.rejects(() => PostgresCollection.open('/tmp/dir'), { code: 'invalid-argument' });
    const big = await fresh('big');
    await assert.rejects(() => PostgresCollection.create(big, { dim: DIM, fde: 'paper' }), {
      code: 'limit-exceeded',
    });
    await created.close();
  });

  it('bulkLoad drops the HNSW indexes while loading and builds them again, even on failure', async () => {
    const url = await fresh('bulk');
    const tokens = new TokenFactory(DIM, 11);
    const collection = await PostgresCollection.create(url, { dim: DIM, tokenTable: true });
    const spy = new SpyPool(url);
    const indexes = async () => {
      const client = await spy.connect();
      const result = await client.query(
        'SELECT indexname FROM pg_indexes WHERE schemaname = $1 AND indexname LIKE $2 ORDER BY 1',
        [collection.schema, '%hnsw'],
      );
      client.release();
      return result.rows.map((row) => row.indexname);
    };
    const built = ['documents_fde_hnsw', 'tokens_embedding_hnsw'];
    assert.deepEqual(await indexes(), built);
    await collection.bulkLoad(async () => {
      assert.deepEqual(await indexes(), []);
      await collection.upsert(tokens.documents(30));
    });
    assert.deepEqual(await indexes(), built);
    const failing = collection.bulkLoad(async () => {
      throw new Error('load failed');
    });
    await assert.rejects(failing, /load failed/);
    assert.deepEqual(await indexes(), built);
    const result = await collection.search(tokens.tokens(2, 3), { k: 5, strategy: 'tokens' });
    assert.equal(result.hits.length, 5);
    await spy.end();
    await collection.close();
  });

  it('a collection dropped under an open client reports not-found', async () => {
    const url = await fresh('dropped');
    const collection = await PostgresCollection.create(url, { dim: DIM });
    const spy = new SpyPool(url);
    const client = await spy.connect();
    await client.query(`DROP SCHEMA "${collection.schema}" CASCADE`);
    client.release();
    await assert.rejects(() => collection.stats(), { code: 'not-found' });
    await assert.rejects(() => collection.search(new Float32Array(DIM).fill(1)), {
      code: 'not-found',
    });
    await spy.end();
    await collection.close();
  });

  it('an FDE of 2,001 to 4,000 values is stored as halfvec and searched', async () => {
    const url = await fresh('half');
    const tokens = new TokenFactory(DIM, 6);
    const collection = await PostgresCollection.create(url, { dim: DIM, fde: 'weaviate' });
    assert.equal(collection.config.fdeType, 'halfvec');
    assert.equal(collection.config.fdeDimension, 2560);
    const docs = tokens.documents(12);
    await collection.upsert(docs);
    const result = await collection.search(docs[3].tokens, { k: 1, candidates: 12 });
    assert.deepEqual(
      result.hits.map((h) => h.id),
      ['doc-3'],
    );
    await collection.close();
  });
}

function searchSettings(): void {
  it('hnsw.ef_search is 4 x candidates: 150 candidates search a beam of 600, fetch 150 rows', async () => {
    const url = await fresh('ef');
    const tokens = new TokenFactory(DIM, 7);
    const setup = await PostgresCollection.create(url, { dim: DIM });
    await setup.upsert(tokens.documents(220));
    const spy = new SpyPool(url);
    const collection = await PostgresCollection.open(url, { pool: spy });
    // NOTE: on a small table the planner may prefer a sequential scan, which has no ef_search
    // cap; forbidding it makes the HNSW index answer, as it does on a large table.
    let efSearch: string | undefined;
    spy.hooks.rewrite = (text) => {
      if (!text.startsWith('SET LOCAL hnsw.ef_search')) return undefined;
      const forced = `${text}; SET LOCAL enable_seqscan = off`;
      return efSearch === undefined
        ? forced
        : forced.replace(/ef_search = \d+/, `ef_search = ${efSearch}`);
    };
    const query = tokens.tokens(3, 2);
    const wide = await collection.search(query, { k: 10, candidates: 150 });
    assert.ok(spy.statements.some((s) => s.includes('hnsw.ef_search = 600')));
    assert.ok(spy.statements.some((s) => s.includes('hnsw.iterative_scan = off')));
    assert.equal(wide.stats.candidatesFetched, 150);

    efSearch = '40';
    const capped = await collection.search(query, { k: 10, candidates: 150 });
    assert.equal(capped.stats.candidatesFetched, 40, "pgvector's default ef_search caps the scan");

    efSearch = undefined;
    spy.statements.length = 0;
    await collection.search(query, { k: 10, candidates: 5000 });
    assert.ok(spy.statements.some((s) => s.includes('hnsw.ef_search = 1000')));
    assert.ok(spy.statements.some((s) => s.includes('hnsw.iterative_scan = strict_order')));
    await collection.close();
    await spy.end();
    await setup.close();
  });

  it('a rare filter still returns k through the iterative index scan', async () => {
    const url = await fresh('filter');
    const tokens = new TokenFactory(DIM, 8);
    const setup = await PostgresCollection.create(url, { dim: DIM });
    const docs = tokens
      .documents(300)
      .map((doc, i) => ({ ...doc, metadata: { rare: i % 50 === 0 } }));
    await setup.upsert(docs);
    const spy = new SpyPool(url);
    const collection = await PostgresCollection.open(url, { pool: spy });
    spy.hooks.rewrite = (text) =>
      text.startsWith('SET LOCAL hnsw.ef_search')
        ? `${text}; SET LOCAL enable_seqscan = off`
        : undefined;
    const result = await collection.search(tokens.tokens(3, 1), {
      k: 5,
      candidates: 5,
      filter: { rare: true },
    });
    assert.equal(result.hits.length, 5);
    assert.equal(result.stats.exactFallback, false);
    assert.ok(spy.statements.some((s) => s.includes('hnsw.iterative_scan = strict_order')));
    assert.ok(result.hits.every((hit) => hit.metadata?.rare === true));
    await collection.close();
    await spy.end();
    await setup.close();
  });
}
