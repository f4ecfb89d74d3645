import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const root = fileURLToPath(new URL('..', import.meta.url));
const readme = readFileSync(`${root}README.md`, 'utf8');

/** The body of the first fenced block of the given language in the README. */
function block(language: string): string {
  const match = new RegExp(`\`\`\`${language}\\n([\\s\\S]*?)\`\`\``).exec(readme);
  assert.ok(match, `README has no ${language} block`);
  return match[1];
}

it('the README example is examples/quickstart.ts, importing the package by name', () => {
  const example = readFileSync(`${root}examples/quickstart.ts`, 'utf8')
    .replace(/^\/\/.*\n/, '')
    .replace("from '../src/index.js'", "from 'muvera'");
  assert.equal(block('ts'), example);
});

it('examples/quickstart.ts prints the output the README shows', async () => {
  const run = promisify(execFile);
  const { stdout } = await run(process.execPath, ['--import', 'tsx', 'examples/quickstart.ts'], {
    cwd: root,
  });
  assert.equal(stdout, block('text'));
});
