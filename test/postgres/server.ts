/**
 * A real PostgreSQL with pgvector for tests: PGlite (PostgreSQL compiled to WebAssembly) with
 * its pgvector extension, in this process, served on a loopback port by pglite-socket, so the
 * collection talks to it through the ordinary `pg` driver and the wire protocol exactly as it
 * would to a server.
 *
 * NOTE: PGlite runs one backend. pglite-socket multiplexes connections onto it and, while one
 * connection is inside a transaction, holds the others' statements back until it ends (and
 * rolls the transaction back when that connection drops). So isolation of a half-done write is
 * real here, but concurrency is serialised and latency is not a server's.
 */

import type { AddressInfo } from 'node:net';
import { PGlite } from '@electric-sql/pglite';
import { vector } from '@electric-sql/pglite-pgvector';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';

/** Connections the socket server accepts at once (a few pools of a few connections). */
const MAX_CONNECTIONS = 64;

/** A running in-process Postgres. */
export interface TestPostgres {
  /** A connection URL naming collection `name`. */
  url(name: string): string;
  stop(): Promise<void>;
}

let running: Promise<TestPostgres> | undefined;

/** Starts the shared server once per process; later calls get the same one. */
export function testPostgres(): Promise<TestPostgres> {
  running ??= start();
  return running;
}

async function start(): Promise<TestPostgres> {
  const db = await PGlite.create({ extensions: { vector } });
  await db.exec('CREATE EXTENSION IF NOT EXISTS vector');
  const server = new PGLiteSocketServer({
    db,
    port: 0,
    host: '127.0.0.1',
    maxConnections: MAX_CONNECTIONS,
  });
  await server.start();
  const { port } = (server as unknown as { server: { address(): AddressInfo } }).server.address();
  return {
    url: (name) => `postgres://postgres@127.0.0.1:${port}/postgres?collection=${name}`,
    async stop() {
      await server.stop();
      await db.close();
      running = undefined;
    },
  };
}
