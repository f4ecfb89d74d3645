#!/usr/bin/env node
// Runs every test file under test/ (or those named on the command line) with Node's built-in
// runner, TypeScript loaded through tsx. Node 20's runner takes no globs for .ts files, so the
// files are listed here. Usage: npm test [-- path/or/dir ...]
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

function collect(path) {
  if (statSync(path).isFile()) return [path];
  return readdirSync(path, { withFileTypes: true })
    .filter((entry) => entry.name !== 'fixtures' && entry.name !== 'node_modules')
    .flatMap((entry) => {
      const child = join(path, entry.name);
      if (entry.isDirectory()) return collect(child);
      return entry.name.endsWith('.test.ts') ? [child] : [];
    });
}

const roots = process.argv.slice(2);
const files = (roots.length > 0 ? roots : ['test']).flatMap(collect).sort();
if (files.length === 0) {
  console.error('no test files found');
  process.exit(1);
}

const result = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', '--test-reporter=spec', ...files],
  { stdio: 'inherit', env: { ...process.env, MUVERA_TEST: '1' } },
);
process.exit(result.status ?? 1);
