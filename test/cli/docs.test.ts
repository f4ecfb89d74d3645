/**
 * docs/cli.md and docs/server.md against the code: every flag, every route, and the exit-code and
 * HTTP-status tables, so the docs cannot drift from what the program does.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { it } from 'node:test';
import type { ArgsDef } from 'citty';
import { deleteCommand } from '../../src/cli/commands/delete-command.js';
import { evalCommand } from '../../src/cli/commands/eval-command.js';
import { indexCommand } from '../../src/cli/commands/index-command.js';
import { infoCommand } from '../../src/cli/commands/info-command.js';
import { migrateCommand } from '../../src/cli/commands/migrate-command.js';
import { searchCommand } from '../../src/cli/commands/search-command.js';
import { serveCommand } from '../../src/cli/commands/serve-command.js';
import { EXIT_CODES } from '../../src/cli/exit-codes.js';
import { ERROR_CODES } from '../../src/errors.js';
import { createApp } from '../../src/server/app.js';
import { Catalog } from '../../src/server/catalog.js';
import { HTTP_STATUS } from '../../src/server/status-codes.js';
import { FakeEngine } from '../server/fake-engine.js';

const read = (name: string) => readFileSync(new URL(`../../docs/${name}`, import.meta.url), 'utf8');

/** The table row (a line starting with `| <first cell>`) of a doc. */
function row(text: string, firstCell: string): string {
  const line = text
    .split('\n')
    .find((candidate) => new RegExp(`^\\| ${firstCell} +\\|`).test(candidate));
  assert.ok(line, `no row for ${firstCell}`);
  return line;
}

it('docs/cli.md documents every flag of every command', () => {
  const docs = read('cli.md');
  const commands = [
    indexCommand,
    searchCommand,
    serveCommand,
    infoCommand,
    deleteCommand,
    evalCommand,
    migrateCommand,
  ];
  for (const command of commands) {
    for (const [name, def] of Object.entries(command.args as ArgsDef)) {
      if (def.type !== 'positional')
        assert.ok(docs.includes(`\`--${name}`), `--${name} is not in docs/cli.md`);
    }
  }
});

it('docs/cli.md states the exit code of every error code', () => {
  const docs = read('cli.md');
  for (const code of ERROR_CODES) {
    assert.match(
      row(docs, String(EXIT_CODES[code])),
      new RegExp(`\`${code}\``),
      `${code} -> ${EXIT_CODES[code]}`,
    );
  }
});

it('docs/server.md states the status of every error code and lists every route', async () => {
  const docs = read('server.md');
  for (const code of ERROR_CODES) {
    assert.match(
      row(docs, String(HTTP_STATUS[code])),
      new RegExp(`\`${code}\``),
      `${code} -> ${HTTP_STATUS[code]}`,
    );
  }
  const app = createApp({ catalog: new Catalog(new FakeEngine()) });
  const openapi = (await (await app.request('/openapi.json')).json()) as {
    paths: Record<string, object>;
  };
  for (const [path, operations] of Object.entries(openapi.paths)) {
    for (const method of Object.keys(operations)) {
      assert.ok(
        docs.includes(`\`${method.toUpperCase()} ${path}`),
        `${method} ${path} is not in docs/server.md`,
      );
    }
  }
});

it("docs/server.md states the search page's default candidates", () => {
  const page = readFileSync(new URL('../../src/web/index.html', import.meta.url), 'utf8');
  const value = /id="candidates"[^>]*value="(\d+)"/.exec(page)?.[1];
  assert.ok(value, 'src/web/index.html has no candidates field with a value');
  assert.ok(read('server.md').includes(`**${value} candidates**`), `page default ${value}`);
});
