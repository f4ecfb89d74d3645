/**
 * The write lock's rare paths (issue 9 asks every error site to be reached): files that vanish
 * or change between two calls of a takeover, lock files that cannot be read, failing reads and
 * stats, contenders that never let go, and the liveness check on a zombie and on a system
 * without /proc. Races are staged with a memory file system that runs a step of "another
 * process" just before a chosen call.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { describe, it } from 'node:test';
import { MuveraError } from '../../src/errors.js';
import { FaultFileSystem, SimulatedCrash } from '../../src/store/fault-file-system.js';
import type { FileStat } from '../../src/store/file-system.js';
import { TEMP_SUFFIX } from '../../src/store/manifest.js';
import { MemoryFileSystem } from '../../src/store/memory-file-system.js';
import {
  acquireWriteLock,
  BREAK_FILE,
  isOwnerAlive,
  LOCK_FILE,
  type LockOwner,
  readLockOwner,
} from '../../src/store/write-lock.js';

const LOCK = `/${LOCK_FILE}`;
const BREAK = `/${BREAK_FILE}`;
/** A pid above Linux's pid_max limit (2^22): no process has it. */
const NO_SUCH_PID = 2 ** 22 + 1;
/** Older than every grace period of the lock (they are one second). */
const LONG_AGO_MS = 60_000;
/** The background child of the zombie test exits this long after the shell has exec'd. */
const ZOMBIE_AFTER_S = 0.2;
/** How long the zombie test waits for the child to become one. */
const STATE_WAIT_MS = 5000;
/** `acquireWriteLock` gives up after this many lost races. */
const MAX_ATTEMPTS = 20;

type Method = 'link' | 'readFile' | 'stat';

/** Another process's step, run before a call of `method` on `path` (once, or every time). */
interface Hook {
  method: Method;
  path: string;
  run: () => void;
  every?: boolean;
  fired?: number;
}

/** A memory file system where other processes act between our calls, and files can be aged. */
class RacingFs extends MemoryFileSystem {
  readonly hooks: Hook[] = [];
  readonly calls: Record<Method, string[]> = { link: [], readFile: [], stat: [] };
  readonly agedMs = new Map<string, number>();

  on(method: Method, path: string, run: () => void, every = false): Hook {
    const hook: Hook = { method, path, run, every, fired: 0 };
    this.hooks.push(hook);
    return hook;
  }

  override link(from: string, to: string): void {
    this.#fire('link', to);
    super.link(from, to);
  }

  override readFile(path: string, maxBytes: number): Uint8Array {
    this.#fire('readFile', path);
    return super.readFile(path, maxBytes);
  }

  override stat(path: string): FileStat {
    this.#fire('stat', path);
    const stat = super.stat(path);
    return { ...stat, mtimeMs: stat.mtimeMs - (this.agedMs.get(path) ?? 0) };
  }

  #fire(method: Method, path: string): void {
    this.calls[method].push(path);
    for (const hook of this.hooks) {
      if (hook.method !== method || hook.path !== path) continue;
      if (hook.fired && !hook.every) continue;
      hook.fired = (hook.fired ?? 0) + 1;
      hook.run();
    }
  }
}

function ownerJson(owner: Partial<LockOwner>): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(owner));
}

/** A lock file of a process that is gone (the tests' `isAlive` decides by token). */
const DEAD: LockOwner = {
  pid: NO_SUCH_PID,
  hostname: hostname(),
  token: 'dead',
  acquiredAt: '2020-01-01T00:00:00.000Z',
};

const deadByToken = (owner: LockOwner) => owner.token !== 'dead';

function ioError(path: string): MuveraError {
  return new MuveraError('io-error', `injected EIO on ${path}`, { file: path, actual: 'EIO' });
}

