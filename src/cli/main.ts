/**
 * The `muvera` command. Results go to stdout, progress and diagnostics to stderr; failures
 * become exit codes through src/cli/exit-codes.ts.
 */
import { readFileSync } from 'node:fs';
import { defineCommand, runMain } from 'citty';
import { isMuveraError } from '../errors.js';
import { logger } from '../log.js';
import { EXIT_CODES, EXIT_INTERNAL, EXIT_OK } from './exit-codes.js';

function packageVersion(): string {
  const url = new URL('../../package.json', import.meta.url);
  return (JSON.parse(readFileSync(url, 'utf8')) as { version: string }).version;
}

const root = defineCommand({
  meta: {
    name: 'muvera',
    version: packageVersion(),
    description: 'Multi-vector retrieval with MUVERA fixed dimensional encodings',
  },
  subCommands: {},
});

/** Runs the CLI with the given arguments and resolves to the process exit code. */
export async function main(argv: string[]): Promise<number> {
  try {
    await runMain(root, { rawArgs: argv });
    return EXIT_OK;
  } catch (error) {
    if (isMuveraError(error)) {
      logger.error(error.message);
      return EXIT_CODES[error.code];
    }
    logger.error(error);
    return EXIT_INTERNAL;
  }
}
