import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { isMuveraError } from '../../src/errors.js';
import { FaultFileSystem } from '../../src/store/fault-file-system.js';
import { NodeFileSystem } from '../../src/store/file-system.js';
import { MemoryFileSystem } from '../../src/store/memory-file-system.js';
import {
  acquireWriteLock,
  BREAK_FILE,
  isOwnerAlive,
  LOCK_FILE,
  readLockOwner,
} from '../../src/store/write-lock.js';

const temps: string[] = [];
after(() => {
  for (const dir of temps) rmSync(dir, { recursive: true, force: true });
});
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'muvera-lock-'));
  temps.push(dir);
  return dir;
}

describe('write lock', () => {
  it('refuses a second writer with locked, and frees the lock on release', () => {
    const fs = new MemoryFileSystem();
    const lock = acquireWriteLock(fs, '/');
    assert.equal(readLockOwner(fs, '/')?.pid, process.pid);
    assert.throws(() => acquireWriteLock(fs, '/'), { code: 'locked', file: `/${LOCK_FILE}` });
    lock.release();
    lock.release();
    assert.equal(lock.isHeld, false);
    acquireWriteLock(fs, '/').release();
  });

  it('takes over a lock whose owner is dead', () => {
    const fs = new MemoryFileSystem();
    const stale = acquireWriteLock(fs, '/');
    const lock = acquireWriteLock(fs, '/', { isAlive: () => false });
    assert.notEqual(readLockOwner(fs, '/')?.token, stale.owner.token);
    stale.release();
    assert.equal(
      readLockOwner(fs, '/')?.token,
      lock.owner.token,
      'a stale holder never removes the new lock',
    );
  });

  it('knows its own process is alive and a missing pid, another boot or another start time is not', () => {
    const me = acquireWriteLock(new MemoryFileSystem(), '/').owner;
    assert.equal(isOwnerAlive(me), true);
    assert.equal(isOwnerAlive({ ...me, pid: 2 ** 22 + 1 }), false);
    if (me.bootId) assert.equal(isOwnerAlive({ ...me, bootId: 'another-boot' }), false);
    if (me.startTime !== undefined)
      assert.equal(isOwnerAlive({ ...me, startTime: me.startTime + 1 }), false);
    assert.equal(isOwnerAlive({ ...me, hostname: 'elsewhere.example' }), true);
  });

  it('waits out a lock file still being written, and breaks an old unreadable one', () => {
    const dir = tempDir();
    const fs = new NodeFileSystem();
    const path = join(dir, LOCK_FILE);
    writeFileSync(path, '');
    assert.throws(() => acquireWriteLock(fs, dir), { code: 'locked' });
    const old = new Date(Date.now() - 60_000);
    utimesSync(path, old, old);
    acquireWriteLock(fs, dir).release();
  });

  it('removes a takeover marker left by a process that died holding it', () => {
    const dir = tempDir();
    const fs = new NodeFileSystem();
    writeFileSync(
      join(dir, LOCK_FILE),
      JSON.stringify({ pid: 2 ** 22 + 1, hostname: 'x', token: 't' }),
    );
    writeFileSync(join(dir, BREAK_FILE), '');
    const old = new Date(Date.now() - 60_000);
    utimesSync(join(dir, BREAK_FILE), old, old);
    const lock = acquireWriteLock(fs, dir, { isAlive: () => false });
    assert.equal(fs.exists(join(dir, BREAK_FILE)), false);
    lock.release();
  });

  it('answers an I/O error at any call of a takeover with a typed error', () => {
    const takeover = (fs: FaultFileSystem) => acquireWriteLock(fs, '/', { isAlive: () => false });
    const count = new FaultFileSystem();
    acquireWriteLock(count, '/');
    const before = count.mutations;
    takeover(count);
    for (let n = before + 1; n <= count.mutations; n++) {
      for (const failWith of ['EIO', 'ENOSPC'] as const) {
        const fs = new FaultFileSystem();
        acquireWriteLock(fs, '/');
        fs.arm({ failAt: n, failWith });
        try {
          takeover(fs).release();
        } catch (error) {
          assert.ok(isMuveraError(error, 'io-error'), `${failWith} at ${n}: ${String(error)}`);
        }
      }
    }
  });

  it('goes to a new writer as soon as the holding process is killed with SIGKILL', async (t) => {
    const dir = tempDir();
    const fs = new NodeFileSystem();
    const fixture = new URL('./fixtures/hold-lock.ts', import.meta.url).pathname;
    const child = spawn(process.execPath, ['--import', 'tsx', fixture, dir], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (data: Buffer) => {
        if (data.toString().includes('locked')) resolve();
      });
      child.on('exit', (code) => reject(new Error(`child exited early with ${code}`)));
    });
    assert.throws(() => acquireWriteLock(fs, dir), { code: 'locked' });
    assert.equal(readLockOwner(fs, dir)?.pid, child.pid);

    const killedAt = performance.now();
    const exited = new Promise((resolve) => child.on('exit', resolve));
    child.kill('SIGKILL');
    await exited;
    const lock = acquireWriteLock(fs, dir);
    const elapsedMs = performance.now() - killedAt;
    assert.equal(readLockOwner(fs, dir)?.pid, process.pid);
    lock.release();
    t.diagnostic(`lock taken ${elapsedMs.toFixed(1)} ms after SIGKILL`);
  });
});
