/**
 * The behavioural contract every collection backend passes (embedded directory now, PostgreSQL
 * later): API semantics, bad input, filters that never shrink results, explanations, statistics,
 * and agreement of every strategy with the brute-force oracle on small collections.
 *
 * A backend runs it with `collectionContract(name, factory)` from its own *.test.ts file.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { CollectionApi, SearchOptions, StrategyName } from '../../src/collection/types.js';
import { bruteForce, SCORE_TOLERANCE, sameRanking, TokenFactory } from './helpers.js';

/** Makes fresh, empty collections of one backend. */
export interface CollectionFactory {
  /** A new empty collection for tokens of `dim` values. */
  create(dim: number): Promise<CollectionApi>;
  /** Closes and removes everything the factory made. */
  cleanup(): Promise<void>;
}

const DIM = 13;
const STRATEGIES: StrategyName[] = ['fde', 'tokens', 'exact'];

/** Registers the contract tests of one backend. */
export function collectionContract(name: string, factory: CollectionFactory): void {
  describe(`collection contract: ${name}`, () => {
    after(() => factory.cleanup());
    semantics(factory);
    searching(factory);
    badInput(factory);
  });
}

/** A collection holding `count` seeded documents; returns it with the inputs. */
async function filled(factory: CollectionFactory, count: number, seed = 1) {
  const tokens = new TokenFactory(DIM, seed);
  const docs = tokens.documents(count);
  const collection = await factory.create(DIM);
  if (count > 0) await collection.upsert(docs);
  return { collection, docs, tokens };
}

function semantics(factory: CollectionFactory): void {
  it('get returns what upsert stored, without padding rows, with spans realigned', async () => {
    const { collection, tokens } = await filled(factory, 0);
    const rows = tokens.tokens(3, 0);
    const padded = new Float32Array(4 * DIM);
    padded.set(rows.subarray(0, DIM), 0);
    padded.set(rows.subarray(DIM), 2 * DIM);
    const spans = [0, 3, 3, 3, 4, 8, 9, 12];
    const result = await collection.upsert([
      { id: 'a', tokens: padded, metadata: { x: [1, 'y'] }, text: 'abc defg hij', spans },
    ]);
    assert.deepEqual(result, { inserted: 1, replaced: 0, duplicates: 0 });
    const doc = await collection.get('a');
    assert.ok(doc);
    assert.deepEqual(Array.from(doc.tokens), Array.from(rows));
    assert.deepEqual(doc.metadata, { x: [1, 'y'] });
    assert.equal(doc.text, 'abc defg hij');
    assert.deepEqual(Array.from(doc.spans ?? []), [0, 3, 4, 8, 9, 12]);
    assert.equal(await collection.get('missing'), undefined);
  });

  it('re-upserting an id replaces tokens, metadata and search hits everywhere', async () => {
    const { collection, tokens } = await filled(factory, 20);
    const fresh = tokens.tokens(4, 3, 0.1);
    const result = await collection.upsert([{ id: 'doc-0', tokens: fresh, metadata: { v: 2 } }]);
    assert.deepEqual(result, { inserted: 0, replaced: 1, duplicates: 0 });
    assert.deepEqual((await collection.get('doc-0'))?.metadata, { v: 2 });
    assert.equal((await collection.stats()).documents, 20);
    for (const strategy of STRATEGIES) {
      const old = await collection.search(fresh, { k: 20, strategy, filter: { parity: 'even' } });
      assert.ok(!old.hits.some((hit) => hit.id === 'doc-0'), `${strategy} found the old metadata`);
      const now = await collection.search(fresh, { k: 1, strategy, filter: { v: 2 } });
      assert.deepEqual(
        now.hits.map((h) => h.id),
        ['doc-0'],
      );
    }
  });

  it('duplicate ids within a batch: the last occurrence wins', async () => {
    const { collection, tokens } = await filled(factory, 0);
    const result = await collection.upsert([
      { id: 'x', tokens: tokens.tokens(2, 0), metadata: { v: 1 } },
      { id: 'y', tokens: tokens.tokens(2, 1) },
      { id: 'x', tokens: tokens.tokens(3, 2), metadata: { v: 3 } },
    ]);
    assert.deepEqual(result, { inserted: 2, replaced: 0, duplicates: 1 });
    const doc = await collection.get('x');
    assert.deepEqual(doc?.metadata, { v: 3 });
    assert.equal(doc?.tokens.length, 3 * DIM);
    assert.equal((await collection.stats()).documents, 2);
  });

  it('delete removes documents and reports unknown ids', async () => {
    const { collection, docs } = await filled(factory, 10);
    const result = await collection.delete(['doc-1', 'nope', 'doc-2', 'doc-1']);
    assert.deepEqual(result, { deleted: ['doc-1', 'doc-2'], missing: ['nope'] });
    assert.equal(await collection.get('doc-1'), undefined);
    assert.equal((await collection.stats()).documents, 8);
    const search = await collection.search(docs[1].tokens, { k: 10, strategy: 'fde' });
    assert.equal(search.hits.length, 8);
    assert.ok(!search.hits.some((hit) => hit.id === 'doc-1' || hit.id === 'doc-2'));
    assert.deepEqual(await collection.delete([]), { deleted: [], missing: [] });
  });

  it('stats count documents and tokens; closed collections refuse calls', async () => {
    const { collection, docs } = await filled(factory, 7);
    const stats = await collection.stats();
    const tokens = docs.reduce((n, d) => n + d.tokens.length / DIM, 0);
    assert.equal(stats.documents, 7);
    assert.equal(stats.tokens, tokens);
    assert.equal(stats.dim, DIM);
    assert.ok(stats.fdeDimension > 0);
    await collection.close();
    await assert.rejects(() => collection.search(docs[0].tokens), { code: 'closed' });
    await assert.rejects(() => collection.upsert(docs), { code: 'closed' });
  });
}

