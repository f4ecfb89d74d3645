/**
 * Documents as they come back from the `documents` table, turned into the records the shared
 * exact re-rank (src/collection/scoring.ts) scores and explains.
 */
import type { Precision } from '../chamfer/precision.js';
import type { DocRecord } from '../collection/state.js';
import type { MetadataFilter } from '../collection/types.js';
import { bytesToEncoded, bytesToSpans } from './codec.js';

/** The columns every document query selects, in the order {@link toRecord} reads them. */
export const DOCUMENT_COLUMNS = 'd.id, d.num_tokens, d.tokens, d.metadata, d.text, d.spans';

/** A row of {@link DOCUMENT_COLUMNS} as a record under `key` (its position in this search). */
export function toRecord(
  row: Record<string, unknown>,
  key: number,
  dim: number,
  precision: Precision,
): DocRecord {
  const id = row.id as string;
  const numTokens = row.num_tokens as number;
  const tokens = bytesToEncoded(row.tokens as Uint8Array, dim, numTokens, precision, id);
  const record: DocRecord = { key, id, tokens, numTokens };
  if (row.metadata !== null && row.metadata !== undefined) {
    record.metadata = row.metadata as DocRecord['metadata'];
  }
  if (row.text !== null && row.text !== undefined) record.text = row.text as string;
  if (row.spans !== null && row.spans !== undefined) {
    record.spans = bytesToSpans(row.spans as Uint8Array);
  }
  return record;
}

/**
 * A metadata equality filter as a SQL condition on `d.metadata`, with its parameters numbered
 * from `$first`. `metadata -> field = value::jsonb` is true only when the field exists and
 * equals the value (jsonb compares numbers by value, so 2 equals 2.0 as in JavaScript); a
 * missing field yields NULL, which fails, as in src/collection/filter.ts.
 */
export function filterSql(
  filter: MetadataFilter | undefined,
  first: number,
): { sql: string; values: unknown[] } {
  const entries = Object.entries(filter ?? {});
  if (entries.length === 0) return { sql: 'true', values: [] };
  const values: unknown[] = [];
  const terms = entries.map(([field, value], i) => {
    values.push(field, JSON.stringify(value));
    return `d.metadata -> $${first + 2 * i} = $${first + 2 * i + 1}::jsonb`;
  });
  return { sql: terms.join(' AND '), values };
}
