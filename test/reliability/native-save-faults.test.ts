/**
 * Native save faults (issue 9). usearch writes the HNSW index file itself, in C, so src/store's
 * FaultFileSystem never sees those writes; strace's syscall tampering does. A child process
 * (native-save-child.ts, an esbuild bundle) builds an HNSW collection and checkpoints under
 * `strace -f -P <file> -e inject=<call>:error=EIO|ENOSPC:when=N`, with the fault on one call of
 * usearch's save; a fresh process then reopens the collection.
 *
 * What usearch 2.25's `save` does (the census below traces it, and fails if that changes): it
 * opens the file with `openat(O_WRONLY|O_CREAT|O_TRUNC)`, `fstat`s it (stdio sizing its buffer),
 * writes through a 4 KiB stdio buffer (`write` calls of 4,096 bytes, the last one shorter, issued
 * by `fclose`) and `close`s it: no fsync, no rename. HnswIndex.serialize saves into a fresh temp
 * directory and reads the file back; the collection then writes and syncs its own copy
 * (`index-<generation>.bin`, where the census sees the fdatasync).
 *
 * How the faults are kept to usearch's save, and to the right call in it:
 * 1. The writing child pins HnswIndex's temp directory: it wraps `fs.mkdtempSync` so that the
 *    prefix hnsw.ts passes returns a directory the parent chose (then `syncBuiltinESMExports`),
 *    so usearch's file has a path known before the child starts. Nothing else changes.
 * 2. `-P <that path>` makes strace trace only calls on that file (paths, and descriptors that
 *    refer to it: `-y` prints them), and strace counts `when=N` per syscall and per tracee over
 *    traced calls only. So `write:...:when=N` is the N-th write to usearch's file, never a log,
 *    segment, manifest or the collection's index copy, nor a write of another thread.
 * 3. A census run without injection lists every call on the file, grouped into saves (open to
 *    close). Each fault names its call by ordinal in the faulted save (the explicit child saves
 *    twice: checkpoint 1, then checkpoint 2, the faulted one; the automatic child saves once).
 *    Each faulted run's own trace must show its first injected call at that very ordinal, or the
 *    test fails: a census that drifted cannot pass silently.
 *
 * For each fault: the child must not crash; the checkpoint rejects with a MuveraError `io-error`
 * (or, for an automatic checkpoint, the write that triggered it resolves and the failure is
 * logged; for EIO on `close` after every byte was written, the checkpoint resolves); no
 * generation naming a damaged index is published; the temp directory is gone; and a fresh
 * process reopens the collection without a damaged-index warning, with every acknowledged step
 * present, nothing else, and exact search equal to the brute-force oracle (the workload's
 * `violations`). strace missing, or ptrace refused, is a failure with a message, not a skip.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { seededRandom } from '../../bench/harness.js';
import { isMuveraError } from '../../src/errors.js';
import { openEnvelope, wrapEnvelope } from '../../src/index/envelope.js';
import { deserializeCandidateIndex } from '../../src/index/factory.js';
import { HnswIndex } from '../../src/index/hnsw.js';
import { bundleChild } from './bundle.js';
import { runChild } from './child-process.js';
import { applyStep, type Model, type StateReport, stepOf, violations } from './workload.js';

const SEED = 5;
/** Everything on a file or a descriptor; `-P` narrows it to the calls on one path. */
const TRACED_CALLS = 'trace=%file,%desc';
/** Bytes of a string argument strace prints (the trace is parsed for calls, not data). */
const STRING_BYTES = '8';
const USEARCH_FILE = 'index.usearch';
/** What usearch's save may do besides open, write and close (stdio's fstat). */
const SAVE_EXTRAS = ['newfstatat', 'fstat', 'statx'];
const SYNC_CALLS = ['fsync', 'fdatasync', 'sync_file_range', 'syncfs'];
/** Generations: create publishes 1, each checkpoint one more. */
const EXPLICIT_BEFORE = 2;
const AUTOMATIC_BEFORE = 1;
/** A write the tamperer reports as this many bytes written while writing none. */
const LYING_WRITE_BYTES = 100;
/** The loader check: an index of this shape, its usearch file cut by these many bytes. */
const CUT_DIM = 97;
const CUT_VECTORS = 300;
const CUT_BYTES = [1, 808, 4096, 100_000];

type Mode = 'explicit' | 'automatic';
type Outcome = 'rejected' | 'resolved' | 'logged';

