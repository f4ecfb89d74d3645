/**
 * What the CLI refuses, and how it says so: token rows of the wrong width (even when their total
 * is a multiple of dim), flags given without a value, flags that cannot change an existing
 * collection, a search with no query, and library errors named by the flag the user typed.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { EXIT_CODES, EXIT_OK, EXIT_USAGE } from '../../src/cli/exit-codes.js';
import { embeddedEngine } from '../../src/server/embedded-engine.js';
import { FAKE_DIM, FakeEngine } from '../server/fake-engine.js';
import { type Run, runCli } from './helpers.js';

/** A row of `width` numbers: `value` first, zeros after. */
const row = (value: number, width: number) =>
  Array.from({ length: width }, (_, i) => (i === 0 ? value : 0));

const jsonl = (lines: object[]) => `${lines.map((line) => JSON.stringify(line)).join('\n')}\n`;

describe('CLI input checks', () => {
  let root: string;
  let corpus: string;
  const engine = new FakeEngine();
  const run = (...argv: string[]): Promise<Run> => runCli(engine, ...argv);

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'muvera-cli-checks-'));
    corpus = join(root, 'corpus.jsonl');
    await writeFile(corpus, jsonl([{ _id: 't1', text: 'aspirin and stroke' }]));
    const built = await run('index', join(root, 'notes'), '--corpus', corpus, '--encoder', 'fake');
    assert.equal(built.code, EXIT_OK, built.err);
  });
  after(() => rm(root, { recursive: true, force: true }));

  it('index skips a line whose rows are 2 x dim wide, with a note naming the row', async () => {
    const file = join(root, 'vec8.jsonl');
    await writeFile(
      file,
      jsonl([
        { id: 'v4', vectors: [row(1, 4)] },
        { id: 'v8', vectors: [row(1, 8)] },
      ]),
    );
    const dir = join(root, 'dim4');
    const result = await run('index', dir, '--corpus', file, '--dim', '4', '--json', '--quiet');
    assert.equal(result.code, EXIT_OK, result.err);
    const summary = JSON.parse(result.out);
    assert.equal(summary.indexed, 1);
    assert.deepEqual(summary.skipped, [
      {
        id: 'v8',
        code: 'dimension-mismatch',
        message: 'vectors[0] has 8 numbers, expected dim 4',
      },
    ]);
    assert.equal((await engine.collections.get(dir)?.collection.stats())?.tokens, 1);
  });

  it('search --vectors refuses rows of 2 x dim numbers, naming --vectors', async () => {
    const file = join(root, 'wide-query.json');
    await writeFile(file, JSON.stringify([row(1, 2 * FAKE_DIM)]));
    const result = await run('search', join(root, 'notes'), '--vectors', file);
    assert.equal(result.code, EXIT_CODES['dimension-mismatch'], result.err);
    assert.equal(result.out, '');
    assert.match(
      result.err,
      new RegExp(`--vectors\\[0\\] has ${2 * FAKE_DIM} numbers, expected dim ${FAKE_DIM}`),
    );
  });

  it('refuses a string flag given without a value, with the usage exit code', async () => {
    const notes = join(root, 'notes');
    const cases: [argv: string[], message: string][] = [
      [['serve', notes, '--port', '0', '--host'], '--host needs a value, e.g. 127.0.0.1'],
      [['serve', notes, '--host=', '--port', '0'], '--host needs a value, e.g. 127.0.0.1'],
      [['serve', notes, '--host', '', '--port', '0'], '--host needs a value, e.g. 127.0.0.1'],
      [['serve', notes, '--host', '--port', '0'], '--host needs a value, e.g. 127.0.0.1'],
      [['serve', notes, '--port', '0', '--api-key'], '--api-key needs a value'],
      [['serve', notes, '--port='], '--port needs a value, e.g. 7700'],
      [['index', notes, '--corpus', corpus, '--encoder'], '--encoder needs a value, e.g. static:'],
      [['search', notes, 'aspirin', '--candidates', '--k', '3'], '--candidates needs a value'],
    ];
    for (const [argv, message] of cases) {
      const result = await run(...argv);
      assert.equal(result.code, EXIT_USAGE, `${argv.join(' ')}: ${result.err}`);
      assert.ok(result.err.includes(message), `${argv.join(' ')}: ${result.err}`);
      assert.equal(result.out, '', argv.join(' '));
    }
  });

  it('index notes that --precision cannot change an existing collection', async () => {
    const result = await run(
      'index',
      join(root, 'notes'),
      '--corpus',
      corpus,
      '--precision',
      'int8',
      '--quiet',
    );
    assert.equal(result.code, EXIT_OK, result.err);
    assert.match(result.err, /note: .*--precision/);
  });

  it('index refuses an --encoder other than the one the collection stores', async () => {
    const notes = join(root, 'notes');
    const same = await run('index', notes, '--corpus', corpus, '--encoder', 'fake', '--quiet');
    assert.equal(same.code, EXIT_OK, same.err);

    const other = await run('index', notes, '--corpus', corpus, '--encoder', 'other', '--quiet');
    assert.equal(other.code, EXIT_CODES['config-mismatch'], other.err);
    assert.match(other.err, /^muvera: config-mismatch: --encoder/);
    assert.match(other.err, /"other"/);
    assert.match(other.err, /built with static:fake/);

    const vectorsOnly = await run(
      'index',
      join(root, 'dim4'),
      '--corpus',
      corpus,
      '--encoder',
      'fake',
    );
    assert.equal(vectorsOnly.code, EXIT_CODES['config-mismatch'], vectorsOnly.err);
    assert.match(vectorsOnly.err, /no encoder/);
  });

  it('search without query text or --vectors asks for one; with both, for only one', async () => {
    const notes = join(root, 'notes');
    const neither = await run('search', notes);
    assert.equal(neither.code, EXIT_CODES['invalid-argument']);
    assert.match(neither.err, /give query text or --vectors <file>/);
    assert.doesNotMatch(neither.err, /not both|\(none\)/);

    const file = join(root, 'query.json');
    await writeFile(file, JSON.stringify([row(1, FAKE_DIM)]));
    const both = await run('search', notes, 'aspirin', '--vectors', file);
    assert.equal(both.code, EXIT_CODES['invalid-argument']);
    assert.match(both.err, /not both/);
  });
});

