/**
 * Search against a Postgres collection: the database finds candidates, the application re-ranks
 * them by exact Chamfer (the same kernels and code as the embedded collection, in
 * src/collection/scoring.ts).
 *
 * One search is one read-only REPEATABLE READ transaction, so every statement of it sees the
 * same snapshot, and its settings are `SET LOCAL` (they end with it):
 *
 * - `hnsw.ef_search` is the scan's beam, and caps how many rows it returns (pgvector's default
 *   is 40). It is set to `postgres.efSearchPerCandidate` times `candidates`, up to pgvector's
 *   maximum of {@link MAX_EF_SEARCH}: a beam of exactly `candidates` loses the rows the graph
 *   reaches last (see docs/indexes.md, "Why the beam grows with the candidates").
 * - `hnsw.iterative_scan` lets a scan continue past ef_search when rows are filtered out (or
 *   when more than {@link MAX_EF_SEARCH} candidates are wanted), up to `hnsw.max_scan_tuples`.
 *   Without it a filter applied after the scan can leave fewer than k rows.
 *
 * When the candidate stage still returns fewer than k rows although more documents pass the
 * filter (the iterative scan gave up), the search re-ranks every passing document instead, as
 * the embedded collection does (`stats.exactFallback`).
 */
import { rerankToHits } from '../collection/scoring.js';
import type { CheckedQuery } from '../collection/search.js';
import type { SearchResult } from '../collection/types.js';
import type { ResolvedSearchOptions } from '../collection/validate.js';
import { DEFAULTS } from '../defaults.js';
import { MuveraError } from '../errors.js';
import { vectorLiteral } from './codec.js';
import { inTransaction, type SqlClient, type SqlPool } from './pool.js';
import { DOCUMENT_COLUMNS, filterSql, toRecord } from './rows.js';
import { type PostgresConfig, table } from './schema.js';

/** pgvector's largest accepted `hnsw.ef_search`. */
export const MAX_EF_SEARCH = 1000;

/** What a search needs of its collection. */
export interface SearchContext {
  pool: SqlPool;
  schema: string;
  config: PostgresConfig;
  /** The query FDE under the collection's stored config. */
  encodeQuery(rows: Float32Array): Float32Array;
}

/** Rows of candidate documents, and how many the candidate stage itself returned. */
interface Fetched {
  rows: Record<string, unknown>[];
  candidatesFetched: number;
  exactFallback: boolean;
}

/** The `SET LOCAL` statements of a search wanting `candidates` rows. */
export function searchSettings(candidates: number, filtered: boolean): string {
  const beam = Math.ceil(candidates * DEFAULTS.postgres.efSearchPerCandidate);
  const efSearch = Math.min(beam, MAX_EF_SEARCH);
  const iterate = filtered || candidates > MAX_EF_SEARCH;
  const mode = iterate ? DEFAULTS.postgres.iterativeScan : 'off';
  return [
    `SET LOCAL hnsw.ef_search = ${efSearch}`,
    `SET LOCAL hnsw.iterative_scan = ${mode}`,
    `SET LOCAL hnsw.max_scan_tuples = ${Math.max(DEFAULTS.postgres.maxScanTuples, candidates)}`,
  ].join('; ');
}

/** Runs one search; see the module comment. */
export async function runPostgresSearch(
  context: SearchContext,
  query: CheckedQuery,
  options: ResolvedSearchOptions,
): Promise<SearchResult> {
  const { dim, precision } = context.config;
  const start = performance.now();

  // Stage 1: candidates from the database, widened to every passing row when short.
  const fetched = await inTransaction(
    context.pool,
    'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY',
    (client) => fetchCandidates(client, context, query.rows, options),
    'search',
  );
  const records = fetched.rows.map((row, key) => toRecord(row, key, dim, precision));
  const candidatesDone = performance.now();

  // Stage 2: exact Chamfer re-rank in the application.
  const hits = rerankToHits(query, records, dim, options.k, options.explain);
  const end = performance.now();

  return {
    hits,
    stats: {
      strategy: options.strategy,
      queryTokens: query.kept.length,
      candidatesFetched: fetched.candidatesFetched,
      exactScorings: records.length,
      exactFallback: fetched.exactFallback,
      timings: {
        candidatesMs: candidatesDone - start,
        rerankMs: end - candidatesDone,
        totalMs: end - start,
      },
    },
  };
}