describe('write lock: files changing between two calls', () => {
  it('takes the lock when the holder releases it between our link and our read', () => {
    const fs = new RacingFs();
    fs.putFile(LOCK, ownerJson({ ...DEAD, token: 'live' }));
    const released = fs.on('readFile', LOCK, () => fs.unlink(LOCK));

    const lock = acquireWriteLock(fs, '/');
    assert.equal(released.fired, 1);
    assert.equal(readLockOwner(fs, '/')?.token, lock.owner.token);
    assert.equal(fs.calls.link.filter((p) => p === LOCK).length, 2, 'one lost race, one win');
    lock.release();
  });

  it('retries when the takeover marker is removed between our link and our read of it', () => {
    const fs = new RacingFs();
    fs.putFile(LOCK, ownerJson(DEAD));
    fs.putFile(BREAK, ownerJson({ ...DEAD, token: 'breaker' }));
    const finished = fs.on('readFile', BREAK, () => fs.unlink(BREAK));

    const lock = acquireWriteLock(fs, '/', { isAlive: deadByToken });
    assert.equal(finished.fired, 1);
    assert.ok(fs.calls.stat.includes(BREAK), 'the vanished marker was looked at, not read');
    assert.equal(readLockOwner(fs, '/')?.token, lock.owner.token);
    assert.equal(fs.exists(BREAK), false);
    lock.release();
  });

  it('takes an unreadable lock that vanishes before its age is read', () => {
    const fs = new RacingFs();
    fs.putFile(LOCK, new Uint8Array(0));
    fs.on('stat', LOCK, () => fs.unlink(LOCK));

    const lock = acquireWriteLock(fs, '/');
    assert.equal(readLockOwner(fs, '/')?.token, lock.owner.token);
    assert.equal(fs.exists(BREAK), false, 'the takeover marker is removed');
    lock.release();
  });

  it('leaves a lock alone that a faster contender replaced while we took the marker', () => {
    const fs = new RacingFs();
    fs.putFile(LOCK, ownerJson(DEAD));
    // The contender breaks the stale lock and takes it just before we re-read it under the
    // marker (our second read of LOCK).
    let reads = 0;
    fs.on(
      'readFile',
      LOCK,
      () => {
        reads += 1;
        if (reads === 2) fs.putFile(LOCK, ownerJson({ ...DEAD, pid: process.pid, token: 'fresh' }));
      },
      true,
    );

    assert.throws(() => acquireWriteLock(fs, '/', { isAlive: deadByToken }), {
      code: 'locked',
      actual: { ...DEAD, pid: process.pid, token: 'fresh' },
    });
    assert.equal(readLockOwner(fs, '/')?.token, 'fresh', 'the fresh lock survives');
    assert.equal(fs.exists(BREAK), false);
  });
});

describe('write lock: a takeover marker left by a dead contender', () => {
  const deadByPrefix = (owner: LockOwner) => !owner.token.startsWith('dead');

  it('removes the marker of a dead contender and takes the stale lock', () => {
    const fs = new RacingFs();
    fs.putFile(LOCK, ownerJson(DEAD));
    fs.putFile(BREAK, ownerJson({ ...DEAD, token: 'dead-breaker' }));

    const lock = acquireWriteLock(fs, '/', { isAlive: deadByPrefix });
    assert.equal(readLockOwner(fs, '/')?.token, lock.owner.token);
    assert.equal(fs.exists(BREAK), false);
    lock.release();
  });

  it('keeps a marker that a live contender put in place between our two reads of it', () => {
    const fs = new RacingFs();
    fs.putFile(LOCK, ownerJson(DEAD));
    fs.putFile(BREAK, ownerJson({ ...DEAD, token: 'dead-breaker' }));
    let reads = 0;
    const replace = () => {
      reads += 1;
      if (reads === 2) fs.putFile(BREAK, ownerJson({ ...DEAD, token: 'live-breaker' }));
    };
    fs.on('readFile', BREAK, replace, true);

    assert.throws(() => acquireWriteLock(fs, '/', { isAlive: deadByPrefix }), {
      code: 'locked',
      actual: DEAD,
    });
    assert.equal(readLockOwner(fs, '/')?.token, 'dead', 'the live contender breaks it, not us');
    assert.equal(JSON.parse(new TextDecoder().decode(fs.peek(BREAK))).token, 'live-breaker');
  });
});

