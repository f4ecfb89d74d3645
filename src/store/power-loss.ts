/**
 * What a power loss leaves of a file's unsynced writes: the model behind power-loss images.
 *
 * After a power loss a file holds its durable (synced) bytes plus any subset of the writes issued
 * since its last sync, possibly applied out of order (the disk and the page cache reorder), the
 * last one torn at a sector boundary (512 bytes: what a disk writes atomically), and, when the
 * new size reached the disk before the data, the grown region reading as zeros or garbage.
 * `MemoryFileSystem.powerLossImage` applies this to every file, and undoes or keeps the unsynced
 * name changes.
 */

/** The sector size power-loss tearing respects: a torn write keeps whole 512-byte sectors. */
export const SECTOR_BYTES = 512;

/** How a power-loss image treats the writes and name changes that were not synced. */
export interface PowerLossOptions {
  /** Seeds every random choice of the image. */
  seed: number;
  /** Probability that each unsynced write reaches the disk (0: none, 1: all). */
  keep: number;
  /** Apply the kept writes in a random order instead of issue order. */
  reorder: boolean;
  /** Cut the last kept write of each file at a random 512-byte boundary. */
  tear: boolean;
  /** The unsynced file size reaches the disk and unwritten bytes read as zeros or garbage. */
  growth: 'none' | 'zeros' | 'garbage';
  /** Unsynced creations, renames and unlinks: all undone, all kept, or a random prefix kept. */
  names: 'undone' | 'kept' | 'prefix';
}

/** Named power-loss scenarios; each test runs all of them at each crash point. */
export const POWER_LOSS_SCENARIOS: Readonly<Record<string, Omit<PowerLossOptions, 'seed'>>> =
  Object.freeze({
    'synced-only': { keep: 0, reorder: false, tear: false, growth: 'none', names: 'undone' },
    'all-writes': { keep: 1, reorder: false, tear: false, growth: 'none', names: 'kept' },
    'random-writes': { keep: 0.5, reorder: false, tear: false, growth: 'none', names: 'prefix' },
    reordered: { keep: 0.5, reorder: true, tear: false, growth: 'none', names: 'prefix' },
    torn: { keep: 1, reorder: false, tear: true, growth: 'none', names: 'kept' },
    'zero-growth': { keep: 0.5, reorder: false, tear: true, growth: 'zeros', names: 'kept' },
    'garbage-growth': { keep: 0.5, reorder: true, tear: false, growth: 'garbage', names: 'kept' },
    'renames-undone': { keep: 1, reorder: false, tear: false, growth: 'none', names: 'undone' },
    'torn-prefix-names': { keep: 0.7, reorder: true, tear: true, growth: 'zeros', names: 'prefix' },
  });

/** A write or truncation not yet synced. */
export type PendingWrite =
  | { kind: 'write'; offset: number; bytes: Uint8Array }
  | { kind: 'truncate'; length: number };

/** A small seeded generator (mulberry32) so images are reproducible. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

/** A growable byte buffer: `data` holds `length` valid bytes. */
export interface GrowableBytes {
  data: Uint8Array;
  length: number;
}

/** The unsynced state of one file, as a power-loss image needs it. */
export interface VolatileFile extends GrowableBytes {
  durable: Uint8Array;
  pending: PendingWrite[];
}

/** Writes `bytes` into `target` at `offset`, growing its buffer. */
export function writeInto(target: GrowableBytes, bytes: Uint8Array, offset: number): void {
  const end = offset + bytes.length;
  if (end > target.data.length) {
    const grown = new Uint8Array(Math.max(end, target.data.length * 2));
    grown.set(target.data.subarray(0, target.length));
    target.data = grown;
  }
  target.data.set(bytes, offset);
  target.length = Math.max(target.length, end);
}

/** Content of one file after a power loss: durable bytes plus a choice of pending writes. */
export function contentAfterPowerLoss(
  file: VolatileFile,
  options: PowerLossOptions,
  random: () => number,
): Uint8Array {
  const chosen = file.pending.filter(() => random() < options.keep);
  if (options.reorder) {
    for (let i = chosen.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [chosen[i], chosen[j]] = [chosen[j], chosen[i]];
    }
  }

  const result: GrowableBytes = { data: file.durable.slice(), length: file.durable.length };
  if (options.growth !== 'none' && file.length > result.length) {
    const fill = new Uint8Array(file.length - result.length);
    if (options.growth === 'garbage')
      for (let i = 0; i < fill.length; i++) fill[i] = (random() * 256) | 0;
    writeInto(result, fill, result.length);
  }

  const lastWrite = chosen.findLastIndex((op) => op.kind === 'write');
  chosen.forEach((op, i) => {
    if (op.kind === 'truncate') {
      result.length = Math.min(result.length, op.length);
      if (op.length > result.length)
        writeInto(result, new Uint8Array(op.length - result.length), result.length);
      return;
    }
    const bytes =
      options.tear && i === lastWrite ? tornPrefix(op.offset, op.bytes, random) : op.bytes;
    writeInto(result, bytes, op.offset);
  });
  return result.data.slice(0, result.length);
}

/** `base` with `writes` applied in order. */
export function applyWrites(base: Uint8Array, writes: PendingWrite[]): Uint8Array {
  if (writes.length === 0) return base;
  const options = { seed: 0, keep: 1, reorder: false, tear: false, growth: 'none' } as const;
  const file: VolatileFile = { data: base, length: base.length, durable: base, pending: writes };
  return contentAfterPowerLoss(file, { ...options, names: 'kept' }, () => 0);
}

/** The part of a write that reached the disk when it was torn: whole sectors from its start. */
function tornPrefix(offset: number, bytes: Uint8Array, random: () => number): Uint8Array {
  const cuts: number[] = [0];
  const firstBoundary = Math.ceil(offset / SECTOR_BYTES) * SECTOR_BYTES;
  for (
    let at = firstBoundary === offset ? offset + SECTOR_BYTES : firstBoundary;
    at < offset + bytes.length;
    at += SECTOR_BYTES
  ) {
    cuts.push(at - offset);
  }
  return bytes.subarray(0, cuts[Math.floor(random() * cuts.length)]);
}
