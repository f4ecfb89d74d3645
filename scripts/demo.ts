/**
 * `npm run demo`: builds (or reuses) a collection of BEIR SciFact (data/scifact, 5,183 abstracts)
 * with the bundled static encoder in .data/scifact, then serves it and prints the search page's
 * URL. Rerunning reuses the collection; an interrupted build resumes where it stopped (stored
 * documents are not encoded again).
 *
 * Flags after `--` go to `muvera serve` (e.g. `npm run demo -- --port 8080`).
 */
import { existsSync, writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { main } from '../src/cli/main.js';
import { embeddedEngine } from '../src/server/embedded-engine.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const COLLECTION = `${root}.data/scifact`;
const CORPUS = `${root}data/scifact`;
const ENCODER = `static:${root}data/encoders/fasttext-skipgram128`;
/** float16 halves token storage; Chamfer scores move by about 1e-3, rankings barely. */
const PRECISION = 'float16';

/** Written after a complete build, so later runs open the collection once, to serve it. */
const BUILT_MARKER = `${COLLECTION}.built`;

async function build(): Promise<number> {
  process.stderr.write(`building ${COLLECTION} (first run only; resumes if interrupted)\n`);
  const started = performance.now();
  const args = [
    'index',
    COLLECTION,
    '--corpus',
    CORPUS,
    '--encoder',
    ENCODER,
    '--precision',
    PRECISION,
  ];
  const code = await main(args);
  if (code !== 0) return code;
  process.stderr.write(`built in ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
  writeFileSync(BUILT_MARKER, `${new Date().toISOString()}\n`);
  return main(['info', COLLECTION]);
}

async function run(): Promise<number> {
  const reuse = existsSync(BUILT_MARKER) && (await embeddedEngine.isCollection(COLLECTION));
  if (reuse) process.stderr.write(`reusing ${COLLECTION} (delete it to rebuild)\n`);
  else {
    const built = await build();
    if (built !== 0) return built;
  }
  return main(['serve', COLLECTION, ...process.argv.slice(2)]);
}

run().then((code) => {
  process.exitCode = code;
});
