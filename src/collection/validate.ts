/**
 * Checks of everything a caller hands the collection: documents, ids, metadata, spans, queries
 * and search options. Each check throws a coded {@link MuveraError} naming the parameter (e.g.
 * `docs[3].metadata.tags[1]`), so a bad batch is refused whole, before anything is written.
 *
 * Documents come out normalised: padding rows removed from the tokens (and their spans with
 * them), metadata deep-copied through JSON so later caller edits cannot reach stored state.
 */
import { DEFAULTS } from '../defaults.js';
import { invalidArgument, MuveraError } from '../errors.js';
import { validateTokenSet } from '../tokens/token-set.js';
import type {
  DocumentInput,
  Metadata,
  MetadataFilter,
  SearchOptions,
  StrategyName,
} from './types.js';

/** Search strategies in the order the docs list them. */
export const STRATEGIES: readonly StrategyName[] = ['fde', 'tokens', 'exact'];

/** A validated document, padding-free, ready to be logged and applied. */
export interface CleanDocument {
  id: string;
  /** numTokens x dim, no padding rows. */
  tokens: Float32Array;
  numTokens: number;
  metadata?: Metadata;
  text?: string;
  /** Two numbers per stored token row, `[start, end)` into `text`. */
  spans?: Uint32Array;
}

/** Search options with every default filled in. */
export interface ResolvedSearchOptions {
  k: number;
  candidates: number;
  strategy: StrategyName;
  filter?: MetadataFilter;
  explain: boolean;
}

const encoder = new TextEncoder();

/** Checks a document id: a string of 1 to `collection.maxIdBytes` UTF-8 bytes. */
export function checkId(id: unknown, parameter = 'id'): string {
  if (typeof id !== 'string' || id.length === 0) {
    throw invalidArgument(parameter, 'a non-empty string', id);
  }
  const bytes = encoder.encode(id).length;
  if (bytes > DEFAULTS.collection.maxIdBytes) {
    throw new MuveraError(
      'limit-exceeded',
      `${parameter} is ${bytes} UTF-8 bytes, more than the cap of ${DEFAULTS.collection.maxIdBytes}`,
      { parameter, expected: `at most ${DEFAULTS.collection.maxIdBytes} bytes`, actual: bytes },
    );
  }
  return id;
}

/** True for `{}`-style objects (not arrays, typed arrays, dates, class instances). */
function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object') return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** Walks a JSON value and throws at the first part JSON cannot carry faithfully. */
function checkJsonValue(value: unknown, path: string, depth: number): void {
  if (depth > DEFAULTS.collection.maxMetadataDepth) {
    throw new MuveraError('limit-exceeded', `${path} nests deeper than the cap`, {
      parameter: path,
      expected: `at most ${DEFAULTS.collection.maxMetadataDepth} levels`,
      actual: depth,
    });
  }
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw invalidArgument(path, 'a finite number', value);
    return;
  }
  if (Array.isArray(value)) {
    for (const [i, item] of value.entries()) checkJsonValue(item, `${path}[${i}]`, depth + 1);
    return;
  }
  if (isPlainObject(value)) {
    for (const [key, item] of Object.entries(value)) {
      checkJsonValue(item, `${path}.${key}`, depth + 1);
    }
    return;
  }
  throw invalidArgument(path, 'a JSON value (null, boolean, number, string, array, object)', value);
}

/** Checks metadata and returns a deep copy of it. */
export function checkMetadata(metadata: unknown, parameter = 'metadata'): Metadata {
  if (!isPlainObject(metadata)) throw invalidArgument(parameter, 'a plain object', metadata);
  checkJsonValue(metadata, parameter, 0);
  const json = JSON.stringify(metadata);
  const bytes = encoder.encode(json).length;
  if (bytes > DEFAULTS.collection.maxMetadataBytes) {
    throw new MuveraError('limit-exceeded', `${parameter} is ${bytes} bytes as JSON`, {
      parameter,
      expected: `at most ${DEFAULTS.collection.maxMetadataBytes} bytes`,
      actual: bytes,
    });
  }
  return JSON.parse(json) as Metadata;
}

function checkText(text: unknown, parameter: string): string {
  if (typeof text !== 'string') throw invalidArgument(parameter, 'a string', text);
  if (text.length > DEFAULTS.collection.maxTextLength) {
    throw new MuveraError('limit-exceeded', `${parameter} has ${text.length} characters`, {
      parameter,
      expected: `at most ${DEFAULTS.collection.maxTextLength}`,
      actual: text.length,
    });
  }
  return text;
}

