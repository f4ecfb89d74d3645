#!/usr/bin/env node
// Lists or runs the benchmark scenarios of bench/ (one scenario a file, results written to
// bench/results/). A scenario is a bench/*.ts file that exports nothing (helper modules such as
// harness.ts export) and whose leading comment says how to run it.
//
// Usage: npm run bench                      lists the scenarios with their first comment line
//        npm run bench -- NAME [ARGS...]    runs bench/NAME.ts with ARGS (e.g. --full)
//        npm run bench -- NAME,NAME [ARGS]  runs several in turn with the same ARGS
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const BENCH = join(import.meta.dirname, '..', 'bench');

/** The leading block comment of a source file, without its comment markers. */
function leadingComment(source) {
  const match = /^\s*\/\*\*?([\s\S]*?)\*\//.exec(source);
  if (!match) return '';
  return match[1]
    .split('\n')
    .map((line) => line.replace(/^\s*\* ?/, '').trim())
    .join('\n')
    .trim();
}

function scenarios() {
  return readdirSync(BENCH)
    .filter((name) => name.endsWith('.ts'))
    .flatMap((name) => {
      const source = readFileSync(join(BENCH, name), 'utf8');
      const comment = leadingComment(source);
      if (/^export /m.test(source) || !comment.includes('Run:')) return [];
      const summary = comment.split(/(?<=\.)\s|\n\n/)[0].replace(/\s+/g, ' ');
      const short = summary.length > 100 ? `${summary.slice(0, 97)}...` : summary;
      return [{ name: name.slice(0, -'.ts'.length), summary: short }];
    })
    .sort((a, b) => a.name.localeCompare(b.name));
}

const [selection, ...args] = process.argv.slice(2);
const known = scenarios();
if (!selection || selection === '--list') {
  const width = Math.max(...known.map((s) => s.name.length));
  for (const s of known) console.log(`${s.name.padEnd(width)}  ${s.summary}`);
  console.log('\nRun one: npm run bench -- NAME [--full]   (results in bench/results/NAME.md)');
  process.exit(0);
}

const names = selection.split(',');
const unknown = names.filter((name) => !known.some((s) => s.name === name));
if (unknown.length > 0) {
  console.error(`unknown scenario ${unknown.join(', ')}; run \`npm run bench\` to list them`);
  process.exit(2);
}
for (const name of names) {
  console.error(`== ${name} ${args.join(' ')}`);
  const result = spawnSync(
    process.execPath,
    ['--import', 'tsx', join(BENCH, `${name}.ts`), ...args],
    {
      stdio: 'inherit',
    },
  );
  if (result.status !== 0) process.exit(result.status ?? 1);
}
