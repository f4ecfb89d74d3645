/** Starts the HTTP server on a host and port (127.0.0.1 by default) and stops it cleanly. */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAdaptorServer } from '@hono/node-server';
import { DEFAULTS } from '../defaults.js';
import { MuveraError } from '../errors.js';
import { createApp } from './app.js';
import { Catalog } from './catalog.js';
import type { Engine } from './engine.js';
import type { ServerLimits } from './limits.js';

/** Milliseconds `close` waits for requests in flight before cutting their connections. */
const CLOSE_GRACE_MS = 2000;

/**
 * NOTE: Node closes a keep-alive connection after 5 s idle by default. A client that sends its
 * next request on such a connection just as the server closes it gets ECONNRESET (seen under
 * load here, when queued requests leave pooled connections idle for seconds). A longer idle
 * timeout than clients keep makes that race rare; headers must time out later still.
 */
const KEEP_ALIVE_MS = 65_000;
const HEADERS_TIMEOUT_MS = 66_000;

/** Options of {@link startServer}. */
export interface ServerOptions {
  engine: Engine;
  /** Directory where the API creates and drops collections; null for none. */
  dataDir?: string | null;
  /** Collection directories served under their base names. */
  attach?: string[];
  /** Interface to listen on. Default DEFAULTS.server.host (loopback only). */
  host?: string;
  /** Port; 0 picks a free one. Default DEFAULTS.server.port. */
  port?: number;
  /** Bearer token required on every route but /health and the page; null for none. */
  apiKey?: string | null;
  limits?: Partial<ServerLimits>;
  version?: string;
}

/** A running server. */
export interface RunningServer {
  /** Base URL, e.g. `http://127.0.0.1:7700`. */
  url: string;
  port: number;
  catalog: Catalog;
  /** Stops accepting connections, waits for open ones, closes every collection. */
  close(): Promise<void>;
}

/** Starts a server and resolves once it listens. */
export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const catalog = new Catalog(options.engine, { dataDir: options.dataDir, attach: options.attach });
  const app = createApp({
    catalog,
    apiKey: options.apiKey,
    limits: options.limits,
    version: options.version,
  });
  const host = options.host ?? DEFAULTS.server.host;
  const server = createAdaptorServer({ fetch: app.fetch, hostname: host }) as Server;
  server.keepAliveTimeout = KEEP_ALIVE_MS;
  server.headersTimeout = HEADERS_TIMEOUT_MS;

  await new Promise<void>((resolvePromise, reject) => {
    server.once('error', (error) => reject(listenError(error, host, options.port)));
    server.listen(options.port ?? DEFAULTS.server.port, host, resolvePromise);
  });
  const { port } = server.address() as AddressInfo;
  const shownHost = host.includes(':') ? `[${host}]` : host;

  return {
    url: `http://${shownHost}:${port}`,
    port,
    catalog,
    async close() {
      await new Promise<void>((resolvePromise) => {
        // Requests in flight get CLOSE_GRACE_MS to finish; then every connection is cut.
        const force = setTimeout(() => server.closeAllConnections(), CLOSE_GRACE_MS);
        server.close(() => {
          clearTimeout(force);
          resolvePromise();
        });
        server.closeIdleConnections();
      });
      await catalog.close();
    },
  };
}

function listenError(
  error: Error & { code?: string },
  host: string,
  port: number | undefined,
): MuveraError {
  const taken = error.code === 'EADDRINUSE';
  return new MuveraError(
    taken ? 'unavailable' : 'io-error',
    `cannot listen on ${host}:${port}: ${error.message}`,
    {
      parameter: 'port',
      actual: port,
      remedy: taken ? 'Choose another port with --port' : undefined,
      cause: error,
    },
  );
}
