/**
 * Token segment costs on the real file system, per precision: writing (with its fdatasync),
 * opening with and without block-checksum verification against a plain read of the same file
 * (the baseline), handing out documents, and the stored bytes per token.
 *
 * Run: npx tsx bench/store-segment.ts   (about 20 s; writes bench/results/store-segment.md|json)
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EncodedTokens } from '../src/chamfer/precision.js';
import { NodeFileSystem } from '../src/store/file-system.js';
import type { SegmentLayout } from '../src/store/token-format.js';
import { TokenSegmentReader } from '../src/store/token-segment-reader.js';
import { TokenSegmentWriter } from '../src/store/token-segment-writer.js';
import { machineLine, seededRandom, writeResult } from './harness.js';

const DIM = 128;
const TOKENS_PER_DOC = 100;
/** Bytes of token values per segment, whatever the precision (so runs take similar time). */
const VALUE_BYTES_PER_SEGMENT = 64 * 2 ** 20;
const RUNS = 3;
const LAYOUTS: SegmentLayout[] = [
  { dim: DIM, precision: 'float32' },
  { dim: DIM, precision: 'float16' },
  { dim: DIM, precision: 'int8', scaleMode: 'token' },
];

const fs = new NodeFileSystem();

function document(layout: SegmentLayout, random: () => number): EncodedTokens {
  const count = TOKENS_PER_DOC * DIM;
  const base = { dim: DIM, numTokens: TOKENS_PER_DOC };
  if (layout.precision === 'float32') {
    return {
      ...base,
      precision: 'float32',
      values: Float32Array.from({ length: count }, () => random() - 0.5),
    };
  }
  if (layout.precision === 'float16') {
    return {
      ...base,
      precision: 'float16',
      values: Uint16Array.from({ length: count }, () => (random() * 0x3c00) | 0),
    };
  }
  const values = Int8Array.from({ length: count }, () => (random() * 254 - 127) | 0);
  return {
    ...base,
    precision: 'int8',
    values,
    scales: new Float32Array(TOKENS_PER_DOC).fill(0.01),
    scaleMode: 'token',
  };
}

function median(values: number[]): number {
  return [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
}

function run(layout: SegmentLayout, dir: string) {
  const random = seededRandom(11);
  const docs = Array.from({ length: 64 }, () => document(layout, random));
  const valueBytes = docs[0].values.byteLength;
  const numDocs = Math.floor(VALUE_BYTES_PER_SEGMENT / valueBytes);
  const path = join(dir, `${layout.precision}.tok`);

  const writeMs: number[] = [];
  for (let r = 0; r < RUNS; r++) {
    rmSync(path, { force: true });
    const start = performance.now();
    const writer = TokenSegmentWriter.create(fs, path, layout);
    for (let i = 0; i < numDocs; i++) writer.append(docs[i % docs.length]);
    writer.finish();
    writeMs.push(performance.now() - start);
  }

  const check = TokenSegmentReader.open(fs, path);
  for (let i = 0; i < numDocs; i += 97) {
    const got = check.get(i).values;
    const want = docs[i % docs.length].values;
    if (got.length !== want.length || got[5] !== want[5]) throw new Error(`document ${i} differs`);
  }

  const time = (fn: () => void) => {
    const ms: number[] = [];
    for (let r = 0; r < RUNS; r++) {
      const start = performance.now();
      fn();
      ms.push(performance.now() - start);
    }
    return median(ms);
  };
  const rawMs = time(() => readFileSync(path));
  const verifiedMs = time(() => TokenSegmentReader.open(fs, path, { verify: true }));
  const unverifiedMs = time(() => TokenSegmentReader.open(fs, path, { verify: false }));
  const getMs = time(() => {
    for (let i = 0; i < numDocs; i++) check.get(i);
  });
  const paged = TokenSegmentReader.open(fs, path, { paged: true });
  const pagedGetMs = time(() => {
    for (let i = 0; i < numDocs; i++) paged.get(i);
  });
  paged.close();
  const stats = check.stats();
  const megabytes = stats.fileBytes / 1e6;
  return {
    precision: layout.precision,
    documents: numDocs,
    fileMB: megabytes,
    bytesPerToken: stats.bytesPerToken,
    writeMBps: megabytes / (median(writeMs) / 1000),
    rawReadMBps: megabytes / (rawMs / 1000),
    openVerifiedMBps: megabytes / (verifiedMs / 1000),
    openUnverifiedMBps: megabytes / (unverifiedMs / 1000),
    verifiedVsRaw: verifiedMs / rawMs,
    getsPerSecond: numDocs / (getMs / 1000),
    pagedGetsPerSecond: numDocs / (pagedGetMs / 1000),
  };
}

const dir = mkdtempSync(join(tmpdir(), 'muvera-bench-seg-'));
const results = LAYOUTS.map((layout) => run(layout, dir));
rmSync(dir, { recursive: true });

const rows = results.map(
  (r) =>
    `| ${r.precision} | ${r.documents} | ${r.fileMB.toFixed(1)} | ${r.bytesPerToken.toFixed(1)} | ${r.writeMBps.toFixed(0)} | ${r.rawReadMBps.toFixed(0)} | ${r.openVerifiedMBps.toFixed(0)} | ${r.openUnverifiedMBps.toFixed(0)} | ${r.verifiedVsRaw.toFixed(2)} | ${(r.getsPerSecond / 1e6).toFixed(2)} | ${Math.round(r.pagedGetsPerSecond)} |`,
);
const markdown = `# Token segments: write, open and read costs

${machineLine()}
Documents of ${TOKENS_PER_DOC} tokens x ${DIM} dims, about ${VALUE_BYTES_PER_SEGMENT / 2 ** 20} MiB of values per segment, median of ${RUNS} runs, file system: ${tmpdir()} (page cache warm).
Baseline: a plain \`readFileSync\` of the same file. Paged: one positional read and checksum per document (page cache warm).

| precision | documents | file MB | bytes/token | write MB/s (with fdatasync) | plain read MB/s | open + verify MB/s | open, no verify MB/s | open+verify / plain read | get() millions/s | paged get()/s |
| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |
${rows.join('\n')}
`;
console.log(markdown);
writeResult('store-segment', markdown, results);