function searching(factory: CollectionFactory): void {
  it('every strategy equals the brute-force oracle when candidates cover the collection', async () => {
    // NOTE: 70 documents in one batch: large enough for a backend's parallel write path.
    const { collection, docs, tokens } = await filled(factory, 70);
    for (let q = 0; q < 5; q++) {
      const query = tokens.tokens(1 + q * 3, q);
      const oracle = bruteForce(query, docs, DIM).slice(0, 10);
      for (const strategy of STRATEGIES) {
        const result = await collection.search(query, { k: 10, candidates: 70, strategy });
        assert.ok(sameRanking(result.hits, oracle), `${strategy} differs from the oracle`);
      }
    }
  });

  it('hits are ordered, carry exact scores, metadata and text; stats describe the work', async () => {
    const { collection, docs, tokens } = await filled(factory, 30);
    const query = tokens.tokens(5, 2);
    const result = await collection.search(query, { k: 5, candidates: 12 });
    assert.equal(result.hits.length, 5);
    const byId = new Map(docs.map((d) => [d.id, d]));
    for (const [i, hit] of result.hits.entries()) {
      if (i > 0) assert.ok(hit.score <= result.hits[i - 1].score);
      const doc = byId.get(hit.id);
      assert.ok(doc);
      const exact = bruteForce(query, [doc], DIM)[0].score;
      assert.ok(Math.abs(hit.score - exact) <= SCORE_TOLERANCE);
      assert.deepEqual(hit.metadata, doc.metadata);
      assert.equal(hit.text, doc.text);
      assert.equal(hit.matches, undefined);
    }
    const { stats } = result;
    assert.equal(stats.strategy, 'fde');
    assert.equal(stats.queryTokens, 5);
    assert.ok(stats.candidatesFetched >= 5 && stats.candidatesFetched <= 12);
    assert.equal(stats.exactScorings, stats.candidatesFetched);
    assert.ok(stats.timings.totalMs >= stats.timings.rerankMs);
    const exact = await collection.search(query, { k: 5, strategy: 'exact' });
    assert.equal(exact.stats.exactScorings, 30);
  });

  it('a filter never shrinks results below k when k documents pass', async () => {
    const { collection, docs, tokens } = await filled(factory, 60);
    const rare = docs.filter((d) => d.metadata?.topic === 5).map((d) => d.id);
    const query = tokens.tokens(4, 0);
    for (const strategy of STRATEGIES) {
      const options: SearchOptions = { k: 5, candidates: 5, strategy, filter: { topic: 5 } };
      const result = await collection.search(query, options);
      assert.equal(result.hits.length, 5, strategy);
      assert.ok(result.hits.every((hit) => rare.includes(hit.id)));
      const all = await collection.search(query, { ...options, k: 50, candidates: 50 });
      assert.equal(all.hits.length, rare.length, `${strategy}: every passing document`);
      const none = await collection.search(query, { strategy, filter: { topic: 'x' } });
      assert.equal(none.hits.length, 0);
    }
  });

  it('explain gives each query token its best document token, score and span', async () => {
    const { collection, tokens } = await filled(factory, 0);
    const doc = tokens.tokens(3, 1);
    await collection.upsert([
      { id: 'd', tokens: doc, text: 'one two three', spans: [0, 3, 4, 7, 8, 13] },
    ]);
    const query = tokens.tokens(4, 1);
    const padded = new Float32Array(5 * DIM);
    padded.set(query.subarray(0, 2 * DIM), 0);
    padded.set(query.subarray(2 * DIM), 3 * DIM);
    const { hits } = await collection.search(padded, { explain: true });
    const matches = hits[0].matches ?? [];
    assert.deepEqual(
      matches.map((m) => m.queryToken),
      [0, 1, 3, 4],
    );
    let total = 0;
    for (const [i, match] of matches.entries()) {
      const q = query.subarray(i * DIM, (i + 1) * DIM);
      const dots = [0, 1, 2].map((row) =>
        q.reduce((sum, value, j) => sum + value * doc[row * DIM + j], 0),
      );
      const best = dots.indexOf(Math.max(...dots));
      assert.equal(match.docToken, best);
      assert.ok(Math.abs(match.score - dots[best]) <= SCORE_TOLERANCE);
      assert.deepEqual(
        match.span,
        [
          [0, 3],
          [4, 7],
          [8, 13],
        ][best],
      );
      total += match.score;
    }
    assert.ok(Math.abs(total - hits[0].score) <= SCORE_TOLERANCE);
  });

  it('searchBatch equals one search per query, in order', async () => {
    const { collection, tokens } = await filled(factory, 25);
    const queries = [tokens.tokens(2, 1), tokens.tokens(7, 4), tokens.tokens(1, 6)];
    const batch = await collection.searchBatch(queries, { k: 4 });
    for (const [i, query] of queries.entries()) {
      const one = await collection.search(query, { k: 4 });
      assert.deepEqual(
        batch[i].hits.map((h) => h.id),
        one.hits.map((h) => h.id),
      );
    }
  });

  it('an empty collection returns no hits; a one-document collection returns it', async () => {
    const { collection, tokens } = await filled(factory, 0);
    for (const strategy of STRATEGIES) {
      const result = await collection.search(tokens.tokens(3, 0), { strategy });
      assert.deepEqual(result.hits, []);
    }
    await collection.upsert([{ id: 'only', tokens: tokens.tokens(1, 0) }]);
    for (const strategy of STRATEGIES) {
      const longQuery = tokens.tokens(50, 2);
      const result = await collection.search(longQuery, { k: 10, strategy });
      assert.deepEqual(
        result.hits.map((h) => h.id),
        ['only'],
      );
    }
  });
}

