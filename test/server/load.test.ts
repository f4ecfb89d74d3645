/**
 * Many concurrent searches and upserts over loopback against the real embedded collection:
 * every answer is checked and no upserted document is lost. Bounded in count (and so in time).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { runLoad, seedDocuments } from '../../bench/server-load-driver.js';
import { embeddedEngine } from '../../src/server/embedded-engine.js';
import { startTestServer, type TestServer } from './helpers.js';

const KEY = 'load-key';
const DIM = 16;

describe('server under concurrent load', () => {
  let t: TestServer;

  before(async () => {
    t = await startTestServer({ apiKey: KEY, engine: embeddedEngine });
    const created = await t.call('POST', '/v1/collections', {
      name: 'load',
      dim: DIM,
      index: { kind: 'flat' },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
  });
  after(() => t.stop());

  it('answers every search correctly while upserts land, and loses nothing', async () => {
    const options = {
      url: t.server.url,
      collection: 'load',
      apiKey: KEY,
      dim: DIM,
      tokensPerDocument: 7,
      initialDocuments: 60,
      searches: 240,
      upserts: 40,
      documentsPerUpsert: 3,
      concurrency: 16,
      seed: 7,
    };
    const docs = await seedDocuments(options);
    const report = await runLoad(options, docs);

    assert.deepEqual(report.failures, []);
    assert.equal(report.documents.stored, report.documents.expected);
    assert.equal(report.documents.expected, 60 + 40 * 3);
    for (const id of ['seed-0', 'load-0-0', 'load-39-2']) {
      const got = await t.call('GET', `/v1/collections/load/documents/${id}`);
      assert.equal(got.status, 200, id);
      assert.equal(got.body.numTokens, 7);
    }
  });
});
