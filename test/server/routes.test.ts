/** Each API route doing its job over loopback (in-memory engine): the happy paths, in order. */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { FAKE_DIM } from './fake-engine.js';
import { startTestServer, type TestServer } from './helpers.js';

const DOCS = [
  { id: 'a', text: 'Aspirin lowers the risk of stroke', metadata: { year: 2020 } },
  { id: 'b', text: 'Statins lower cholesterol', metadata: { year: 2021 } },
];

describe('API routes', () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer();
  });
  after(() => t.stop());

  it('creates, lists and describes a collection', async () => {
    const created = await t.call('POST', '/v1/collections', { name: 'notes', encoder: 'fake' });
    assert.equal(created.status, 201);
    assert.equal(created.body.dim, FAKE_DIM);
    assert.equal(created.body.encoder.kind, 'static');
    assert.equal(
      (await t.call('POST', '/v1/collections', { name: 'notes', encoder: 'fake' })).status,
      409,
    );
    const listed = await t.call('GET', '/v1/collections');
    assert.deepEqual(listed.body.collections, [
      { name: 'notes', attached: false, documents: 0, dim: FAKE_DIM, encoder: 'static' },
    ]);
  });

  it('upserts text and vectors, then gets them back', async () => {
    const vectors = [Array.from({ length: FAKE_DIM }, (_, i) => (i === 0 ? 1 : 0))];
    const upserted = await t.call('POST', '/v1/collections/notes/documents', {
      documents: [...DOCS, { id: 'v', vectors }],
    });
    assert.deepEqual(upserted.body, { inserted: 3, replaced: 0 });
    const again = await t.call('POST', '/v1/collections/notes/documents', { documents: [DOCS[1]] });
    assert.deepEqual(again.body, { inserted: 0, replaced: 1 });

    const got = await t.call('GET', '/v1/collections/notes/documents/a');
    assert.deepEqual(got.body, {
      id: 'a',
      numTokens: 4,
      text: DOCS[0].text,
      metadata: { year: 2020 },
    });
    const withVectors = await t.call('GET', '/v1/collections/notes/documents/v?vectors=true');
    assert.deepEqual(withVectors.body.vectors, vectors);
    assert.equal(
      (await t.call('GET', '/v1/collections/notes/documents/zzz')).body.code,
      'not-found',
    );
  });

  it('searches text with explain spans, stats, filter; and vectors', async () => {
    const found = await t.call('POST', '/v1/collections/notes/search', {
      text: 'stroke aspirin',
      k: 2,
      explain: true,
      stats: true,
    });
    assert.equal(found.status, 200);
    assert.deepEqual(found.body.query, { tokens: ['stroke', 'aspirin'] });
    const [top] = found.body.hits;
    assert.equal(top.id, 'a');
    for (const match of top.matches) {
      assert.equal(match.docText, top.text.slice(match.span[0], match.span[1]));
      assert.equal(match.docText.toLowerCase(), match.queryText);
    }
    assert.equal(found.body.stats.exactScorings, 3);
    assert.ok(found.body.stats.timings.totalMs >= found.body.stats.timings.encodeMs);

    const filtered = await t.call('POST', '/v1/collections/notes/search', {
      text: 'aspirin',
      filter: { year: 2021 },
    });
    assert.deepEqual(
      filtered.body.hits.map((hit: { id: string }) => hit.id),
      ['b'],
    );
    assert.equal(filtered.body.stats, undefined);

    const vectors = [Array.from({ length: FAKE_DIM }, (_, i) => (i === 0 ? 1 : 0))];
    const byVectors = await t.call('POST', '/v1/collections/notes/search', { vectors, k: 1 });
    assert.equal(byVectors.body.hits[0].id, 'v');
    assert.equal(byVectors.body.query, undefined);
  });

  it('deletes documents and drops the collection with its files', async () => {
    const deleted = await t.call('POST', '/v1/collections/notes/documents/delete', {
      ids: ['a', 'nope'],
    });
    assert.deepEqual(deleted.body, { deleted: ['a'], missing: ['nope'] });
    assert.equal((await t.call('GET', '/v1/collections/notes')).body.documents, 2);
    assert.deepEqual((await t.call('DELETE', '/v1/collections/notes')).body, { dropped: 'notes' });
    assert.equal(existsSync(join(t.dataDir, 'notes')), false);
    assert.equal((await t.call('GET', '/v1/collections/notes')).status, 404);
    assert.equal((await t.call('GET', '/v1/nothing')).body.code, 'not-found');
  });
});
