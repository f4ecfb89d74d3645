/**
 * The statements of one upsert call, run inside its transaction (see collection.ts):
 *
 * 1. count the ids that exist already (the `replaced` of the result);
 * 2. insert the documents, `DEFAULTS.postgres.writeBatchDocuments` per statement, as arrays
 *    unnested server-side, replacing existing ids (`ON CONFLICT DO UPDATE`, which also waits
 *    for and then overrides a concurrent writer of the same id);
 * 3. with a token table: delete the old token rows of those ids and insert the new ones.
 */
import { decodeTokens } from '../chamfer/encode.js';
import type { FdeParts } from '../collection/parts.js';
import type { CleanDocument } from '../collection/validate.js';
import { DEFAULTS } from '../defaults.js';
import { spansToBytes, storedTokens, tokensToBytes, vectorLiteral } from './codec.js';
import type { SqlClient } from './pool.js';
import { type PostgresConfig, table } from './schema.js';

/** A document as its columns. */
interface DocumentRow {
  id: string;
  fde: string;
  numTokens: number;
  tokens: Buffer;
  metadata: string | null;
  text: string | null;
  spans: Buffer | null;
  /** The stored (precision-rounded) float32 rows, for the token table. */
  rows: Float32Array;
}

/** Writes `docs` (validated, padding-free); returns how many replaced an existing id. */
export async function writeDocuments(
  client: SqlClient,
  schema: string,
  config: PostgresConfig,
  fde: FdeParts,
  docs: CleanDocument[],
): Promise<number> {
  const ids = docs.map((doc) => doc.id);
  const existing = await client.query(
    `SELECT count(*)::int AS n FROM ${table(schema, 'documents')} WHERE id = ANY($1)`,
    [ids],
  );
  const batch = DEFAULTS.postgres.writeBatchDocuments;
  for (let first = 0; first < docs.length; first += batch) {
    const rows = toRows(docs.slice(first, first + batch), config, fde);
    await insertDocuments(client, schema, config, rows);
    if (config.tokenType !== null) await replaceTokens(client, schema, config, rows);
  }
  return existing.rows[0].n as number;
}

/** Columns of each document: stored tokens, their FDE (one batch call), JSON, spans. */
function toRows(docs: CleanDocument[], config: PostgresConfig, fde: FdeParts): DocumentRow[] {
  const { dim, precision } = config;
  const stored = docs.map((doc) => storedTokens(doc.tokens, dim, precision));
  const rows = stored.map((tokens) =>
    precision === 'float32' ? (tokens.values as Float32Array) : decodeTokens(tokens),
  );
  const offsets = new Uint32Array(docs.length + 1);
  docs.forEach((doc, i) => {
    offsets[i + 1] = offsets[i] + doc.numTokens;
  });
  const data = new Float32Array(offsets[docs.length] * dim);
  rows.forEach((values, i) => {
    data.set(values, offsets[i] * dim);
  });
  const fdes = fde.encoder.encodeDocuments(data, offsets).vectors;
  const size = fde.outputDimension;
  return docs.map((doc, i) => ({
    id: doc.id,
    fde: vectorLiteral(fdes.subarray(i * size, (i + 1) * size)),
    numTokens: doc.numTokens,
    tokens: tokensToBytes(stored[i]),
    metadata: doc.metadata === undefined ? null : JSON.stringify(doc.metadata),
    text: doc.text ?? null,
    spans: doc.spans === undefined ? null : spansToBytes(doc.spans),
    rows: rows[i],
  }));
}

async function insertDocuments(
  client: SqlClient,
  schema: string,
  config: PostgresConfig,
  rows: DocumentRow[],
): Promise<void> {
  await client.query(
    `INSERT INTO ${table(schema, 'documents')} (id, fde, num_tokens, tokens, metadata, text, spans)
     SELECT * FROM unnest($1::text[], $2::${config.fdeType}[], $3::int[], $4::bytea[],
                          $5::jsonb[], $6::text[], $7::bytea[])
     ON CONFLICT (id) DO UPDATE SET fde = EXCLUDED.fde, num_tokens = EXCLUDED.num_tokens,
       tokens = EXCLUDED.tokens, metadata = EXCLUDED.metadata, text = EXCLUDED.text,
       spans = EXCLUDED.spans`,
    [
      rows.map((row) => row.id),
      rows.map((row) => row.fde),
      rows.map((row) => row.numTokens),
      rows.map((row) => row.tokens),
      rows.map((row) => row.metadata),
      rows.map((row) => row.text),
      rows.map((row) => row.spans),
    ],
  );
}

async function replaceTokens(
  client: SqlClient,
  schema: string,
  config: PostgresConfig,
  rows: DocumentRow[],
): Promise<void> {
  const tokens = table(schema, 'tokens');
  await client.query(`DELETE FROM ${tokens} WHERE doc_id = ANY($1)`, [rows.map((r) => r.id)]);
  const docIds: string[] = [];
  const rowNumbers: number[] = [];
  const vectors: string[] = [];
  for (const row of rows) {
    for (let r = 0; r < row.numTokens; r++) {
      docIds.push(row.id);
      rowNumbers.push(r);
      vectors.push(vectorLiteral(row.rows.subarray(r * config.dim, (r + 1) * config.dim)));
    }
  }
  await client.query(
    `INSERT INTO ${tokens} (doc_id, row, embedding)
     SELECT * FROM unnest($1::text[], $2::int[], $3::${config.tokenType}[])`,
    [docIds, rowNumbers, vectors],
  );
}
