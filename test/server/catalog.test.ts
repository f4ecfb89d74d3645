/**
 * The catalog under concurrent first use, with the real embedded engine: two requests racing to
 * create a name, and several racing to open a collection found on disk (a second open of the same
 * directory would fail on its write lock).
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { embeddedEngine } from '../../src/server/embedded-engine.js';
import { startServer } from '../../src/server/serve.js';

const RACERS = 6;

async function call(url: string, method: string, path: string, body?: unknown) {
  const response = await fetch(url + path, {
    method,
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

describe('catalog races', () => {
  let dataDir: string;
  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'muvera-catalog-'));
  });
  after(() => rm(dataDir, { recursive: true, force: true }));

  it('lets exactly one of several concurrent creates of a name succeed', async () => {
    const server = await startServer({ engine: embeddedEngine, dataDir, port: 0 });
    try {
      const body = { name: 'raced', dim: 4, index: { kind: 'flat' } };
      const answers = await Promise.all(
        Array.from({ length: RACERS }, () => call(server.url, 'POST', '/v1/collections', body)),
      );
      const statuses = answers.map((answer) => answer.status).sort();
      assert.deepEqual(statuses, [201, ...Array(RACERS - 1).fill(409)]);
      const doc = { id: 'd', vectors: [[1, 0, 0, 0]] };
      const upserted = await call(server.url, 'POST', '/v1/collections/raced/documents', {
        documents: [doc],
      });
      assert.equal(upserted.status, 200);
    } finally {
      await server.close();
    }
  });

  it('opens a collection found on disk once, however many requests arrive first', async () => {
    const server = await startServer({ engine: embeddedEngine, dataDir, port: 0 });
    try {
      const search = { vectors: [[1, 0, 0, 0]], k: 1 };
      const answers = await Promise.all(
        Array.from({ length: RACERS }, () =>
          call(server.url, 'POST', '/v1/collections/raced/search', search),
        ),
      );
      for (const answer of answers) {
        assert.equal(answer.status, 200, JSON.stringify(answer.body));
        assert.deepEqual(
          (answer.body.hits as { id: string }[]).map((hit) => hit.id),
          ['d'],
        );
      }
    } finally {
      await server.close();
    }
  });
});
