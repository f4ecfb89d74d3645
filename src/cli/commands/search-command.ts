/**
 * `muvera search <dir> "query"`: encodes the query with the encoder the collection remembers (or
 * reads token vectors from `--vectors <file>`), searches, and prints a table, or JSON with
 * `--json`. `--explain` adds which document word each query word matched; `--stats` the
 * per-stage counts and timings.
 */
import { readFile } from 'node:fs/promises';
import { defineCommand } from 'citty';
import { DEFAULTS } from '../../defaults.js';
import type { TokenEncoder } from '../../encoders/types.js';
import { invalidArgument, MuveraError } from '../../errors.js';
import { type JsonVectors, runSearch } from '../../server/operations.js';
import { type CliContext, filterFlags, intFlag, println, repeated } from '../context.js';
import { searchTable, statsBlock } from '../format.js';
import { commonArgs, defineArgs, type Runner } from './common.js';

const args = defineArgs({
  dir: { type: 'positional', description: 'Collection directory', required: true },
  query: { type: 'positional', description: 'Query text (omit with --vectors)', required: false },
  k: { type: 'string', description: 'Results to show', default: String(DEFAULTS.search.k) },
  candidates: {
    type: 'string',
    description: 'Candidates to re-rank exactly (collection default when absent)',
  },
  strategy: {
    type: 'enum',
    options: ['fde', 'tokens', 'exact'],
    description: 'Candidate strategy (collection default when absent)',
  },
  filter: { type: 'string', description: 'Metadata filter key=value; repeat for several (AND)' },
  vectors: {
    type: 'string',
    description: 'JSON file of query token vectors ([[...], ...] or {"vectors": ...})',
  },
  json: { type: 'boolean', description: 'Print the result as JSON' },
  explain: { type: 'boolean', description: 'Show which document word each query word matched' },
  stats: { type: 'boolean', description: 'Show candidates, exact scorings and time per stage' },
  ...commonArgs,
});

const runSearchCommand: Runner<typeof args> = async (context, parsed) => {
  checkOneQuery(parsed.query, parsed.vectors);
  const request = {
    text: parsed.query,
    vectors: parsed.vectors === undefined ? undefined : await readVectors(parsed.vectors),
    k: intFlag(parsed.k, 'k'),
    candidates: intFlag(parsed.candidates, 'candidates'),
    strategy: parsed.strategy as 'fde' | 'tokens' | 'exact' | undefined,
    filter: filterFlags(repeated(context.rawArgs, 'filter')),
    explain: parsed.explain === true,
  };

  const opened = await context.engine.openCollection(parsed.dir, { readOnly: true });
  let encoder: Promise<TokenEncoder> | undefined;
  const loadEncoder = () => {
    if (!opened.encoder) {
      throw new MuveraError(
        'invalid-argument',
        `${parsed.dir} has no encoder, so the query must be vectors`,
        {
          parameter: 'query',
          remedy: 'Pass --vectors <file>',
        },
      );
    }
    encoder ??= context.engine.loadEncoder(opened.encoder);
    return encoder;
  };
  try {
    const response = await runSearch(opened.collection, loadEncoder, request);
    if (parsed.json) {
      const stats = parsed.stats ? response.stats : undefined;
      println(
        context,
        JSON.stringify({ hits: response.hits, query: response.queryTokens, stats }, null, 2),
      );
      return;
    }
    println(context, response.hits.length === 0 ? 'no results' : searchTable(response));
    if (parsed.stats) println(context, `\n${statsBlock(response)}`);
  } finally {
    await (await encoder)?.dispose();
    await opened.collection.close();
  }
};

/** Exactly one of query text and `--vectors <file>`; the message says which way it failed. */
function checkOneQuery(text: string | undefined, vectors: string | undefined): void {
  if (text !== undefined && vectors !== undefined) {
    throw new MuveraError('invalid-argument', 'give query text or --vectors <file>, not both', {
      parameter: 'query',
      expected: 'query text or --vectors <file>',
      actual: 'both',
    });
  }
  if (text === undefined && vectors === undefined) {
    throw new MuveraError('invalid-argument', 'give query text or --vectors <file>', {
      parameter: 'query',
      expected: 'query text or --vectors <file>',
      remedy: 'For example: muvera search <dir> "does aspirin prevent stroke"',
    });
  }
}

async function readVectors(file: string): Promise<JsonVectors> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(file, 'utf8'));
  } catch (error) {
    throw new MuveraError('parse-error', `cannot read query vectors from ${file}`, {
      parameter: '--vectors',
      file,
      cause: error,
    });
  }
  const rows = Array.isArray(parsed) ? parsed : (parsed as { vectors?: unknown })?.vectors;
  const valid =
    Array.isArray(rows) &&
    rows.length > 0 &&
    rows.every((row) => Array.isArray(row) && row.every((v) => typeof v === 'number'));
  if (!valid) throw invalidArgument('--vectors', 'a JSON array of arrays of numbers', rows);
  return rows as JsonVectors;
}

/** `muvera search`. */
export const searchCommand = defineCommand({
  meta: { name: 'search', description: 'Search a collection with text or token vectors' },
  args,
  run: ({ args: parsed, data }) => runSearchCommand(data as CliContext, parsed),
});
