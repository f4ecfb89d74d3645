/**
 * The behaviour every TokenEncoder shares, as one suite that each implementation runs
 * (test/encoders/encoder-contract.test.ts). Cases an implementation cannot pass are listed there.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { loadEncoder } from '../../src/encoders/factory.js';
import type { TokenEncoder, TokenEncoding } from '../../src/encoders/types.js';

/** What the suite needs: a way to get the encoder, and how close batch and alone must agree. */
export interface ContractSubject {
  encoder: () => TokenEncoder;
  batchTolerance: number;
}

const TEXTS = [
  'Vitamin D deficiency is associated with fractures.',
  'Protein folding, measured twice: in vitro and in vivo.',
  'short',
];
const UNIT_TOLERANCE = 1e-5;

function checkShape(encoding: TokenEncoding, dim: number, text: string): void {
  assert.equal(encoding.dim, dim);
  assert.equal(encoding.data.length, encoding.numTokens * dim);
  assert.equal(encoding.tokens.length, encoding.numTokens);
  let previous = 0;
  for (const token of encoding.tokens) {
    assert.ok(token.start >= 0 && token.start <= token.end && token.end <= text.length);
    if (token.end > token.start) {
      assert.ok(token.start >= previous, 'text spans in reading order');
      previous = token.start;
    }
  }
  for (let row = 0; row < encoding.numTokens; row++) {
    const norm = Math.hypot(...encoding.data.subarray(row * dim, (row + 1) * dim));
    assert.ok(Math.abs(norm - 1) < UNIT_TOLERANCE, `row ${row} has unit length`);
  }
}

function maxDifference(a: TokenEncoding, b: TokenEncoding): number {
  assert.equal(a.numTokens, b.numTokens);
  return a.data.reduce((worst, value, i) => Math.max(worst, Math.abs(value - b.data[i])), 0);
}

/** Registers the contract's tests for one implementation. */
export function encoderContract(subject: ContractSubject): void {
  it('gives rows of the declared dim, one token record each, spans inside the text', async () => {
    const encoder = subject.encoder();
    assert.equal(encoder.spec.dim, encoder.dim);
    for (const text of TEXTS) {
      checkShape(await encoder.encodeQuery(text), encoder.dim, text);
      checkShape(await encoder.encodeDocument(text), encoder.dim, text);
    }
  });

  it('gives each text the same rows in a batch as alone', async () => {
    const encoder = subject.encoder();
    const documents = await encoder.encodeDocuments(TEXTS);
    const queries = await encoder.encodeQueries(TEXTS);
    for (const [i, text] of TEXTS.entries()) {
      assert.ok(
        maxDifference(documents[i], await encoder.encodeDocument(text)) <= subject.batchTolerance,
      );
      assert.ok(
        maxDifference(queries[i], await encoder.encodeQuery(text)) <= subject.batchTolerance,
      );
    }
  });

  it('refuses empty text with empty-input', async () => {
    const encoder = subject.encoder();
    await assert.rejects(encoder.encodeQuery(''), { code: 'empty-input' });
    await assert.rejects(encoder.encodeDocument(''), { code: 'empty-input' });
    await assert.rejects(encoder.encodeDocuments(['fine text', '']), { code: 'empty-input' });
  });

  it('is rebuilt from its JSON spec with the same vectors', async () => {
    const encoder = subject.encoder();
    const rebuilt = await loadEncoder(JSON.parse(JSON.stringify(encoder.spec)));
    try {
      assert.deepEqual(rebuilt.spec, encoder.spec);
      const [a, b] = [
        await encoder.encodeDocument(TEXTS[0]),
        await rebuilt.encodeDocument(TEXTS[0]),
      ];
      assert.deepEqual(a.tokens, b.tokens);
      assert.ok(maxDifference(a, b) === 0);
    } finally {
      await rebuilt.dispose();
    }
  });
}
