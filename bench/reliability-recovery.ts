/**
 * Recovery speed (issue 9): how fast an open replays documents from the write-ahead log, against
 * an open of the same documents from a checkpoint. Default FDE and index, dim 128, 32 tokens a
 * document, every document in the log (no checkpoint since creation).
 *
 * Run: npx tsx bench/reliability-recovery.ts [documents]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Collection } from '../src/collection/collection.js';
import type { DocumentInput } from '../src/collection/types.js';
import { machineInfo, machineLine, seededRandom, writeResult } from './harness.js';

const DOCUMENTS = Number(process.argv[2] ?? 2000);
const DIM = 128;
const TOKENS = 32;
const BATCH = 100;
const OPENS = 3;
const NO_CHECKPOINT = 2 ** 40;

function documents(first: number, count: number, random: () => number): DocumentInput[] {
  return Array.from({ length: count }, (_, i) => ({
    id: `doc-${first + i}`,
    tokens: Float32Array.from({ length: TOKENS * DIM }, () => random() - 0.5),
    metadata: { n: first + i },
  }));
}

/** Median milliseconds of OPENS opens, and the document count the last one saw. */
async function timeOpens(dir: string): Promise<{ ms: number; documents: number }> {
  const times: number[] = [];
  let count = 0;
  for (let i = 0; i < OPENS; i++) {
    const start = performance.now();
    const collection = await Collection.open(dir, { checkpointLogBytes: NO_CHECKPOINT });
    times.push(performance.now() - start);
    count = (await collection.stats()).documents;
    await collection.close();
  }
  times.sort((a, b) => a - b);
  return { ms: times[Math.floor(times.length / 2)], documents: count };
}

const root = mkdtempSync(join(tmpdir(), 'muvera-recovery-bench-'));
try {
  const dir = join(root, 'collection');
  const random = seededRandom(7);
  const collection = await Collection.create(dir, { dim: DIM, checkpointLogBytes: NO_CHECKPOINT });
  const query = documents(0, 1, seededRandom(7))[0].tokens;
  for (let first = 0; first < DOCUMENTS; first += BATCH) {
    await collection.upsert(documents(first, Math.min(BATCH, DOCUMENTS - first), random));
  }
  const logBytes = (await collection.stats()).logBytes ?? 0;
  await collection.close();

  // Correctness before timing: the replayed collection holds every document and finds doc-0.
  const check = await Collection.open(dir, { checkpointLogBytes: NO_CHECKPOINT });
  const { hits } = await check.search(query, { k: 1 });
  if ((await check.stats()).documents !== DOCUMENTS || hits[0]?.id !== 'doc-0') {
    throw new Error('the replayed collection is incomplete');
  }
  await check.close();

  const replay = await timeOpens(dir);
  const writer = await Collection.open(dir, { checkpointLogBytes: NO_CHECKPOINT });
  await writer.checkpoint();
  await writer.close();
  const checkpointed = await timeOpens(dir);

  const replayRate = DOCUMENTS / (replay.ms / 1000);
  const data = {
    machine: machineInfo(),
    documents: DOCUMENTS,
    dim: DIM,
    tokensPerDocument: TOKENS,
    logBytes,
    replayOpenMs: replay.ms,
    replayDocumentsPerSecond: replayRate,
    checkpointedOpenMs: checkpointed.ms,
    ratio: replay.ms / checkpointed.ms,
  };
  const markdown = [
    '# Recovery: log replay rate',
    '',
    machineLine(data.machine),
    '',
    `${DOCUMENTS} documents of ${TOKENS} tokens at dim ${DIM}, default FDE and index, written with`,
    `fsync in batches of ${BATCH}; median of ${OPENS} opens. Command: \`npx tsx bench/reliability-recovery.ts ${DOCUMENTS}\``,
    '',
    '| open | ms | documents/s |',
    '| --- | --- | --- |',
    `| replaying the whole log (${(logBytes / 2 ** 20).toFixed(1)} MiB) | ${replay.ms.toFixed(0)} | ${replayRate.toFixed(0)} |`,
    `| from a checkpoint (baseline) | ${checkpointed.ms.toFixed(0)} | ${(DOCUMENTS / (checkpointed.ms / 1000)).toFixed(0)} |`,
    '',
    `Replay takes ${data.ratio.toFixed(1)}x the checkpointed open: it re-encodes every FDE and re-inserts it into the index.`,
  ].join('\n');
  process.stdout.write(`${markdown}\n`);
  writeResult('reliability-recovery', markdown, data);
} finally {
  rmSync(root, { recursive: true, force: true });
}