function badInput(factory: CollectionFactory): void {
  it('refuses bad documents with codes and leaves the collection as it was', async () => {
    const { collection, docs, tokens } = await filled(factory, 10);
    const query = tokens.tokens(3, 1);
    const before = await collection.search(query, { k: 10 });
    const good = tokens.tokens(2, 0);
    const nan = good.slice();
    nan[3] = Number.NaN;
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    const cases: [unknown, string][] = [
      [[{ id: 'a', tokens: new Float32Array(DIM + 1) }], 'dimension-mismatch'],
      [[{ id: 'a', tokens: new Float32Array(0) }], 'empty-input'],
      [[{ id: 'a', tokens: new Float32Array(2 * DIM) }], 'empty-input'],
      [[{ id: 'a', tokens: nan }], 'non-finite-value'],
      [[{ id: '', tokens: good }], 'invalid-argument'],
      [[{ id: 'x'.repeat(100_000), tokens: good }], 'limit-exceeded'],
      [[{ id: 7, tokens: good }], 'invalid-argument'],
      [[{ id: 'a', tokens: Array.from(good) }], 'invalid-argument'],
      [[{ id: 'a', tokens: good, metadata: { f: () => 1 } }], 'invalid-argument'],
      [[{ id: 'a', tokens: good, metadata: { big: 10n } }], 'invalid-argument'],
      [[{ id: 'a', tokens: good, metadata: cyclic }], 'limit-exceeded'],
      [[{ id: 'a', tokens: good, metadata: { n: Number.NaN } }], 'invalid-argument'],
      [[{ id: 'a', tokens: good, metadata: [1] }], 'invalid-argument'],
      [[{ id: 'a', tokens: good, spans: [0, 1, 1, 2] }], 'invalid-argument'],
      [[{ id: 'a', tokens: good, text: 'ab', spans: [0, 1] }], 'invalid-argument'],
      [[{ id: 'a', tokens: good, text: 'ab', spans: [0, 1, 2, 1] }], 'invalid-argument'],
      [[{ id: 'ok', tokens: good }, null], 'invalid-argument'],
      ['not an array', 'invalid-argument'],
    ];
    for (const [i, [batch, code]] of cases.entries()) {
      await assert.rejects(() => collection.upsert(batch as never), { code }, `case ${i}`);
    }
    assert.equal(await collection.get('ok'), undefined, 'a refused batch wrote nothing');
    assert.equal((await collection.stats()).documents, docs.length);
    const afterwards = await collection.search(query, { k: 10 });
    assert.deepEqual(afterwards.hits, before.hits);
    await assert.rejects(() => collection.delete(['', 'doc-1']), { code: 'invalid-argument' });
    await assert.rejects(() => collection.delete('doc-1' as never), { code: 'invalid-argument' });
    assert.ok(await collection.get('doc-1'));
  });

  it('refuses bad queries and search options with codes', async () => {
    const { collection, tokens } = await filled(factory, 10);
    const query = tokens.tokens(3, 1);
    const cases: [unknown, unknown, string][] = [
      [new Float32Array(DIM * 2 + 1), {}, 'dimension-mismatch'],
      [new Float32Array(0), {}, 'empty-input'],
      [new Float32Array(DIM), {}, 'empty-input'],
      [query.map((v, i) => (i === 5 ? Number.POSITIVE_INFINITY : v)), {}, 'non-finite-value'],
      [query, { k: 0 }, 'invalid-argument'],
      [query, { k: -3 }, 'invalid-argument'],
      [query, { k: 2.5 }, 'invalid-argument'],
      [query, { k: 1e12 }, 'limit-exceeded'],
      [query, { k: 10, candidates: 5 }, 'invalid-argument'],
      [query, { strategy: 'magic' }, 'invalid-argument'],
      [query, { filter: { a: { b: 1 } } }, 'invalid-argument'],
      [query, { explain: 'yes' }, 'invalid-argument'],
      [[1, 2, 3], {}, 'invalid-argument'],
    ];
    for (const [q, options, code] of cases) {
      await assert.rejects(() => collection.search(q as never, options as never), { code });
    }
    await assert.rejects(() => collection.searchBatch([query, new Float32Array(1)]), {
      code: 'dimension-mismatch',
    });
  });

  it('k larger than the collection returns every document', async () => {
    const { collection, tokens } = await filled(factory, 6);
    for (const strategy of STRATEGIES) {
      const result = await collection.search(tokens.tokens(2, 0), { k: 1000, strategy });
      assert.equal(result.hits.length, 6);
    }
  });
}
