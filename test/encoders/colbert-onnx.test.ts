import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ColbertOnnxEncoder, loadTransformers } from '../../src/encoders/colbert-onnx.js';
import { importOptional } from '../../src/encoders/optional-import.js';
import type { TokenEncoding } from '../../src/encoders/types.js';
import { logger } from '../../src/log.js';
import {
  expectedVector,
  fixtureVocab,
  HIDDEN_SIZE,
  OUTPUT_DIM,
  type TinyColbert,
  writeTinyColbert,
} from './tiny-colbert.js';

const QUERY_LENGTH = 32;
const DOCUMENT_LENGTH = 300;
const VECTOR_TOLERANCE = 1e-5;
const BATCH_TOLERANCE = 1e-6;

const vocab = fixtureVocab();
const idOf = (token: string) => {
  const id = vocab.get(token);
  assert.ok(id !== undefined, `${token} is in the vocabulary`);
  return id;
};
const texts = (encoding: TokenEncoding) => encoding.tokens.map((token) => token.text);
const spanned = (text: string, encoding: TokenEncoding) =>
  encoding.tokens.map((token) => text.slice(token.start, token.end));

function assertRowsMatch(model: TinyColbert, encoding: TokenEncoding, tokens: string[]) {
  assert.equal(encoding.numTokens, tokens.length);
  tokens.forEach((token, row) => {
    const expected = expectedVector(model, idOf(token));
    for (let j = 0; j < OUTPUT_DIM; j++) {
      const actual = encoding.data[row * OUTPUT_DIM + j];
      assert.ok(
        Math.abs(actual - expected[j]) < VECTOR_TOLERANCE,
        `row ${row} (${token}) value ${j}`,
      );
    }
  });
}

function maxDifference(a: TokenEncoding, b: TokenEncoding): number {
  assert.deepEqual(a.tokens, b.tokens);
  return a.data.reduce((worst, value, i) => Math.max(worst, Math.abs(value - b.data[i])), 0);
}

