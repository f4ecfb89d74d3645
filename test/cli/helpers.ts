/** Runs the CLI in-process and captures what it writes, for the CLI tests. */
import { Writable } from 'node:stream';
import { main } from '../../src/cli/main.js';
import type { Engine } from '../../src/server/engine.js';

/** A writable that keeps what was written. */
export class Capture extends Writable {
  text = '';
  override _write(chunk: Buffer, _encoding: string, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
}

/** Exit code and output of one CLI run. */
export interface Run {
  code: number;
  out: string;
  err: string;
}

/** Runs `muvera <argv...>` against `engine`; `serve` returns at once (never interrupted twice). */
export async function runCli(engine: Engine, ...argv: string[]): Promise<Run> {
  const out = new Capture();
  const err = new Capture();
  const code = await main(argv, { out, err, engine, interrupted: () => Promise.resolve() });
  return { code, out: out.text, err: err.text };
}