/** One traced call on usearch's file, with its number among calls of its name. */
interface Call {
  tid: number;
  name: string;
  args: string;
  result: string;
  injected: boolean;
  ordinal: number;
}

/** One save of usearch's file: ordinals of its open, writes and close. */
interface Save {
  open: number;
  writes: number[];
  writeBytes: number[];
  close: number;
  others: string[];
}

interface TracedRun {
  root: string;
  dir: string;
  pinned: string;
  lines: string[];
  stderr: string;
  status: number | null;
  signal: string | null;
  /** Calls on usearch's file. */
  calls: Call[];
  /** Every traced call (with the census's extra paths). */
  all: Call[];
}

interface Fault {
  name: string;
  mode: Mode;
  syscall: 'openat' | 'write' | 'close';
  /** The ordinal of the faulted call, from the faulted save of the census. */
  at: (save: Save) => number;
  /** strace's tampering: `error=EIO`, `retval=100`, ... */
  tamper: string;
  /** Fail every later call of the syscall on the file too (`when=N+`). */
  onwards?: boolean;
  outcome: Outcome;
}

const middle = (save: Save) => save.writes[Math.floor(save.writes.length / 2)];
const last = (save: Save) => save.writes[save.writes.length - 1];

const FAULTS: Fault[] = [
  {
    name: "EIO on usearch's open",
    mode: 'explicit',
    syscall: 'openat',
    at: (s) => s.open,
    tamper: 'error=EIO',
    outcome: 'rejected',
  },
  {
    name: 'EIO on the first write',
    mode: 'explicit',
    syscall: 'write',
    at: (s) => s.writes[0],
    tamper: 'error=EIO',
    outcome: 'rejected',
  },
  {
    name: 'EIO on the middle write',
    mode: 'explicit',
    syscall: 'write',
    at: middle,
    tamper: 'error=EIO',
    outcome: 'rejected',
  },
  {
    name: 'ENOSPC from the middle write on',
    mode: 'explicit',
    syscall: 'write',
    at: middle,
    tamper: 'error=ENOSPC',
    onwards: true,
    outcome: 'rejected',
  },
  {
    name: 'EIO on the last write (issued by fclose; usearch reports success)',
    mode: 'explicit',
    syscall: 'write',
    at: last,
    tamper: 'error=EIO',
    outcome: 'rejected',
  },
  {
    name: 'ENOSPC on the last write (issued by fclose; usearch reports success)',
    mode: 'explicit',
    syscall: 'write',
    at: last,
    tamper: 'error=ENOSPC',
    outcome: 'rejected',
  },
  {
    name: `a write reported as ${LYING_WRITE_BYTES} bytes that wrote none (usearch reports success)`,
    mode: 'explicit',
    syscall: 'write',
    at: middle,
    tamper: `retval=${LYING_WRITE_BYTES}`,
    outcome: 'rejected',
  },
  {
    name: 'EIO on close after every byte was written',
    mode: 'explicit',
    syscall: 'close',
    at: (s) => s.close,
    tamper: 'error=EIO',
    outcome: 'resolved',
  },
  {
    name: 'automatic checkpoint: EIO on the first write',
    mode: 'automatic',
    syscall: 'write',
    at: (s) => s.writes[0],
    tamper: 'error=EIO',
    outcome: 'logged',
  },
  {
    name: 'automatic checkpoint: ENOSPC on the last write',
    mode: 'automatic',
    syscall: 'write',
    at: last,
    tamper: 'error=ENOSPC',
    outcome: 'logged',
  },
];

const workRoot = mkdtempSync(join(tmpdir(), 'muvera-native-save-'));
after(() => rmSync(workRoot, { recursive: true, force: true }));

/** Fails (never skips) when strace is missing or may not trace a child here. */
function requireStrace(): void {
  const probe = spawnSync('strace', ['-f', '-qq', '-e', 'trace=none', process.execPath, '-e', ''], {
    encoding: 'utf8',
  });
  if (probe.error) {
    assert.fail(
      `strace could not run (${probe.error.message}); install it: scripts/install-system-deps.sh (Debian package strace)`,
    );
  }
  if (probe.status !== 0) {
    assert.fail(
      `strace cannot trace a child here (exit ${probe.status}: ${probe.stderr.trim()}); ptrace must be allowed (e.g. docker run --cap-add=SYS_PTRACE, kernel.yama.ptrace_scope 0 or 1)`,
    );
  }
}

