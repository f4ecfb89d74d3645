import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { Collection } from '../../src/collection/collection.js';
import { upgradeConfig } from '../../src/collection/directory-storage.js';
import { NodeFileSystem } from '../../src/store/file-system.js';
import { publishManifest, readManifest } from '../../src/store/manifest.js';
import { TokenFactory } from './helpers.js';

const DIM = 7;
const root = mkdtempSync(join(tmpdir(), 'muvera-persist-'));
let counter = 0;
after(() => rmSync(root, { recursive: true, force: true }));

function freshDir(): string {
  return join(root, `c${counter++}`);
}

/** Every document of a collection as id -> [tokens, metadata], through an exact search. */
async function contents(collection: Collection, probe: Float32Array) {
  const { hits } = await collection.search(probe, { strategy: 'exact', k: 10000 });
  const out = new Map<string, { tokens: number[]; metadata: unknown }>();
  for (const hit of hits) {
    const doc = await collection.get(hit.id);
    out.set(hit.id, { tokens: Array.from(doc?.tokens ?? []), metadata: doc?.metadata });
  }
  return out;
}

describe('embedded collection persistence', () => {
  const tokens = new TokenFactory(DIM, 11);
  const probe = tokens.tokens(3, 0);

  it('reopens to the same documents and results, from the log and from a checkpoint', async () => {
    const dir = freshDir();
    const collection = await Collection.create(dir, { dim: DIM, index: { kind: 'hnsw' } });
    await collection.upsert(tokens.documents(30));
    await collection.delete(['doc-3']);
    await collection.checkpoint();
    await collection.upsert(tokens.documents(10, 25));
    await collection.delete(['doc-4', 'doc-99']);
    const before = await contents(collection, probe);
    const search = await collection.search(probe, { k: 5 });
    await collection.close();

    const reopened = await Collection.open(dir);
    assert.deepEqual(await contents(reopened, probe), before);
    assert.deepEqual((await reopened.search(probe, { k: 5 })).hits, search.hits);
    assert.equal((await reopened.stats()).documents, 33);
    await reopened.close();
  });

  it('automatic checkpoints keep an older index file and an open brings it up to date', async () => {
    const dir = freshDir();
    const options = { dim: DIM, index: { kind: 'hnsw' }, checkpointLogBytes: 1 };
    const collection = await Collection.create(dir, options);
    const indexFiles = new Set<string>();
    for (let round = 0; round < 12; round++) {
      await collection.upsert(tokens.documents(6, round * 4));
      await collection.delete([`doc-${round * 3}`]);
      for (const name of readdirSync(dir)) if (name.startsWith('index-')) indexFiles.add(name);
    }
    assert.ok((await collection.stats()).generation ?? 0 > 20, 'a checkpoint after every write');
    assert.ok(indexFiles.size < 10, `the index was written ${indexFiles.size} times, not 24`);
    const before = await contents(collection, probe);
    const exact = await collection.search(probe, { k: 10, strategy: 'exact' });
    await collection.close();

    const reopened = await Collection.open(dir, { checkpointLogBytes: 1 });
    assert.deepEqual(await contents(reopened, probe), before);
    const fde = await reopened.search(probe, { k: 10, candidates: 1000 });
    assert.deepEqual(fde.hits, exact.hits);
    await reopened.close();
  });

  it('replaced documents never take the places of live ones in an hnsw index', async () => {
    const dir = freshDir();
    const collection = await Collection.create(dir, { dim: DIM, index: { kind: 'hnsw' } });
    for (let round = 0; round < 5; round++) {
      await collection.upsert(new TokenFactory(DIM, 100 + round).documents(30));
    }
    const exact = await collection.search(probe, { k: 30, strategy: 'exact' });
    const fde = await collection.search(probe, { k: 30, candidates: 30 });
    assert.equal(fde.hits.length, 30);
    assert.deepEqual(fde.hits, exact.hits);
    await collection.compact();
    assert.deepEqual((await collection.search(probe, { k: 30, candidates: 30 })).hits, exact.hits);
    await collection.close();
  });

  it('keeps float16 and int8 tokens identical across a reopen', async () => {
    for (const precision of ['float16', 'int8'] as const) {
      const dir = freshDir();
      const collection = await Collection.create(dir, {
        dim: DIM,
        precision,
        index: { kind: 'flat' },
      });
      await collection.upsert(tokens.documents(12));
      const logged = await contents(collection, probe);
      await collection.checkpoint();
      await collection.close();
      const reopened = await Collection.open(dir);
      assert.deepEqual(await contents(reopened, probe), logged);
      const stats = await reopened.stats();
      assert.equal(stats.precision, precision);
      assert.ok(stats.bytesPerToken < 4 * DIM);
      await reopened.close();
    }
  });

  it('rebuilds the candidate index with another preset and kind, and keeps it', async () => {
    const dir = freshDir();
    const collection = await Collection.create(dir, {
      dim: DIM,
      fde: 'weaviate',
      index: { kind: 'flat' },
    });
    const docs = tokens.documents(25);
    await collection.upsert(docs);
    const exact = await collection.search(probe, { k: 5, strategy: 'exact' });
    await collection.rebuildIndex({ fde: 'milvus', index: { kind: 'hnsw' } });
    const stats = await collection.stats();
    assert.equal(stats.fdeDimension, 7 * 16 * 16);
    assert.equal(stats.indexKind, 'hnsw');
    const rebuilt = await collection.search(probe, { k: 5, candidates: 25 });
    assert.deepEqual(rebuilt.hits, exact.hits);
    await collection.close();
    const reopened = await Collection.open(dir);
    assert.equal((await reopened.stats()).fdeDimension, 7 * 16 * 16);
    await reopened.close();
  });

  it('compaction reclaims the space of replaced and deleted documents', async () => {
    const dir = freshDir();
    const collection = await Collection.create(dir, { dim: DIM, index: { kind: 'flat' } });
    for (let round = 0; round < 4; round++) {
      await collection.upsert(tokens.documents(40));
      await collection.checkpoint();
    }
    await collection.delete(Array.from({ length: 30 }, (_, i) => `doc-${i}`));
    await collection.checkpoint();
    const segmentBytes = () =>
      readdirSync(dir)
        .filter((f) => f.endsWith('.seg'))
        .reduce((n, f) => n + statSync(join(dir, f)).size, 0);
    const before = segmentBytes();
    const kept = await contents(collection, probe);
    await collection.compact();
    assert.ok(segmentBytes() < before / 3, `${segmentBytes()} vs ${before}`);
    assert.equal(readdirSync(dir).filter((f) => f.endsWith('.seg')).length, 1);
    assert.deepEqual(await contents(collection, probe), kept);
    await collection.close();
    const reopened = await Collection.open(dir);
    assert.deepEqual(await contents(reopened, probe), kept);
    await reopened.close();
  });

  it('writes a consistent backup that opens on its own', async () => {
    const dir = freshDir();
    const collection = await Collection.create(dir, { dim: DIM, index: { kind: 'flat' } });
    await collection.upsert(tokens.documents(20));
    const target = freshDir();
    const pending = collection.backup(target);
    const racing = collection.upsert(tokens.documents(5, 100));
    await pending;
    await racing;
    const copy = await Collection.open(target);
    assert.equal((await copy.stats()).documents, 20, 'the backup holds the state when it started');
    await copy.close();
    await assert.rejects(() => collection.backup(target), { code: 'already-exists' });
    await collection.close();
  });

  it('gives a second writer `locked`, allows readers, and refuses their writes', async () => {
    const dir = freshDir();
    const writer = await Collection.create(dir, { dim: DIM, index: { kind: 'flat' } });
    await writer.upsert(tokens.documents(5));
    await assert.rejects(() => Collection.open(dir), { code: 'locked' });
    const reader = await Collection.open(dir, { readOnly: true });
    assert.equal((await reader.stats()).documents, 5);
    const { logBytes } = await writer.stats();
    assert.ok((logBytes ?? 0) > 0);
    assert.equal((await reader.stats()).logBytes, logBytes, 'a reader reports the log it replayed');
    await assert.rejects(() => reader.upsert(tokens.documents(1)), { code: 'closed' });
    await writer.upsert(tokens.documents(3, 50));
    assert.equal((await reader.stats()).documents, 5, 'a reader sees the collection as of open');
    await reader.refresh();
    assert.equal((await reader.stats()).documents, 8);
    await writer.close();
    const next = await Collection.open(dir);
    await next.close();
    await reader.close();
  });

  it('rebuilds a missing or damaged candidate index from the tokens', async () => {
    const dir = freshDir();
    const collection = await Collection.create(dir, { dim: DIM, index: { kind: 'flat' } });
    await collection.upsert(tokens.documents(15));
    await collection.checkpoint();
    const results = (await collection.search(probe, { k: 5 })).hits;
    await collection.close();
    const indexFile = readdirSync(dir).find((name) => name.startsWith('index-')) as string;
    writeFileSync(join(dir, indexFile), 'garbage');
    const damaged = await Collection.open(dir);
    assert.deepEqual((await damaged.search(probe, { k: 5 })).hits, results);
    await damaged.close();
    rmSync(join(dir, indexFile));
    const missing = await Collection.open(dir);
    assert.deepEqual((await missing.search(probe, { k: 5 })).hits, results);
    await missing.close();
  });

  it('refuses collections of a newer layout, missing ones, and creating over one', async () => {
    const dir = freshDir();
    const collection = await Collection.create(dir, { dim: DIM, index: { kind: 'flat' } });
    await collection.close();
    await assert.rejects(() => Collection.create(dir, { dim: DIM }), { code: 'already-exists' });
    await assert.rejects(() => Collection.open(join(root, 'nothing')), { code: 'not-found' });
    const fs = new NodeFileSystem();
    const latest = readManifest(fs, dir);
    assert.ok(latest);
    const config = { ...(latest.body.config as object), formatVersion: 99 };
    publishManifest(fs, dir, { ...latest.body, config, generation: latest.generation + 1 });
    await assert.rejects(() => Collection.open(dir), { code: 'unsupported-version' });
    assert.ok(!existsSync(join(dir, 'LOCK')), 'a failed open releases the lock');
  });

  it('runs named upgrade steps on an older collection config', () => {
    const old = { formatVersion: 0, collection: { dim: 3 } };
    const steps = [
      { from: 0, name: 'addNextSegment', upgrade: (c: object) => ({ ...c, nextSegment: 0 }) },
    ];
    assert.deepEqual(upgradeConfig(old, 'm', steps), {
      formatVersion: 1,
      collection: { dim: 3 },
      nextSegment: 0,
    });
    assert.throws(() => upgradeConfig(old, 'm'), { code: 'unsupported-version' });
  });

  it('refuses bad creation options with codes', async () => {
    const cases: [unknown, string][] = [
      [{ dim: 0 }, 'invalid-argument'],
      [{ dim: DIM, precision: 'float64' }, 'invalid-argument'],
      [{ dim: DIM, fde: 'nope' }, 'invalid-argument'],
      [{ dim: DIM, fde: { ...{ dim: 3 } } }, 'config-mismatch'],
      [{ dim: DIM, index: { kind: 'tree' } }, 'invalid-argument'],
      [{ dim: DIM, index: { kind: 'hnsw', bogus: 1 } }, 'invalid-argument'],
    ];
    for (const [options, code] of cases) {
      await assert.rejects(() => Collection.create(freshDir(), options as never), { code });
    }
  });
});
