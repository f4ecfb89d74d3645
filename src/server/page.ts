/**
 * Serves the search page (src/web/: plain HTML, CSS and JavaScript, no build step) at `/` and
 * its files at `/page/<file>`. The page holds no data; it calls the /v1 API like any client.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { OpenAPIHono } from '@hono/zod-openapi';
import { MuveraError } from '../errors.js';

/** The page's files and their content types. */
const FILES: Record<string, string> = {
  'index.html': 'text/html; charset=utf-8',
  'app.js': 'text/javascript; charset=utf-8',
  'style.css': 'text/css; charset=utf-8',
};

/**
 * NOTE: from src/server/ the page is at ../web/; from the compiled dist/server/ it is at
 * ../../src/web/, since tsc copies no assets (the package ships src/web for this reason).
 */
const CANDIDATE_DIRS = ['../web/', '../../src/web/'];

function pageDir(): string {
  for (const candidate of CANDIDATE_DIRS) {
    const dir = fileURLToPath(new URL(candidate, import.meta.url));
    if (existsSync(`${dir}index.html`)) return dir;
  }
  throw new MuveraError('not-found', 'the search page files (src/web/) are missing', {
    parameter: 'page',
  });
}

/** Adds GET / and GET /page/:file to `app`, reading the files once. */
export function registerPage(app: OpenAPIHono): void {
  let cache: Map<string, string> | undefined;
  const load = (): Map<string, string> => {
    const dir = pageDir();
    cache ??= new Map(Object.keys(FILES).map((name) => [name, readFileSync(dir + name, 'utf8')]));
    return cache;
  };
  const send = (name: string) =>
    new Response(load().get(name), { headers: { 'content-type': FILES[name] } });

  app.get('/', () => send('index.html'));
  app.get('/page/:file', (c) => {
    const name = c.req.param('file');
    if (!Object.hasOwn(FILES, name))
      throw new MuveraError('not-found', `no page file "${name}"`, { parameter: 'file' });
    return send(name);
  });
}
