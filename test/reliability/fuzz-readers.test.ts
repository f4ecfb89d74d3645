/**
 * Fuzzed readers beyond src/store (issue 9): the candidate index envelope (`src/index`) and the
 * token importers of `src/encoders` (npy, safetensors, JSON Lines). Each reader gets 20,000
 * mutated inputs derived from a valid file: byte overwrites, bit flips, truncations, garbage
 * appended, and 32-bit fields overwritten with extreme values. Every input must end in a valid
 * read or a MuveraError, none may take a second, and memory must stay bounded.
 *
 * For the index envelope half of the inputs get their checksum recomputed after mutation, so the
 * payload readers behind it (flat, PQ, and the dynamic index's reader of the envelope nested in
 * it) see damaged payloads too; HNSW payloads are only fed with the checksum left as mutated,
 * because usearch's native loader runs in this process.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { crc32 } from 'node:zlib';
import { seededRandom } from '../../bench/harness.js';
import { npyHeader } from '../../src/encoders/npy.js';
import { writeSafetensors } from '../../src/encoders/safetensors.js';
import { readTokenVectors, type TokenImportOptions } from '../../src/encoders/token-import.js';
import { isMuveraError } from '../../src/errors.js';
import { createCandidateIndex, deserializeCandidateIndex } from '../../src/index/factory.js';
import { mutateBytes } from '../helpers/mutate-bytes.js';

const INPUTS = Number(process.env.MUVERA_FUZZ_INPUTS ?? 20_000);
const SLOW_MS = 1000;
/** Resident memory may grow this much over the whole run (a leak or a trusted size shows). */
const MAX_RSS_GROWTH_BYTES = 256 * 1024 * 1024;
const DIM = 6;
const CHECKSUM_OFFSET = 24;
const ENVELOPE_FIXED_BYTES = 28;

let dir = '';
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'muvera-fuzz-'));
});
after(() => rm(dir, { recursive: true, force: true }));

/** Outcome of a fuzz run. */
interface FuzzStats {
  valid: number;
  typed: number;
  slowestMs: number;
  rssGrowth: number;
  untyped: string[];
}

/** Feeds INPUTS mutations of `good` to `read`; collects outcomes. */
async function fuzz(
  good: Uint8Array,
  seed: number,
  read: (bytes: Uint8Array, i: number) => unknown,
): Promise<FuzzStats> {
  const random = seededRandom(seed);
  const stats: FuzzStats = { valid: 0, typed: 0, slowestMs: 0, rssGrowth: 0, untyped: [] };
  const baseline = process.memoryUsage().rss;
  for (let i = 0; i < INPUTS; i++) {
    const input = mutateBytes(good, random);
    const start = performance.now();
    try {
      await read(input, i);
      stats.valid++;
    } catch (error) {
      if (isMuveraError(error)) stats.typed++;
      else if (stats.untyped.length < 5) stats.untyped.push(`input ${i}: ${String(error)}`);
    }
    stats.slowestMs = Math.max(stats.slowestMs, performance.now() - start);
    stats.rssGrowth = Math.max(stats.rssGrowth, process.memoryUsage().rss - baseline);
  }
  return stats;
}

function assertClean(stats: FuzzStats, t: { diagnostic(message: string): void }, what: string) {
  t.diagnostic(
    `${what}: ${INPUTS} inputs, ${stats.valid} read, ${stats.typed} typed errors, ` +
      `slowest ${stats.slowestMs.toFixed(1)} ms, rss growth ${(stats.rssGrowth / 2 ** 20).toFixed(0)} MiB`,
  );
  assert.deepEqual(stats.untyped, [], `${what}: untyped exceptions`);
  assert.ok(stats.slowestMs < SLOW_MS, `${what}: an input took ${stats.slowestMs} ms`);
  assert.ok(stats.rssGrowth < MAX_RSS_GROWTH_BYTES, `${what}: memory grew ${stats.rssGrowth}`);
  assert.ok(stats.typed > INPUTS / 2, `${what}: most mutations are caught`);
}

/** Rewrites the envelope checksum so the mutation reaches the payload reader. */
function reseal(bytes: Uint8Array): Uint8Array {
  if (bytes.length < ENVELOPE_FIXED_BYTES) return bytes;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const head = crc32(bytes.subarray(0, CHECKSUM_OFFSET));
  view.setUint32(CHECKSUM_OFFSET, crc32(bytes.subarray(ENVELOPE_FIXED_BYTES), head), true);
  return bytes;
}

