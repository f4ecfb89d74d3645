/**
 * The `muvera` command. Results go to stdout, progress and diagnostics to stderr; failures
 * become exit codes through src/cli/exit-codes.ts.
 *
 * NOTE: citty's `runMain` calls `process.exit` itself, so the command is dispatched here and run
 * with `runCommand`; `main` then maps any error to an exit code and returns it, which also lets
 * the tests run the CLI in-process.
 */
import { readFileSync } from 'node:fs';
import { type ArgsDef, type CommandDef, defineCommand, renderUsage, runCommand } from 'citty';
import { isMuveraError, MuveraError } from '../errors.js';
import { setLogLevel } from '../log.js';
import { withPostgres } from '../postgres/open.js';
import { embeddedEngine } from '../server/embedded-engine.js';
import { renameParameter } from '../server/request-fields.js';
import { deleteCommand } from './commands/delete-command.js';
import { evalCommand } from './commands/eval-command.js';
import { indexCommand } from './commands/index-command.js';
import { infoCommand } from './commands/info-command.js';
import { migrateCommand } from './commands/migrate-command.js';
import { searchCommand } from './commands/search-command.js';
import { serveCommand } from './commands/serve-command.js';
import type { CliContext } from './context.js';
import { EXIT_CODES, EXIT_INTERNAL, EXIT_OK, EXIT_USAGE } from './exit-codes.js';
import { checkFlags, EXAMPLES, flagNames, UsageError } from './usage.js';

function packageVersion(): string {
  const url = new URL('../../package.json', import.meta.url);
  return (JSON.parse(readFileSync(url, 'utf8')) as { version: string }).version;
}

// biome-ignore lint/suspicious/noExplicitAny: commands differ in their argument definitions
const COMMANDS: Record<string, CommandDef<any>> = {
  index: indexCommand,
  search: searchCommand,
  serve: serveCommand,
  info: infoCommand,
  delete: deleteCommand,
  eval: evalCommand,
  migrate: migrateCommand,
};

const root = defineCommand({
  meta: {
    name: 'muvera',
    version: packageVersion(),
    description: 'Multi-vector retrieval with MUVERA fixed dimensional encodings',
  },
  subCommands: COMMANDS,
});

const HELP_FLAGS = ['--help', '-h'];
const VERSION_FLAGS = ['--version', '-v'];
/** Causes printed under an error with --verbose; a renamed error adds one level. */
const MAX_CAUSES = 4;

function waitForSignal(): Promise<void> {
  return new Promise((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
}

/** Runs the CLI with the given arguments and resolves to the process exit code. */
export async function main(argv: string[], overrides: Partial<CliContext> = {}): Promise<number> {
  const context: CliContext = {
    out: process.stdout,
    err: process.stderr,
    engine: withPostgres(embeddedEngine),
    rawArgs: argv.slice(1),
    version: packageVersion(),
    interrupted: waitForSignal,
    ...overrides,
  };
  try {
    return await dispatch(argv, context);
  } catch (error) {
    // Errors name what the user typed: the command's flags, not library parameters.
    const command =
      argv[0] !== undefined && Object.hasOwn(COMMANDS, argv[0]) ? COMMANDS[argv[0]] : undefined;
    const named = renameParameter(error, flagNames((command?.args ?? {}) as ArgsDef));
    return reportFailure(context, named, argv.includes('--verbose'));
  }
}

async function dispatch(argv: string[], context: CliContext): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || HELP_FLAGS.includes(name) || name === 'help') {
    context.out.write(`${plain(context, await help(root))}\n`);
    return name === undefined ? EXIT_USAGE : EXIT_OK;
  }
  if (VERSION_FLAGS.includes(name)) {
    context.out.write(`${packageVersion()}\n`);
    return EXIT_OK;
  }
  const command = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!command)
    throw new UsageError(
      `unknown command "${name}"; commands: ${Object.keys(COMMANDS).join(', ')}`,
    );
  if (rest.some((arg) => HELP_FLAGS.includes(arg))) {
    context.out.write(`${plain(context, await help(command, name))}\n`);
    return EXIT_OK;
  }

  if (rest.includes('--verbose')) setLogLevel('debug');
  else if (rest.includes('--quiet')) setLogLevel('error');
  checkFlags(rest, (command.args ?? {}) as ArgsDef);
  await runCommand(command, { rawArgs: rest, data: { ...context, rawArgs: rest } });
  return EXIT_OK;
}

async function help(command: CommandDef, name?: string): Promise<string> {
  const usage = await renderUsage(command, name ? root : undefined);
  const examples = EXAMPLES[name ?? 'muvera'] ?? [];
  if (examples.length === 0) return usage;
  return `${usage}\n\nEXAMPLES\n\n${examples.map((line) => `  ${line}`).join('\n')}\n`;
}

function reportFailure(context: CliContext, error: unknown, verbose: boolean): number {
  if (error instanceof UsageError || (error instanceof Error && error.name === 'CLIError')) {
    context.err.write(`muvera: ${stripColor(error.message)} (see --help)\n`);
    return EXIT_USAGE;
  }
  if (isMuveraError(error)) {
    context.err.write(`muvera: ${error.code}: ${error.message}\n`);
    if (verbose) writeCauses(context, error.cause);
    return EXIT_CODES[error.code];
  }
  const internal = new MuveraError('internal', 'unexpected failure (a bug; please report it)', {
    cause: error,
  });
  context.err.write(`muvera: ${internal.message}\n${String((error as Error)?.stack ?? error)}\n`);
  return EXIT_INTERNAL;
}

/** Each cause in the chain under an error, for --verbose. */
function writeCauses(context: CliContext, cause: unknown): void {
  for (let depth = 0; cause !== undefined && depth < MAX_CAUSES; depth++) {
    context.err.write(`cause: ${String((cause as Error)?.stack ?? cause)}\n`);
    cause = (cause as Error)?.cause;
  }
}

/** Help keeps citty's colours on a terminal only. */
function plain(context: CliContext, text: string): string {
  return (context.out as { isTTY?: boolean }).isTTY ? text : stripColor(text);
}

/** citty colours its messages; the CLI's diagnostics stay plain. */
function stripColor(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: matching ANSI colour sequences
  return text.replace(/\u001b\[[0-9;]*m/g, '');
}
