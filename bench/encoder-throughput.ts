/**
 * Encoding throughput of the two text encoders on SciFact abstracts, against the cost of
 * tokenising alone (the baseline measured in the same run).
 *
 * - static: the shipped word vectors; baseline: splitting the text into words.
 * - colbert: the ONNX pipeline on the tests' tiny model (real tokenizer, layouts, spans, ONNX
 *   session, projection, normalisation) with a graph that does almost no arithmetic, so this
 *   measures the encoder's own overhead; baseline: the transformers.js tokenizer alone. A real
 *   model adds its transformer compute on top (not measurable here: no weights can be
 *   downloaded on this machine).
 *
 * Run: npx tsx bench/encoder-throughput.ts
 */
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ColbertOnnxEncoder, loadTransformers } from '../src/encoders/colbert-onnx.js';
import { StaticTokenEncoder } from '../src/encoders/static-encoder.js';
import type { TokenEncoder } from '../src/encoders/types.js';
import { wordTokens } from '../src/encoders/word-tokens.js';
import { writeTinyColbert } from '../test/encoders/tiny-colbert.js';
import { machineLine, writeResult } from './harness.js';

const DATA = join(import.meta.dirname, '..', 'data');
const NUM_DOCS = 300;
const ROUNDS = 3;

function readTexts(): string[] {
  return readFileSync(join(DATA, 'scifact', 'corpus.jsonl'), 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .slice(0, NUM_DOCS)
    .map((line) => JSON.parse(line))
    .map((doc) => `${doc.title} ${doc.text}`);
}

/** Median documents per second of `run` over ROUNDS rounds, after one warm-up round. */
async function docsPerSecond(texts: string[], run: (texts: string[]) => Promise<unknown>) {
  await run(texts);
  const rates: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const start = performance.now();
    await run(texts);
    rates.push(texts.length / ((performance.now() - start) / 1000));
  }
  return rates.sort((a, b) => a - b)[Math.floor(ROUNDS / 2)];
}

async function checkBatching(encoder: TokenEncoder, texts: string[]): Promise<void> {
  const batch = await encoder.encodeDocuments(texts.slice(0, 4));
  const alone = await encoder.encodeDocument(texts[3]);
  const same = batch[3].data.every((value, i) => Math.abs(value - alone.data[i]) <= 1e-6);
  if (!same || batch[3].numTokens !== alone.numTokens) throw new Error('batch differs from alone');
}

async function main(): Promise<void> {
  const texts = readTexts();
  const staticEncoder = await StaticTokenEncoder.load(
    join(DATA, 'encoders', 'fasttext-skipgram128'),
  );
  const transformers = await loadTransformers();
  transformers.env.allowRemoteModels = false;
  const tiny = await writeTinyColbert();
  const colbert = await ColbertOnnxEncoder.load(tiny.dir);
  const tokenizer = await (
    transformers as unknown as {
      AutoTokenizer: {
        from_pretrained(dir: string): Promise<{ tokenize(text: string): string[] }>;
      };
    }
  ).AutoTokenizer.from_pretrained(tiny.dir);

  await checkBatching(staticEncoder, texts);
  await checkBatching(colbert, texts);

  const rows = [
    ['static', await docsPerSecond(texts, (t) => staticEncoder.encodeDocuments(t))],
    ['static baseline: words only', await docsPerSecond(texts, async (t) => t.map(wordTokens))],
    ['colbert (tiny ONNX model)', await docsPerSecond(texts, (t) => colbert.encodeDocuments(t))],
    [
      'colbert baseline: tokenizer only',
      await docsPerSecond(texts, async (t) => t.map((text) => tokenizer.tokenize(text))),
    ],
  ] as const;
  await colbert.dispose();
  rmSync(tiny.dir, { recursive: true, force: true });

  const markdown = [
    '# Encoder throughput on SciFact abstracts',
    '',
    machineLine(),
    '',
    `${NUM_DOCS} documents (title + abstract), median of ${ROUNDS} rounds after a warm-up; batch equals alone checked first.`,
    '',
    '| encoder | documents/s | vs its baseline |',
    '| --- | --- | --- |',
    `| ${rows[0][0]} | ${Math.round(rows[0][1])} | ${(rows[0][1] / rows[1][1]).toFixed(2)}x |`,
    `| ${rows[1][0]} | ${Math.round(rows[1][1])} | 1 |`,
    `| ${rows[2][0]} | ${Math.round(rows[2][1])} | ${(rows[2][1] / rows[3][1]).toFixed(2)}x |`,
    `| ${rows[3][0]} | ${Math.round(rows[3][1])} | 1 |`,
    '',
    'The tiny model does almost no arithmetic: a real ColBERT model adds its transformer compute.',
  ].join('\n');
  process.stdout.write(`${markdown}\n`);
  writeResult('encoder-throughput', markdown, { machine: machineLine(), rows });
}

await main();
