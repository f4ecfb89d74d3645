/**
 * `muvera migrate <from> <to>`: copies a collection between a directory and PostgreSQL (either
 * way) without re-encoding its tokens; see docs/postgres.md.
 */
import { defineCommand } from 'citty';
import { migrateCollection } from '../../postgres/migrate.js';
import { type CliContext, intFlag, println } from '../context.js';
import { commonArgs, defineArgs, type Runner } from './common.js';

const args = defineArgs({
  from: {
    type: 'positional',
    description: 'Source: a collection directory or postgres://...?collection=name',
    required: true,
  },
  to: { type: 'positional', description: 'Target (must not exist yet)', required: true },
  fde: { type: 'string', description: 'Another FDE preset for the target (FDEs are recomputed)' },
  'token-table': { type: 'boolean', description: 'Postgres target: keep a token table' },
  'batch-size': { type: 'string', description: 'Documents per write' },
  json: { type: 'boolean', description: 'Print the summary as JSON' },
  ...commonArgs,
});

const runMigrate: Runner<typeof args> = async (context, parsed) => {
  const summary = await migrateCollection(parsed.from, parsed.to, {
    fde: parsed.fde,
    tokenTable: parsed['token-table'] === true ? true : undefined,
    batchSize: intFlag(parsed['batch-size'], 'batch-size'),
    onProgress: parsed.quiet
      ? undefined
      : (copied, total) => context.err.write(`\rcopied ${copied} of ${total}`),
  });
  if (!parsed.quiet) context.err.write('\n');
  if (parsed.json) {
    println(context, JSON.stringify(summary));
    return;
  }
  println(
    context,
    `copied ${summary.documents} documents (${summary.tokens} tokens) in ${summary.seconds.toFixed(1)} s`,
  );
};

/** `muvera migrate`. */
export const migrateCommand = defineCommand({
  meta: {
    name: 'migrate',
    description: 'Copy a collection between a directory and PostgreSQL without re-encoding',
  },
  args,
  run: ({ args: parsed, data }) => runMigrate(data as CliContext, parsed),
});