/**
 * Checks spans (two per input row, `0 <= start <= end <= text.length`) and keeps those of the
 * rows in `kept` (the non-padding rows).
 */
function checkSpans(
  spans: unknown,
  numRows: number,
  kept: number[],
  text: string | undefined,
  parameter: string,
): Uint32Array {
  if (text === undefined) throw invalidArgument(parameter, 'given only together with text', spans);
  const list = spans as ArrayLike<number>;
  if (list === null || typeof list !== 'object' || typeof list.length !== 'number') {
    throw invalidArgument(parameter, 'an array of numbers', spans);
  }
  if (list.length !== 2 * numRows) {
    throw invalidArgument(parameter, `${2 * numRows} numbers (two per token row)`, list.length);
  }
  for (let i = 0; i < list.length; i++) {
    const value = list[i];
    const low = i % 2 === 1 ? list[i - 1] : 0;
    if (!Number.isInteger(value) || value < low || value > text.length) {
      throw invalidArgument(`${parameter}[${i}]`, `an integer in ${low}..${text.length}`, value);
    }
  }
  const out = new Uint32Array(2 * kept.length);
  kept.forEach((row, i) => {
    out[2 * i] = list[2 * row];
    out[2 * i + 1] = list[2 * row + 1];
  });
  return out;
}

/**
 * One pass over a token set (numRows x dim): the non-padding rows, or null when any value is
 * not finite (the caller then lets `validateTokenSet` name the culprit). `v - v` is 0 exactly
 * for finite `v`, so one subtraction tests NaN and both infinities.
 */
function scanRows(tokens: Float32Array, dim: number): number[] | null {
  const kept: number[] = [];
  const numRows = tokens.length / dim;
  for (let row = 0; row < numRows; row++) {
    let zero = true;
    for (let i = row * dim, end = i + dim; i < end; i++) {
      const value = tokens[i];
      if (value - value !== 0) return null;
      if (value !== 0) zero = false;
    }
    if (!zero) kept.push(row);
  }
  return kept;
}

/**
 * Validates a token set and returns a copy without its padding rows, the caller's row number of
 * each kept row, and the row count. Errors as `validateTokenSet` (which runs only on failure).
 */
function checkedRows(
  tokens: unknown,
  dim: number,
  name: string,
): { rows: Float32Array; kept: number[]; numRows: number } {
  const valid = tokens instanceof Float32Array && tokens.length % dim === 0;
  const kept = valid ? scanRows(tokens, dim) : null;
  if (!valid || kept === null || kept.length === 0) {
    validateTokenSet(tokens, dim, name);
    throw new MuveraError('internal', `${name} failed a check that validateTokenSet passed`);
  }
  const numRows = tokens.length / dim;
  if (kept.length === numRows) return { rows: tokens.slice(), kept, numRows };
  const rows = new Float32Array(kept.length * dim);
  kept.forEach((row, i) => {
    rows.set(tokens.subarray(row * dim, (row + 1) * dim), i * dim);
  });
  return { rows, kept, numRows };
}

/** Validates and normalises one document; `name` is e.g. `docs[4]`. */
export function checkDocument(doc: unknown, dim: number, name: string): CleanDocument {
  if (!isPlainObject(doc)) throw invalidArgument(name, 'an object { id, tokens, ... }', doc);
  const input = doc as unknown as DocumentInput;
  const id = checkId(input.id, `${name}.id`);
  const { rows, kept, numRows } = checkedRows(input.tokens, dim, `${name}.tokens`);
  if (numRows > DEFAULTS.collection.maxTokensPerDocument) {
    throw new MuveraError('limit-exceeded', `${name}.tokens has ${numRows} rows`, {
      parameter: `${name}.tokens`,
      expected: `at most ${DEFAULTS.collection.maxTokensPerDocument} rows`,
      actual: numRows,
    });
  }
  const clean: CleanDocument = { id, tokens: rows, numTokens: kept.length };
  if (input.metadata !== undefined)
    clean.metadata = checkMetadata(input.metadata, `${name}.metadata`);
  if (input.text !== undefined) clean.text = checkText(input.text, `${name}.text`);
  if (input.spans !== undefined) {
    clean.spans = checkSpans(input.spans, numRows, kept, clean.text, `${name}.spans`);
  }
  return clean;
}

