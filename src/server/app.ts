/**
 * The HTTP application: the JSON API under /v1, its OpenAPI document, the search page, and the
 * rules every request passes through, in this order:
 *
 * 1. body size: a body larger than `limits.bodyLimitBytes` is refused with 413 before parsing;
 * 2. API key: when one is configured, every route except /health and the page's static files
 *    needs `Authorization: Bearer <key>` (compared in constant time);
 * 3. schema: the route's zod schema validates the body; a failure names the field at fault.
 *
 * Every failure leaves as `{ code, message, path }` with the status from status-codes.ts, `path`
 * naming the request field (see src/server/request-fields.ts).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { OpenAPIHono } from '@hono/zod-openapi';
import type { Context, MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { HTTPException } from 'hono/http-exception';
import { type ErrorCode, isMuveraError, MuveraError } from '../errors.js';
import { logger } from '../log.js';
import type { Catalog } from './catalog.js';
import { DEFAULT_LIMITS, type ServerLimits } from './limits.js';
import { registerPage } from './page.js';
import { dottedPath, renameParameter, withoutOptionsPrefix } from './request-fields.js';
import { registerRoutes } from './routes.js';
import { HTTP_INTERNAL, HTTP_STATUS } from './status-codes.js';

/** Path of the OpenAPI document. */
export const OPENAPI_PATH = '/openapi.json';

/** Paths that never need the API key: liveness and the search page's static files. */
const PUBLIC_PATHS = /^\/(health|page\/[\w.-]+)?$/;

/** Options of {@link createApp}. */
export interface AppOptions {
  catalog: Catalog;
  /** Bearer token required on every route but the public ones; null or empty for none. */
  apiKey?: string | null;
  limits?: Partial<ServerLimits>;
  /** Reported by /health. */
  version?: string;
}

/** Builds the application; serve it with {@link startServer} or call `app.request` in tests. */
export function createApp(options: AppOptions): OpenAPIHono {
  const given = Object.entries(options.limits ?? {}).filter(([, value]) => value !== undefined);
  const limits: ServerLimits = { ...DEFAULT_LIMITS, ...Object.fromEntries(given) };
  const app = new OpenAPIHono({ defaultHook: rejectInvalid });

  app.use('*', bodyLimit({ maxSize: limits.bodyLimitBytes, onError: () => tooLarge(limits) }));
  if (options.apiKey) app.use('*', requireKey(options.apiKey));

  app.get('/health', (c) => c.json({ status: 'ok', version: options.version ?? null }));
  registerPage(app);
  registerRoutes(app, options.catalog, limits);
  app.openAPIRegistry.registerComponent('securitySchemes', 'bearer', {
    type: 'http',
    scheme: 'bearer',
  });
  app.doc31(OPENAPI_PATH, {
    openapi: '3.1.0',
    info: { title: 'muvera', version: options.version ?? '0', description: 'Multi-vector search' },
  });

  app.notFound((c) =>
    errorResponse(c, new MuveraError('not-found', `no route ${c.req.method} ${c.req.path}`)),
  );
  app.onError((error, c) => errorResponse(c, toMuveraError(error)));
  return app;
}

/** Turns a failed schema check into an `invalid-argument` error naming the first bad field. */
function rejectInvalid(result: { success: boolean; error?: unknown }): void {
  if (result.success) return;
  const issues =
    (result.error as { issues?: { path: PropertyKey[]; message: string }[] }).issues ?? [];
  const first = issues[0];
  const path = first ? first.path.map(String).join('.') : undefined;
  const message = first ? `${path || 'body'}: ${first.message}` : 'invalid request';
  throw new MuveraError('invalid-argument', message, { parameter: path || undefined });
}

function tooLarge(limits: ServerLimits): never {
  throw new MuveraError('limit-exceeded', `request body exceeds ${limits.bodyLimitBytes} bytes`, {
    parameter: 'body',
    expected: limits.bodyLimitBytes,
    remedy: 'Send fewer documents per request, or raise the server limit (--body-limit)',
  });
}

function requireKey(apiKey: string): MiddlewareHandler {
  const expected = digest(apiKey);
  return async (c, next) => {
    if (PUBLIC_PATHS.test(c.req.path)) return next();
    const header = c.req.header('authorization') ?? '';
    const given = header.startsWith('Bearer ') ? header.slice('Bearer '.length) : '';
    if (given === '' || !timingSafeEqual(digest(given), expected)) {
      throw new MuveraError('unauthorized', 'a valid API key is required', {
        parameter: 'authorization',
        remedy: 'Send the header "Authorization: Bearer <key>"',
      });
    }
    return next();
  };
}

/** Hashing both sides makes them equal length, as timingSafeEqual needs. */
function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

/** Codes for HTTP errors raised by hono itself (malformed JSON, wrong content type). */
const HTTP_EXCEPTION_CODES: Record<number, ErrorCode> = {
  401: 'unauthorized',
  413: 'limit-exceeded',
};

function toMuveraError(error: unknown): MuveraError {
  if (isMuveraError(error)) return error;
  if (error instanceof HTTPException) {
    const code = HTTP_EXCEPTION_CODES[error.status] ?? 'parse-error';
    return new MuveraError(code, error.message || 'malformed request', {
      parameter: 'body',
      cause: error,
    });
  }
  logger.error(error);
  return new MuveraError('internal', 'internal error', { cause: error });
}

/**
 * The JSON answer for an error. Its `path` names the request field: search and creation options
 * are top-level fields (`candidates`, not the library's `options.candidates`), and row indexes
 * are written with dots (`documents.3.vectors.0`), as schema failures are.
 */
function errorResponse(c: Context, failure: MuveraError): Response {
  const error = renameParameter(failure, withoutOptionsPrefix) as MuveraError;
  const status = HTTP_STATUS[error.code] ?? HTTP_INTERNAL;
  const path = error.parameter === undefined ? null : dottedPath(error.parameter);
  const body = { code: error.code, message: error.message, path };
  if (error.code === 'unauthorized') c.header('WWW-Authenticate', 'Bearer');
  return c.json(body, status as 401);
}
