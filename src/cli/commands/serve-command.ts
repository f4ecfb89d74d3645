/**
 * `muvera serve [dir...] [--data-dir <dir>]`: serves collections over HTTP with the search page.
 * Each directory given is served under its base name; `--data-dir` is where the API creates and
 * drops collections (and whose collections it serves too). Prints the page URL on stdout and
 * runs until interrupted (Ctrl-C).
 */
import { defineCommand } from 'citty';
import { DEFAULTS } from '../../defaults.js';
import { invalidArgument } from '../../errors.js';
import { startServer } from '../../server/serve.js';
import { type CliContext, intFlag, println } from '../context.js';
import { commonArgs, defineArgs, type Runner } from './common.js';

/** Environment variable read for the API key when --api-key is absent. */
export const API_KEY_ENV = 'MUVERA_API_KEY';
const MAX_PORT = 65535;

const args = defineArgs({
  dirs: {
    type: 'positional',
    description: 'Collection directories to serve (each under its base name)',
    required: false,
  },
  'data-dir': {
    type: 'string',
    description: 'Directory where the API creates and drops collections',
  },
  host: { type: 'string', description: 'Interface to listen on', default: DEFAULTS.server.host },
  port: {
    type: 'string',
    description: 'Port (0 picks a free one)',
    default: String(DEFAULTS.server.port),
  },
  'api-key': {
    type: 'string',
    description: `Bearer token required on the API (default: $${API_KEY_ENV}; none when unset)`,
  },
  'body-limit': {
    type: 'string',
    description: 'Largest request body in bytes',
    default: String(DEFAULTS.server.bodyLimitBytes),
  },
  'max-k': {
    type: 'string',
    description: 'Largest k a search may ask for',
    default: String(DEFAULTS.server.maxK),
  },
  'max-candidates': {
    type: 'string',
    description: 'Largest candidates a search may ask for',
    default: String(DEFAULTS.server.maxCandidates),
  },
  ...commonArgs,
});

const runServe: Runner<typeof args> = async (context, parsed) => {
  const attach = parsed._.filter((dir) => dir !== '');
  const dataDir = parsed['data-dir'] ?? null;
  if (attach.length === 0 && dataDir === null) {
    throw invalidArgument('dirs', 'at least one collection directory, or --data-dir', '(none)');
  }
  const server = await startServer({
    engine: context.engine,
    attach,
    dataDir,
    host: parsed.host,
    port: intFlag(parsed.port, 'port', 0, MAX_PORT),
    apiKey: parsed['api-key'] ?? process.env[API_KEY_ENV] ?? null,
    limits: {
      bodyLimitBytes: intFlag(parsed['body-limit'], 'body-limit'),
      maxK: intFlag(parsed['max-k'], 'max-k'),
      maxCandidates: intFlag(parsed['max-candidates'], 'max-candidates'),
    },
    version: context.version,
  });
  // Opening every collection now makes the first search fast and reports a broken one at start.
  const collections = await server.catalog.list().catch(async (error: unknown) => {
    await server.close();
    throw error;
  });
  const names = collections.map(
    (item) => `${item.name} (${item.documents.toLocaleString('en-US')} documents)`,
  );
  println(context, `muvera is serving ${names.join(', ') || 'no collections yet'}`);
  println(context, `search page: ${server.url}/`);
  println(context, `API: ${server.url}/v1 (OpenAPI at ${server.url}/openapi.json); Ctrl-C stops`);
  await context.interrupted();
  await server.close();
};

/** `muvera serve`. */
export const serveCommand = defineCommand({
  meta: { name: 'serve', description: 'Serve collections over HTTP, with the search page' },
  args,
  run: ({ args: parsed, data }) => runServe(data as CliContext, parsed),
});
