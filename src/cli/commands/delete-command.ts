/** `muvera delete <dir> <id...>`: deletes documents; unknown ids are reported, not fatal. */
import { defineCommand } from 'citty';
import { invalidArgument } from '../../errors.js';
import { type CliContext, println } from '../context.js';
import { commonArgs, defineArgs, type Runner } from './common.js';

const args = defineArgs({
  dir: { type: 'positional', description: 'Collection directory', required: true },
  ids: { type: 'positional', description: 'Document ids to delete (one or more)', required: true },
  json: { type: 'boolean', description: 'Print the result as JSON' },
  ...commonArgs,
});

const runDelete: Runner<typeof args> = async (context, parsed) => {
  const ids = parsed._.slice(1).filter((id) => id !== '');
  if (ids.length === 0) throw invalidArgument('ids', 'at least one document id', ids);
  const opened = await context.engine.openCollection(parsed.dir);
  try {
    const result = await opened.collection.delete(ids);
    if (parsed.json) {
      println(context, JSON.stringify(result));
      return;
    }
    println(context, `deleted ${result.deleted.length}, missing ${result.missing.length}`);
    if (result.missing.length > 0) context.err.write(`not found: ${result.missing.join(' ')}\n`);
  } finally {
    await opened.collection.close();
  }
};

/** `muvera delete`. */
export const deleteCommand = defineCommand({
  meta: { name: 'delete', description: 'Delete documents by id' },
  args,
  run: ({ args: parsed, data }) => runDelete(data as CliContext, parsed),
});
