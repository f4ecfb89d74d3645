/**
 * The Postgres collection against PGlite with pgvector over the wire (see server.ts): the shared
 * behavioural suite of every collection backend, then what only this backend has. One file, so
 * the database starts once.
 */
import { after } from 'node:test';
import { PostgresCollection } from '../../src/postgres/collection.js';
import { collectionContract } from '../collection/contract.js';
import { postgresBehaviour } from './behaviour.js';
import { migrationTests } from './migrate.js';
import { testPostgres } from './server.js';

const open: PostgresCollection[] = [];
let count = 0;

collectionContract('postgres (PGlite + pgvector over pg)', {
  async create(dim) {
    const server = await testPostgres();
    const collection = await PostgresCollection.create(server.url(`contract_${count++}`), {
      dim,
      tokenTable: true,
      poolSize: 2,
    });
    open.push(collection);
    return collection;
  },
  async cleanup() {
    for (const collection of open.splice(0)) await collection.close();
  },
});

postgresBehaviour();
migrationTests();

after(async () => {
  await (await testPostgres()).stop();
});
