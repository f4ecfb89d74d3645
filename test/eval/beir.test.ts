import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import {
  datasetName,
  documentText,
  listBeirSplits,
  loadBeirDataset,
  readBeirCorpus,
  readBeirQrels,
  readBeirQueries,
} from '../../src/eval/beir.js';
import { computeEvalResult } from '../../src/eval/report.js';

const root = mkdtempSync(join(tmpdir(), 'muvera-beir-'));
after(() => rmSync(root, { recursive: true, force: true }));

/** Writes a BEIR folder: corpus and queries as JSON lines, qrels per split as TSV text. */
function writeBeir(
  name: string,
  files: { corpus?: string; queries?: string; qrels?: Record<string, string> },
): string {
  const folder = join(root, name);
  mkdirSync(join(folder, 'qrels'), { recursive: true });
  if (files.corpus !== undefined) writeFileSync(join(folder, 'corpus.jsonl'), files.corpus);
  if (files.queries !== undefined) writeFileSync(join(folder, 'queries.jsonl'), files.queries);
  for (const [split, text] of Object.entries(files.qrels ?? {})) {
    writeFileSync(join(folder, 'qrels', `${split}.tsv`), text);
  }
  return folder;
}

const lines = (...records: unknown[]) => `${records.map((r) => JSON.stringify(r)).join('\n')}\n`;

// A Cranfield-like dataset: graded judgments, a title-less document, CRLF line ends, a query
// without judgments in the test split, and a multibyte character.
const TINY = writeBeir('tiny', {
  corpus: lines(
    { _id: 'd1', title: 'Wings', text: 'lift of a wing', metadata: {} },
    { _id: 'd2', text: 'slipstream — propeller' },
    { _id: 3, title: 'Heat', text: 'heat transfer' },
  ).replace(/\n/g, '\r\n'),
  queries: lines(
    { _id: 'q1', text: 'wing lift' },
    { _id: 'q2', text: 'heat' },
    { _id: 'q3', text: 'not judged in test' },
  ),
  qrels: {
    test: 'query-id\tcorpus-id\tscore\nq1\td1\t3\nq1\td2\t1\nq2\t3\t2\nq2\td1\t0\n',
    train: 'query-id\tcorpus-id\tscore\nq3\td2\t1\n',
  },
});

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

/** Runs `action` and returns the MuveraError it rejects with. */
async function rejection(action: () => Promise<unknown>): Promise<Record<string, unknown>> {
  try {
    await action();
  } catch (error) {
    return error as Record<string, unknown>;
  }
  assert.fail('expected a rejection');
}

