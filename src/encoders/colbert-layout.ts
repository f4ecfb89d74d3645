/**
 * Token layouts of ColBERT queries and documents, as ColBERT and PyLate build them.
 *
 *   query:    [CLS] <query marker> t1 ... tn [SEP] [MASK] ... [MASK]   exactly queryLength tokens
 *   document: [CLS] <document marker> t1 ... tn [SEP]                  at most documentLength
 *
 * A query longer than the query length loses its last word pieces (with a warning); a document
 * loses them silently (ColBERT's documents are routinely truncated), [SEP] and the marker kept.
 * Query [MASK] padding is "query augmentation": those positions are encoded and kept, and
 * ColBERT scores them like words; they take part in attention only when the model says so.
 * Document tokens in the skiplist (punctuation) are encoded in context, then dropped.
 *
 * Special-token text inside the input ("[PAD]", "[MASK]", "[CLS]", a marker such as
 * "[unused0]") is kept as text: it is tokenised as the characters it is ("[", "mask", "]" for
 * BERT), never turned into the special token. A user cannot inject markers or padding.
 */
import { MuveraError } from '../errors.js';
import { logger } from '../log.js';
import { tokenSpans } from './token-spans.js';
import type { TokenInfo } from './types.js';

/** What the layout needs from a transformers.js tokenizer. */
export interface LayoutTokenizer {
  tokenize(text: string): string[];
  convert_tokens_to_ids(tokens: string[]): number[];
  encode(text: string, options: { add_special_tokens: boolean }): number[];
  decode(ids: number[], options: { skip_special_tokens: boolean }): string;
  mask_token: string | null;
  mask_token_id: number | null;
  unk_token: string | null;
  all_special_tokens: string[];
}

/** A token id with its spelling. */
export interface SpecialToken {
  id: number;
  text: string;
}

/** The rules of one model: special tokens, markers, lengths, skiplist ids. */
export interface LayoutRules {
  /** Tokens the tokenizer puts before and after a text ([CLS] and [SEP] for BERT). */
  head: SpecialToken[];
  tail: SpecialToken[];
  mask: SpecialToken;
  queryMarker: SpecialToken | null;
  documentMarker: SpecialToken | null;
  queryLength: number;
  documentLength: number;
  skiplistIds: ReadonlySet<number>;
  attendToExpansionTokens: boolean;
  /** Matches special-token spellings in input text (kept as plain text), or null for none. */
  literals: RegExp | null;
}

/** The ColBERT settings a layout reads (see src/encoders/colbert-config.ts). */
export interface LayoutSettings {
  queryPrefix: string | null;
  documentPrefix: string | null;
  queryLength: number;
  documentLength: number;
  skiplist: string[];
  attendToExpansionTokens: boolean;
}

/** Resolves `settings` against `tokenizer` once, so each text is only laid out. */
export function layoutRules(tokenizer: LayoutTokenizer, settings: LayoutSettings): LayoutRules {
  const probe = 'a';
  const plain = tokenizer.encode(probe, { add_special_tokens: false });
  const full = tokenizer.encode(probe, { add_special_tokens: true });
  const at = full.indexOf(plain[0]);
  const spell = (id: number) => ({
    id,
    text: tokenizer.decode([id], { skip_special_tokens: false }),
  });
  if (tokenizer.mask_token === null || tokenizer.mask_token_id == null) {
    throw new MuveraError('unavailable', 'the tokenizer has no mask token', {
      parameter: 'tokenizer.mask_token',
      remedy: 'ColBERT query augmentation pads queries with the mask token',
    });
  }

  const skiplistIds = new Set<number>();
  for (const word of settings.skiplist) {
    const ids = tokenizer.encode(word, { add_special_tokens: false });
    if (ids.length === 1) skiplistIds.add(ids[0]);
  }
  const literals = [...tokenizer.all_special_tokens, settings.queryPrefix, settings.documentPrefix]
    .map((token) => token?.trim() ?? '')
    .filter((token) => token.length > 1);
  return {
    head: full.slice(0, at).map(spell),
    tail: full.slice(at + plain.length).map(spell),
    mask: { id: tokenizer.mask_token_id, text: tokenizer.mask_token },
    queryMarker: settings.queryPrefix ? marker(tokenizer, settings.queryPrefix) : null,
    documentMarker: settings.documentPrefix ? marker(tokenizer, settings.documentPrefix) : null,
    queryLength: settings.queryLength,
    documentLength: settings.documentLength,
    skiplistIds,
    attendToExpansionTokens: settings.attendToExpansionTokens,
    literals: literalPattern(literals),
  };
}

/** One text laid out for the model. */
export interface Layout {
  ids: number[];
  /** 1 where the position takes part in attention. */
  attention: number[];
  /** Whether each position's vector is part of the output. */
  keep: boolean[];
  tokens: TokenInfo[];
}

