/**
 * The API routes under /v1. Each is declared once with its schemas (which both validate the
 * request and describe it in the OpenAPI document) and handled by a few lines that call the
 * catalog and the shared operations.
 */
import { createRoute, type OpenAPIHono, type z } from '@hono/zod-openapi';
import type { StoredDocument } from '../collection/types.js';
import { MuveraError } from '../errors.js';
import type { Catalog } from './catalog.js';
import type { ServerLimits } from './limits.js';
import {
  collectionDim,
  loadNamedEncoder,
  runSearch,
  toDocuments,
  upsertNamed,
} from './operations.js';
import {
  CollectionListBody,
  CollectionStatsBody,
  CreateCollectionBody,
  DeleteResultBody,
  DocumentParam,
  DroppedBody,
  ErrorBody,
  limitedSchemas,
  NameParam,
  SearchResultBody,
  StoredDocumentBody,
  UpsertResultBody,
  VectorsQuery,
} from './schemas.js';

const BEARER = [{ bearer: [] }];

function json<T extends z.ZodType>(schema: T, description: string) {
  return { content: { 'application/json': { schema } }, description };
}

function body<T extends z.ZodType>(schema: T) {
  return { content: { 'application/json': { schema } }, required: true };
}

const ERRORS = {
  400: json(ErrorBody, 'Invalid request'),
  401: json(ErrorBody, 'Missing or wrong API key'),
  404: json(ErrorBody, 'No such collection or document'),
  413: json(ErrorBody, 'Request body too large'),
};

/** Registers every /v1 route on `app`. */
export function registerRoutes(app: OpenAPIHono, catalog: Catalog, limits: ServerLimits): void {
  const schemas = limitedSchemas(limits);
  registerCollectionRoutes(app, catalog);
  registerDocumentRoutes(app, catalog, schemas);
  registerSearchRoute(app, catalog, schemas);
}

function registerCollectionRoutes(app: OpenAPIHono, catalog: Catalog): void {
  const list = createRoute({
    method: 'get',
    path: '/v1/collections',
    summary: 'List collections',
    security: BEARER,
    responses: { 200: json(CollectionListBody, 'Every collection'), ...ERRORS },
  });
  app.openapi(list, async (c) => c.json({ collections: await catalog.list() }, 200));

  const create = createRoute({
    method: 'post',
    path: '/v1/collections',
    summary: 'Create a collection in the data directory',
    security: BEARER,
    request: { body: body(CreateCollectionBody) },
    responses: {
      201: json(CollectionStatsBody, 'The new collection'),
      409: json(ErrorBody, 'Exists'),
      ...ERRORS,
    },
  });
  app.openapi(create, async (c) => {
    const request = c.req.valid('json');
    // A spec in the body that names nothing is the client's mistake: 400 on `encoder`.
    const load = (spec: string) => catalog.loadEncoder(spec);
    const encoder =
      request.encoder === undefined
        ? null
        : await loadNamedEncoder(load, request.encoder, 'encoder', 'invalid-argument');
    const dim = encoder?.dim ?? (request.dim as number);
    if (encoder && request.dim !== undefined && request.dim !== encoder.dim) {
      throw new MuveraError(
        'dimension-mismatch',
        `dim ${request.dim} differs from the encoder's ${encoder.dim}`,
        {
          parameter: 'dim',
          expected: encoder.dim,
          actual: request.dim,
        },
      );
    }
    const { fde, index, precision } = request;
    const spec = encoder ? { ...encoder.spec } : undefined;
    await encoder?.dispose();
    await catalog.create(request.name, { dim, fde, index, precision, encoder: spec });
    return c.json(await statsOf(catalog, request.name), 201);
  });

  const drop = createRoute({
    method: 'delete',
    path: '/v1/collections/{name}',
    summary: 'Drop a collection and delete its files',
    security: BEARER,
    request: { params: NameParam },
    responses: { 200: json(DroppedBody, 'Dropped'), ...ERRORS },
  });
  app.openapi(drop, async (c) => {
    const { name } = c.req.valid('param');
    await catalog.drop(name);
    return c.json({ dropped: name }, 200);
  });

  const stats = createRoute({
    method: 'get',
    path: '/v1/collections/{name}',
    summary: 'Counts, sizes and configuration of a collection',
    security: BEARER,
    request: { params: NameParam },
    responses: { 200: json(CollectionStatsBody, 'Collection statistics'), ...ERRORS },
  });
  app.openapi(stats, async (c) => c.json(await statsOf(catalog, c.req.valid('param').name), 200));
}