/**
 * Validates a batch. Duplicate ids: the LAST occurrence wins and earlier ones are dropped (as if
 * the batch were applied in order). Returns the documents in first-seen order of their ids and
 * the number of dropped duplicates.
 */
export function checkDocuments(
  docs: unknown,
  dim: number,
): { docs: CleanDocument[]; duplicates: number } {
  if (!Array.isArray(docs)) throw invalidArgument('docs', 'an array of documents', docs);
  if (docs.length > DEFAULTS.collection.maxBatchDocuments) {
    throw new MuveraError('limit-exceeded', `docs has ${docs.length} documents`, {
      parameter: 'docs',
      expected: `at most ${DEFAULTS.collection.maxBatchDocuments} per call`,
      actual: docs.length,
      remedy: 'Split the batch',
    });
  }
  const byId = new Map<string, CleanDocument>();
  docs.forEach((doc, i) => {
    const clean = checkDocument(doc, dim, `docs[${i}]`);
    byId.set(clean.id, clean);
  });
  return { docs: [...byId.values()], duplicates: docs.length - byId.size };
}

/** Checks the ids of a delete call; duplicates collapse to one. */
export function checkIds(ids: unknown): string[] {
  if (!Array.isArray(ids)) throw invalidArgument('ids', 'an array of strings', ids);
  for (const [i, id] of ids.entries()) checkId(id, `ids[${i}]`);
  return [...new Set(ids as string[])];
}

function checkCount(value: unknown, parameter: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    throw invalidArgument(parameter, `an integer >= ${min}`, value);
  }
  if (value > max) {
    throw new MuveraError('limit-exceeded', `${parameter} is ${value}, above the cap of ${max}`, {
      parameter,
      expected: `at most ${max}`,
      actual: value,
    });
  }
  return value;
}

function checkFilter(filter: unknown): MetadataFilter {
  if (!isPlainObject(filter)) throw invalidArgument('options.filter', 'a plain object', filter);
  for (const [key, value] of Object.entries(filter)) {
    const ok = value === null || ['string', 'number', 'boolean'].includes(typeof value);
    if (!ok || (typeof value === 'number' && !Number.isFinite(value))) {
      throw invalidArgument(
        `options.filter.${key}`,
        'a string, finite number, boolean or null',
        value,
      );
    }
  }
  return filter as MetadataFilter;
}

/** Fills defaults into search options and checks them (see docs/collection.md). */
export function resolveSearchOptions(options: unknown): ResolvedSearchOptions {
  if (options === undefined) options = {};
  if (!isPlainObject(options)) throw invalidArgument('options', 'a plain object', options);
  const given = options as SearchOptions;
  const k = checkCount(given.k ?? DEFAULTS.search.k, 'options.k', 1, DEFAULTS.search.maxK);
  const candidates =
    given.candidates === undefined
      ? Math.max(k, DEFAULTS.search.candidates)
      : checkCount(given.candidates, 'options.candidates', 1, DEFAULTS.search.maxCandidates);
  if (candidates < k) {
    throw invalidArgument(
      'options.candidates',
      `at least k (${k})`,
      candidates,
      'Raise candidates or lower k',
    );
  }
  const strategy = given.strategy ?? (DEFAULTS.search.strategy as StrategyName);
  if (!STRATEGIES.includes(strategy)) {
    throw invalidArgument('options.strategy', `one of ${STRATEGIES.join(', ')}`, strategy);
  }
  const explain = given.explain ?? false;
  if (typeof explain !== 'boolean') throw invalidArgument('options.explain', 'a boolean', explain);
  const resolved: ResolvedSearchOptions = { k, candidates, strategy, explain };
  if (given.filter !== undefined && given.filter !== null)
    resolved.filter = checkFilter(given.filter);
  return resolved;
}

/**
 * Validates a query token set against the collection's dim; returns the padding-free rows and
 * the caller's row number of each.
 */
export function checkQuery(
  query: unknown,
  dim: number,
  name = 'query',
): { rows: Float32Array; kept: number[] } {
  const { rows, kept, numRows } = checkedRows(query, dim, name);
  if (numRows > DEFAULTS.search.maxQueryTokens) {
    throw new MuveraError('limit-exceeded', `${name} has ${numRows} token rows`, {
      parameter: name,
      expected: `at most ${DEFAULTS.search.maxQueryTokens}`,
      actual: numRows,
    });
  }
  return { rows, kept };
}