describe('ColbertOnnxEncoder on a tiny ONNX model with the answerai-colbert-small-v1 tokenizer', () => {
  let model: TinyColbert;
  let encoder: ColbertOnnxEncoder;

  before(async () => {
    (await loadTransformers()).env.allowRemoteModels = false;
    model = await writeTinyColbert();
    encoder = await ColbertOnnxEncoder.load(model.dir);
  });
  after(async () => {
    await encoder?.dispose();
    rmSync(model.dir, { recursive: true, force: true });
  });

  it('reads the ColBERT settings and the 1_Dense projection from the folder', () => {
    assert.equal(encoder.dim, OUTPUT_DIM);
    assert.equal(encoder.settings.queryPrefix, '[unused0]');
    assert.equal(encoder.settings.documentPrefix, '[unused1]');
    assert.equal(encoder.settings.queryLength, QUERY_LENGTH);
    assert.equal(encoder.settings.documentLength, DOCUMENT_LENGTH);
    assert.equal(encoder.settings.projections[0].inFeatures, HIDDEN_SIZE);
    assert.deepEqual(encoder.spec, {
      kind: 'colbert',
      model: model.dir,
      revision: null,
      dtype: 'fp32',
      dim: OUTPUT_DIM,
      queryLength: QUERY_LENGTH,
      documentLength: DOCUMENT_LENGTH,
    });
  });

  it('lays a query out as [CLS] [unused0] words [SEP] then [MASK] up to the query length', async () => {
    const text = 'Hello, world';
    const query = await encoder.encodeQuery(text);
    const masks = Array(QUERY_LENGTH - 6).fill('[MASK]');
    assert.deepEqual(texts(query), [
      '[CLS]',
      '[unused0]',
      'hello',
      ',',
      'world',
      '[SEP]',
      ...masks,
    ]);
    assert.deepEqual(spanned(text, query).slice(0, 6), ['', '', 'Hello', ',', 'world', '']);
    assertRowsMatch(model, query, texts(query));
  });

  it('lays a document out as [CLS] [unused1] words [SEP], punctuation removed', async () => {
    const text = 'Hello, world! (A test.)';
    const doc = await encoder.encodeDocument(text);
    assert.deepEqual(texts(doc), ['[CLS]', '[unused1]', 'hello', 'world', 'a', 'test', '[SEP]']);
    assert.deepEqual(spanned(text, doc), ['', '', 'Hello', 'world', 'A', 'test', '']);
    assertRowsMatch(model, doc, texts(doc));
  });

  it('gives unit vectors equal to dense x hidden state, normalised (fingerprint)', async () => {
    const doc = await encoder.encodeDocument('multi vector retrieval');
    for (let row = 0; row < doc.numTokens; row++) {
      const norm = Math.hypot(...doc.data.subarray(row * OUTPUT_DIM, (row + 1) * OUTPUT_DIM));
      assert.ok(Math.abs(norm - 1) < VECTOR_TOLERANCE);
    }
    const fingerprint = doc.data.reduce((sum, value, i) => sum + value * (i + 1), 0);
    const expected = texts(doc)
      .flatMap((token) => expectedVector(model, idOf(token)))
      .reduce((sum, value, i) => sum + value * (i + 1), 0);
    assert.ok(Math.abs(fingerprint - expected) < 1e-4);
  });

  it('gives the same vectors alone and in a batch of mixed lengths', async () => {
    const docs = [
      'short',
      'a much longer document with many more words than the others',
      'mid size text',
    ];
    const batch = await encoder.encodeDocuments(docs);
    for (const [i, text] of docs.entries()) {
      assert.ok(maxDifference(batch[i], await encoder.encodeDocument(text)) <= BATCH_TOLERANCE);
    }
    const queries = await encoder.encodeQueries(['one', 'two words']);
    assert.ok(maxDifference(queries[1], await encoder.encodeQuery('two words')) <= BATCH_TOLERANCE);
  });

  it('folds accents as the tokenizer does and spans accented and non-Latin text', async () => {
    const text = 'Café naïve 東京 привет';
    const doc = await encoder.encodeDocument(text);
    const words = doc.tokens.slice(2, -1);
    assert.deepEqual(
      words.slice(0, 4).map((token) => token.text),
      ['cafe', 'naive', '東', '京'],
    );
    assert.deepEqual(spanned(text, doc).slice(2, 6), ['Café', 'naïve', '東', '京']);
    const cyrillic = words.slice(4);
    assert.equal(cyrillic.map((token) => token.text.replace(/^##/, '')).join(''), 'привет');
    assert.equal(text.slice(cyrillic[0].start, cyrillic.at(-1)?.end), 'привет');
    assertRowsMatch(model, doc, texts(doc));
  });

  it('keeps the text "[PAD]" and "[MASK]" as text, never as special tokens', async () => {
    const text = 'see [MASK] and [PAD] or [unused1]';
    const query = await encoder.encodeQuery(text);
    const words = texts(query).slice(2, 15);
    assert.deepEqual(words, [
      'see',
      '[',
      'mask',
      ']',
      'and',
      '[',
      'pad',
      ']',
      'or',
      '[',
      'unused',
      '##1',
      ']',
    ]);
    assert.deepEqual(spanned(text, query).slice(3, 6), ['[', 'MASK', ']']);
    const doc = await encoder.encodeDocument(text);
    assert.deepEqual(texts(doc), [
      '[CLS]',
      '[unused1]',
      'see',
      'mask',
      'and',
      'pad',
      'or',
      'unused',
      '##1',
      '[SEP]',
    ]);
    assertRowsMatch(model, doc, texts(doc));
  });

  it('truncates a document far past the maximum length, keeping its marker and [SEP]', async () => {
    const doc = await encoder.encodeDocument('token '.repeat(5000));
    assert.equal(doc.numTokens, DOCUMENT_LENGTH);
    assert.deepEqual(texts(doc).slice(0, 3), ['[CLS]', '[unused1]', 'token']);
    assert.equal(texts(doc).at(-1), '[SEP]');
  });

  it('truncates a query longer than the query length, with a warning', async () => {
    const warnings: unknown[] = [];
    const original = logger.warn;
    logger.warn = ((...args: unknown[]) => warnings.push(args)) as unknown as typeof logger.warn;
    try {
      const query = await encoder.encodeQuery(
        Array.from({ length: 40 }, (_, i) => `w${i}`).join(' '),
      );
      assert.equal(query.numTokens, QUERY_LENGTH);
      assert.ok(!texts(query).includes('[MASK]'));
      assert.equal(texts(query).at(-1), '[SEP]');
    } finally {
      logger.warn = original;
    }
    assert.equal(warnings.length, 1);
  });

  it('refuses an empty or blank text with empty-input', async () => {
    await assert.rejects(encoder.encodeQuery(''), { code: 'empty-input' });
    await assert.rejects(encoder.encodeDocument('   \n'), { code: 'empty-input' });
  });
});

describe('ColbertOnnxEncoder refuses what it cannot encode correctly', () => {
  before(async () => {
    (await loadTransformers()).env.allowRemoteModels = false;
  });

  it('falls back to sentence_bert_config.json max_seq_length + 1 for the document length', async () => {
    const model = await writeTinyColbert({ omitDocumentLength: true });
    const encoder = await ColbertOnnxEncoder.load(model.dir);
    assert.equal(encoder.settings.documentLength, DOCUMENT_LENGTH);
    await encoder.dispose();
    rmSync(model.dir, { recursive: true, force: true });
  });

  it('refuses hidden states narrower or wider than the projection expects', async () => {
    const model = await writeTinyColbert({ denseIn: HIDDEN_SIZE + 2 });
    await assert.rejects((await ColbertOnnxEncoder.load(model.dir)).encodeDocument('text'), {
      code: 'config-mismatch',
      message: /not ColBERT vectors/,
    });
    rmSync(model.dir, { recursive: true, force: true });
  });

  it('refuses a Stanford-layout export without its projection (hidden states, not vectors)', async () => {
    const model = await writeTinyColbert({ layout: 'stanford', stanfordDim: 2 });
    const encoder = await ColbertOnnxEncoder.load(model.dir);
    assert.equal(encoder.settings.layout, 'stanford');
    assert.equal(encoder.settings.documentLength, 180);
    await assert.rejects(encoder.encodeQuery('text'), { code: 'config-mismatch' });
    rmSync(model.dir, { recursive: true, force: true });
  });

  it('reads a Stanford-layout export whose output already has the ColBERT dim', async () => {
    const model = await writeTinyColbert({ layout: 'stanford', stanfordDim: HIDDEN_SIZE });
    const encoder = await ColbertOnnxEncoder.load(model.dir);
    const doc = await encoder.encodeDocument('a, b');
    assert.deepEqual(texts(doc), ['[CLS]', '[unused1]', 'a', 'b', '[SEP]']);
    assert.equal(doc.dim, HIDDEN_SIZE);
    rmSync(model.dir, { recursive: true, force: true });
  });

  it('loads a hub id from transformers.js local model path, remote models off', async () => {
    const transformers = await loadTransformers();
    const model = await writeTinyColbert();
    const root = mkdtempSync(join(tmpdir(), 'muvera-hub-'));
    mkdirSync(join(root, 'muvera-test'));
    renameSync(model.dir, join(root, 'muvera-test', 'tiny-colbert'));
    const previous = transformers.env.localModelPath;
    transformers.env.localModelPath = root;
    try {
      const encoder = await ColbertOnnxEncoder.load('muvera-test/tiny-colbert');
      assert.equal(encoder.spec.model, 'muvera-test/tiny-colbert');
      assert.equal(encoder.dim, OUTPUT_DIM);
      assertRowsMatch(model, await encoder.encodeDocument('hello'), [
        '[CLS]',
        '[unused1]',
        'hello',
        '[SEP]',
      ]);
    } finally {
      transformers.env.localModelPath = previous;
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('throws unavailable for a folder without a model', async () => {
    await assert.rejects(ColbertOnnxEncoder.load('/nonexistent/muvera-model'), {
      code: 'unavailable',
    });
  });
});

describe('ColbertOnnxEncoder loading a hub id over HTTP', () => {
  it('downloads model and ColBERT files from env.remoteHost into env.cacheDir, then works offline', async () => {
    const transformers = await loadTransformers();
    const model = await writeTinyColbert();
    const cache = mkdtempSync(join(tmpdir(), 'muvera-cache-'));
    const requested: string[] = [];
    const prefix = '/muvera-test/tiny-colbert/resolve/main/';
    const server = createServer((request, response) => {
      const path = decodeURIComponent(request.url ?? '');
      requested.push(path);
      const file = join(model.dir, path.slice(prefix.length));
      if (!path.startsWith(prefix) || !existsSync(file)) {
        response.writeHead(404).end();
        return;
      }
      const body = readFileSync(file);
      response
        .writeHead(200, { 'content-length': body.length })
        .end(request.method === 'HEAD' ? undefined : body);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const saved = { ...transformers.env };
    Object.assign(transformers.env, {
      remoteHost: `http://127.0.0.1:${port}/`,
      cacheDir: cache,
      allowRemoteModels: true,
      allowLocalModels: false,
    });
    try {
      const encoder = await ColbertOnnxEncoder.load('muvera-test/tiny-colbert');
      assertRowsMatch(model, await encoder.encodeDocument('hello'), [
        '[CLS]',
        '[unused1]',
        'hello',
        '[SEP]',
      ]);
      assert.ok(requested.some((path) => path.endsWith('1_Dense/model.safetensors')));
      assert.ok(
        existsSync(join(cache, 'muvera-test', 'tiny-colbert', '1_Dense', 'model.safetensors')),
      );

      Object.assign(transformers.env, { allowRemoteModels: false, allowLocalModels: true });
      const before = requested.length;
      const offline = await ColbertOnnxEncoder.load('muvera-test/tiny-colbert');
      assert.equal(offline.dim, OUTPUT_DIM);
      assert.equal(requested.length, before, 'no request once cached');
    } finally {
      Object.assign(transformers.env, {
        remoteHost: saved.remoteHost,
        cacheDir: saved.cacheDir,
        allowRemoteModels: false,
        allowLocalModels: saved.allowLocalModels,
      });
      server.close();
      rmSync(cache, { recursive: true, force: true });
      rmSync(model.dir, { recursive: true, force: true });
    }
  });
});

describe('importOptional', () => {
  it('throws unavailable naming the package and its install command', async () => {
    await assert.rejects(
      importOptional('muvera-no-such-package', 'npm install muvera-no-such-package'),
      {
        code: 'unavailable',
        message: /muvera-no-such-package is not installed\. Install it: npm install/,
      },
    );
  });
});
