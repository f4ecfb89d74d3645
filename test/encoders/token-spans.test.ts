import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { tokenSpans } from '../../src/encoders/token-spans.js';

const UNK = '[UNK]';
const spanned = (text: string, tokens: string[]) =>
  tokenSpans(text, tokens, UNK).map((token) => text.slice(token.start, token.end));

describe('tokenSpans', () => {
  it('maps folded word pieces back to the original characters', () => {
    assert.deepEqual(spanned('Unaffable CAFÉ', ['una', '##ff', '##able', 'cafe']), [
      'Una',
      'ff',
      'able',
      'CAFÉ',
    ]);
  });

  it('gives an unknown token the next run of non-space characters, surrogate pairs whole', () => {
    assert.deepEqual(spanned('tea 😀 naïve', ['tea', UNK, 'naive']), ['tea', '😀', 'naïve']);
  });

  it('strips byte-level BPE and sentencepiece word marks', () => {
    assert.deepEqual(spanned('hi there you', ['hi', 'Ġthere', '▁you']), ['hi', 'there', 'you']);
  });

  it('gives a token it cannot find an empty span where the previous one ended', () => {
    const spans = tokenSpans('ab cd', ['ab', 'Ã©', 'cd'], UNK);
    assert.deepEqual(
      spans.map(({ start, end }) => [start, end]),
      [
        [0, 2],
        [2, 2],
        [3, 5],
      ],
    );
  });
});