async function fetchCandidates(
  client: SqlClient,
  context: SearchContext,
  query: Float32Array,
  options: ResolvedSearchOptions,
): Promise<Fetched> {
  await client.query(searchSettings(options.candidates, options.filter !== undefined));
  const fetch = { fde: fdeRows, tokens: tokenRows, exact: exactRows }[options.strategy];
  const rows = await fetch(client, context, query, options);
  const fetched = { rows, candidatesFetched: rows.length, exactFallback: false };
  if (options.strategy === 'exact' || rows.length >= options.k) return fetched;

  const where = filterSql(options.filter, 1);
  const counted = await client.query(
    `SELECT count(*)::int AS n FROM ${table(context.schema, 'documents')} d WHERE ${where.sql}`,
    where.values,
  );
  if ((counted.rows[0].n as number) <= rows.length) return fetched;
  const every = await exactRows(client, context, query, options);
  return { rows: every, candidatesFetched: rows.length, exactFallback: true };
}

/** `fde`: the HNSW scan of document FDEs by inner product with the query FDE. */
async function fdeRows(
  client: SqlClient,
  context: SearchContext,
  query: Float32Array,
  options: ResolvedSearchOptions,
): Promise<Record<string, unknown>[]> {
  const { schema, config } = context;
  const where = filterSql(options.filter, 3);
  const vector = vectorLiteral(context.encodeQuery(query));
  const result = await client.query(
    `SELECT ${DOCUMENT_COLUMNS} FROM ${table(schema, 'documents')} d WHERE ${where.sql}
     ORDER BY d.fde <#> $1::${config.fdeType} LIMIT $2`,
    [vector, options.candidates, ...where.values],
  );
  return result.rows;
}

/** `exact`: every document passing the filter. */
async function exactRows(
  client: SqlClient,
  context: SearchContext,
  _query: Float32Array,
  options: ResolvedSearchOptions,
): Promise<Record<string, unknown>[]> {
  const where = filterSql(options.filter, 1);
  const result = await client.query(
    `SELECT ${DOCUMENT_COLUMNS} FROM ${table(context.schema, 'documents')} d WHERE ${where.sql}`,
    where.values,
  );
  return result.rows;
}

/**
 * `tokens`: each query token's nearest document tokens through the token table's HNSW index
 * (one statement, a LATERAL scan per query token), documents scored by the sum of their best
 * token similarities, the best `candidates` of them fetched.
 */
async function tokenRows(
  client: SqlClient,
  context: SearchContext,
  query: Float32Array,
  options: ResolvedSearchOptions,
): Promise<Record<string, unknown>[]> {
  const { schema, config } = context;
  if (config.tokenType === null) {
    throw new MuveraError('unavailable', `collection ${schema} keeps no token table`, {
      parameter: 'options.strategy',
      actual: 'tokens',
      remedy: 'Create the collection with tokenTable: true, or search with fde or exact',
    });
  }
  const where = filterSql(options.filter, 3);
  const neighbours = DEFAULTS.search.tokenNeighbours ?? options.candidates;
  const join = options.filter ? `JOIN ${table(schema, 'documents')} d ON d.id = t.doc_id` : '';
  const rows: string[] = [];
  for (let row = 0; row < query.length / config.dim; row++) {
    rows.push(vectorLiteral(query.subarray(row * config.dim, (row + 1) * config.dim)));
  }
  const result = await client.query(
    `SELECT q.n AS query_row, hit.doc_id, -hit.distance AS score
     FROM unnest($1::${config.tokenType}[]) WITH ORDINALITY AS q(v, n)
     CROSS JOIN LATERAL (
       SELECT t.doc_id, t.embedding <#> q.v AS distance
       FROM ${table(schema, 'tokens')} t ${join} WHERE ${where.sql}
       ORDER BY t.embedding <#> q.v LIMIT $2) hit`,
    [rows, neighbours, ...where.values],
  );
  const ids = bestDocuments(result.rows, rows.length, options.candidates);
  if (ids.length === 0) return [];
  const documents = await client.query(
    `SELECT ${DOCUMENT_COLUMNS} FROM ${table(schema, 'documents')} d WHERE d.id = ANY($1)`,
    [ids],
  );
  return documents.rows;
}

/** Ids of the `count` documents with the highest sum of best token similarities. */
function bestDocuments(hits: Record<string, unknown>[], numQuery: number, count: number): string[] {
  const best = new Map<string, Float64Array>();
  for (const hit of hits) {
    const id = hit.doc_id as string;
    let row = best.get(id);
    if (!row) {
      row = new Float64Array(numQuery).fill(Number.NEGATIVE_INFINITY);
      best.set(id, row);
    }
    const q = Number(hit.query_row) - 1;
    row[q] = Math.max(row[q], Number(hit.score));
  }
  return [...best.entries()]
    .map(([id, row]) => ({ id, score: row.reduce(addFinite, 0) }))
    .sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : 1))
    .slice(0, count)
    .map((entry) => entry.id);
}

/** A query token without a neighbour in the document adds 0 (as in src/collection). */
function addFinite(sum: number, value: number): number {
  return Number.isFinite(value) ? sum + value : sum;
}
