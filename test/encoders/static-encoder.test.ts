import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { createEncoder, loadEncoder } from '../../src/encoders/factory.js';
import { floatToHalf, halfToFloat } from '../../src/encoders/float16.js';
import { StaticTokenEncoder } from '../../src/encoders/static-encoder.js';
import type { StaticEncoderSpec, TokenEncoding } from '../../src/encoders/types.js';
import { wordTokens } from '../../src/encoders/word-tokens.js';
import { readWordVectors, writeWordVectorFolder } from '../../src/encoders/word-vectors.js';

const DEMO = join(import.meta.dirname, '..', '..', 'data', 'encoders', 'fasttext-skipgram128');
const dir = mkdtempSync(join(tmpdir(), 'muvera-static-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** A .vec file of `words`, word i having value i + 1 at position i % dim and 0 elsewhere. */
function writeVec(name: string, words: string[], dim: number): string {
  const lines = words.map((word, i) => {
    const values = Array.from({ length: dim }, (_, j) => (j === i % dim ? i + 1 : 0));
    return `${word} ${values.join(' ')}`;
  });
  const file = join(dir, name);
  writeFileSync(file, `${words.length} ${dim}\n${lines.join('\n')}\n`);
  return file;
}

const words = (encoding: TokenEncoding) => encoding.tokens.map((token) => token.text);

describe('wordTokens', () => {
  it('splits on anything but ASCII letters and digits, lower-cases, keeps spans', () => {
    const text = 'IL-6 raises CRP; café 東京!';
    const tokens = wordTokens(text);
    assert.deepEqual(
      tokens.map((token) => token.word),
      ['il', '6', 'raises', 'crp', 'caf'],
    );
    assert.deepEqual(
      tokens.map((token) => text.slice(token.start, token.end)),
      ['IL', '6', 'raises', 'CRP', 'caf'],
    );
  });
});

describe('StaticTokenEncoder', () => {
  const vocab = ['the', 'cell', 'protein', 'binds', 'dna', 'of', 'zero'];

  it('encodes unit rows of in-vocabulary words, stop words and unknown words dropped', async () => {
    const encoder = await StaticTokenEncoder.load(writeVec('a.vec', vocab, 3));
    const text = 'The cell binds DNA of the unknownword';
    const doc = await encoder.encodeDocument(text);
    assert.deepEqual(words(doc), ['cell', 'binds', 'dna']);
    assert.deepEqual(
      doc.tokens.map((token) => text.slice(token.start, token.end)),
      ['cell', 'binds', 'DNA'],
    );
    assert.deepEqual(Array.from(doc.data), [0, 1, 0, 1, 0, 0, 0, 1, 0]);
  });

  it('keeps document words once and query repeats by default; both options switch', async () => {
    const file = writeVec('b.vec', vocab, 3);
    const text = 'cell protein cell cell';
    const encoder = await StaticTokenEncoder.load(file);
    assert.deepEqual(words(await encoder.encodeDocument(text)), ['cell', 'protein']);
    assert.deepEqual(words(await encoder.encodeQuery(text)), ['cell', 'protein', 'cell', 'cell']);
    const flipped = await StaticTokenEncoder.load(file, {
      uniqueDocumentTokens: false,
      uniqueQueryTokens: true,
      stopWords: null,
    });
    assert.deepEqual(words(await flipped.encodeDocument(`the ${text}`)), [
      'the',
      'cell',
      'protein',
      'cell',
      'cell',
    ]);
    assert.deepEqual(words(await flipped.encodeQuery(text)), ['cell', 'protein']);
  });

  it('removes a custom stop-word list, recorded in the spec', async () => {
    const encoder = await StaticTokenEncoder.load(writeVec('custom.vec', vocab, 3), {
      stopWords: ['Cell'],
    });
    assert.deepEqual(words(await encoder.encodeDocument('the cell binds')), ['the', 'binds']);
    assert.deepEqual((encoder.spec as StaticEncoderSpec).stopWords, ['cell']);
    await assert.rejects(
      StaticTokenEncoder.load(writeVec('bad-stop.vec', vocab, 3), {
        stopWords: 'french' as 'english',
      }),
      {
        code: 'invalid-argument',
      },
    );
  });

  it('keeps raw lengths when normalize is off and works at dim 1 and 97', async () => {
    const raw = await StaticTokenEncoder.load(writeVec('c.vec', vocab, 97), { normalize: false });
    const doc = await raw.encodeDocument('protein binds');
    assert.equal(doc.dim, 97);
    assert.equal(doc.data[2], 3);
    assert.equal(doc.data[97 + 3], 4);
    const narrow = await StaticTokenEncoder.load(writeVec('d.vec', vocab, 1));
    assert.deepEqual(Array.from((await narrow.encodeQuery('dna cell')).data), [1, 1]);
  });

  it('treats an all-zero vector as out of vocabulary', async () => {
    const file = join(dir, 'zero.vec');
    writeFileSync(file, '2 2\nzero 0 0\ncell 1 1\n');
    const encoder = await StaticTokenEncoder.load(file);
    assert.equal(encoder.wordIndex('zero'), -1);
    assert.deepEqual(words(await encoder.encodeDocument('zero cell')), ['cell']);
  });

  it('throws empty-input when no word of the text has a vector', async () => {
    const encoder = await StaticTokenEncoder.load(writeVec('e.vec', vocab, 3));
    await assert.rejects(encoder.encodeQuery('the of and'), { code: 'empty-input' });
    await assert.rejects(encoder.encodeDocument(''), { code: 'empty-input' });
  });

  it('names file and line of a malformed .vec', async () => {
    const bad = join(dir, 'bad.vec');
    writeFileSync(bad, '2 3\ncell 1 2 3\nprotein 1 x 3\n');
    await assert.rejects(StaticTokenEncoder.load(bad), {
      code: 'parse-error',
      message: /bad\.vec line 3/,
    });
    writeFileSync(bad, 'not a header\n');
    await assert.rejects(StaticTokenEncoder.load(bad), { code: 'parse-error', message: /line 1/ });
    writeFileSync(bad, '3 1\ncell 1\n');
    await assert.rejects(StaticTokenEncoder.load(bad), { code: 'parse-error' });
    await assert.rejects(StaticTokenEncoder.load(join(dir, 'missing.vec')), { code: 'not-found' });
  });
});

describe('word-vector folders', () => {
  it('round-trips float32 exactly and float16 to half precision', async () => {
    const table = await readWordVectors(writeVec('f.vec', ['a', 'b', 'c'], 5));
    table.vectors[1] = 0.1;
    for (const dtype of ['float32', 'float16'] as const) {
      const folder = mkdtempSync(join(dir, `${dtype}-`));
      await writeWordVectorFolder(folder, table, dtype);
      const back = await readWordVectors(folder);
      assert.deepEqual(back.words, table.words);
      const tolerance = dtype === 'float32' ? 0 : 1e-3;
      back.vectors.forEach((value, i) => {
        assert.ok(Math.abs(value - table.vectors[i]) <= tolerance * Math.max(1, Math.abs(value)));
      });
    }
  });

  it('rejects a vector file of the wrong size as corrupt-data', async () => {
    const folder = mkdtempSync(join(dir, 'short-'));
    await writeWordVectorFolder(
      folder,
      await readWordVectors(writeVec('g.vec', ['a', 'b'], 4)),
      'float32',
    );
    writeFileSync(join(folder, 'vectors.f32'), new Uint8Array(12));
    await assert.rejects(readWordVectors(folder), { code: 'corrupt-data' });
  });

  it('converts half precision bits exactly at known points', () => {
    assert.equal(floatToHalf(1), 0x3c00);
    assert.equal(floatToHalf(-2), 0xc000);
    assert.equal(floatToHalf(65504), 0x7bff);
    assert.equal(floatToHalf(1e6), 0x7c00);
    assert.equal(floatToHalf(0.1), 0x2e66);
    assert.equal(halfToFloat(0x0001), 2 ** -24);
    assert.equal(halfToFloat(floatToHalf(2 ** -20)), 2 ** -20);
    assert.equal(halfToFloat(0x2e66), 0.0999755859375);
  });
});

describe('the shipped demo encoder and the factory', () => {
  it('loads the demo vectors and encodes a SciFact-like claim', async () => {
    const encoder = await createEncoder(`static:${DEMO}`);
    assert.equal(encoder.dim, 128);
    assert.equal((encoder.spec as StaticEncoderSpec).vocabSize, 31629);
    const query = await encoder.encodeQuery(
      'Vitamin D deficiency is associated with the risk of fractures.',
    );
    assert.deepEqual(words(query), [
      'vitamin',
      'd',
      'deficiency',
      'associated',
      'risk',
      'fractures',
    ]);
  });

  it('rebuilds an equal encoder from its spec, and refuses a spec that does not match', async () => {
    const encoder = await createEncoder(`static:${DEMO}`);
    const again = await loadEncoder(JSON.parse(JSON.stringify(encoder.spec)));
    const text = 'protein folding';
    assert.deepEqual(
      (await again.encodeDocument(text)).data,
      (await encoder.encodeDocument(text)).data,
    );
    const wrong = { ...(encoder.spec as StaticEncoderSpec), dim: 96 };
    await assert.rejects(loadEncoder(wrong), { code: 'config-mismatch' });
  });

  it('finds the bundled vectors by their relative path from any working directory', async () => {
    const elsewhere = mkdtempSync(join(tmpdir(), 'muvera-cwd-'));
    const before = process.cwd();
    try {
      process.chdir(elsewhere);
      const encoder = await createEncoder('static:data/encoders/fasttext-skipgram128');
      assert.equal(encoder.dim, 128);
      await assert.rejects(createEncoder('static:data/encoders/no-such-vectors'), {
        code: 'not-found',
      });
    } finally {
      process.chdir(before);
      rmSync(elsewhere, { recursive: true, force: true });
    }
  });

  it('refuses an unknown spec string', async () => {
    await assert.rejects(createEncoder('bm25:foo'), { code: 'invalid-argument' });
    await assert.rejects(createEncoder('static:'), { code: 'invalid-argument' });
  });
});
