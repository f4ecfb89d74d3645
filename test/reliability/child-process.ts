/**
 * Runs a bundled child of the reliability tests and follows its `state`, `ready` and `ack`
 * lines; kills it with SIGKILL on request.
 */
import { spawn } from 'node:child_process';
import type { StateReport } from './workload.js';

/** What a child printed before it ended. */
export interface ChildRun {
  /** The recovered state it reported, when it opened an existing collection. */
  state?: StateReport & { openMs: number };
  /** Last step it acknowledged (first step - 1 when none). */
  lastAck: number;
  /** True when it ended by SIGKILL. */
  killed: boolean;
  /** Milliseconds from spawn to exit. */
  lifeMs: number;
  stderr: string;
}

/** When to kill: `afterReady` ms after the `ready` line, or `afterSpawn` ms after spawning. */
export type KillPlan = { afterReady: number } | { afterSpawn: number } | null;

/** Spawns `node bundle ...args`, kills it by `plan`, and resolves when it has exited. */
export function runChild(bundle: string, args: string[], first: number, plan: KillPlan) {
  return new Promise<ChildRun>((resolve) => {
    const started = performance.now();
    const child = spawn(process.execPath, [bundle, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    const run: ChildRun = { lastAck: first - 1, killed: false, lifeMs: 0, stderr: '' };
    const kill = () => child.kill('SIGKILL');
    if (plan && 'afterSpawn' in plan) setTimeout(kill, plan.afterSpawn);
    let buffer = '';
    child.stdout.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      const lines = buffer.split('\n');
      buffer = lines.pop() ?? '';
      for (const line of lines) {
        if (line === 'ready' && plan && 'afterReady' in plan) setTimeout(kill, plan.afterReady);
        else if (line.startsWith('ack ')) run.lastAck = Number(line.slice(4));
        else if (line.startsWith('state ')) run.state = JSON.parse(line.slice(6));
      }
    });
    child.stderr.on('data', (chunk: Buffer) => {
      run.stderr += chunk.toString();
    });
    child.on('exit', (_code, signal) => {
      run.killed = signal === 'SIGKILL';
      run.lifeMs = performance.now() - started;
      resolve(run);
    });
  });
}
