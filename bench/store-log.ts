/**
 * Write-ahead log costs on the real file system: what durability costs per append call (group
 * commit), against the same appends without sync (the baseline) and against one sync per
 * document; and how fast a log replays. Also: how soon a killed writer's lock is taken over.
 *
 * Run: npx tsx bench/store-log.ts   (about 30 s; writes bench/results/store-log.md|json)
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NodeFileSystem } from '../src/store/file-system.js';
import { type LogEntry, replayLog } from '../src/store/log-format.js';
import { WriteAheadLog } from '../src/store/write-ahead-log.js';
import { acquireWriteLock } from '../src/store/write-lock.js';
import { machineLine, seededRandom, writeResult } from './harness.js';

/** One int8 document of 100 tokens x 128 dims with scales, about what an upsert record holds. */
const DOC_BYTES = 100 * 128 + 100 * 4;
const BATCH_SIZES = [1, 16, 128];
/** Append calls timed per configuration (after warm-up). */
const CALLS = 60;
const WARMUP_CALLS = 5;
/** Records written for the replay measurement. */
const REPLAY_RECORDS = 20_000;
const LOCK_TRIALS = 5;

const fs = new NodeFileSystem();

function payloads(count: number, seed: number): LogEntry[] {
  const random = seededRandom(seed);
  return Array.from({ length: count }, () => ({
    type: 1,
    payload: Uint8Array.from({ length: DOC_BYTES }, () => (random() * 256) | 0),
  }));
}

function freshDir(): string {
  return mkdtempSync(join(tmpdir(), 'muvera-bench-log-'));
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
}

/** Milliseconds per `append` call: median and p99 over CALLS calls of `batch` records. */
function timeAppends(batch: LogEntry[], sync: boolean, perDocument: boolean) {
  const dir = freshDir();
  const log = WriteAheadLog.open(fs, dir, { sync });
  const times: number[] = [];
  for (let call = 0; call < WARMUP_CALLS + CALLS; call++) {
    const start = performance.now();
    if (perDocument) for (const entry of batch) log.append([entry]);
    else log.append(batch);
    if (call >= WARMUP_CALLS) times.push(performance.now() - start);
  }
  log.close();
  rmSync(dir, { recursive: true });
  times.sort((a, b) => a - b);
  const median = percentile(times, 0.5);
  return {
    medianMs: median,
    p99Ms: percentile(times, 0.99),
    docsPerSecond: (batch.length / median) * 1000,
  };
}

/** Writes REPLAY_RECORDS records, checks the replay returns them all intact, then times it. */
function timeReplay() {
  const dir = freshDir();
  const log = WriteAheadLog.open(fs, dir);
  const batch = payloads(100, 7);
  for (let i = 0; i < REPLAY_RECORDS / batch.length; i++) log.append(batch);
  log.close();

  let checked = 0;
  replayLog(fs, dir, {
    onRecord: (record) => {
      const expected = batch[(record.sequence - 1) % batch.length].payload;
      if (record.payload.length !== expected.length || record.payload[17] !== expected[17]) {
        throw new Error(`record ${record.sequence} differs`);
      }
      checked++;
    },
  });
  if (checked !== REPLAY_RECORDS) throw new Error(`replayed ${checked} of ${REPLAY_RECORDS}`);

  const runs: number[] = [];
  for (let run = 0; run < 3; run++) {
    const start = performance.now();
    replayLog(fs, dir, { onRecord: () => {} });
    runs.push(performance.now() - start);
  }
  rmSync(dir, { recursive: true });
  runs.sort((a, b) => a - b);
  const seconds = runs[1] / 1000;
  return {
    records: REPLAY_RECORDS,
    recordsPerSecond: REPLAY_RECORDS / seconds,
    megabytesPerSecond: (REPLAY_RECORDS * DOC_BYTES) / seconds / 1e6,
  };
}

/** Milliseconds from SIGKILL of a lock holder to this process holding the lock. */
async function timeLockHandover(): Promise<number[]> {
  const fixture = new URL('../test/store/fixtures/hold-lock.ts', import.meta.url).pathname;
  const out: number[] = [];
  for (let trial = 0; trial < LOCK_TRIALS; trial++) {
    const dir = freshDir();
    const child = spawn(process.execPath, ['--import', 'tsx', fixture, dir], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    await new Promise<void>((resolve) => child.stdout.on('data', () => resolve()));
    const start = performance.now();
    child.kill('SIGKILL');
    for (;;) {
      try {
        acquireWriteLock(fs, dir).release();
        break;
      } catch {
        await new Promise((resolve) => setTimeout(resolve, 1));
      }
    }
    out.push(performance.now() - start);
    rmSync(dir, { recursive: true });
  }
  return out.sort((a, b) => a - b);
}

const rows: string[] = [];
const data: Record<string, unknown> = {};
for (const size of BATCH_SIZES) {
  const batch = payloads(size, size);
  const grouped = timeAppends(batch, true, false);
  const unsynced = timeAppends(batch, false, false);
  const perDocument = size > 1 ? timeAppends(batch, true, true) : grouped;
  data[`batch${size}`] = { grouped, unsynced, perDocument };
  rows.push(
    `| ${size} | ${grouped.medianMs.toFixed(3)} | ${grouped.p99Ms.toFixed(3)} | ${unsynced.medianMs.toFixed(3)} | ${perDocument.medianMs.toFixed(3)} | ${Math.round(grouped.docsPerSecond)} | ${(grouped.medianMs / unsynced.medianMs).toFixed(1)} | ${(perDocument.medianMs / grouped.medianMs).toFixed(1)} |`,
  );
}
const replay = timeReplay();
const handover = await timeLockHandover();
data.replay = replay;
data.lockHandoverMs = handover;

const markdown = `# Write-ahead log: durability cost and replay rate

${machineLine()}
Records of ${DOC_BYTES} bytes (one int8 document of 100 x 128 with scales). ${CALLS} timed calls per row after ${WARMUP_CALLS} warm-up calls, file system: ${tmpdir()}.

| records per append | synced ms (median) | synced ms (p99) | no sync ms (baseline) | one sync per record ms | documents/s synced | sync cost (x baseline) | per-record sync (x group commit) |
| --- | --- | --- | --- | --- | --- | --- | --- |
${rows.join('\n')}

Replay of ${replay.records} records: ${Math.round(replay.recordsPerSecond)} records/s (${replay.megabytesPerSecond.toFixed(0)} MB/s), checksums checked.

Write lock taken over after SIGKILL of its holder (ms, ${LOCK_TRIALS} trials, sorted): ${handover.map((ms) => ms.toFixed(1)).join(', ')}.
`;
console.log(markdown);
writeResult('store-log', markdown, data);