type Schemas = ReturnType<typeof limitedSchemas>;

function registerDocumentRoutes(app: OpenAPIHono, catalog: Catalog, schemas: Schemas): void {
  const upsert = createRoute({
    method: 'post',
    path: '/v1/collections/{name}/documents',
    summary: 'Insert or replace documents (text or token vectors)',
    security: BEARER,
    request: { params: NameParam, body: body(schemas.upsertBody) },
    responses: { 200: json(UpsertResultBody, 'Counts'), ...ERRORS },
  });
  app.openapi(upsert, async (c) => {
    const { name } = c.req.valid('param');
    const { collection } = await catalog.get(name);
    const requests = c.req.valid('json').documents;
    const encoder = () => catalog.encoder(name);
    const documents = await toDocuments(requests, encoder, await collectionDim(collection));
    return c.json(await upsertNamed(collection, documents, requests), 200);
  });

  const remove = createRoute({
    method: 'post',
    path: '/v1/collections/{name}/documents/delete',
    summary: 'Delete documents by id; unknown ids are reported, not fatal',
    security: BEARER,
    request: { params: NameParam, body: body(schemas.deleteBody) },
    responses: { 200: json(DeleteResultBody, 'Deleted and missing ids'), ...ERRORS },
  });
  app.openapi(remove, async (c) => {
    const { collection } = await catalog.get(c.req.valid('param').name);
    return c.json(await collection.delete(c.req.valid('json').ids), 200);
  });

  const get = createRoute({
    method: 'get',
    path: '/v1/collections/{name}/documents/{id}',
    summary: 'Get a stored document; add ?vectors=true for its token vectors',
    security: BEARER,
    request: { params: DocumentParam, query: VectorsQuery },
    responses: { 200: json(StoredDocumentBody, 'The document'), ...ERRORS },
  });
  app.openapi(get, async (c) => {
    const { name, id } = c.req.valid('param');
    const { collection } = await catalog.get(name);
    const stored = await collection.get(id);
    if (!stored) {
      throw new MuveraError('not-found', `no document "${id}" in collection "${name}"`, {
        parameter: 'id',
        actual: id,
      });
    }
    const dim = (await collection.stats()).dim;
    return c.json(documentBody(stored, dim, c.req.valid('query').vectors === 'true'), 200);
  });
}

function registerSearchRoute(app: OpenAPIHono, catalog: Catalog, schemas: Schemas): void {
  const search = createRoute({
    method: 'post',
    path: '/v1/collections/{name}/search',
    summary: 'Search with text (encoded by the collection encoder) or token vectors',
    security: BEARER,
    request: { params: NameParam, body: body(schemas.searchBody) },
    responses: { 200: json(SearchResultBody, 'Hits, best first'), ...ERRORS },
  });
  app.openapi(search, async (c) => {
    const { name } = c.req.valid('param');
    const request = c.req.valid('json');
    const { collection } = await catalog.get(name);
    const result = await runSearch(collection, () => catalog.encoder(name), request);
    const query = result.queryTokens ? { tokens: result.queryTokens } : undefined;
    return c.json(
      { hits: result.hits, query, stats: request.stats ? result.stats : undefined },
      200,
    );
  });
}

async function statsOf(catalog: Catalog, name: string) {
  const { collection, encoder } = await catalog.get(name);
  const stats = await collection.stats();
  return { name, ...stats, encoder: encoder ? { ...encoder } : null };
}

function documentBody(stored: StoredDocument, dim: number, withVectors: boolean) {
  const numTokens = dim > 0 ? stored.tokens.length / dim : 0;
  const out: z.infer<typeof StoredDocumentBody> = { id: stored.id, numTokens };
  if (stored.text !== undefined) out.text = stored.text;
  if (stored.metadata !== undefined) out.metadata = stored.metadata;
  if (withVectors) {
    out.vectors = Array.from({ length: numTokens }, (_, row) =>
      Array.from(stored.tokens.subarray(row * dim, (row + 1) * dim)),
    );
  }
  return out;
}
