/**
 * A collection on the dynamic candidate index (flat scan up to `threshold` documents, HNSW past
 * it), driven through the public API only: the switch inside one upsert, many small ones or a
 * batch of replacements; answers after the switch against a fresh collection of the same
 * documents; the stage through reopen and compaction; FDEs from the worker pool; every crash
 * image of the upsert that switches; damaged index files; bad options.
 *
 * The stage is read from the index file a checkpoint writes (an explicit checkpoint always writes
 * it), through `deserializeCandidateIndex`.
 */
import assert from 'node:assert/strict';
import { availableParallelism } from 'node:os';
import { describe, it, mock } from 'node:test';
import { Collection } from '../../src/collection/collection.js';
import type { DocumentInput, SearchOptions } from '../../src/collection/types.js';
import { FdePool } from '../../src/fde/pool.js';
import { deserializeCandidateIndex } from '../../src/index/factory.js';
import { FaultFileSystem, SimulatedCrash } from '../../src/store/fault-file-system.js';
import { MemoryFileSystem } from '../../src/store/memory-file-system.js';
import { bruteForce, SCORE_TOLERANCE, sameRanking, TokenFactory } from './helpers.js';

const DIM = 6;
const THRESHOLD = 50;
const DIR = '/disk/c';
/** One native thread, so every graph is the same run to run. */
const DYNAMIC = { kind: 'dynamic', threshold: THRESHOLD, hnsw: { threads: 1 } } as const;
/**
 * float32 storage and a beam as wide as the index: the graph then answers exactly as the flat
 * scan does, so a switched collection must give a fresh flat one's very hits.
 */
const EXHAUSTIVE = {
  kind: 'dynamic',
  threshold: THRESHOLD,
  hnsw: { threads: 1, precision: 'f32', expansionPerResult: 1e9 },
} as const;
const INDEX_FILE = /^index-(\d+)\.bin$/;

/** Stage and size of the index file of the collection's newest checkpoint. */
function stageOnDisk(fs: MemoryFileSystem, dir = DIR): { stage: unknown; size: number } {
  const files = fs.readdir(dir).filter((name) => INDEX_FILE.test(name));
  const generation = (name: string) => Number(INDEX_FILE.exec(name)?.[1]);
  const newest = files.sort((a, b) => generation(a) - generation(b)).at(-1);
  assert.ok(newest !== undefined, `no index file in ${fs.readdir(dir).join(', ')}`);
  const index = deserializeCandidateIndex(fs.peek(`${dir}/${newest}`));
  assert.equal(index.kind, 'dynamic');
  return { stage: index.stats().params.stage, size: index.size };
}

/** The stage the open collection's index is in now (an explicit checkpoint writes it). */
async function stageNow(collection: Collection, fs: MemoryFileSystem) {
  await collection.checkpoint();
  return stageOnDisk(fs, collection.dir);
}

/** `docs` with new tokens (same ids): replacements. */
function replaced(tokens: TokenFactory, docs: DocumentInput[]): DocumentInput[] {
  return docs.map((doc, i) => ({ ...doc, tokens: tokens.tokens(4, i + 3) }));
}

/** Live documents of a history of upserts and deletes, by id (last version wins). */
function live(batches: (DocumentInput[] | string[])[]): DocumentInput[] {
  const byId = new Map<string, DocumentInput>();
  for (const batch of batches) {
    for (const item of batch) {
      if (typeof item === 'string') byId.delete(item);
      else byId.set(item.id, item);
    }
  }
  return [...byId.values()];
}

function idsAndScores(result: { hits: { id: string; score: number }[] }) {
  return result.hits.map((hit) => `${hit.id}:${hit.score}`);
}