const LINE = /^(\d+)\s+(\w+)\((.*)\)\s+=\s+(\S+)(.*)$/;

/** Parses strace's `-f -o` output; numbers each call among the calls of its name. */
function parseTrace(text: string): Call[] {
  const counts = new Map<string, number>();
  const calls: Call[] = [];
  for (const line of text.split('\n')) {
    const match = LINE.exec(line);
    if (!match) continue;
    const [, tid, name, args, result, rest] = match;
    const ordinal = (counts.get(name) ?? 0) + 1;
    counts.set(name, ordinal);
    const injected = rest.includes('(INJECTED)');
    calls.push({ tid: Number(tid), name, args, result, injected, ordinal });
  }
  return calls;
}

/** Groups the calls on usearch's file into saves: an open for writing up to its close. */
function savesOf(calls: Call[]): Save[] {
  const saves: Save[] = [];
  let open: Save | null = null;
  for (const call of calls) {
    if (call.name === 'openat' && call.args.includes('O_WRONLY|O_CREAT|O_TRUNC')) {
      open = { open: call.ordinal, writes: [], writeBytes: [], close: 0, others: [] };
      saves.push(open);
    } else if (open && call.name === 'write') {
      open.writes.push(call.ordinal);
      open.writeBytes.push(Number(call.result));
    } else if (open && call.name === 'close') {
      open.close = call.ordinal;
      open = null;
    } else if (open) {
      open.others.push(call.name);
    }
  }
  return saves;
}

let bundle: string | undefined;

