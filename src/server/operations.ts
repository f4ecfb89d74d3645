/**
 * What the front ends do between a request and the collection: turn JSON token vectors into a
 * flat matrix, encode text with the collection's encoder (keeping each token's span so matches
 * can be highlighted), run the search, and name the words behind each token match. The CLI and
 * the HTTP server share these functions, so both explain a search the same way.
 */
import { performance } from 'node:perf_hooks';
import type {
  CollectionApi,
  DocumentInput,
  Metadata,
  MetadataFilter,
  SearchHit,
  SearchOptions,
  SearchResult,
  SearchStats,
  StrategyName,
  UpsertResult,
} from '../collection/types.js';
import type { TokenEncoder, TokenEncoding } from '../encoders/types.js';
import { type ErrorCode, isMuveraError, MuveraError } from '../errors.js';
import { flattenRows } from '../tokens/token-set.js';
import {
  batchField,
  documentFields,
  type FieldNamer,
  queryField,
  renameParameter,
} from './request-fields.js';

/** Prefix of a static encoder spec (`static:<folder or .vec file>`). */
const STATIC_PREFIX = 'static:';

/** A token matrix given as JSON: one array of `dim` numbers per token. */
export type JsonVectors = number[][];

/**
 * The collection's token dim, needed to check JSON rows before they are flattened.
 *
 * NOTE: `CollectionApi` does not declare `dim`, but both backends (and the tests' fake) expose
 * it as a field; `stats()` is the fallback, since the Postgres backend counts rows there.
 */
export async function collectionDim(collection: CollectionApi): Promise<number> {
  const { dim } = collection as { dim?: unknown };
  return typeof dim === 'number' ? dim : (await collection.stats()).dim;
}

/** `[start, end)` pairs of every token, flat, as a collection stores them. */
export function spansOf(encoding: TokenEncoding): Uint32Array {
  const spans = new Uint32Array(encoding.numTokens * 2);
  encoding.tokens.forEach((token, row) => {
    spans[2 * row] = token.start;
    spans[2 * row + 1] = token.end;
  });
  return spans;
}

/** One document as a front end receives it: text to encode, or token vectors. */
export interface DocumentRequest {
  id: string;
  text?: string;
  vectors?: JsonVectors;
  metadata?: Metadata;
}

/** Document fields as the JSON API names them: `documents[3].vectors`. */
const DOCUMENTS = batchField('documents');

/**
 * Turns requests into collection documents of `dim`-wide rows, encoding text with `encoder`.
 * A document that fails raises its error naming its field by `fieldOf` (by default
 * `documents[3].vectors[0]`, `documents[3].text`).
 */
export async function toDocuments(
  requests: DocumentRequest[],
  encoder: () => Promise<TokenEncoder>,
  dim: number,
  fieldOf: FieldNamer = DOCUMENTS,
): Promise<DocumentInput[]> {
  const out: DocumentInput[] = [];
  for (const [index, request] of requests.entries()) {
    const { id, text, metadata } = request;
    if (request.vectors !== undefined) {
      const data = flattenRows(request.vectors, dim, fieldOf(index, 'vectors'));
      out.push({ id, tokens: data, text, metadata });
      continue;
    }
    const encoding = await encodeAt(await encoder(), text ?? '', fieldOf(index, 'text'));
    out.push({ id, tokens: encoding.data, text, spans: spansOf(encoding), metadata });
  }
  return out;
}

/**
 * Upserts `docs`, built from `requests` in the same order, with the collection's errors naming
 * the request's fields (`docs[2].tokens` becomes `documents[2].vectors`).
 */
export async function upsertNamed(
  collection: CollectionApi,
  docs: DocumentInput[],
  requests: DocumentRequest[],
  fieldOf: FieldNamer = DOCUMENTS,
): Promise<UpsertResult> {
  try {
    return await collection.upsert(docs);
  } catch (error) {
    const hasVectors = (index: number) => requests[index]?.vectors !== undefined;
    throw renameParameter(error, documentFields(hasVectors, fieldOf));
  }
}

/**
 * Loads the encoder a user named by a spec string. A model or word-vector file that does not
 * exist is reported with the spec and `parameter` (`encoder`, `--encoder`) and what to check,
 * as `code`: the HTTP API answers 400 for a spec in the request body (`invalid-argument`).
 */