describe('collection on a dynamic index: crossing the threshold', () => {
  const tokens = new TokenFactory(DIM, 21);
  const docs = tokens.documents(THRESHOLD + 1);

  it('turns into HNSW in the upsert that takes it past the threshold, in one batch or many', async () => {
    const fs = new MemoryFileSystem();
    const once = await Collection.create('/once', { dim: DIM, index: DYNAMIC, fs });
    await once.upsert(docs.slice(0, THRESHOLD));
    assert.deepEqual(await stageNow(once, fs), { stage: 'flat', size: THRESHOLD });
    await once.upsert(docs.slice(THRESHOLD));
    assert.deepEqual(await stageNow(once, fs), { stage: 'hnsw', size: THRESHOLD + 1 });
    await once.close();

    const many = await Collection.create('/many', { dim: DIM, index: DYNAMIC, fs });
    for (const doc of docs.slice(0, THRESHOLD)) await many.upsert([doc]);
    assert.deepEqual(await stageNow(many, fs), { stage: 'flat', size: THRESHOLD });
    await many.upsert(docs.slice(THRESHOLD));
    assert.deepEqual(await stageNow(many, fs), { stage: 'hnsw', size: THRESHOLD + 1 });
    await many.close();
  });

  it('counts a replacement once: a batch of replacements switches only when live documents pass', async () => {
    const fs = new MemoryFileSystem();
    const collection = await Collection.create(DIR, { dim: DIM, index: DYNAMIC, fs });
    await collection.upsert(docs.slice(0, 40));

    // 10 replacements and 10 new documents: 50 live, though the index saw 60 adds.
    const atThreshold = [...replaced(tokens, docs.slice(0, 10)), ...docs.slice(40, 50)];
    assert.deepEqual(await collection.upsert(atThreshold), {
      inserted: 10,
      replaced: 10,
      duplicates: 0,
    });
    assert.deepEqual(await stageNow(collection, fs), { stage: 'flat', size: THRESHOLD });

    const past = [...replaced(tokens, docs.slice(10, 30)), docs[50]];
    await collection.upsert(past);
    assert.deepEqual(await stageNow(collection, fs), { stage: 'hnsw', size: THRESHOLD + 1 });
    assert.equal((await collection.stats()).documents, THRESHOLD + 1);
    await collection.close();
  });
});

describe('collection on a dynamic index: answers after the switch', () => {
  const tokens = new TokenFactory(DIM, 22);
  const first = tokens.documents(40);
  const second = [...replaced(tokens, first.slice(0, 10)), ...tokens.documents(25, 40)];
  const gone = ['doc-3', 'doc-12', 'doc-41', 'doc-50', 'doc-51', 'doc-63', 'no-such-doc'];
  const third = replaced(tokens, tokens.documents(4, 20));
  const history = [first, second, gone, third];
  const queries = [0, 1, 2, 5].map((topic) => tokens.tokens(3 + topic, topic));

  it('gives a fresh flat collection of the same documents its very hits', async () => {
    const fs = new MemoryFileSystem();
    const switched = await Collection.create(DIR, { dim: DIM, index: EXHAUSTIVE, fs });
    await switched.upsert(first);
    await switched.upsert(second);
    await switched.delete(gone);
    await switched.upsert(third);
    assert.equal((await stageNow(switched, fs)).stage, 'hnsw');

    const documents = live(history);
    const fresh = await Collection.create('/fresh', { dim: DIM, index: { kind: 'flat' }, fs });
    await fresh.upsert(documents);
    assert.equal((await switched.stats()).documents, documents.length);

    const size = documents.length;
    const optionSets: SearchOptions[] = [
      { k: 10, strategy: 'exact' },
      { k: 10, candidates: size },
      { k: 10, candidates: 15 },
      { k: 7, candidates: 12, filter: { parity: 'even' } },
      { k: 5, candidates: 9, explain: true },
    ];
    for (const query of queries) {
      const oracle = bruteForce(query, documents as { id: string; tokens: Float32Array }[], DIM);
      for (const options of optionSets) {
        const got = await switched.search(query, options);
        const want = await fresh.search(query, options);
        assert.deepEqual(got.hits, want.hits, JSON.stringify(options));
        if (options.filter === undefined && (options.candidates ?? 0) >= size) {
          assert.ok(sameRanking(got.hits, oracle.slice(0, options.k)), 'exact oracle');
        }
      }
      const exact = await switched.search(query, { k: 10, strategy: 'exact' });
      assert.ok(sameRanking(exact.hits, oracle.slice(0, 10)));
    }

    const batch = await switched.searchBatch(queries, { k: 10, candidates: 15 });
    const one = await Promise.all(queries.map((q) => fresh.search(q, { k: 10, candidates: 15 })));
    assert.deepEqual(batch.map(idsAndScores), one.map(idsAndScores));
    await switched.close();
    await fresh.close();
  });

  it('returns k live hits, none deleted or replaced, on the default graph with tombstones', async () => {
    const fs = new MemoryFileSystem();
    const collection = await Collection.create(DIR, { dim: DIM, index: DYNAMIC, fs });
    for (const step of history) {
      if (typeof step[0] === 'string') await collection.delete(step as string[]);
      else await collection.upsert(step as DocumentInput[]);
    }
    const documents = live(history);
    const current = new Map(documents.map((doc) => [doc.id, doc]));
    for (const query of queries) {
      const result = await collection.search(query, { k: 10, candidates: 12 });
      assert.equal(result.hits.length, 10);
      assert.ok(result.stats.candidatesFetched <= 12);
      for (const hit of result.hits) {
        const doc = current.get(hit.id);
        assert.ok(doc, `${hit.id} is not live`);
        const score = bruteForce(query, [doc as { id: string; tokens: Float32Array }], DIM)[0];
        assert.ok(Math.abs(hit.score - score.score) <= SCORE_TOLERANCE, `${hit.id} is stale`);
      }
      const filter = { parity: 'odd' };
      const odd = await collection.search(query, { k: 20, candidates: 20, filter });
      assert.equal(odd.hits.length, 20);
      assert.equal(odd.stats.exactFallback, false);
      assert.ok(odd.hits.every((hit) => current.get(hit.id)?.metadata?.parity === 'odd'));
    }
    await collection.close();
  });
});

