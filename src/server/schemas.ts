/**
 * Request and response schemas of the HTTP API. They validate every body and generate the
 * OpenAPI document (served at /openapi.json), so the two cannot drift apart. Caps that depend on
 * the server's limits (`k`, `candidates`, documents per request) are built into the schemas.
 */
import { z } from '@hono/zod-openapi';
import { ERROR_CODES } from '../errors.js';
import { COLLECTION_NAME } from './catalog.js';
import type { ServerLimits } from './limits.js';

/** Longest document id, in characters (the collection counts UTF-8 bytes; see its docs). */
const MAX_ID_LENGTH = 512;

/** Every error body: a stable code, a message for people, and the field at fault. */
export const ErrorBody = z
  .object({
    code: z.enum(ERROR_CODES).openapi({ example: 'invalid-argument' }),
    message: z.string().openapi({ example: 'k must be an integer from 1 to 1000, got 0' }),
    path: z.string().nullable().openapi({ example: 'k' }),
  })
  .openapi('Error');

/** A token matrix as JSON: one array of `dim` numbers per token. */
const Vectors = z
  .array(z.array(z.number()).min(1))
  .min(1)
  .openapi({
    description: 'Token vectors, one array of dim numbers per token',
    example: [[0.1, 0.2]],
  });

const Metadata = z.record(z.string(), z.unknown()).openapi({ example: { year: 2021 } });

const Filter = z
  .record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()]))
  .openapi({
    description: 'Metadata equality filter: every field must match',
    example: { year: 2021 },
  });

/** A collection name in a path parameter. */
export const NameParam = z.object({
  name: z
    .string()
    .regex(COLLECTION_NAME)
    .openapi({ param: { name: 'name', in: 'path' }, example: 'scifact' }),
});

/** A collection name plus a document id in path parameters. */
export const DocumentParam = NameParam.extend({
  id: z
    .string()
    .min(1)
    .max(MAX_ID_LENGTH)
    .openapi({ param: { name: 'id', in: 'path' }, example: '4983' }),
});

/** Body of POST /v1/collections. */
export const CreateCollectionBody = z
  .object({
    name: z.string().regex(COLLECTION_NAME).openapi({ example: 'notes' }),
    encoder: z.string().min(1).optional().openapi({
      description: 'Encoder spec: static:<dir> or colbert:<model>',
      example: 'static:data/encoders/fasttext-skipgram128',
    }),
    dim: z
      .number()
      .int()
      .min(1)
      .optional()
      .openapi({ description: 'Token dim; required without an encoder' }),
    fde: z.union([z.string(), z.record(z.string(), z.unknown())]).optional(),
    index: z.record(z.string(), z.unknown()).optional(),
    precision: z.enum(['float32', 'float16', 'int8']).optional(),
  })
  .refine((body) => body.encoder !== undefined || body.dim !== undefined, {
    message: 'give an encoder spec or a dim',
    path: ['dim'],
  })
  .openapi('CreateCollection');

/** One collection in GET /v1/collections. */
export const CollectionSummaryBody = z
  .object({
    name: z.string(),
    attached: z.boolean(),
    documents: z.number().int(),
    dim: z.number().int(),
    encoder: z.string().nullable(),
  })
  .openapi('CollectionSummary');

/** Body of GET /v1/collections. */
export const CollectionListBody = z
  .object({ collections: z.array(CollectionSummaryBody) })
  .openapi('CollectionList');

/** Body of DELETE /v1/collections/{name}. */
export const DroppedBody = z.object({ dropped: z.string() }).openapi('Dropped');

/** `?vectors=true` on GET of a document. */
export const VectorsQuery = z.object({
  vectors: z
    .enum(['true', 'false'])
    .optional()
    .openapi({ param: { name: 'vectors', in: 'query' }, description: 'Include token vectors' }),
});

/** Counts and sizes of one collection. */
export const CollectionStatsBody = z
  .object({
    name: z.string(),
    documents: z.number().int(),
    tokens: z.number().int(),
    dim: z.number().int(),
    fdeDimension: z.number().int(),
    precision: z.string(),
    bytesPerToken: z.number(),
    diskBytes: z.number(),
    indexKind: z.string(),
    encoder: z.record(z.string(), z.unknown()).nullable(),
  })
  .openapi('CollectionStats');

