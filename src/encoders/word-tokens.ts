/**
 * The static encoder's tokeniser: maximal runs of ASCII letters and digits, lower-cased.
 *
 * It matches how the shipped vectors were trained (see data/encoders/fasttext-skipgram128/
 * SOURCE.md: lower-case text split by the regex `[a-z0-9]+`), so every token the encoder looks up
 * is spelled as in training. NOTE: there is no accent folding, as in training: `café` gives the
 * token `caf`, and non-Latin scripts give no tokens at all.
 */

/** A word of the text: its lower-case spelling and its span `[start, end)` in the text. */
export interface WordToken {
  word: string;
  start: number;
  end: number;
}

const WORD_PATTERN = /[A-Za-z0-9]+/g;

/** The words of `text`, in order, duplicates included. */
export function wordTokens(text: string): WordToken[] {
  const out: WordToken[] = [];
  for (const match of text.matchAll(WORD_PATTERN)) {
    const start = match.index ?? 0;
    out.push({ word: match[0].toLowerCase(), start, end: start + match[0].length });
  }
  return out;
}
