/**
 * `muvera eval` end to end on a tiny BEIR folder made here, against the in-memory engine: the
 * JSON fields, values checked by hand, the sweep table and its SVG plot.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { EXIT_CODES, EXIT_OK } from '../../src/cli/exit-codes.js';
import { main } from '../../src/cli/main.js';
import { FakeEngine } from '../server/fake-engine.js';

const CORPUS = [
  { _id: 'a', title: '', text: 'aspirin stroke prevention' },
  { _id: 'b', title: '', text: 'statins cholesterol' },
  { _id: 'c', title: '', text: 'vitamin cholesterol bone' },
];
const QUERIES = [
  { _id: 'q1', text: 'aspirin' },
  { _id: 'q2', text: 'cholesterol' },
  { _id: 'q3', text: 'unjudged query' },
];
/**
 * q1's relevant document `a` ranks first. q2's relevant document `c` holds the query word, as
 * `b` does: both score exactly 1, and the tie goes to the smaller id, so `c` ranks second.
 */
const QRELS = 'query-id\tcorpus-id\tscore\nq1\ta\t1\nq2\tc\t1\n';

class Capture extends Writable {
  text = '';
  override _write(chunk: Buffer, _encoding: string, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
}

describe('muvera eval', () => {
  let root: string;
  let dataset: string;
  const engine = new FakeEngine();

  const run = async (...argv: string[]) => {
    const out = new Capture();
    const err = new Capture();
    const code = await main(argv, { out, err, engine, interrupted: () => Promise.resolve() });
    return { code, out: out.text, err: err.text };
  };

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'muvera-eval-'));
    dataset = join(root, 'tiny');
    await mkdir(join(dataset, 'qrels'), { recursive: true });
    const lines = (rows: object[]) => `${rows.map((row) => JSON.stringify(row)).join('\n')}\n`;
    await writeFile(join(dataset, 'corpus.jsonl'), lines(CORPUS));
    await writeFile(join(dataset, 'queries.jsonl'), lines(QUERIES));
    await writeFile(join(dataset, 'qrels', 'test.tsv'), QRELS);
  });
  after(() => rm(root, { recursive: true, force: true }));

  it('reports the documented JSON fields with hand-checked values', async () => {
    const result = await run(
      'eval',
      '--dataset',
      dataset,
      '--encoder',
      'fake',
      '--strategy',
      'exact',
      '--json',
      '--quiet',
    );
    assert.equal(result.code, EXIT_OK, result.err);
    const report = JSON.parse(result.out);
    for (const field of [
      'dataset',
      'strategy',
      'candidates',
      'queries',
      'ndcgAt10',
      'recallAt100',
      'mrrAt10',
    ]) {
      assert.ok(field in report, field);
    }
    assert.equal(report.dataset, 'tiny');
    assert.equal(report.queries, 2);
    assert.equal(report.candidates, null);
    // q1: rank 1 (nDCG 1, reciprocal rank 1); q2: rank 2 (nDCG 1 / log2(3), reciprocal rank 1/2).
    assert.equal(report.recallAt100, 1);
    assert.equal(report.recallVsExactAt10, 1);
    assert.ok(
      Math.abs(report.ndcgAt10 - (1 + 1 / Math.log2(3)) / 2) < 1e-12,
      String(report.ndcgAt10),
    );
    assert.ok(Math.abs(report.mrrAt10 - 0.75) < 1e-12, String(report.mrrAt10));
  });

  it('sweeps candidates into a table and an SVG plot, reusing a collection', async () => {
    const collection = join(root, 'built');
    const built = await run(
      'eval',
      '--dataset',
      dataset,
      '--encoder',
      'fake',
      '--collection',
      collection,
      '--quiet',
    );
    assert.equal(built.code, EXIT_OK, built.err);
    const plot = join(root, 'sweep.svg');
    const swept = await run(
      'eval',
      '--dataset',
      dataset,
      '--collection',
      collection,
      '--sweep',
      'candidates=1,3',
      '--plot',
      plot,
    );
    assert.equal(swept.code, EXIT_OK, swept.err);
    const rows = swept.out.trim().split('\n');
    assert.match(rows[0], /candidates\s+recall@10 vs exact/);
    assert.match(rows[1], /^fde\s+1\s/);
    assert.match(rows[2], /^fde\s+3\s/);
    assert.match(await readFile(plot, 'utf8'), /^<svg[\s\S]*<\/svg>\s*$/);
  });

  it('refuses a collection to reuse that does not exist, and a bad sweep', async () => {
    const missing = await run('eval', '--dataset', dataset, '--collection', join(root, 'none'));
    assert.equal(missing.code, EXIT_CODES['not-found']);
    const badSweep = await run(
      'eval',
      '--dataset',
      dataset,
      '--encoder',
      'fake',
      '--sweep',
      'k=1,2',
    );
    assert.equal(badSweep.code, EXIT_CODES['invalid-argument']);
  });
});
