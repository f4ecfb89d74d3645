/**
 * Errors over HTTP name the request field the client wrote (`vectors.0`, `documents.3.vectors.0`,
 * `candidates`, `encoder`), not the library's parameter names, and token rows of the wrong width
 * are refused even when their total is a multiple of dim.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { embeddedEngine } from '../../src/server/embedded-engine.js';
import { FAKE_DIM } from './fake-engine.js';
import { startTestServer, type TestServer } from './helpers.js';

/** A row of `width` numbers: `value` first, zeros after. */
const row = (value: number, width: number) =>
  Array.from({ length: width }, (_, i) => (i === 0 ? value : 0));

describe('request errors (in-memory engine)', () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer();
    const created = await t.call('POST', '/v1/collections', { name: 'notes', encoder: 'fake' });
    assert.equal(created.status, 201);
  });
  after(() => t.stop());

  it('refuses a document row of 2 x dim numbers, naming it, and stores nothing', async () => {
    const good = (id: string) => ({ id, vectors: [row(1, FAKE_DIM)] });
    const documents = [good('a'), good('b'), good('c'), { id: 'd', vectors: [row(1, 16)] }];
    const answer = await t.call('POST', '/v1/collections/notes/documents', { documents });
    assert.equal(answer.status, 400);
    assert.deepEqual(answer.body, {
      code: 'dimension-mismatch',
      message: `documents[3].vectors[0] has 16 numbers, expected dim ${FAKE_DIM}`,
      path: 'documents.3.vectors.0',
    });
    assert.equal((await t.call('GET', '/v1/collections/notes/documents/a')).status, 404);
  });

  it('refuses a query row of 2 x dim numbers', async () => {
    const answer = await t.call('POST', '/v1/collections/notes/search', {
      vectors: [row(1, 2 * FAKE_DIM)],
    });
    assert.equal(answer.status, 400);
    assert.deepEqual(answer.body, {
      code: 'dimension-mismatch',
      message: `vectors[0] has ${2 * FAKE_DIM} numbers, expected dim ${FAKE_DIM}`,
      path: 'vectors.0',
    });
  });
});

describe('request errors (embedded engine)', () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer({ engine: embeddedEngine });
    const created = await t.call('POST', '/v1/collections', {
      name: 'dim4',
      dim: 4,
      index: { kind: 'flat' },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
  });
  after(() => t.stop());

  it('refuses [[1,0,0,0,0,1,0,0]] on a dim-4 collection instead of storing 2 tokens', async () => {
    const answer = await t.call('POST', '/v1/collections/dim4/documents', {
      documents: [{ id: 'a', vectors: [[1, 0, 0, 0, 0, 1, 0, 0]] }],
    });
    assert.equal(answer.status, 400);
    assert.equal(answer.body.code, 'dimension-mismatch');
    assert.equal(answer.body.path, 'documents.0.vectors.0');
    assert.equal((await t.call('GET', '/v1/collections/dim4')).body.tokens, 0);
  });

  it('answers an upsert with its dropped duplicates', async () => {
    const documents = [
      { id: 'a', vectors: [row(1, 4)] },
      { id: 'a', vectors: [row(2, 4)] },
    ];
    const answer = await t.call('POST', '/v1/collections/dim4/documents', { documents });
    assert.equal(answer.status, 200);
    assert.deepEqual(answer.body, { inserted: 1, replaced: 0, duplicates: 1 });
  });

  it('names candidates, not options.candidates', async () => {
    const answer = await t.call('POST', '/v1/collections/dim4/search', {
      vectors: [row(1, 4)],
      k: 50,
      candidates: 10,
    });
    assert.equal(answer.status, 400);
    assert.equal(answer.body.code, 'invalid-argument');
    assert.equal(answer.body.path, 'candidates');
    assert.match(answer.body.message, /^candidates must be at least k \(50\), got 10/);
  });

  it('names vectors, not query, for a query of padding rows', async () => {
    const answer = await t.call('POST', '/v1/collections/dim4/search', { vectors: [row(0, 4)] });
    assert.equal(answer.status, 400);
    assert.equal(answer.body.code, 'empty-input');
    assert.equal(answer.body.path, 'vectors');
    assert.match(answer.body.message, /^vectors has only padding rows/);
  });

  it('names documents.0.vectors, not docs[0].tokens, for a document of padding rows', async () => {
    const answer = await t.call('POST', '/v1/collections/dim4/documents', {
      documents: [{ id: 'z', vectors: [row(0, 4)] }],
    });
    assert.equal(answer.status, 400);
    assert.equal(answer.body.code, 'empty-input');
    assert.equal(answer.body.path, 'documents.0.vectors');
    assert.match(answer.body.message, /^documents\[0\]\.vectors has only padding rows/);
  });

  it('answers a missing static: path in the body with 400 on encoder and what to check', async () => {
    const spec = `static:${join(t.root, 'no-such-vectors')}`;
    const answer = await t.call('POST', '/v1/collections', { name: 'text', encoder: spec });
    assert.equal(answer.status, 400);
    assert.equal(answer.body.code, 'invalid-argument');
    assert.equal(answer.body.path, 'encoder');
    assert.ok(answer.body.message.includes(`encoder "${spec}"`), answer.body.message);
    assert.match(answer.body.message, /check the path after "static:"/i);
  });
});