describe('CLI errors from the real engine', () => {
  let root: string;
  const run = (...argv: string[]): Promise<Run> => runCli(embeddedEngine, ...argv);

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'muvera-cli-real-'));
  });
  after(() => rm(root, { recursive: true, force: true }));

  it('a missing static: path names the encoder spec and what to check', async () => {
    const corpus = join(root, 'text.jsonl');
    await writeFile(corpus, jsonl([{ _id: 'a', text: 'words' }]));
    const spec = `static:${join(root, 'no-such-vectors')}`;
    const result = await run('index', join(root, 'text'), '--corpus', corpus, '--encoder', spec);
    assert.equal(result.code, EXIT_CODES['not-found'], result.err);
    assert.ok(result.err.includes(`--encoder "${spec}"`), result.err);
    assert.match(result.err, /check the path after "static:"/i);
  });

  it('names --candidates and --vectors, not the library parameters', async () => {
    const file = join(root, 'vectors.jsonl');
    await writeFile(
      file,
      jsonl([
        { id: 'a', vectors: [row(1, 4)] },
        { id: 'b', vectors: [row(-1, 4)] },
      ]),
    );
    const dir = join(root, 'vectors');
    const built = await run('index', dir, '--corpus', file, '--dim', '4', '--quiet');
    assert.equal(built.code, EXIT_OK, built.err);

    const query = join(root, 'query.json');
    await writeFile(query, JSON.stringify([row(1, 4)]));
    const few = await run('search', dir, '--vectors', query, '--k', '50', '--candidates', '10');
    assert.equal(few.code, EXIT_CODES['invalid-argument'], few.err);
    assert.match(
      few.err,
      /^muvera: invalid-argument: --candidates must be at least k \(50\), got 10/,
    );

    await writeFile(query, JSON.stringify([row(0, 4)]));
    const padding = await run('search', dir, '--vectors', query);
    assert.equal(padding.code, EXIT_CODES['empty-input'], padding.err);
    assert.match(padding.err, /^muvera: empty-input: --vectors has only padding rows/);
  });
});
