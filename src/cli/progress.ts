/**
 * The indexing progress bar on stderr: done/total, documents per second and ETA. On a terminal it
 * redraws in place; otherwise (a log file, a test) it prints a line every few seconds. Silent
 * with `--quiet`.
 */
import type { Writable } from 'node:stream';
import cliProgress from 'cli-progress';

/** Seconds between lines when stderr is not a terminal. */
const NON_TTY_SECONDS = 5;
const MS_PER_SECOND = 1000;

/** A progress display that can be advanced and stopped. */
export interface Progress {
  advance(count: number): void;
  stop(): void;
}

/** Starts a progress bar of `total` items labelled `label`. */
export function startProgress(
  stream: Writable,
  label: string,
  total: number,
  quiet: boolean,
): Progress {
  if (quiet) return { advance() {}, stop() {} };
  const bar = new cliProgress.SingleBar(
    {
      stream: stream as unknown as NodeJS.WritableStream,
      format: `${label} [{bar}] {percentage}% | {value}/{total} | {rate} docs/s | ETA {eta_formatted}`,
      noTTYOutput: true,
      notTTYSchedule: NON_TTY_SECONDS * MS_PER_SECOND,
      hideCursor: null,
      etaBuffer: 50,
    },
    cliProgress.Presets.shades_classic,
  );
  const started = Date.now();
  let done = 0;
  bar.start(total, 0, { rate: '0' });
  return {
    advance(count) {
      done += count;
      const seconds = Math.max((Date.now() - started) / MS_PER_SECOND, Number.EPSILON);
      bar.update(done, { rate: (done / seconds).toFixed(0) });
    },
    stop() {
      bar.stop();
    },
  };
}