describe('write lock: a kill inside the lock calls', () => {
  it('lets a kill at the link unwind untouched and leaves no lock behind', () => {
    const count = new FaultFileSystem();
    acquireWriteLock(count, '/');
    const link = count.trace.findIndex((call) => call.kind === 'link' && call.path === LOCK) + 1;
    assert.ok(link > 0);

    const fs = new FaultFileSystem({ crashAt: link });
    assert.throws(() => acquireWriteLock(fs, '/'), SimulatedCrash);
    const image = fs.processKillImage();
    assert.equal(image.exists(LOCK), false);
    assert.equal(image.readdir('/').filter((name) => name.endsWith(TEMP_SUFFIX)).length, 1);
    acquireWriteLock(image, '/').release();
  });
});

describe('write lock: lock files that cannot be read', () => {
  it('waits out a lock too large to be an owner record, and breaks it once old', () => {
    const fs = new RacingFs();
    fs.putFile(LOCK, new Uint8Array(5000).fill(0x20));
    assert.throws(() => acquireWriteLock(fs, '/'), {
      code: 'locked',
      message: /held by another process/,
      actual: undefined,
    });

    fs.agedMs.set(LOCK, LONG_AGO_MS);
    const lock = acquireWriteLock(fs, '/');
    assert.equal(readLockOwner(fs, '/')?.token, lock.owner.token);
    lock.release();
  });

  it('counts a lock of valid JSON but no owner shape as unreadable', () => {
    const shapes: unknown[] = [
      null,
      { ...DEAD, pid: 0 },
      { ...DEAD, pid: 1.5 },
      { ...DEAD, token: 7 },
      { pid: NO_SUCH_PID, token: 't' },
    ];
    for (const shape of shapes) {
      const fs = new RacingFs();
      fs.putFile(LOCK, new TextEncoder().encode(JSON.stringify(shape)));
      assert.equal(readLockOwner(fs, '/'), null, JSON.stringify(shape));
      assert.throws(
        () => acquireWriteLock(fs, '/', { isAlive: () => false }),
        { code: 'locked', message: /another process/ },
        `a young lock holding ${JSON.stringify(shape)} is being written: wait`,
      );
      fs.agedMs.set(LOCK, LONG_AGO_MS);
      acquireWriteLock(fs, '/').release();
    }
  });

  it('reports no owner for a directory without a lock', () => {
    assert.equal(readLockOwner(new MemoryFileSystem(), '/'), null);
  });

  it('passes on a failing read of the lock file as io-error, naming the file', () => {
    const fs = new RacingFs();
    fs.putFile(LOCK, ownerJson(DEAD));
    fs.on('readFile', LOCK, () => {
      throw ioError(LOCK);
    });
    assert.throws(() => acquireWriteLock(fs, '/'), { code: 'io-error', file: LOCK });
    assert.equal(readLockOwner(fs, '/')?.token, 'dead', 'nothing was broken');
  });

  it('passes on a failing stat of an unreadable lock as io-error, not as a missing file', () => {
    const fs = new RacingFs();
    fs.putFile(LOCK, new Uint8Array(0));
    fs.on('stat', LOCK, () => {
      throw ioError(LOCK);
    });
    assert.throws(() => acquireWriteLock(fs, '/'), { code: 'io-error', file: LOCK });
    assert.ok(fs.exists(LOCK), 'the unreadable lock is kept');
  });
});

describe('write lock: contenders that never let go', () => {
  it('gives up with locked when a live process holds the takeover marker', () => {
    const fs = new RacingFs();
    fs.putFile(LOCK, ownerJson(DEAD));
    fs.putFile(BREAK, ownerJson({ ...DEAD, token: 'breaker' }));

    assert.throws(() => acquireWriteLock(fs, '/', { isAlive: deadByToken }), {
      code: 'locked',
      file: LOCK,
      actual: DEAD,
      message: new RegExp(`process ${NO_SUCH_PID} on`),
    });
    assert.equal(fs.calls.link.filter((p) => p === LOCK).length, MAX_ATTEMPTS);
    assert.equal(readLockOwner(fs, '/')?.token, 'dead', 'the marker holder decides, not us');
    assert.ok(fs.exists(BREAK));
  });

  it('gives up with locked when other writers take and free the lock faster than we read it', () => {
    const fs = new RacingFs();
    fs.on('link', LOCK, () => fs.putFile(LOCK, ownerJson({ ...DEAD, token: 'churn' })), true);
    fs.on('readFile', LOCK, () => fs.unlink(LOCK), true);

    assert.throws(() => acquireWriteLock(fs, '/'), {
      code: 'locked',
      message: /held by another process/,
      actual: undefined,
    });
    assert.equal(fs.calls.link.filter((p) => p === LOCK).length, MAX_ATTEMPTS);
  });
});

