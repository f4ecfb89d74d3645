/** Flags every command takes, and the shape of a command's run function. */
import type { ArgsDef, ParsedArgs } from 'citty';
import type { CliContext } from '../context.js';

/** Keeps the literal types of a command's flags (citty derives the parsed types from them). */
export function defineArgs<const T extends ArgsDef>(args: T): T {
  return args;
}

/** `--verbose` and `--quiet`: the log level of the run (see src/log.ts). */
export const commonArgs = defineArgs({
  verbose: { type: 'boolean', description: 'Log details (debug level) on stderr' },
  quiet: { type: 'boolean', description: 'Log only errors; no progress bar' },
});

/** Runs a command with its parsed flags. */
export type Runner<A extends ArgsDef> = (context: CliContext, args: ParsedArgs<A>) => Promise<void>;
