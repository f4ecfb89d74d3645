/**
 * The server's guards over real HTTP: the API key on every route but the public ones, body size
 * and schema checks that leave no trace, and collection names that cannot leave the data dir.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { FAKE_DIM } from './fake-engine.js';
import { startTestServer, type TestServer } from './helpers.js';

const KEY = 'test-key-0123456789';
const BODY_LIMIT = 4096;

/** Every API route, with a body that would succeed given the key. */
const ROUTES: [method: string, path: string, body?: unknown][] = [
  ['GET', '/openapi.json'],
  ['GET', '/v1/collections'],
  ['POST', '/v1/collections', { name: 'other', dim: 3 }],
  ['GET', '/v1/collections/notes'],
  ['DELETE', '/v1/collections/victim'],
  ['POST', '/v1/collections/notes/documents', { documents: [{ id: 'x', text: 'new words' }] }],
  ['GET', '/v1/collections/notes/documents/a'],
  ['POST', '/v1/collections/notes/documents/delete', { ids: ['a'] }],
  ['POST', '/v1/collections/notes/search', { text: 'aspirin' }],
];

describe('server security', () => {
  let t: TestServer;

  before(async () => {
    t = await startTestServer({ apiKey: KEY, limits: { bodyLimitBytes: BODY_LIMIT, maxK: 50 } });
    assert.equal(
      (await t.call('POST', '/v1/collections', { name: 'notes', encoder: 'fake' })).status,
      201,
    );
    assert.equal(
      (await t.call('POST', '/v1/collections', { name: 'victim', dim: FAKE_DIM })).status,
      201,
    );
    const docs = [
      { id: 'a', text: 'aspirin lowers the risk of stroke' },
      { id: 'b', text: 'statins lower cholesterol' },
    ];
    assert.equal(
      (await t.call('POST', '/v1/collections/notes/documents', { documents: docs })).status,
      200,
    );
  });
  after(() => t.stop());

  it('lists every route of the OpenAPI document in this test', async () => {
    const doc = (await t.call('GET', '/openapi.json')).body;
    const documented = Object.entries(doc.paths as Record<string, object>).flatMap(([path, ops]) =>
      Object.keys(ops).map((method) => `${method.toUpperCase()} ${path}`),
    );
    const tested = new Set(
      ROUTES.map(
        ([method, path]) =>
          `${method} ${path.replace(/\/notes|\/victim/, '/{name}').replace(/\/a$/, '/{id}')}`,
      ),
    );
    for (const route of documented) assert.ok(tested.has(route), `${route} is not covered`);
  });

  it('refuses a missing or wrong key on every route, before doing anything', async () => {
    for (const [method, path, body] of ROUTES) {
      for (const key of [null, 'wrong-key', `${KEY}x`, KEY.slice(1)]) {
        const response = await t.call(method, path, body, key);
        assert.equal(response.status, 401, `${method} ${path} with key ${key}`);
        assert.equal(response.body.code, 'unauthorized');
      }
    }
    assert.ok(existsSync(join(t.dataDir, 'victim')), 'the drop was not carried out');
    assert.equal((await t.call('GET', '/v1/collections/notes')).body.documents, 2);
  });

  it('accepts the right key on every route', async () => {
    for (const [method, path, body] of ROUTES) {
      const response = await t.call(method, path, body);
      assert.ok(
        response.status < 300,
        `${method} ${path}: ${response.status} ${JSON.stringify(response.body)}`,
      );
    }
  });

  it('leaves health and the page open', async () => {
    assert.equal((await t.call('GET', '/health', undefined, null)).status, 200);
    assert.equal((await t.call('GET', '/', undefined, null)).status, 200);
    assert.equal((await t.call('GET', '/page/app.js', undefined, null)).status, 200);
  });

  it('refuses an oversized body with 413 and stores nothing', async () => {
    const before = (await t.call('GET', '/v1/collections/notes')).body.documents;
    const text = 'word '.repeat(BODY_LIMIT);
    const response = await t.call('POST', '/v1/collections/notes/documents', {
      documents: [{ id: 'big', text }],
    });
    assert.equal(response.status, 413);
    assert.deepEqual(response.body, {
      code: 'limit-exceeded',
      message: `request body exceeds ${BODY_LIMIT} bytes. Send fewer documents per request, or raise the server limit (--body-limit)`,
      path: 'body',
    });
    assert.equal((await t.call('GET', '/v1/collections/notes')).body.documents, before);
    assert.equal((await t.call('GET', '/v1/collections/notes/documents/big')).status, 404);
  });

  it('refuses malformed and invalid bodies with 400 naming the field, and stores nothing', async () => {
    const cases: [string, string | object, string, string | null][] = [
      ['/v1/collections/notes/documents', '{"documents": [', 'parse-error', 'body'],
      [
        '/v1/collections/notes/documents',
        { documents: [{ id: 'c' }] },
        'invalid-argument',
        'documents.0.text',
      ],
      [
        '/v1/collections/notes/documents',
        { documents: [{ id: 'd', vectors: [Array(FAKE_DIM).fill(1), [3]] }] },
        'dimension-mismatch',
        'documents.0.vectors.1',
      ],
      [
        '/v1/collections/notes/documents',
        { documents: [{ id: 'e', text: 'the of a' }] },
        'empty-input',
        'documents.0.text',
      ],
      [
        '/v1/collections/notes/documents',
        { documents: [{ id: 'f', text: 'fine' }, { id: 7 }] },
        'invalid-argument',
        'documents.1.id',
      ],
      ['/v1/collections/notes/search', { text: 'aspirin', k: 0 }, 'invalid-argument', 'k'],
      ['/v1/collections/notes/search', { text: 'aspirin', k: 51 }, 'invalid-argument', 'k'],
      [
        '/v1/collections/notes/search',
        { text: 'aspirin', strategy: 'magic' },
        'invalid-argument',
        'strategy',
      ],
      ['/v1/collections/notes/search', { k: 3 }, 'invalid-argument', 'text'],
      ['/v1/collections', { name: 'x' }, 'invalid-argument', 'dim'],
    ];
    for (const [path, body, code, field] of cases) {
      const response = await t.call('POST', path, body);
      assert.equal(
        response.status,
        400,
        `${JSON.stringify(body)}: ${JSON.stringify(response.body)}`,
      );
      assert.equal(response.body.code, code, JSON.stringify(response.body));
      assert.equal(response.body.path, field, JSON.stringify(response.body));
    }
    for (const id of ['c', 'd', 'e', 'f']) {
      assert.equal((await t.call('GET', `/v1/collections/notes/documents/${id}`)).status, 404, id);
    }
  });

  it('keeps path-like collection names inside the data directory', async () => {
    const before = readdirSync(t.root).sort();
    for (const name of [
      '../escape',
      '..',
      '.',
      'a/b',
      'a\\b',
      '..%2Fescape',
      '%2e%2e',
      '.hidden',
      'x'.repeat(65),
      '',
    ]) {
      const created = await t.call('POST', '/v1/collections', { name, dim: 3 });
      assert.equal(created.status, 400, `create ${name}`);
      assert.equal(created.body.path, 'name');
      const encoded = encodeURIComponent(name);
      for (const path of [`/v1/collections/${encoded}`, `/v1/collections/${encoded}/search`]) {
        const response = await t.call(path.endsWith('search') ? 'POST' : 'DELETE', path, {
          text: 'x',
        });
        assert.ok([400, 404].includes(response.status), `${path}: ${response.status}`);
      }
    }
    assert.deepEqual(readdirSync(t.root).sort(), before);
    assert.deepEqual(readdirSync(t.dataDir).sort(), ['notes', 'other']);
  });
});