describe('collection on a dynamic index: the stage over time', () => {
  const tokens = new TokenFactory(DIM, 23);
  const docs = tokens.documents(70);

  it('keeps HNSW through reopen and deletes, and is flat again after compaction', async () => {
    const fs = new MemoryFileSystem();
    const collection = await Collection.create(DIR, { dim: DIM, index: DYNAMIC, fs });
    await collection.upsert(docs.slice(0, 45));
    await collection.checkpoint();
    // The switch is only in the log when the collection closes: replay switches again.
    await collection.upsert(docs.slice(45, 60));
    await collection.close();

    const reopened = await Collection.open(DIR, { fs });
    assert.deepEqual(await stageNow(reopened, fs), { stage: 'hnsw', size: 60 });
    const deleted = docs.slice(0, 25).map((doc) => doc.id);
    await reopened.delete(deleted);
    // Below the threshold, but a graph never turns back by itself.
    assert.deepEqual(await stageNow(reopened, fs), { stage: 'hnsw', size: 60 });
    await reopened.close();

    const again = await Collection.open(DIR, { fs });
    const query = tokens.tokens(4, 1);
    const hits = (await again.search(query, { k: 10, candidates: 10 })).hits;
    assert.equal(hits.length, 10);
    assert.ok(hits.every((hit) => !deleted.includes(hit.id)));
    await again.compact();
    assert.deepEqual(stageOnDisk(fs), { stage: 'flat', size: 35 });
    await again.close();

    const compacted = await Collection.open(DIR, { fs });
    assert.deepEqual(await stageNow(compacted, fs), { stage: 'flat', size: 35 });
    const exact = await compacted.search(query, { k: 10, strategy: 'exact' });
    assert.deepEqual((await compacted.search(query, { k: 10, candidates: 35 })).hits, exact.hits);
    await compacted.close();
  });

  it('computes the FDEs of a large switching upsert on the pool with the in-thread bytes', async () => {
    const fs = new MemoryFileSystem();
    // 70 documents in one call go to the FDE pool (64 or more, on a machine of 2+ cores).
    const pool = mock.method(FdePool.prototype, 'encodeDocuments');
    const pooled = await Collection.create(DIR, { dim: DIM, index: EXHAUSTIVE, fs });
    await pooled.upsert(docs);
    assert.equal(pool.mock.callCount(), availableParallelism() < 2 ? 0 : 1);
    mock.restoreAll();
    assert.equal((await stageNow(pooled, fs)).stage, 'hnsw');
    const inThread = await Collection.create('/small', { dim: DIM, index: { kind: 'flat' }, fs });
    for (let at = 0; at < docs.length; at += 10) await inThread.upsert(docs.slice(at, at + 10));

    for (const topic of [0, 3, 6]) {
      const query = tokens.tokens(5, topic);
      const options = { k: 10, candidates: 12 };
      const got = await pooled.search(query, options);
      assert.deepEqual(got.hits, (await inThread.search(query, options)).hits);
    }
    await pooled.close();
    await inThread.close();
  });
});

