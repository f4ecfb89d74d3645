import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { type DocumentFdeEncoder, exportFdes } from '../../src/encoders/fde-export.js';
import { npyHeader, readNpyNumbers } from '../../src/encoders/npy.js';
import { writeSafetensors } from '../../src/encoders/safetensors.js';
import { type ImportedTokens, readTokenVectors } from '../../src/encoders/token-import.js';
import { FdeEncoder } from '../../src/fde/encoder.js';

const dir = mkdtempSync(join(tmpdir(), 'muvera-import-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const DIM = 3;
/** Three sets of 2, 1 and 3 rows; value = set * 100 + row * 10 + column. */
const SETS = [2, 1, 3].map((rows, set) =>
  Array.from({ length: rows }, (_, row) =>
    Array.from({ length: DIM }, (_, j) => set * 100 + row * 10 + j),
  ),
);
const FLAT = Float32Array.from(SETS.flat(2));
const OFFSETS = [0, 2, 3, 6];

async function collect(iterable: AsyncIterable<ImportedTokens>): Promise<ImportedTokens[]> {
  const out: ImportedTokens[] = [];
  for await (const set of iterable) out.push(set);
  return out;
}

function assertSets(sets: ImportedTokens[], ids: string[]) {
  assert.deepEqual(
    sets.map((set) => set.id),
    ids,
  );
  sets.forEach((set, i) => {
    assert.equal(set.dim, DIM);
    assert.equal(set.numTokens, SETS[i].length);
    assert.deepEqual(Array.from(set.data), SETS[i].flat());
  });
}

function writeNpy(
  name: string,
  descr: '<f4' | '<i8',
  shape: number[],
  values: Float32Array | BigInt64Array,
) {
  const file = join(dir, name);
  writeFileSync(file, Buffer.concat([npyHeader(descr, shape), Buffer.from(values.buffer)]));
  return file;
}

function writeLines(name: string, lines: string[]): string {
  const file = join(dir, name);
  writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

describe('readTokenVectors: JSON Lines', () => {
  it('streams records with string or number ids', async () => {
    const lines = SETS.map((vectors, i) => JSON.stringify({ id: i === 1 ? 7 : `d${i}`, vectors }));
    const sets = await collect(readTokenVectors(writeLines('ok.jsonl', ['', ...lines])));
    assertSets(sets, ['d0', '7', 'd2']);
  });

  it('names file, line and problem', async () => {
    const good = JSON.stringify({ id: 'a', vectors: [[1, 2, 3]] });
    const cases: [string, string, string][] = [
      ['{"id": "b", "vectors": [[1, 2', 'parse-error', 'not valid JSON'],
      ['{"vectors": [[1, 2, 3]]}', 'parse-error', '"id" must be'],
      ['{"id": "b", "vectors": [[1, 2]]}', 'dimension-mismatch', 'row 0 must be an array of 3'],
      ['{"id": "b", "vectors": [[1, "x", 3]]}', 'parse-error', 'row 0 value 1 is "x"'],
      ['{"id": "b", "vectors": []}', 'parse-error', '"vectors" must be a non-empty'],
    ];
    for (const [index, [line, code, problem]] of cases.entries()) {
      const file = writeLines(`bad${index}.jsonl`, [good, line]);
      const message = new RegExp(
        `bad${index}\\.jsonl line 2: ${problem.replace(/[[\]]/g, '\\$&')}`,
      );
      await assert.rejects(collect(readTokenVectors(file)), { code, message });
    }
  });

  it('checks the expected dim from the first record on', async () => {
    const file = writeLines('dim.jsonl', [JSON.stringify({ id: 'a', vectors: [[1, 2, 3]] })]);
    await assert.rejects(collect(readTokenVectors(file, { dim: 4 })), {
      code: 'dimension-mismatch',
    });
  });
});

describe('readTokenVectors: .npy with offsets or counts', () => {
  const vectors = writeNpy('vectors.npy', '<f4', [6, DIM], FLAT);

  it('reads sets by offsets, ids from a text file', async () => {
    const offsets = writeNpy('offsets.npy', '<i8', [4], BigInt64Array.from(OFFSETS, BigInt));
    const ids = writeLines('ids.txt', ['x', 'y', 'z']);
    assertSets(await collect(readTokenVectors(vectors, { offsets, ids })), ['x', 'y', 'z']);
  });

  it('reads sets by counts, ids by position', async () => {
    const counts = writeNpy('counts.npy', '<i8', [3], BigInt64Array.from([2n, 1n, 3n]));
    assertSets(await collect(readTokenVectors(vectors, { counts })), ['0', '1', '2']);
  });

  it('reads float16 matrices', async () => {
    const half = Uint16Array.from(FLAT, (x) => (x === 0 ? 0 : 0x3c00));
    const header = npyHeader('<f4', [6, DIM]).toString('latin1').replace('<f4', '<f2');
    const file = join(dir, 'half.npy');
    writeFileSync(file, Buffer.concat([Buffer.from(header, 'latin1'), Buffer.from(half.buffer)]));
    const counts = writeNpy('counts6.npy', '<i8', [1], BigInt64Array.from([6n]));
    const [set] = await collect(readTokenVectors(file, { counts }));
    assert.deepEqual(Array.from(set.data.subarray(0, DIM)), [0, 1, 1]);
  });

  it('refuses offsets that do not cover the rows, a missing offsets file, and non-npy bytes', async () => {
    const short = writeNpy('short.npy', '<i8', [3], BigInt64Array.from([0n, 2n, 5n]));
    await assert.rejects(collect(readTokenVectors(vectors, { offsets: short })), {
      code: 'parse-error',
      message: /short\.npy offsets: must run from 0 to the row count 6/,
    });
    await assert.rejects(collect(readTokenVectors(vectors)), { code: 'invalid-argument' });
    const junk = writeLines('junk.npy', ['hello']);
    await assert.rejects(collect(readTokenVectors(junk, { counts: short })), {
      code: 'parse-error',
      message: /junk\.npy: not a \.npy file/,
    });
  });
});

describe('readTokenVectors: safetensors', () => {
  it('reads vectors with offsets or counts from one file', async () => {
    const withOffsets = join(dir, 'a.safetensors');
    await writeSafetensors(withOffsets, {
      vectors: { shape: [6, DIM], values: FLAT },
      offsets: { shape: [4], values: BigInt64Array.from(OFFSETS, BigInt) },
    });
    assertSets(await collect(readTokenVectors(withOffsets)), ['0', '1', '2']);
    const withCounts = join(dir, 'b.safetensors');
    await writeSafetensors(withCounts, {
      vectors: { shape: [6, DIM], values: FLAT },
      counts: { shape: [3], values: BigInt64Array.from([2n, 1n, 3n]) },
    });
    assertSets(await collect(readTokenVectors(withCounts)), ['0', '1', '2']);
  });

  it('names the missing tensor', async () => {
    const file = join(dir, 'c.safetensors');
    await writeSafetensors(file, { matrix: { shape: [6, DIM], values: FLAT } });
    await assert.rejects(collect(readTokenVectors(file)), {
      code: 'parse-error',
      message: /"vectors"/,
    });
  });
});

describe('exportFdes', () => {
  const sets = SETS.map((rows, i) => ({ id: `d${i}`, data: Float32Array.from(rows.flat()) }));
  /** A stand-in FDE: the sum of each set's rows (so the expected output is easy to state). */
  const summing: DocumentFdeEncoder = {
    encodeDocuments(data, offsets) {
      const vectors = new Float32Array((offsets.length - 1) * DIM);
      for (let s = 0; s + 1 < offsets.length; s++) {
        for (let r = offsets[s]; r < offsets[s + 1]; r++) {
          for (let j = 0; j < DIM; j++) vectors[s * DIM + j] += data[r * DIM + j];
        }
      }
      return { vectors, outputDimension: DIM };
    },
  };
  const sums = SETS.map((rows) =>
    rows.reduce((acc, row) => acc.map((x, j) => x + row[j]), [0, 0, 0]),
  );

  it('writes .npy with an ids file, in batches, readable as a matrix', async () => {
    const file = join(dir, 'fde.npy');
    const result = await exportFdes(sets, summing, file, { format: 'npy', dim: DIM, batchSize: 2 });
    assert.deepEqual(result, { count: 3, fdeDim: DIM });
    const matrix = await readNpyNumbers(file);
    assert.deepEqual(matrix.shape, [3, DIM]);
    assert.deepEqual(matrix.values, sums.flat());
    assert.equal(readFileSync(`${file}.ids.txt`, 'utf8'), 'd0\nd1\nd2\n');
  });

  it('writes JSON Lines', async () => {
    const file = join(dir, 'fde.jsonl');
    await exportFdes(sets, summing, file, { format: 'jsonl', dim: DIM });
    const lines = readFileSync(file, 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    assert.deepEqual(
      lines,
      sums.map((fde, i) => ({ id: `d${i}`, fde })),
    );
  });

  it('exports what the FdeEncoder of src/fde computes, from imported vectors', async () => {
    const encoder = FdeEncoder.fromPreset('paper', DIM);
    const source = writeLines(
      'in.jsonl',
      SETS.map((vectors, i) => JSON.stringify({ id: `d${i}`, vectors })),
    );
    const file = join(dir, 'real.npy');
    const { fdeDim } = await exportFdes(readTokenVectors(source), encoder, file, {
      format: 'npy',
      dim: DIM,
    });
    const expected = encoder.encodeDocuments(FLAT, OFFSETS).vectors;
    assert.equal(fdeDim, encoder.outputDimension);
    assert.deepEqual((await readNpyNumbers(file)).values, Array.from(expected));
  });
});