export async function loadNamedEncoder(
  load: (spec: string) => Promise<TokenEncoder>,
  spec: string,
  parameter: string,
  code: ErrorCode = 'not-found',
): Promise<TokenEncoder> {
  try {
    return await load(spec);
  } catch (error) {
    if (!isMuveraError(error, 'not-found')) throw error;
    const remedy = spec.startsWith(STATIC_PREFIX)
      ? `Check the path after "${STATIC_PREFIX}" (a folder of word vectors or a .vec file)`
      : 'Check the model id or folder after "colbert:"';
    throw new MuveraError(code, `${parameter} "${spec}" cannot be loaded: ${error.message}`, {
      parameter,
      actual: spec,
      file: error.file,
      remedy,
      cause: error,
    });
  }
}

async function encodeAt(
  encoder: TokenEncoder,
  text: string,
  parameter: string,
): Promise<TokenEncoding> {
  try {
    return await encoder.encodeDocument(text);
  } catch (error) {
    if (!isMuveraError(error)) throw error;
    throw new MuveraError(error.code, `${parameter}: ${error.message}`, {
      parameter,
      cause: error,
    });
  }
}

/** A search as a front end receives it. */
export interface SearchRequest {
  text?: string;
  vectors?: JsonVectors;
  k?: number;
  candidates?: number;
  strategy?: StrategyName;
  filter?: MetadataFilter;
  explain?: boolean;
}

/** A token match with the words behind it. */
export interface ExplainedMatch {
  queryToken: number;
  queryText?: string;
  docToken: number;
  docText?: string;
  score: number;
  span?: [number, number];
}

/** A hit whose matches name their words. */
export type ExplainedHit = Omit<SearchHit, 'matches'> & { matches?: ExplainedMatch[] };

/** A search outcome with the query's tokens and timings that include encoding. */
export interface SearchResponse {
  hits: ExplainedHit[];
  /** The query's token texts, when the query was text. */
  queryTokens?: string[];
  stats: Omit<SearchStats, 'timings'> & { timings: SearchStats['timings'] & { encodeMs: number } };
}

/** Encodes the query if it is text, searches, and names the words of every match. */
export async function runSearch(
  collection: CollectionApi,
  encoder: () => Promise<TokenEncoder>,
  request: SearchRequest,
): Promise<SearchResponse> {
  // The encoder is loaded (once, by the caller's cache) before the clock starts.
  const textEncoder = request.vectors === undefined ? await encoder() : undefined;
  const dim = textEncoder?.dim ?? (await collectionDim(collection));
  const started = performance.now();
  let query: Float32Array;
  let encoding: TokenEncoding | undefined;
  if (textEncoder) {
    encoding = await textEncoder.encodeQuery(request.text ?? '');
    query = encoding.data;
  } else {
    query = flattenRows(request.vectors ?? [], dim, 'vectors');
  }
  const encodeMs = performance.now() - started;

  const { k, candidates, strategy, filter, explain } = request;
  const result = await searchNamed(
    collection,
    query,
    { k, candidates, strategy, filter, explain },
    textEncoder ? 'text' : 'vectors',
  );

  const hits = result.hits.map((hit) => explainHit(hit, encoding));
  const timings = {
    ...result.stats.timings,
    encodeMs,
    totalMs: result.stats.timings.totalMs + encodeMs,
  };
  const queryTokens = encoding?.tokens.map((token) => token.text);
  return { hits, queryTokens, stats: { ...result.stats, timings } };
}

/** Searches, with errors about the query naming the request field it came from. */
async function searchNamed(
  collection: CollectionApi,
  query: Float32Array,
  options: SearchOptions,
  field: 'text' | 'vectors',
): Promise<SearchResult> {
  try {
    return await collection.search(query, options);
  } catch (error) {
    throw renameParameter(error, queryField(field));
  }
}

function explainHit(hit: SearchHit, query: TokenEncoding | undefined): ExplainedHit {
  if (!hit.matches) return hit;
  const matches = hit.matches.map((match): ExplainedMatch => {
    const out: ExplainedMatch = { ...match };
    const queryText = query?.tokens[match.queryToken]?.text;
    if (queryText !== undefined) out.queryText = queryText;
    if (match.span && hit.text !== undefined)
      out.docText = hit.text.slice(match.span[0], match.span[1]);
    return out;
  });
  return { ...hit, matches };
}
