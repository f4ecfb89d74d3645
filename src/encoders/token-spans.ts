/**
 * Character spans of sub-word tokens in the original text.
 *
 * transformers.js tokenisers return token strings but no offsets, so spans are recovered by
 * matching: the text is folded the way BERT's normaliser folds it (lower case, accents removed
 * by NFD decomposition), keeping for each folded character the index of the original character
 * it came from; each token (its `##` continuation mark removed) is then searched for from the end
 * of the previous one. An unknown token (`[UNK]`) spans the next run of non-space characters.
 *
 * NOTE: exact for WordPiece (BERT) vocabularies. For byte-level BPE vocabularies (ModernBERT,
 * RoBERTa) non-ASCII tokens are byte strings that do not occur in the text: such a token gets an
 * empty span where the previous one ended, and highlighting skips it.
 */
import type { TokenInfo } from './types.js';

const CONTINUATION = /^##|^Ġ|^▁/;
const COMBINING_MARKS = /\p{M}/gu;
const SPACE = /\s/;

interface FoldedText {
  folded: string;
  /** For each folded UTF-16 unit: first and one-past-last index of its original character. */
  starts: number[];
  ends: number[];
}

function fold(text: string): FoldedText {
  let folded = '';
  const starts: number[] = [];
  const ends: number[] = [];
  let at = 0;
  for (const char of text) {
    const piece = char.normalize('NFD').replace(COMBINING_MARKS, '').toLowerCase();
    for (let k = 0; k < piece.length; k++) {
      starts.push(at);
      ends.push(at + char.length);
    }
    folded += piece;
    at += char.length;
  }
  return { folded, starts, ends };
}

/** Spans of `tokens` (in order) within `text`; `unknown` is the tokeniser's unknown token. */
export function tokenSpans(text: string, tokens: readonly string[], unknown: string): TokenInfo[] {
  const { folded, starts, ends } = fold(text);
  let cursor = 0;
  return tokens.map((token) => {
    const needle = token.replace(CONTINUATION, '').toLowerCase();
    const found = token === unknown ? unknownSpan(folded, cursor) : find(folded, needle, cursor);
    if (!found) {
      const at = cursor < starts.length ? starts[cursor] : text.length;
      return { text: token, start: at, end: at };
    }
    cursor = found.end;
    return { text: token, start: starts[found.start], end: ends[found.end - 1] };
  });
}

function find(folded: string, needle: string, from: number) {
  if (needle === '') return null;
  const at = folded.indexOf(needle, from);
  return at < 0 ? null : { start: at, end: at + needle.length };
}

function unknownSpan(folded: string, from: number) {
  let start = from;
  while (start < folded.length && SPACE.test(folded[start])) start++;
  let end = start;
  while (end < folded.length && !SPACE.test(folded[end])) end++;
  return end > start ? { start, end } : null;
}
