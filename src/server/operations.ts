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
  SearchStats,
  StrategyName,
} from '../collection/types.js';
import type { TokenEncoder, TokenEncoding } from '../encoders/types.js';
import { isMuveraError, MuveraError } from '../errors.js';

/** A token matrix given as JSON: one array of `dim` numbers per token. */
export type JsonVectors = number[][];

/** Flattens JSON token vectors to a row-major matrix; every row must have the same length. */
export function flattenVectors(
  rows: JsonVectors,
  parameter: string,
): { data: Float32Array; dim: number } {
  const dim = rows[0]?.length ?? 0;
  const data = new Float32Array(rows.length * dim);
  rows.forEach((row, index) => {
    if (row.length !== dim) {
      throw new MuveraError(
        'dimension-mismatch',
        `${parameter}[${index}] has ${row.length} values but ${parameter}[0] has ${dim}`,
        { parameter: `${parameter}.${index}`, expected: dim, actual: row.length },
      );
    }
    data.set(row, index * dim);
  });
  return { data, dim };
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

/**
 * Turns requests into collection documents, encoding text with `encoder`. A document that fails
 * to encode raises its error with the parameter set to `<parameter>.<index>.text`.
 */
export async function toDocuments(
  requests: DocumentRequest[],
  encoder: () => Promise<TokenEncoder>,
  parameter = 'documents',
): Promise<DocumentInput[]> {
  const out: DocumentInput[] = [];
  for (const [index, request] of requests.entries()) {
    const { id, text, metadata } = request;
    if (request.vectors !== undefined) {
      const { data } = flattenVectors(request.vectors, `${parameter}.${index}.vectors`);
      out.push({ id, tokens: data, text, metadata });
      continue;
    }
    const encoding = await encodeAt(await encoder(), text ?? '', `${parameter}.${index}.text`);
    out.push({ id, tokens: encoding.data, text, spans: spansOf(encoding), metadata });
  }
  return out;
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
  const started = performance.now();
  let query: Float32Array;
  let encoding: TokenEncoding | undefined;
  if (textEncoder) {
    encoding = await textEncoder.encodeQuery(request.text ?? '');
    query = encoding.data;
  } else {
    query = flattenVectors(request.vectors ?? [], 'vectors').data;
  }
  const encodeMs = performance.now() - started;

  const { k, candidates, strategy, filter, explain } = request;
  const result = await collection.search(query, { k, candidates, strategy, filter, explain });

  const hits = result.hits.map((hit) => explainHit(hit, encoding));
  const timings = {
    ...result.stats.timings,
    encodeMs,
    totalMs: result.stats.timings.totalMs + encodeMs,
  };
  const queryTokens = encoding?.tokens.map((token) => token.text);
  return { hits, queryTokens, stats: { ...result.stats, timings } };
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
