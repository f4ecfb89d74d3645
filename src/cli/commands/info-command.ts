/** `muvera info <dir>`: configuration, counts and sizes of a collection. */
import { defineCommand } from 'citty';
import { type CliContext, println } from '../context.js';
import { formatBytes, table } from '../format.js';
import { commonArgs, defineArgs, type Runner } from './common.js';

const args = defineArgs({
  dir: { type: 'positional', description: 'Collection directory', required: true },
  json: { type: 'boolean', description: 'Print as JSON' },
  ...commonArgs,
});

const runInfo: Runner<typeof args> = async (context, parsed) => {
  const opened = await context.engine.openCollection(parsed.dir, { readOnly: true });
  try {
    const stats = await opened.collection.stats();
    if (parsed.json) {
      println(
        context,
        JSON.stringify({ dir: parsed.dir, ...stats, encoder: opened.encoder }, null, 2),
      );
      return;
    }
    const rows: [string, string][] = [
      ['directory', parsed.dir],
      ['documents', stats.documents.toLocaleString('en-US')],
      ['tokens', stats.tokens.toLocaleString('en-US')],
      ['token dim', String(stats.dim)],
      ['precision', `${stats.precision} (${stats.bytesPerToken} bytes a token)`],
      ['FDE dimension', String(stats.fdeDimension)],
      ['candidate index', stats.indexKind],
      ['disk', formatBytes(stats.diskBytes)],
      ['encoder', opened.encoder ? describeEncoder(opened.encoder) : 'none (vectors only)'],
    ];
    println(context, table(['setting', 'value'], rows));
  } finally {
    await opened.collection.close();
  }
};

function describeEncoder(spec: object): string {
  const fields = spec as Record<string, unknown>;
  const where = fields.path ?? fields.model ?? '';
  return `${String(fields.kind)}:${String(where)}`;
}

/** `muvera info`. */
export const infoCommand = defineCommand({
  meta: { name: 'info', description: 'Show configuration, counts and sizes of a collection' },
  args,
  run: ({ args: parsed, data }) => runInfo(data as CliContext, parsed),
});