describe('BEIR loading', () => {
  it('streams the corpus with titles, CRLF ends and integer ids', async () => {
    const docs = await collect(readBeirCorpus(TINY));
    assert.deepEqual(docs, [
      { id: 'd1', title: 'Wings', text: 'lift of a wing' },
      { id: 'd2', title: '', text: 'slipstream — propeller' },
      { id: '3', title: 'Heat', text: 'heat transfer' },
    ]);
    assert.equal(documentText(docs[0]), 'Wings lift of a wing');
    assert.equal(documentText(docs[1]), 'slipstream — propeller');
  });

  it('reads graded judgments per split, skipping the header', async () => {
    const qrels = await readBeirQrels(TINY);
    assert.deepEqual(
      [...(qrels.get('q1') ?? [])],
      [
        ['d1', 3],
        ['d2', 1],
      ],
    );
    assert.deepEqual(
      [...(qrels.get('q2') ?? [])],
      [
        ['3', 2],
        ['d1', 0],
      ],
    );
    assert.deepEqual([...(await readBeirQrels(TINY, 'train')).keys()], ['q3']);
    assert.deepEqual((await listBeirSplits(TINY)).sort(), ['test', 'train']);
  });

  it('names a dataset after its folder, or after the parent of a beir subfolder', () => {
    assert.equal(datasetName('/data/scifact'), 'scifact');
    assert.equal(datasetName('/data/cranfield/beir'), 'cranfield');
    assert.equal(datasetName('/data/cranfield/beir/'), 'cranfield');
  });

  it('opens a dataset with the judged queries of the split', async () => {
    const dataset = await loadBeirDataset(TINY);
    assert.equal(dataset.name, 'tiny');
    assert.deepEqual(
      dataset.queries.map((q) => q.id),
      ['q1', 'q2'],
    );
    assert.equal(dataset.unjudgedQueries, 1);
    assert.equal((await collect(dataset.corpus())).length, 3);
    assert.equal((await readBeirQueries(TINY)).length, 3);
  });

  it('feeds computeEvalResult end to end', async () => {
    const dataset = await loadBeirDataset(TINY);
    const rankings = new Map([
      // q1: d2 (grade 1) then d1 (grade 3): DCG = 1 + 3/log2(3) = 2.892789;
      //     IDCG = 3 + 1/log2(3) = 3.630930; nDCG = 0.796708.
      [
        'q1',
        [
          { id: 'd2', score: 2 },
          { id: 'd1', score: 1 },
        ],
      ],
      // q2: 3 (grade 2) first: nDCG 1.
      ['q2', [{ id: '3', score: 5 }]],
    ]);
    const result = computeEvalResult({
      dataset: dataset.name,
      strategy: 'exact',
      rankings,
      qrels: dataset.qrels,
      latenciesMs: [1, 1],
    });
    // mean (0.796708 + 1) / 2 = 0.898354
    assert.equal(result.ndcgAt10?.toFixed(6), '0.898354');
    assert.equal(result.mrrAt10, 1);
  });

  it('names the file, line and offset of a malformed line', async () => {
    const folder = writeBeir('bad-json', {
      corpus: `${lines({ _id: 'a', text: 'x' })}{"_id": "b", "text": \n`,
    });
    const error = await rejection(() => collect(readBeirCorpus(folder)));
    assert.equal(error.code, 'parse-error');
    assert.equal(error.file, join(folder, 'corpus.jsonl'));
    assert.equal(error.offset, lines({ _id: 'a', text: 'x' }).length);
    assert.match(String(error.message), /corpus\.jsonl line 2: not valid JSON/);
  });

  it('rejects records without a usable _id or text', async () => {
    const cases = [
      [{ text: 'no id' }, /_id must be a non-empty string/],
      [{ _id: '', text: 'x' }, /_id must be/],
      [{ _id: 'a', text: 5 }, /text must be a string, got 5/],
      [['an', 'array'], /expected a JSON object/],
    ] as const;
    for (const [i, [record, message]] of cases.entries()) {
      const folder = writeBeir(`bad-record-${i}`, { corpus: lines(record) });
      const error = await rejection(() => collect(readBeirCorpus(folder)));
      assert.equal(error.code, 'parse-error');
      assert.match(String(error.message), message);
    }
  });

  it('rejects malformed qrels lines and repeated judgments, naming the line', async () => {
    const cases = [
      ['query-id\tcorpus-id\tscore\nq1 d1 1\n', /line 2: expected 3 tab-separated fields, got 1/],
      ['query-id\tcorpus-id\tscore\nq1\td1\tvery\n', /line 2: score must be an integer/],
      ['q1\td1\t1.5\n', /line 1: score must be an integer/],
      ['q1\td1\t1\nq1\td1\t2\n', /line 2: query q1 judges document d1 twice/],
    ] as const;
    for (const [i, [text, message]] of cases.entries()) {
      const folder = writeBeir(`bad-qrels-${i}`, { qrels: { test: text } });
      const error = await rejection(() => readBeirQrels(folder));
      assert.equal(error.code, 'parse-error');
      assert.match(String(error.message), message);
    }
  });

  it('accepts qrels without a header line', async () => {
    const folder = writeBeir('no-header', { qrels: { test: 'q1\td1\t1\n' } });
    assert.equal((await readBeirQrels(folder)).get('q1')?.get('d1'), 1);
  });

  it('rejects repeated query ids', async () => {
    const folder = writeBeir('dup-query', {
      queries: lines({ _id: 'q', text: 'a' }, { _id: 'q', text: 'b' }),
    });
    const error = await rejection(() => readBeirQueries(folder));
    assert.equal(error.code, 'parse-error');
    assert.match(String(error.message), /line 2: query id "q" repeats/);
  });

  it('reports missing folders, files, splits and judged queries as not-found', async () => {
    assert.equal((await rejection(() => loadBeirDataset(join(root, 'absent')))).code, 'not-found');
    assert.equal(
      (await rejection(() => collect(readBeirCorpus(join(root, 'absent'))))).code,
      'not-found',
    );

    const split = await rejection(() => readBeirQrels(TINY, 'dev'));
    assert.equal(split.code, 'not-found');
    assert.match(String(split.message), /Splits with judgments here: (test, train|train, test)/);

    const orphan = writeBeir('orphan', {
      queries: lines({ _id: 'q1', text: 'a' }),
      qrels: { test: 'query-id\tcorpus-id\tscore\nq1\td1\t1\nq9\td1\t1\n' },
    });
    const error = await rejection(() => loadBeirDataset(orphan));
    assert.equal(error.code, 'not-found');
    assert.match(String(error.message), /line 3: query q9 is not in queries\.jsonl/);
  });
});
