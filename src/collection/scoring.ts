/**
 * The exact stage of every strategy: Chamfer (MaxSim) of the query against each candidate's
 * stored tokens with the kernels of src/chamfer, the top k, and the per-token explanation of a
 * hit.
 *
 *   chamfer(Q, P) = sum over q in Q of max over p in P of <q, p>
 *
 * Query and stored tokens are padding-free here (validation removed the all-zero rows).
 */
import { chamferBatch, explainChamfer } from '../chamfer/score.js';
import { TopK } from '../index/top-k.js';
import type { DocRecord } from './state.js';
import type { SearchHit, TokenMatch } from './types.js';

/** The best candidates and their exact scores, best first (ties: lower key first). */
export interface Ranked {
  records: DocRecord[];
  scores: number[];
}

/** Exact Chamfer of `query` (numQuery x dim) against every record in one kernel call; best `k`. */
export function rerank(query: Float32Array, records: DocRecord[], dim: number, k: number): Ranked {
  if (records.length === 0) return { records: [], scores: [] };
  const scores = chamferBatch(
    query,
    records.map((record) => record.tokens),
    dim,
  );
  const top = new TopK(Math.min(k, records.length));
  const byKey = new Map<number, DocRecord>();
  records.forEach((record, i) => {
    byKey.set(record.key, record);
    top.offer(scores[i], record.key);
  });
  const best = top.sorted();
  return { records: best.ids.map((key) => byKey.get(key) as DocRecord), scores: best.scores };
}

/**
 * For each query row, the document row with the largest inner product, that product, and the
 * row's character span when spans were stored. `queryRows[q]` is the caller's row number of
 * query row q (padding rows were removed before the search).
 */
export function explainMatches(
  query: Float32Array,
  queryRows: number[],
  record: DocRecord,
  dim: number,
): TokenMatch[] {
  const { bestDocToken, bestScore } = explainChamfer(query, record.tokens, dim);
  return queryRows.map((row, q) => {
    const docToken = bestDocToken[q];
    const match: TokenMatch = { queryToken: row, docToken, score: bestScore[q] };
    if (record.spans) match.span = [record.spans[2 * docToken], record.spans[2 * docToken + 1]];
    return match;
  });
}

/**
 * The re-rank stage shared by every backend: exact Chamfer of the query against `records`, the
 * best `k` as hits in order, with metadata, text and (when `explain`) the token matches.
 */
export function rerankToHits(
  query: { rows: Float32Array; kept: number[] },
  records: DocRecord[],
  dim: number,
  k: number,
  explain: boolean,
): SearchHit[] {
  const ranked = rerank(query.rows, records, dim, k);
  return ranked.records.map((record, i): SearchHit => {
    const hit: SearchHit = { id: record.id, score: ranked.scores[i] };
    if (record.metadata !== undefined) hit.metadata = record.metadata;
    if (record.text !== undefined) hit.text = record.text;
    if (explain) hit.matches = explainMatches(query.rows, query.kept, record, dim);
    return hit;
  });
}