describe('collection on a dynamic index: crash in the upsert that switches', () => {
  const tokens = new TokenFactory(DIM, 24);
  const base = tokens.documents(30);
  /** 5 replacements and 20 new documents: 45 live, past a threshold of 40. */
  const switching = [...replaced(tokens, base.slice(0, 5)), ...tokens.documents(20, 30)];
  const index = { ...DYNAMIC, threshold: 40 };
  const before = live([base]);
  const after = live([base, switching]);
  const query = tokens.tokens(4, 2);

  /** Create, 30 documents, checkpoint, the switching upsert, close; a kill ends it early. */
  async function workload(fs: FaultFileSystem): Promise<number> {
    let collection: Collection | undefined;
    try {
      // A small log limit: the switching upsert also checkpoints (and writes the graph).
      collection = await Collection.create(DIR, { dim: DIM, index, fs, checkpointLogBytes: 4096 });
      await collection.upsert(base);
      await collection.checkpoint();
      const start = fs.mutations;
      await collection.upsert(switching);
      await collection.close();
      return start;
    } catch (error) {
      if (!(error instanceof SimulatedCrash)) throw error;
      return -1;
    }
  }

  /** Problems of a reopened image: it must hold `before` or `after` and answer like the oracle. */
  async function check(image: MemoryFileSystem): Promise<string | null> {
    const fs = FaultFileSystem.from(image);
    if (fs.exists(`${DIR}/LOCK`)) fs.unlink(`${DIR}/LOCK`);
    const collection = await Collection.open(DIR, { fs });
    const size = (await collection.stats()).documents;
    const documents = size === before.length ? before : after;
    if (size !== before.length && size !== after.length) return `${size} documents`;
    for (const doc of documents) {
      const stored = await collection.get(doc.id);
      if (!stored || stored.tokens.join() !== doc.tokens.join()) return `${doc.id} differs`;
    }
    const oracle = bruteForce(query, documents as { id: string; tokens: Float32Array }[], DIM);
    const all = await collection.search(query, { k: 10, candidates: size });
    if (!sameRanking(all.hits, oracle.slice(0, 10))) return 'fde with every candidate != exact';
    const some = await collection.search(query, { k: 10, candidates: 12 });
    if (some.hits.length !== 10) return `${some.hits.length} hits`;
    await collection.upsert(tokens.documents(10, 100));
    if ((await collection.stats()).documents !== size + 10) return 'a new write was lost';
    await collection.close();
    return null;
  }

  it('reopens the kill image and every power-loss image to the state before or after', async () => {
    const counting = new FaultFileSystem();
    const start = await workload(counting);
    const end = counting.mutations;
    assert.ok(end - start >= 6, `the switching upsert and close made ${end - start} calls`);

    const problems: string[] = [];
    for (let n = start + 1; n <= end; n++) {
      const fs = new FaultFileSystem({ crashAt: n });
      await workload(fs);
      assert.ok(fs.isCrashed);
      const call = fs.trace.at(-1);
      for (const { scenario, fs: image } of [
        { scenario: 'process-kill', fs: fs.processKillImage() },
        ...fs.powerLossImages(n),
      ]) {
        const problem = await check(image).catch((error) => `open: ${String(error)}`);
        if (problem)
          problems.push(`kill at ${n} (${call?.kind} ${call?.path}), ${scenario}: ${problem}`);
      }
    }
    assert.deepEqual(problems, []);
  });
});

describe('collection on a dynamic index: damaged index files', () => {
  const tokens = new TokenFactory(DIM, 25);
  const docs = tokens.documents(60);
  const query = tokens.tokens(3, 4);

  const damages: Record<string, (bytes: Uint8Array) => Uint8Array | null> = {
    'one byte flipped': (bytes) => {
      const copy = bytes.slice();
      copy[copy.length >> 1] ^= 0xff;
      return copy;
    },
    'cut short': (bytes) => bytes.subarray(0, bytes.length - 100),
    empty: () => new Uint8Array(0),
    'header only': (bytes) => bytes.subarray(0, 16),
    missing: () => null,
  };

  for (const count of [30, 60]) {
    it(`rebuilds a damaged index of ${count} documents on open and answers exactly`, async () => {
      const base = new MemoryFileSystem();
      const collection = await Collection.create(DIR, { dim: DIM, index: DYNAMIC, fs: base });
      await collection.upsert(docs.slice(0, count));
      await collection.checkpoint();
      await collection.close();
      const file = base.readdir(DIR).find((name) => INDEX_FILE.test(name));
      const bytes = base.peek(`${DIR}/${file}`);
      const stage = count > THRESHOLD ? 'hnsw' : 'flat';
      const oracle = bruteForce(
        query,
        docs.slice(0, count) as { id: string; tokens: Float32Array }[],
        DIM,
      );

      for (const [name, damage] of Object.entries(damages)) {
        const fs = new MemoryFileSystem();
        fs.loadImage(base);
        const damaged = damage(bytes);
        if (damaged === null) fs.unlink(`${DIR}/${file}`);
        else fs.putFile(`${DIR}/${file}`, damaged);

        const reader = await Collection.open(DIR, { fs, readOnly: true });
        const read = await reader.search(query, { k: 10, candidates: count });
        assert.ok(sameRanking(read.hits, oracle.slice(0, 10)), `${name}, read-only`);
        await reader.close();

        const reopened = await Collection.open(DIR, { fs });
        const hits = (await reopened.search(query, { k: 10, candidates: count })).hits;
        assert.ok(sameRanking(hits, oracle.slice(0, 10)), name);
        assert.deepEqual(await stageNow(reopened, fs), { stage, size: count }, name);
        await reopened.close();
      }
    });
  }
});