/** Serialised index of `kind` holding a few seeded vectors. */
function serialisedIndex(kind: 'flat' | 'pq' | 'hnsw' | 'dynamic'): Uint8Array {
  const dimensions = 16;
  const count = 40;
  const random = seededRandom(3);
  const vectors = Float32Array.from({ length: count * dimensions }, () => random() - 0.5);
  const options = kind === 'pq' ? { groupSize: 4, centroids: 8, trainingSize: 40 } : {};
  const index = createCandidateIndex(kind, dimensions, options as never);
  if ('train' in index && typeof index.train === 'function') index.train(vectors);
  index.add(
    Array.from({ length: count }, (_, i) => i),
    vectors,
  );
  return index.serialize();
}

describe('fuzzed index envelope', () => {
  for (const kind of ['flat', 'pq', 'hnsw', 'dynamic'] as const) {
    it(`reads ${kind} envelopes or throws a MuveraError`, async (t) => {
      const good = serialisedIndex(kind);
      const stats = await fuzz(good, 11, (bytes, i) => {
        const input = kind !== 'hnsw' && i % 2 === 1 ? reseal(bytes) : bytes;
        const index = deserializeCandidateIndex(input);
        return index.size;
      });
      assertClean(stats, t, `index envelope (${kind})`);
    });
  }
});

/** Writes `bytes` to `name` in the scratch directory, reads every set from it. */
async function readAll(file: string, options: TokenImportOptions): Promise<number> {
  let rows = 0;
  for await (const set of readTokenVectors(file, options)) rows += set.numTokens;
  return rows;
}

describe('fuzzed token importers', () => {
  const random = seededRandom(5);
  const sets = [3, 1, 4, 2];
  const rows = sets.reduce((a, b) => a + b, 0);
  const matrix = Float32Array.from({ length: rows * DIM }, () => random() - 0.5);
  const offsets = [0, ...sets.map((_, i) => sets.slice(0, i + 1).reduce((a, b) => a + b, 0))];

  it('reads npy (matrix and offsets) or throws a MuveraError', async (t) => {
    const matrixBytes = Buffer.concat([npyHeader('<f4', [rows, DIM]), Buffer.from(matrix.buffer)]);
    const offsetValues = BigInt64Array.from(offsets.map(BigInt));
    const offsetBytes = Buffer.concat([
      npyHeader('<i8', [offsets.length]),
      Buffer.from(offsetValues.buffer),
    ]);
    const vectors = join(dir, 'vectors.npy');
    const side = join(dir, 'offsets.npy');
    writeFileSync(vectors, matrixBytes);
    writeFileSync(side, offsetBytes);
    // Alternate: mutate the matrix file, then the offsets file.
    const stats = await fuzz(new Uint8Array(matrixBytes), 21, async (bytes, i) => {
      if (i % 2 === 0) {
        await writeFile(vectors, bytes);
        await writeFile(side, offsetBytes);
      } else {
        await writeFile(vectors, matrixBytes);
        await writeFile(side, mutateBytes(new Uint8Array(offsetBytes), seededRandom(i)));
      }
      return readAll(vectors, { format: 'npy', offsets: side });
    });
    assertClean(stats, t, 'npy importer');
  });

  it('reads safetensors or throws a MuveraError', async (t) => {
    const good = join(dir, 'good.safetensors');
    await writeSafetensors(good, {
      vectors: { shape: [rows, DIM], values: matrix },
      offsets: { shape: [offsets.length], values: BigInt64Array.from(offsets.map(BigInt)) },
    });
    const file = join(dir, 'fuzz.safetensors');
    const stats = await fuzz(new Uint8Array(readFileSync(good)), 22, async (bytes) => {
      await writeFile(file, bytes);
      return readAll(file, { format: 'safetensors' });
    });
    assertClean(stats, t, 'safetensors importer');
  });

  it('reads JSON Lines or throws a MuveraError', async (t) => {
    const lines = sets.map((n, s) => {
      const start = offsets[s] * DIM;
      const vectors = Array.from({ length: n }, (_, r) =>
        Array.from(matrix.subarray(start + r * DIM, start + (r + 1) * DIM)),
      );
      return JSON.stringify({ id: `doc-${s}`, vectors });
    });
    const good = new TextEncoder().encode(`${lines.join('\n')}\n`);
    const file = join(dir, 'fuzz.jsonl');
    const stats = await fuzz(good, 23, async (bytes) => {
      await writeFile(file, bytes);
      return readAll(file, { format: 'jsonl' });
    });
    assertClean(stats, t, 'JSON Lines importer');
  });
});