/** Schemas whose caps come from the server's limits. */
export function limitedSchemas(limits: ServerLimits) {
  const documentBody = z
    .object({
      id: z.string().min(1).max(MAX_ID_LENGTH).openapi({ example: 'doc-1' }),
      text: z.string().optional().openapi({ example: 'Aspirin lowers the risk of stroke.' }),
      vectors: Vectors.optional(),
      metadata: Metadata.optional(),
    })
    .refine((doc) => doc.text !== undefined || doc.vectors !== undefined, {
      message: 'give text or vectors',
      path: ['text'],
    })
    .openapi('Document');

  const upsertBody = z
    .object({ documents: z.array(documentBody).min(1).max(limits.maxDocumentsPerRequest) })
    .openapi('Upsert');

  const deleteBody = z
    .object({
      ids: z.array(z.string().min(1).max(MAX_ID_LENGTH)).min(1).max(limits.maxDocumentsPerRequest),
    })
    .openapi('Delete');

  const searchBody = z
    .object({
      text: z.string().min(1).optional().openapi({ example: 'does aspirin prevent stroke' }),
      vectors: Vectors.optional(),
      k: z.number().int().min(1).max(limits.maxK).optional().openapi({ example: 10 }),
      candidates: z.number().int().min(1).max(limits.maxCandidates).optional(),
      strategy: z.enum(['fde', 'tokens', 'exact']).optional(),
      filter: Filter.optional(),
      explain: z.boolean().optional(),
      stats: z.boolean().optional(),
    })
    .refine((body) => (body.text === undefined) !== (body.vectors === undefined), {
      message: 'give exactly one of text and vectors',
      path: ['text'],
    })
    .openapi('Search');

  return { documentBody, upsertBody, deleteBody, searchBody };
}

/** Result of an upsert. */
export const UpsertResultBody = z
  .object({
    inserted: z.number().int(),
    replaced: z.number().int(),
    duplicates: z.number().int().optional().openapi({
      description: 'Earlier occurrences of ids repeated in the request, dropped (the last wins)',
    }),
  })
  .openapi('UpsertResult');

/** Result of a delete. */
export const DeleteResultBody = z
  .object({ deleted: z.array(z.string()), missing: z.array(z.string()) })
  .openapi('DeleteResult');

/** A stored document. */
export const StoredDocumentBody = z
  .object({
    id: z.string(),
    numTokens: z.number().int(),
    text: z.string().optional(),
    metadata: Metadata.optional(),
    vectors: z.array(z.array(z.number())).optional(),
  })
  .openapi('StoredDocument');

const TokenMatchBody = z
  .object({
    queryToken: z.number().int(),
    queryText: z.string().optional(),
    docToken: z.number().int(),
    docText: z.string().optional(),
    score: z.number(),
    span: z.tuple([z.number().int(), z.number().int()]).optional(),
  })
  .openapi('TokenMatch');

const HitBody = z
  .object({
    id: z.string(),
    score: z.number(),
    text: z.string().optional(),
    metadata: Metadata.optional(),
    matches: z.array(TokenMatchBody).optional(),
  })
  .openapi('Hit');

const StatsBody = z
  .object({
    strategy: z.enum(['fde', 'tokens', 'exact']),
    queryTokens: z.number().int(),
    candidatesFetched: z.number().int(),
    exactScorings: z.number().int(),
    exactFallback: z.boolean().optional(),
    timings: z.object({
      encodeMs: z.number(),
      candidatesMs: z.number(),
      rerankMs: z.number(),
      totalMs: z.number(),
    }),
  })
  .openapi('SearchStats');

/** Result of a search. */
export const SearchResultBody = z
  .object({
    hits: z.array(HitBody),
    query: z.object({ tokens: z.array(z.string()) }).optional(),
    stats: StatsBody.optional(),
  })
  .openapi('SearchResult');