/** A /proc that has no files at all (macOS, Windows, a container without /proc). */
const noProc = (path: string): string => {
  throw Object.assign(new Error(`ENOENT: ${path}`), { code: 'ENOENT' });
};

/** A /proc with one process stat line; every other file is missing. */
function procWith(pid: number, statLine: string) {
  return (path: string): string => {
    if (path === `/proc/${pid}/stat`) return statLine;
    return noProc(path);
  };
}

/** A stat line whose command name holds spaces and parentheses, in state `state`. */
function statLine(pid: number, state: string, startTime: number): string {
  // Fields 3 to 52 after the name: state is field 3, start time field 22.
  const fields = Array.from({ length: 50 }, (_, i) => String(i + 3));
  fields[0] = state;
  fields[22 - 3] = String(startTime);
  return `${pid} (a) b (c) ${fields.join(' ')}\n`;
}

describe('write lock: liveness of the owner', () => {
  it('on a system without /proc: records no boot id or start time and trusts a live pid', () => {
    const fs = new MemoryFileSystem();
    const lock = acquireWriteLock(fs, '/', { readProc: noProc });
    assert.equal(lock.owner.bootId, undefined);
    assert.equal(lock.owner.startTime, undefined);
    assert.deepEqual(readLockOwner(fs, '/'), lock.owner);

    assert.equal(isOwnerAlive(lock.owner, noProc), true, 'our own pid runs');
    assert.equal(isOwnerAlive({ ...lock.owner, bootId: 'another-boot' }, noProc), true);
    assert.equal(isOwnerAlive({ ...lock.owner, pid: NO_SUCH_PID }, noProc), false);
    assert.throws(() => acquireWriteLock(fs, '/', { readProc: noProc }), { code: 'locked' });
  });

  it('reads the state and start time after the last parenthesis of the command name', () => {
    const me: LockOwner = { ...DEAD, pid: process.pid, startTime: 4242 };
    const alive = procWith(process.pid, statLine(process.pid, 'S', 4242));
    assert.equal(isOwnerAlive(me, alive), true);
    assert.equal(isOwnerAlive({ ...me, startTime: 4243 }, alive), false, 'pid reused');
    assert.equal(isOwnerAlive(me, procWith(process.pid, statLine(process.pid, 'Z', 4242))), false);
    assert.equal(isOwnerAlive(me, procWith(process.pid, statLine(process.pid, 'X', 4242))), false);
  });

  it('takes over the lock of a zombie process (Linux)', async () => {
    // `sh` starts a short sleep in the background, then becomes a long `sleep`, which never
    // reaps it: the short one ends as a zombie.
    const parent = spawn('sh', ['-c', `sleep ${ZOMBIE_AFTER_S} & echo $!; exec sleep 30`], {
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    try {
      const pid = Number(await firstLine(parent.stdout));
      await waitForState(pid, 'Z');
      const fs = new MemoryFileSystem();
      fs.putFile(LOCK, ownerJson({ ...DEAD, pid, token: 'zombie' }));
      assert.equal(isOwnerAlive({ ...DEAD, pid }), false);
      const lock = acquireWriteLock(fs, '/');
      assert.equal(readLockOwner(fs, '/')?.token, lock.owner.token);
    } finally {
      parent.kill('SIGKILL');
    }
  });
});

function firstLine(stream: NodeJS.ReadableStream): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    stream.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      if (text.includes('\n')) resolve(text.trim());
    });
    stream.on('end', () => reject(new Error(`no line, got ${JSON.stringify(text)}`)));
  });
}

async function waitForState(pid: number, state: string): Promise<void> {
  const deadline = Date.now() + STATE_WAIT_MS;
  for (;;) {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    if (text.slice(text.lastIndexOf(')') + 2).startsWith(state)) return;
    if (Date.now() > deadline) throw new Error(`process ${pid} never reached state ${state}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