interface Piece {
  id: number;
  token: TokenInfo;
}

/** Lays out `text` as a query or a document; throws `empty-input` for text without tokens. */
export function layoutText(
  tokenizer: LayoutTokenizer,
  rules: LayoutRules,
  text: string,
  role: 'query' | 'document',
): Layout {
  const pieces = wordPieces(tokenizer, rules.literals, text);
  if (pieces.length === 0) {
    throw new MuveraError('empty-input', `${role} text has no tokens`, {
      parameter: 'text',
      expected: 'text with at least one word or symbol',
      actual: text,
    });
  }

  const marker = role === 'query' ? rules.queryMarker : rules.documentMarker;
  const length = role === 'query' ? rules.queryLength : rules.documentLength;
  const head = [...rules.head, ...(marker ? [marker] : [])].map((token) => placed(token, 0));
  const tail = rules.tail.map((token) => placed(token, text.length));
  const budget = length - head.length - tail.length;
  if (budget <= 0) throw invalidLength(role, length, head.length + tail.length + 1);
  if (pieces.length > budget && role === 'query') {
    logger.warn(`query of ${pieces.length} word pieces cut to ${budget} (query length ${length})`);
  }

  const body = pieces.slice(0, budget);
  const all = [...head, ...body, ...tail];
  const isText = (i: number) => i >= head.length && i < head.length + body.length;
  const layout: Layout = {
    ids: all.map((piece) => piece.id),
    attention: all.map(() => 1),
    keep: all.map((piece, i) => role === 'query' || !isText(i) || !rules.skiplistIds.has(piece.id)),
    tokens: all.map((piece) => piece.token),
  };
  if (role === 'query') padQuery(rules, layout, text.length);
  return layout;
}

function padQuery(rules: LayoutRules, layout: Layout, end: number) {
  while (layout.ids.length < rules.queryLength) {
    layout.ids.push(rules.mask.id);
    layout.attention.push(rules.attendToExpansionTokens ? 1 : 0);
    layout.keep.push(true);
    layout.tokens.push({ text: rules.mask.text, start: end, end });
  }
}

function placed(token: SpecialToken, at: number): Piece {
  return { id: token.id, token: { text: token.text, start: at, end: at } };
}

function marker(tokenizer: LayoutTokenizer, prefix: string): SpecialToken {
  const [id] = tokenizer.convert_tokens_to_ids([prefix]);
  const unknown = tokenizer.unk_token
    ? tokenizer.convert_tokens_to_ids([tokenizer.unk_token])[0]
    : null;
  if (id === undefined || id === null || id === unknown) {
    throw new MuveraError('config-mismatch', `marker ${JSON.stringify(prefix)} is not a token`, {
      parameter: 'prefix',
      expected: 'a token of the tokenizer vocabulary',
      actual: prefix,
    });
  }
  return { id, text: prefix };
}

function invalidLength(role: string, length: number, minimum: number): MuveraError {
  return new MuveraError('invalid-argument', `${role} length ${length} leaves no room for text`, {
    parameter: `${role}Length`,
    expected: `at least ${minimum}`,
    actual: length,
  });
}

/** Word pieces of `text` with ids and spans, special-token text kept as plain text. */
function wordPieces(tokenizer: LayoutTokenizer, literals: RegExp | null, text: string): Piece[] {
  const pieces: Piece[] = [];
  for (const segment of splitLiterals(text, literals)) {
    const slice = text.slice(segment.start, segment.end);
    const input = segment.literal ? `${slice[0]} ${slice.slice(1)}` : slice;
    const strings = tokenizer.tokenize(input);
    const ids = tokenizer.convert_tokens_to_ids(strings);
    tokenSpans(slice, strings, tokenizer.unk_token ?? '').forEach((token, i) => {
      const start = token.start + segment.start;
      pieces.push({ id: ids[i], token: { ...token, start, end: token.end + segment.start } });
    });
  }
  return pieces;
}

/** One pattern for all `literals`, longest first, ignoring case; null when there are none. */
function literalPattern(literals: string[]): RegExp | null {
  const unique = [...new Set(literals)].sort((a, b) => b.length - a.length);
  if (unique.length === 0) return null;
  const escaped = unique.map((literal) => literal.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  return new RegExp(escaped.join('|'), 'gi');
}

/** Splits `text` into plain segments and matches of `literals`. */
function splitLiterals(text: string, literals: RegExp | null) {
  if (!literals) return [{ start: 0, end: text.length, literal: false }];
  const segments: { start: number; end: number; literal: boolean }[] = [];
  let at = 0;
  for (const match of text.matchAll(literals)) {
    const start = match.index ?? 0;
    if (start > at) segments.push({ start: at, end: start, literal: false });
    segments.push({ start, end: start + match[0].length, literal: true });
    at = start + match[0].length;
  }
  if (at < text.length) segments.push({ start: at, end: text.length, literal: false });
  return segments;
}
