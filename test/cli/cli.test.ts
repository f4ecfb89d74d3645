/**
 * The CLI run in-process against the in-memory engine: output streams, exit codes, help, flags,
 * resumable indexing with skipped documents, and every search output mode.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { EXIT_CODES, EXIT_OK, EXIT_USAGE } from '../../src/cli/exit-codes.js';
import { main } from '../../src/cli/main.js';
import { FakeEngine } from '../server/fake-engine.js';
import { Capture, type Run, runCli } from './helpers.js';

const COMMANDS = ['index', 'search', 'serve', 'info', 'delete', 'eval'];

const CORPUS = [
  {
    _id: 'd1',
    title: 'Aspirin',
    text: 'Aspirin lowers the risk of stroke in adults.',
    metadata: { year: 2020 },
  },
  { _id: 'd2', text: 'Statins lower cholesterol and heart risk.', metadata: { year: 2021 } },
  { _id: 'd3', text: 'the of a' },
  { _id: 'd4', text: '' },
  {
    _id: 'd5',
    text: 'Vitamin D supplements and bone density in older women.',
    metadata: { year: 2021 },
  },
  { _id: 'd6', text: 'Stroke rehabilitation with aspirin and exercise.', metadata: { year: 2019 } },
];

describe('muvera CLI', () => {
  let root: string;
  let corpus: string;
  let engine: FakeEngine;

  const run = async (...argv: string[]): Promise<Run> => {
    return runCli(engine, ...argv);
  };

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'muvera-cli-'));
    corpus = join(root, 'corpus.jsonl');
    await writeFile(corpus, `${CORPUS.map((doc) => JSON.stringify(doc)).join('\n')}\n`);
    engine = new FakeEngine();
  });
  after(() => rm(root, { recursive: true, force: true }));

  it('prints help with examples for every command, on stdout, exit 0', async () => {
    for (const command of COMMANDS) {
      const result = await run(command, '--help');
      assert.equal(result.code, EXIT_OK, command);
      assert.match(result.out, /USAGE/, command);
      assert.match(result.out, new RegExp(`EXAMPLES[\\s\\S]*muvera ${command}`), command);
      assert.equal(result.err, '');
    }
    const top = await run('--help');
    assert.match(top.out, /index[\s\S]*search[\s\S]*serve/);
  });

  it('refuses unknown commands, unknown flags and missing arguments with the usage code', async () => {
    for (const argv of [
      ['frobnicate'],
      ['search', 'x', 'q', '--candidate', '5'],
      ['index', join(root, 'c')],
      [],
    ]) {
      const result = await run(...argv);
      assert.equal(result.code, EXIT_USAGE, argv.join(' '));
      assert.equal(result.out === '' || argv.length === 0, true);
    }
  });

  it('indexes a corpus, reports and skips unencodable documents, and resumes without re-encoding', async () => {
    const dir = join(root, 'notes');
    const first = await run(
      'index',
      dir,
      '--corpus',
      corpus,
      '--encoder',
      'fake',
      '--limit',
      '2',
      '--quiet',
    );
    assert.equal(first.code, EXIT_OK, first.err);
    assert.match(first.out, /^indexed 2, already stored 0, skipped 0 /);
    assert.equal(engine.encoded.documents, 2);

    const second = await run('index', dir, '--corpus', corpus, '--json', '--quiet');
    assert.equal(second.code, EXIT_OK, second.err);
    const summary = JSON.parse(second.out);
    assert.equal(summary.indexed, 2);
    assert.equal(summary.alreadyStored, 2);
    assert.deepEqual(
      summary.skipped.map((skip: { id: string; code: string }) => [skip.id, skip.code]),
      [
        ['d3', 'empty-input'],
        ['d4', 'empty-input'],
      ],
    );
    assert.equal(engine.encoded.documents, 2 + 4, 'stored documents are not encoded again');

    const info = await run('info', dir, '--json');
    assert.equal(JSON.parse(info.out).documents, 4);
  });

  it('reads a BEIR folder and shows progress on stderr only', async () => {
    const beir = join(root, 'beir');
    await mkdir(beir);
    await writeFile(join(beir, 'corpus.jsonl'), `${JSON.stringify(CORPUS[0])}\n`);
    const result = await run(
      'index',
      join(root, 'from-beir'),
      '--corpus',
      beir,
      '--encoder',
      'fake',
    );
    assert.equal(result.code, EXIT_OK, result.err);
    assert.match(result.err, /indexing/);
    assert.doesNotMatch(result.out, /indexing \[/);
  });

  it('indexes precomputed vectors with --dim, skipping a line of the wrong width', async () => {
    const file = join(root, 'vectors.jsonl');
    const row = (value: number, width: number) =>
      Array.from({ length: width }, (_, i) => (i === 0 ? value : 0));
    const lines = [
      { id: 'v1', vectors: [row(1, 8), row(0.5, 8)] },
      { id: 'v2', vectors: [row(1, 7)] },
      { id: 'v3', vectors: [row(-1, 8)], metadata: { kind: 'negative' } },
    ];
    await writeFile(file, `${lines.map((line) => JSON.stringify(line)).join('\n')}\n`);
    const result = await run(
      'index',
      join(root, 'vectors'),
      '--corpus',
      file,
      '--dim',
      '8',
      '--json',
      '--quiet',
    );
    assert.equal(result.code, EXIT_OK, result.err);
    const summary = JSON.parse(result.out);
    assert.equal(summary.indexed, 2);
    assert.deepEqual(
      summary.skipped.map((skip: { id: string; code: string }) => [skip.id, skip.code]),
      [['v2', 'dimension-mismatch']],
    );
    const text = await run('search', join(root, 'vectors'), 'words need an encoder');
    assert.equal(text.code, EXIT_CODES['invalid-argument']);
    assert.match(text.err, /has no encoder/);
  });

  it('searches: table, JSON, explain with matched words, stats, filter, vectors', async () => {
    const dir = join(root, 'notes');
    const table = await run('search', dir, 'aspirin stroke', '--k', '2');
    assert.equal(table.code, EXIT_OK, table.err);
    const rows = table.out.trim().split('\n');
    assert.match(rows[0], /#\s+score\s+id\s+text/);
    assert.match(rows[2], /^1\s+2\.0000\s+d1\s+Aspirin/);
    assert.equal(rows.length, 4);

    const explained = await run(
      'search',
      dir,
      'aspirin stroke',
      '--k',
      '1',
      '--explain',
      '--stats',
    );
    assert.match(explained.out, /1\. d1: aspirin -> Aspirin 1\.00, stroke -> stroke 1\.00/);
    assert.match(explained.out, /exact scorings\s+4/);

    const json = JSON.parse(
      (await run('search', dir, 'aspirin', '--json', '--explain', '--filter', 'year=2021')).out,
    );
    assert.deepEqual(
      json.hits.map((hit: { id: string }) => hit.id),
      ['d2', 'd5'],
    );
    assert.deepEqual(json.query, ['aspirin']);
    assert.ok(json.hits[0].matches[0].span);

    const vectorsFile = join(root, 'query.json');
    const stored = await engine.collections.get(dir)?.collection.get('d1');
    await writeFile(
      vectorsFile,
      JSON.stringify({ vectors: [Array.from(stored?.tokens.subarray(0, 8) ?? [])] }),
    );
    const byVectors = JSON.parse(
      (await run('search', dir, '--vectors', vectorsFile, '--json', '--k', '1')).out,
    );
    assert.equal(byVectors.hits[0].id, 'd1');
  });

  it('deletes ids, reporting unknown ones', async () => {
    const dir = join(root, 'notes');
    const result = await run('delete', dir, 'd2', 'nope', '--json');
    assert.equal(result.code, EXIT_OK);
    assert.deepEqual(JSON.parse(result.out), { deleted: ['d2'], missing: ['nope'] });
  });

  it('maps errors to exit codes and writes them to stderr', async () => {
    const missing = await run('search', join(root, 'absent'), 'x');
    assert.equal(missing.code, EXIT_CODES['not-found']);
    assert.match(missing.err, /^muvera: not-found: /);
    assert.equal(missing.out, '');

    const badK = await run('search', join(root, 'notes'), 'x', '--k', '0');
    assert.equal(badK.code, EXIT_CODES['invalid-argument']);
    assert.match(badK.err, /--k must be an integer >= 1, got "0"/);
  });

  it('serves until interrupted and prints the page URL', async () => {
    const out = new Capture();
    let stop = () => {};
    const stopped = new Promise<void>((resolve) => {
      stop = resolve;
    });
    const running = main(['serve', join(root, 'notes'), '--port', '0'], {
      out,
      err: new Capture(),
      engine,
      interrupted: () => stopped,
    });
    while (!out.text.includes('search page'))
      await new Promise((resolve) => setTimeout(resolve, 10));
    const url = /search page: (\S+)\//.exec(out.text)?.[1];
    const health = await fetch(`${url}/health`);
    assert.equal(health.status, 200);
    const listed = (await (await fetch(`${url}/v1/collections`)).json()) as {
      collections: { name: string }[];
    };
    assert.equal(listed.collections[0].name, 'notes');
    stop();
    assert.equal(await running, EXIT_OK);
  });
});
