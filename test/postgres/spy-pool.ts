/**
 * A `pg` pool wrapped so tests can see every statement the collection sends, rewrite one, or
 * cut the connection just before one is sent (as a crashed process or a dropped network would).
 */
import pg from 'pg';
import type { SqlClient, SqlPool, SqlResult } from '../../src/postgres/pool.js';

/** What the spy does with a statement before it goes out. */
export interface SpyHooks {
  /** Returns replacement text for a statement, or undefined to send it as it is. */
  rewrite?(text: string): string | undefined;
  /** True to destroy the connection instead of sending this statement. */
  cut?(text: string): boolean;
}

/** A pool that records statements and applies {@link SpyHooks}. */
export class SpyPool implements SqlPool {
  readonly statements: string[] = [];
  hooks: SpyHooks = {};
  readonly #pool: pg.Pool;

  constructor(connectionString: string) {
    const url = new URL(connectionString);
    url.searchParams.delete('collection');
    this.#pool = new pg.Pool({ connectionString: url.toString(), max: 2 });
    this.#pool.on('error', () => undefined);
    this.#pool.on('connect', (client) => client.on('error', () => undefined));
  }

  async connect(): Promise<SqlClient> {
    const client = await this.#pool.connect();
    return {
      query: (text: string, values?: unknown[]): Promise<SqlResult> => {
        const sent = this.hooks.rewrite?.(text) ?? text;
        this.statements.push(sent);
        if (this.hooks.cut?.(sent)) {
          (
            client as unknown as { connection: { stream: { destroy(): void } } }
          ).connection.stream.destroy();
        }
        return client.query(sent, values) as Promise<SqlResult>;
      },
      release: (error?: Error | boolean) => client.release(error),
    };
  }

  end(): Promise<void> {
    return this.#pool.end();
  }
}