/** Runs a writing child under strace; `extraPaths(dir)` are traced too (census only). */
function runTraced(
  mode: Mode,
  inject: string | null,
  extraPaths: (dir: string) => string[] = () => [],
): Promise<TracedRun> {
  bundle ??= bundleChild('native-save-child.ts');
  const root = mkdtempSync(join(workRoot, `${mode}-`));
  const dir = join(root, 'collection');
  const pinned = join(root, 'hnsw-temp');
  const usearchFile = join(pinned, USEARCH_FILE);
  const traceFile = join(root, 'trace.txt');
  const paths = [usearchFile, ...extraPaths(dir)].flatMap((path) => ['-P', path]);
  const args = ['-f', '-qq', '-y', '--seccomp-bpf', '-s', STRING_BYTES, '-o', traceFile];
  args.push(...paths, '-e', TRACED_CALLS);
  if (inject !== null) args.push('-e', `inject=${inject}`);
  args.push(process.execPath, bundle, dir, pinned, String(SEED), mode);

  return new Promise((resolve) => {
    const child = spawn('strace', args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on('exit', () => child.stdin.end());
    // NOTE: 'close' comes after stdout and stderr are drained, so no last line is lost.
    child.on('close', (status, signal) => {
      const text = existsSync(traceFile) ? readFileSync(traceFile, 'utf8') : '';
      const all = parseTrace(text);
      // Numbered among themselves, as strace's `when=` counts calls that pass `-P`.
      const calls = parseTrace(
        text
          .split('\n')
          .filter((line) => line.includes(usearchFile))
          .join('\n'),
      );
      const lines = stdout.split('\n').filter((line) => line.length > 0);
      resolve({ root, dir, pinned, lines, stderr, status, signal, calls, all });
    });
  });
}

/** The faulted save of each mode, and every call on usearch's file in its unfaulted run. */
interface Census {
  explicit: { save: Save; calls: Call[] };
  automatic: { save: Save; calls: Call[] };
  /** The calls on the collection's own copy of the index (`index-3.bin`), in order. */
  copy: string[];
}

let censusPromise: Promise<Census> | undefined;

/** Traces both writing children without faults; checks what usearch's save does. */
function census(): Promise<Census> {
  censusPromise ??= (async () => {
    requireStrace();
    const indexCopy = (dir: string) => [join(dir, `index-${EXPLICIT_BEFORE + 1}.bin`)];
    const explicit = await runTraced('explicit', null, indexCopy);
    const automatic = await runTraced('automatic', null);
    for (const run of [explicit, automatic]) {
      assert.equal(run.status, 0, `census child failed: ${run.stderr}`);
      assert.ok(run.lines.includes('closed'), `census child did not close: ${run.stderr}`);
      const tids = new Set(run.calls.map((c) => c.tid));
      assert.equal(tids.size, 1, 'one thread makes every call on the usearch file');
      const syncs = run.calls.filter((c) => SYNC_CALLS.includes(c.name) || /rename/.test(c.name));
      assert.deepEqual(syncs, [], 'usearch neither syncs nor renames its file');
    }
    const explicitSaves = savesOf(explicit.calls);
    const automaticSaves = savesOf(automatic.calls);
    assert.equal(explicitSaves.length, 2, 'the explicit child saves at checkpoints 1 and 2');
    assert.equal(automaticSaves.length, 1, 'the automatic child saves once');
    for (const save of [...explicitSaves, ...automaticSaves]) {
      assert.ok(save.writes.length > 2 && save.close > 0, 'a save opens, writes, closes');
      assert.deepEqual(
        save.others.filter((name) => !SAVE_EXTRAS.includes(name)),
        [],
        'a save makes no other call',
      );
    }

    // The collection's own copy of the index is synced before its checkpoint resolves.
    const copy = explicit.all.filter((c) => c.args.includes(`index-${EXPLICIT_BEFORE + 1}.bin`));
    assert.ok(
      copy.some((c) => SYNC_CALLS.includes(c.name)),
      `the collection syncs its index copy: ${copy.map((c) => c.name).join(', ')}`,
    );
    return {
      explicit: { save: explicitSaves[1], calls: explicit.calls },
      automatic: { save: automaticSaves[0], calls: automatic.calls },
      copy: copy.map((c) => c.name),
    };
  })();
  return censusPromise;
}

/** The model after the acknowledged steps among `lines` (before the `state` line if `until`). */
function modelOf(lines: string[], until?: 'state'): Model {
  let model: Model = new Map();
  for (const line of lines) {
    if (until && line.startsWith('state ')) break;
    if (line.startsWith('ack ')) model = applyStep(model, stepOf(SEED, Number(line.slice(4))));
  }
  return model;
}

function newestGeneration(dir: string): number {
  const generations = readdirSync(dir)
    .filter((name) => /^manifest-\d+$/.test(name))
    .map((name) => Number(name.slice('manifest-'.length)));
  return Math.max(...generations);
}

function describeSave(save: Save): string {
  const full = save.writeBytes.slice(0, -1);
  const sizes = new Set(full);
  return (
    `openat #${save.open}, ${save.others.join('+') || 'no fstat'}, ${save.writes.length} writes ` +
    `(${[...sizes].join('/')} bytes, last ${save.writeBytes.at(-1)}), close #${save.close}`
  );
}

/** Checks that the fault hit the call the census named, after the very calls of the census. */
function checkInjection(fault: Fault, run: TracedRun, target: number, census: Call[]): void {
  const context = `${fault.name}: ${run.stderr.slice(0, 2000)}`;
  assert.equal(run.signal, null, `the child crashed: ${context}`);
  assert.equal(run.status, 0, `the child failed: ${context}`);
  assert.ok(run.lines.includes('closed'), `the child did not close: ${context}`);

  const injected = run.calls.filter((c) => c.injected);
  assert.ok(injected.length > 0, `nothing was injected: ${context}`);
  assert.deepEqual(
    { name: injected[0].name, ordinal: injected[0].ordinal },
    { name: fault.syscall, ordinal: target },
    `the fault hit another call than the census named: ${context}`,
  );
  const shape = (c: Call) => `${c.name}#${c.ordinal}${c.name === 'write' ? `=${c.result}` : ''}`;
  const upTo = run.calls.indexOf(injected[0]);
  assert.deepEqual(
    run.calls.slice(0, upTo).map(shape),
    census.slice(0, upTo).map(shape),
    'the faulted run followed the census up to the fault (same save, same write sizes)',
  );
}

/** Checks what the child saw and left on disk; returns it in words. */
function checkOutcome(fault: Fault, run: TracedRun): string {
  const before = run.lines.find((line) => line.startsWith('state '));
  assert.ok(before, `no state before the faulted save: ${run.stderr}`);
  const beforeState: StateReport = JSON.parse(before.slice('state '.length));
  assert.deepEqual(violations(beforeState, modelOf(run.lines, 'state')), []);
  assert.ok(!existsSync(run.pinned), 'the temp directory of the save is removed');

  const base = fault.mode === 'explicit' ? EXPLICIT_BEFORE : AUTOMATIC_BEFORE;
  const rejection = run.lines.find((line) => line.startsWith('checkpoint 2 rejected '));
  if (fault.outcome === 'resolved') {
    assert.ok(run.lines.includes('checkpoint 2 ok'), `the checkpoint failed: ${rejection}`);
    assert.equal(newestGeneration(run.dir), base + 1, 'the checkpoint published');
    return 'checkpoint resolved (the file was whole)';
  }
  assert.equal(newestGeneration(run.dir), base, 'no generation was published');
  if (fault.outcome === 'logged') {
    const refused = run.lines.find((line) => line.startsWith('refused '));
    assert.equal(refused, undefined, 'the write that triggered the checkpoint resolved');
    assert.match(run.stderr, /checkpoint of .* failed.*HNSW index/, 'the failure is logged');
    return 'the write that triggered it resolved, the checkpoint failure was logged';
  }
  const outcome = run.lines.filter((line) => !/^(ack|state) /.test(line));
  assert.ok(rejection, `the checkpoint did not reject: ${outcome.join(' | ')}`);
  const error = JSON.parse(rejection.slice('checkpoint 2 rejected '.length));
  assert.deepEqual(
    { muvera: error.muvera, code: error.code },
    { muvera: true, code: 'io-error' },
    `the checkpoint rejected with ${error.name}: ${error.message}`,
  );
  return `io-error "${error.message.split('. ')[0]}"`;
}

/** Reopens the collection in a fresh process (no strace): every acknowledged step, no other. */
async function checkReopen(fault: Fault, run: TracedRun): Promise<string> {
  const args = [run.dir, run.pinned, String(SEED), 'verify'];
  const reopened = await runChild(bundle as string, args, 0, null);
  assert.ok(reopened.state, `the reopen failed: ${reopened.stderr}`);
  assert.doesNotMatch(reopened.stderr, /unreadable/, 'no damaged index file was published');
  const model = modelOf(run.lines);
  assert.deepEqual(violations(reopened.state, model), [], fault.name);
  const refused = run.lines.some((line) => line.startsWith('refused '));
  const next = refused ? 'refused' : 'acknowledged';
  const after = fault.mode === 'explicit' ? `the next write ${next}; ` : '';
  return `${after}reopen: ${model.size} documents, no violation`;
}

describe('native save faults (strace)', () => {
  it('traces what usearch does when it saves', async (t) => {
    const { explicit, automatic, copy } = await census();
    t.diagnostic(`explicit checkpoint 2: ${describeSave(explicit.save)}`);
    t.diagnostic(`automatic checkpoint: ${describeSave(automatic.save)}`);
    t.diagnostic(`the collection's copy index-${EXPLICIT_BEFORE + 1}.bin: ${copy.join(', ')}`);
  });

  for (const fault of FAULTS) {
    it(fault.name, async (t) => {
      const { save, calls } = (await census())[fault.mode];
      const target = fault.at(save);
      const when = `${target}${fault.onwards ? '+' : ''}`;
      const run = await runTraced(fault.mode, `${fault.syscall}:${fault.tamper}:when=${when}`);
      checkInjection(fault, run, target, calls);
      const seen = checkOutcome(fault, run);
      const reopen = await checkReopen(fault, run);
      t.diagnostic(`${fault.name} (when=${when}): ${seen}; ${reopen}`);
      rmSync(run.root, { recursive: true, force: true });
    });
  }

  it('a usearch file cut short inside a valid envelope is corrupt-data, never loaded', () => {
    // NOTE: before the check, usearch loaded such a file and corrupted the heap (glibc aborted
    // with "free(): corrupted unsorted chunks") at every open of the collection.
    const random = seededRandom(SEED);
    const index = new HnswIndex(CUT_DIM, { precision: 'f32' });
    const vectors = Float32Array.from({ length: CUT_DIM * CUT_VECTORS }, () => random() - 0.5);
    index.add(
      Array.from({ length: CUT_VECTORS }, (_, i) => i),
      vectors,
    );
    const { header, payload } = openEnvelope(index.serialize());
    assert.equal(deserializeCandidateIndex(wrapEnvelope(header, payload)).size, CUT_VECTORS);
    for (const cut of CUT_BYTES) {
      const short = wrapEnvelope(header, payload.subarray(0, payload.length - cut));
      assert.throws(
        () => deserializeCandidateIndex(short),
        (error) => isMuveraError(error) && error.code === 'corrupt-data',
        `cut by ${cut} bytes`,
      );
    }
  });
});
