/**
 * Readers and one writer (issue 9): a writer process rewrites and deletes whole groups of
 * documents while 8 reader processes refresh and search, checking every group is whole, of one
 * version, with that version's tokens (zero torn results, zero errors). Meanwhile this process
 * tries to open the collection for writing and must be refused (`locked`) every time. Then the
 * writer is killed with SIGKILL, and the time until a new writer gets the lock is measured, over
 * several kills.
 *
 * CI runs 10 seconds; the documented figure is `MUVERA_RW_SECONDS=60`.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Collection } from '../../src/collection/collection.js';
import { isMuveraError } from '../../src/errors.js';
import { bundleChild } from './bundle.js';

const SECONDS = Number(process.env.MUVERA_RW_SECONDS ?? 10);
const READERS = 8;
const SECOND_WRITER_EVERY_MS = 100;
const HANDOVERS = 5;
/** The restarted writer writes this long before it is killed. */
const WRITE_BEFORE_KILL_MS = 150;

const root = mkdtempSync(join(tmpdir(), 'muvera-rw-'));
after(() => rmSync(root, { recursive: true, force: true }));

/** Spawns a bundled child; resolves its stdout lines through `onLine`. */
function start(bundle: string, args: string[], onLine: (line: string) => void): ChildProcess {
  const child = spawn(process.execPath, [bundle, ...args], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  let buffer = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    buffer += chunk.toString();
    const lines = buffer.split('\n');
    buffer = lines.pop() ?? '';
    for (const line of lines) onLine(line);
  });
  return child;
}

/** Starts the writer and resolves once it printed `ready`. */
async function startWriter(bundle: string, dir: string, mode: string): Promise<ChildProcess> {
  let child: ChildProcess | undefined;
  await new Promise<void>((resolve, reject) => {
    child = start(bundle, [dir, mode], (line) => line === 'ready' && resolve());
    child.on('exit', (code) => reject(new Error(`the writer exited with ${code}`)));
  });
  return child as ChildProcess;
}

/** A takeover child's result: when it got the lock (epoch ms) and whether groups were whole. */
interface Takeover {
  acquiredAt: number;
  whole: boolean;
  exitCode: number | null;
  stderr: string;
}

/**
 * Starts a new writer that waits for the lock, kills the old writer once it waits, and returns
 * the milliseconds from the kill to the new writer holding the lock.
 */
async function handover(
  bundle: string,
  dir: string,
  old: ChildProcess,
): Promise<Takeover & { ms: number }> {
  let killedAt = 0;
  const result: Takeover = { acquiredAt: Number.NaN, whole: false, exitCode: null, stderr: '' };
  await new Promise<void>((resolve) => {
    const child = spawn(process.execPath, [bundle, dir], { stdio: ['ignore', 'pipe', 'pipe'] });
    let buffer = '';
    child.stdout.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      const lines = buffer.split('\n');
      buffer = lines.pop() ?? '';
      for (const line of lines) {
        if (line === 'waiting') {
          killedAt = performance.timeOrigin + performance.now();
          old.kill('SIGKILL');
        } else if (line.startsWith('acquired ')) result.acquiredAt = Number(line.slice(9));
        else if (line.startsWith('whole ')) result.whole = line === 'whole true';
      }
    });
    child.stderr.on('data', (chunk: Buffer) => {
      result.stderr += chunk.toString();
    });
    child.on('exit', (code) => {
      result.exitCode = code;
      resolve();
    });
  });
  return { ...result, ms: result.acquiredAt - killedAt };
}

describe('readers and one writer', () => {
  it(`serves ${READERS} reader processes beside a writer for ${SECONDS} s, hands the lock over on a kill`, async (t) => {
    const writerBundle = bundleChild('rw-writer-child.ts');
    const readerBundle = bundleChild('rw-reader-child.ts');
    const takeoverBundle = bundleChild('rw-takeover-child.ts');
    const dir = join(root, 'collection');
    let writer = await startWriter(writerBundle, dir, 'create');
    let rounds = 0;
    writer.stdout?.on('data', (chunk: Buffer) => {
      const last = /round (\d+)\n$/.exec(chunk.toString());
      if (last) rounds = Number(last[1]);
    });

    const reports = Array.from({ length: READERS }, () => {
      return new Promise<Record<string, unknown>>((resolve) => {
        start(readerBundle, [dir, String(SECONDS * 1000)], (line) => resolve(JSON.parse(line)));
      });
    });
    const secondWriter = { attempts: 0, refused: 0, other: [] as string[] };
    const deadline = performance.now() + SECONDS * 1000;
    while (performance.now() < deadline) {
      secondWriter.attempts++;
      try {
        const opened = await Collection.open(dir);
        await opened.close();
        secondWriter.other.push('opened');
      } catch (error) {
        if (isMuveraError(error) && error.code === 'locked') secondWriter.refused++;
        else secondWriter.other.push(String(error));
      }
      await sleep(SECOND_WRITER_EVERY_MS);
    }
    const results = await Promise.all(reports);

    const handovers: number[] = [];
    for (let kill = 0; kill < HANDOVERS; kill++) {
      if (kill > 0) writer = await startWriter(writerBundle, dir, 'open');
      await sleep(WRITE_BEFORE_KILL_MS);
      const taken = await handover(takeoverBundle, dir, writer);
      assert.equal(taken.exitCode, 0, `the new writer failed: ${taken.stderr}`);
      assert.ok(taken.whole, 'the new writer finds every group whole');
      handovers.push(taken.ms);
    }

    const sum = (key: string) => results.reduce((n, r) => n + Number(r[key]), 0);
    const torn = results.flatMap((r) => r.torn as string[]);
    const errors = results.flatMap((r) => r.errors as string[]);
    t.diagnostic(
      `${SECONDS} s: writer reached round ${rounds}; ${READERS} readers made ${sum('searches')} searches, ` +
        `${sum('refreshes')} refreshes (${sum('retries')} retried), ${torn.length} torn, ${errors.length} errors; ` +
        `second writer refused ${secondWriter.refused} of ${secondWriter.attempts}; ` +
        `lock handover after SIGKILL ${handovers.map((ms) => ms.toFixed(0)).join(', ')} ms`,
    );
    assert.deepEqual(torn, []);
    assert.deepEqual(errors, []);
    assert.deepEqual(secondWriter.other, []);
    assert.ok(secondWriter.refused > 0 && sum('searches') > 0);
  });
});
