/**
 * Shared benchmark plumbing: the machine record, a timing loop with warm-up, and result files.
 *
 * Machines here are shared and noisy, so every scenario reports ratios against a baseline
 * measured in the same run; absolute rates are printed for context only.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';

/** What machine and runtime produced a result. */
export interface MachineInfo {
  cpu: string;
  cores: number;
  memoryGiB: number;
  node: string;
  platform: string;
  date: string;
}

/** Describes this machine for a result file. */
export function machineInfo(): MachineInfo {
  const list = cpus();
  return {
    cpu: list[0]?.model.trim() ?? 'unknown',
    cores: list.length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    date: new Date().toISOString(),
  };
}

/** One line of markdown naming the machine. */
export function machineLine(info: MachineInfo = machineInfo()): string {
  return `Machine: ${info.cpu}, ${info.cores} cores, ${info.memoryGiB} GiB, Node ${info.node} (${info.platform}), ${info.date}.`;
}

/** Timing of one measured function. */
export interface Timing {
  /** Calls per second over the measured runs (median of rounds). */
  perSecond: number;
  /** Median seconds per call. */
  secondsPerCall: number;
  /** Calls measured in total. */
  calls: number;
}

/**
 * Times `fn` after `warmupMs` of warm-up: `rounds` rounds of at least `roundMs` each, reporting
 * the median round. `fn` returns how many operations one call did (default 1).
 */
export function measure(
  fn: () => number | undefined,
  { warmupMs = 300, roundMs = 400, rounds = 5 } = {},
): Timing {
  const warmEnd = performance.now() + warmupMs;
  while (performance.now() < warmEnd) fn();

  const rates: number[] = [];
  let calls = 0;
  for (let r = 0; r < rounds; r++) {
    let ops = 0;
    const start = performance.now();
    let now = start;
    do {
      ops += fn() ?? 1;
      calls++;
      now = performance.now();
    } while (now - start < roundMs);
    rates.push(ops / ((now - start) / 1000));
  }
  rates.sort((a, b) => a - b);
  const perSecond = rates[Math.floor(rates.length / 2)];
  return { perSecond, secondsPerCall: 1 / perSecond, calls };
}

/** Writes `bench/results/<name>.md` and `<name>.json`; returns the markdown path. */
export function writeResult(name: string, markdown: string, data: unknown): string {
  const dir = join(import.meta.dirname, 'results');
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `${name}.md`);
  writeFileSync(path, markdown.endsWith('\n') ? markdown : `${markdown}\n`);
  writeFileSync(join(dir, `${name}.json`), `${JSON.stringify(data, null, 2)}\n`);
  return path;
}

/** A small deterministic PRNG (mulberry32) for seeded benchmark data. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
