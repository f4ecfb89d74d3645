/**
 * Child processes of the reliability tests start from one esbuild bundle instead of through tsx:
 * hundreds of them are spawned, and a bundle starts in about a fifth of tsx's CPU time. Packages
 * stay external; the bundle is written under node_modules/.cache so they resolve as usual.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { buildSync } from 'esbuild';

const CACHE = join(import.meta.dirname, '..', '..', 'node_modules', '.cache', 'muvera-reliability');

/** Bundles the TypeScript entry `file` (in this folder) and returns the bundle's path. */
export function bundleChild(file: string): string {
  mkdirSync(CACHE, { recursive: true });
  const outfile = join(CACHE, file.replace(/\.ts$/, '.mjs'));
  buildSync({
    entryPoints: [join(import.meta.dirname, file)],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    outfile,
    logLevel: 'warning',
  });
  return outfile;
}