describe('collection on a dynamic index: options', () => {
  const tokens = new TokenFactory(DIM, 26);
  const docs = tokens.documents(THRESHOLD + 10);

  it('refuses bad dynamic options at create and at rebuildIndex, changing nothing', async () => {
    const bad: unknown[] = [
      { threshold: 0 },
      { threshold: -5 },
      { threshold: Number.NaN },
      { threshold: '50' },
      { threshold: 2 ** 53 },
      { threshold: Number.POSITIVE_INFINITY },
      { threshold: 12.5 },
      { threshold: null },
      { treshold: 50 },
      { hnsw: null },
      { hnsw: 5 },
      { hnsw: { M: 8 } },
      { hnsw: { connectivity: 1 } },
      { hnsw: { connectivity: '16' } },
      { hnsw: { center: 'no' } },
      { hnsw: { precision: 'f64' } },
      { hnsw: { expansionPerResult: Number.NaN } },
      { hnsw: { expansionPerResult: Number.POSITIVE_INFINITY } },
      { hnsw: { expansionPerResult: 0.5 } },
      { hnsw: { threads: -1 } },
    ];
    const fs = new MemoryFileSystem();
    for (const options of bad) {
      const index = { kind: 'dynamic', ...(options as object) };
      await assert.rejects(Collection.create('/bad', { dim: DIM, index, fs }), {
        code: 'invalid-argument',
      });
      assert.equal(fs.exists('/bad'), false, JSON.stringify(options));
    }

    const collection = await Collection.create(DIR, { dim: DIM, index: DYNAMIC, fs });
    await collection.upsert(docs.slice(0, THRESHOLD));
    for (const options of bad) {
      const index = { kind: 'dynamic', ...(options as object) };
      await assert.rejects(collection.rebuildIndex({ index }), { code: 'invalid-argument' });
    }
    // connectivity 1 was accepted once, then failed inside the switching upsert, after the log
    // record was durable, with usearch's plain Error: the collection could not be opened again.
    await collection.upsert(docs.slice(THRESHOLD));
    assert.equal((await stageNow(collection, fs)).stage, 'hnsw');
    await collection.close();
    const reopened = await Collection.open(DIR, { fs });
    assert.equal((await reopened.stats()).documents, docs.length);
    await reopened.close();
  });

  for (const expansionPerResult of [1, 1.5, 1e9]) {
    it(`searches across the switch with expansionPerResult ${expansionPerResult}`, async () => {
      const fs = new MemoryFileSystem();
      const hnsw = { threads: 1, expansionPerResult, expansionSearch: 1 };
      const index = { kind: 'dynamic', threshold: THRESHOLD, hnsw };
      const collection = await Collection.create(DIR, { dim: DIM, index, fs });
      await collection.upsert(docs);
      const query = tokens.tokens(4, 3);
      const exact = await collection.search(query, { k: 10, strategy: 'exact' });
      const all = await collection.search(query, { k: 10, candidates: docs.length });
      assert.deepEqual(all.hits, exact.hits);
      const some = await collection.search(query, { k: 10, candidates: 10 });
      assert.equal(some.hits.length, 10);
      assert.equal(some.stats.candidatesFetched, 10);
      const stored = (await stageNow(collection, fs)).stage;
      assert.equal(stored, 'hnsw');
      await collection.close();
    });
  }
});
