/** The committed wasm/chamfer.wasm is what `npm run build:wasm` makes from wasm/chamfer.ts. */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { it } from 'node:test';

const root = join(import.meta.dirname, '../..');

/** The build:wasm script of package.json, with its output redirected to `outFile`. */
function buildCommand(outFile: string): string[] {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  const args: string[] = pkg.scripts['build:wasm'].split(' ');
  assert.equal(args[0], 'asc');
  const at = args.indexOf('--outFile');
  args[at + 1] = outFile;
  return args.slice(1);
}

it('rebuilding the WebAssembly kernel reproduces the committed bytes', () => {
  const dir = mkdtempSync(join(tmpdir(), 'muvera-wasm-'));
  try {
    const outFile = join(dir, 'chamfer.wasm');
    const asc = join(root, 'node_modules/assemblyscript/bin/asc.js');
    execFileSync(process.execPath, [asc, ...buildCommand(outFile)], { cwd: root });
    const committed = readFileSync(join(root, 'wasm/chamfer.wasm'));
    assert.ok(readFileSync(outFile).equals(committed), 'run `npm run build:wasm` and commit');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
