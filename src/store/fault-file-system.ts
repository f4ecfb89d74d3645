/**
 * Fault injection for storage tests: a {@link MemoryFileSystem} that kills the "process" at the
 * n-th mutating call, fails a call with EIO or ENOSPC, or fails a sync with EIO, and counts the
 * mutating calls so a test can first count a scripted sequence, then replay it once per call.
 *
 * A kill throws {@link SimulatedCrash}, which is not a MuveraError: library code only catches
 * MuveraErrors of codes it expects, so the crash unwinds to the test. After a kill every further
 * call (reads included) throws it again, so nothing the library does while unwinding (a `finally`
 * that closes or cleans up) reaches the disk. The test then inspects `processKillImage()` or
 * `powerLossImage(...)` and reopens the collection on that image.
 */
import { MuveraError } from '../errors.js';
import { MemoryFileSystem, type MutationKind } from './memory-file-system.js';

/** Thrown at a kill point. Deliberately not a MuveraError, so no library code swallows it. */
export class SimulatedCrash extends Error {
  override readonly name = 'SimulatedCrash';
}

/** When and how the fault file system misbehaves. Calls are counted from 1. */
export interface FaultPlan {
  /** The n-th mutating call is not performed; it and every later call throw SimulatedCrash. */
  crashAt?: number;
  /** The n-th mutating call fails with `failWith` (and is not performed). */
  failAt?: number;
  /** `EIO` fails only the `failAt` call; `ENOSPC` fails it and every later call that allocates. */
  failWith?: 'EIO' | 'ENOSPC';
  /** The n-th sync (`sync`, `datasync` or `syncDir`) fails with EIO, dropping the file's pending writes. */
  failSyncAt?: number;
}

const SYNC_KINDS: ReadonlySet<MutationKind> = new Set(['sync', 'datasync', 'syncDir']);
/** Calls that free space or only touch metadata still work on a full disk. */
const WORKS_WHEN_FULL: ReadonlySet<MutationKind> = new Set(['unlink', 'truncate']);

/** One mutating call as recorded by the fault file system. */
export interface MutationRecord {
  kind: MutationKind;
  path: string;
}

/** A {@link MemoryFileSystem} with kill points and injected I/O errors (see module comment). */
export class FaultFileSystem extends MemoryFileSystem {
  /** Mutating calls attempted so far (the failing or killing one included). */
  mutations = 0;
  /** Sync calls attempted so far. */
  syncs = 0;
  /** Every mutating call attempted, in order. */
  readonly trace: MutationRecord[] = [];
  private crashed = false;
  private full = false;

  constructor(private plan: FaultPlan = {}) {
    super();
  }

  /** Replaces the plan (counters keep running), e.g. to arm a fault after setup. */
  arm(plan: FaultPlan): void {
    this.plan = plan;
  }

  /** True once a kill point was reached. */
  get isCrashed(): boolean {
    return this.crashed;
  }

  /** A copy of `image` (e.g. a crash image) as a fault file system with a new plan. */
  static from(image: MemoryFileSystem, plan: FaultPlan = {}): FaultFileSystem {
    const fs = new FaultFileSystem(plan);
    fs.loadImage(image);
    return fs;
  }

  protected override beforeRead(_path: string): void {
    if (this.crashed) throw new SimulatedCrash('the process was killed');
  }

  protected override beforeMutation(kind: MutationKind, path: string): void {
    if (this.crashed) throw new SimulatedCrash('the process was killed');
    this.mutations += 1;
    this.trace.push({ kind, path });
    const { crashAt, failAt, failWith = 'EIO', failSyncAt } = this.plan;

    if (crashAt === this.mutations) {
      this.crashed = true;
      throw new SimulatedCrash(`killed at mutating call ${this.mutations} (${kind} ${path})`);
    }
    if (SYNC_KINDS.has(kind)) {
      this.syncs += 1;
      if (failSyncAt === this.syncs) throw injected('EIO', kind, path);
    }
    if (failAt === this.mutations) {
      if (failWith === 'ENOSPC') this.full = true;
      throw injected(failWith, kind, path);
    }
    if (this.full && !WORKS_WHEN_FULL.has(kind)) throw injected('ENOSPC', kind, path);
  }
}

/** The MuveraError a real failing call would produce. */
function injected(code: 'EIO' | 'ENOSPC', kind: MutationKind, path: string): MuveraError {
  const cause = Object.assign(new Error(`${code}: injected fault`), { code });
  return new MuveraError('io-error', `${kind} of ${path} failed with ${code}`, {
    file: path,
    actual: code,
    cause,
  });
}
