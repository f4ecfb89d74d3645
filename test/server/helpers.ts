/** Starts a server over loopback for a test, with a fresh data directory. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Engine } from '../../src/server/engine.js';
import type { ServerLimits } from '../../src/server/limits.js';
import { type RunningServer, startServer } from '../../src/server/serve.js';
import { FakeEngine } from './fake-engine.js';

/** A parsed JSON response, read field by field in assertions. */
// biome-ignore lint/suspicious/noExplicitAny: tests read response fields without declaring every shape
export type Json = any;

/** A running test server plus a fetch helper that sends JSON and the key. */
export interface TestServer {
  server: RunningServer;
  root: string;
  dataDir: string;
  call(
    method: string,
    path: string,
    body?: unknown,
    key?: string | null,
  ): Promise<{ status: number; body: Json }>;
  stop(): Promise<void>;
}

/** Starts a server on a free loopback port. `key` is the API key the helper sends by default. */
export async function startTestServer(
  options: {
    apiKey?: string | null;
    limits?: Partial<ServerLimits>;
    engine?: Engine;
    attach?: string[];
  } = {},
): Promise<TestServer> {
  const root = await mkdtemp(join(tmpdir(), 'muvera-server-'));
  const dataDir = join(root, 'data');
  const server = await startServer({
    engine: options.engine ?? new FakeEngine(),
    dataDir,
    attach: options.attach,
    port: 0,
    apiKey: options.apiKey ?? null,
    limits: options.limits,
  });
  const defaultKey = options.apiKey ?? null;

  const call: TestServer['call'] = async (method, path, body, key = defaultKey) => {
    const headers: Record<string, string> = {};
    if (key) headers.authorization = `Bearer ${key}`;
    let payload: string | undefined;
    if (body !== undefined) {
      headers['content-type'] = 'application/json';
      payload = typeof body === 'string' ? body : JSON.stringify(body);
    }
    const response = await fetch(server.url + path, { method, headers, body: payload });
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // Not JSON (the page): keep the text.
    }
    return { status: response.status, body: parsed };
  };

  return {
    server,
    root,
    dataDir,
    call,
    async stop() {
      await server.close();
      await rm(root, { recursive: true, force: true });
    },
  };
}
