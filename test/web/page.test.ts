/**
 * The search page in a real headless Chromium (Debian's `chromium`, driven by playwright-core):
 * load it from a server holding real SciFact abstracts encoded with the bundled static encoder,
 * give the API key it asks for, search, and check the results, the highlighted words and the
 * stage timings. Saves a screenshot to test-artifacts/search-page.png.
 */
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { type Browser, chromium } from 'playwright-core';
import { embeddedEngine } from '../../src/server/embedded-engine.js';
import { startTestServer, type TestServer } from '../server/helpers.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const ENCODER = `static:${ROOT}data/encoders/fasttext-skipgram128`;
const KEY = 'page-test-key';
/** SciFact abstracts indexed for the test: enough for a real ranking, quick to encode. */
const DOCUMENTS = 150;
const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

function scifactDocuments(count: number) {
  const lines = readFileSync(`${ROOT}data/scifact/corpus.jsonl`, 'utf8')
    .split('\n')
    .slice(0, count);
  return lines.map((line) => {
    const doc = JSON.parse(line) as { _id: string; title: string; text: string };
    return { id: doc._id, text: `${doc.title}\n${doc.text}`, metadata: { title: doc.title } };
  });
}

describe('search page in Chromium', () => {
  let t: TestServer;
  let browser: Browser;

  before(async () => {
    t = await startTestServer({ apiKey: KEY, engine: embeddedEngine });
    const created = await t.call('POST', '/v1/collections', {
      name: 'scifact',
      encoder: ENCODER,
      index: { kind: 'flat' },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const upserted = await t.call('POST', '/v1/collections/scifact/documents', {
      documents: scifactDocuments(DOCUMENTS),
    });
    assert.equal(upserted.status, 200, JSON.stringify(upserted.body));
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  });
  after(async () => {
    await browser?.close();
    await t.stop();
  });

  it('asks for the key, searches, shows scored results with matched words highlighted and timings', async () => {
    const page = await browser.newPage({ viewport: { width: 1100, height: 1300 } });
    await page.goto(`${t.server.url}/`);

    // The API refuses the page until the key is given; the page then shows the key field.
    await page.locator('#key-row').waitFor({ state: 'visible' });
    await page.fill('#api-key', KEY);
    await page.dispatchEvent('#api-key', 'change');
    await page.locator('#collection option[value="scifact"]').waitFor({ state: 'attached' });

    await page.fill('#query', 'white matter development in newborn brains');
    await page.selectOption('#strategy', 'fde');
    await page.fill('#candidates', '50');
    await page.click('#search-button');
    await page.locator('.hit').first().waitFor();

    const hits = await page.locator('.hit').count();
    assert.equal(hits, 10);
    const first = page.locator('.hit').first();
    assert.match((await first.locator('.title').textContent()) ?? '', /white matter/i);
    const score = Number(await first.locator('.score').textContent());
    assert.ok(score > 0 && Number.isFinite(score));

    const marks = await first.locator('mark').allTextContents();
    const lower = marks.map((mark) => mark.toLowerCase());
    for (const word of ['white', 'matter', 'newborn'])
      assert.ok(lower.includes(word), `${word} in ${marks}`);
    const tip = await first.locator('mark').first().getAttribute('title');
    assert.match(tip ?? '', /matches query word "\w+" \(\d\.\d{3}\)/);

    const stats = await page.locator('#stats').textContent();
    for (const label of ['encode', 'candidates stage', 're-rank', 'total'])
      assert.ok(stats?.includes(label), label);
    assert.match(
      (await page.locator('[data-stat="candidates"]').textContent()) ?? '',
      /candidates 50/,
    );

    mkdirSync(`${ROOT}test-artifacts`, { recursive: true });
    await page.screenshot({ path: `${ROOT}test-artifacts/search-page.png`, fullPage: false });
  });

  it('reruns with the exact strategy from the knob', async () => {
    const page = await browser.newPage();
    await page.addInitScript(`localStorage.setItem('muvera.apiKey', ${JSON.stringify(KEY)})`);
    await page.goto(`${t.server.url}/`);
    await page.locator('#collection option[value="scifact"]').waitFor({ state: 'attached' });
    await page.fill('#query', 'cerebral white matter');
    await page.selectOption('#strategy', 'exact');
    await page.click('#search-button');
    await page.locator('.hit').first().waitFor();
    assert.match((await page.locator('[data-stat="strategy"]').textContent()) ?? '', /exact/);
    assert.match(
      (await page.locator('[data-stat="exact scorings"]').textContent()) ?? '',
      new RegExp(`${DOCUMENTS}`),
    );
  });
});
