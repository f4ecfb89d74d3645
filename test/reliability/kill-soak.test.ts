/**
 * Kill soak (issue 9): a child process runs a workload of batch upserts, replaces, deletes,
 * checkpoints and compactions on a collection on the real disk and is killed with SIGKILL at a
 * random moment. The next child opens the collection, reports everything it recovered (before it
 * continues the workload and is killed in turn), and this process checks the report against the
 * model of every acknowledged step: each acknowledged upsert present with identical tokens,
 * metadata and text, each acknowledged delete absent, the step in flight entirely present or
 * entirely absent, no unknown or duplicate id, FDE and exact strategies agreeing, and exact
 * search equal to a brute-force oracle over the model.
 *
 * CI runs 200 kills; `MUVERA_SOAK=1` runs 5,000 (`MUVERA_KILLS=n` sets any number).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { seededRandom } from '../../bench/harness.js';
import { bundleChild } from './bundle.js';
import { runChild } from './child-process.js';
import { applyStep, type Model, stepOf, violations } from './workload.js';

const CI_KILLS = 200;
const SOAK_KILLS = 5000;
const KILLS = Number(process.env.MUVERA_KILLS ?? (process.env.MUVERA_SOAK ? SOAK_KILLS : CI_KILLS));
const SEED = 9;
/** A kill lands this long after the child is ready, uniformly. */
const MAX_DELAY_MS = 300;

const root = mkdtempSync(join(tmpdir(), 'muvera-soak-'));
after(() => rmSync(root, { recursive: true, force: true }));

/** Applies the acknowledged steps from..to to `model`. */
function advance(model: Model, from: number, to: number): Model {
  let next = model;
  for (let s = from; s <= to; s++) next = applyStep(next, stepOf(SEED, s));
  return next;
}

describe('kill soak', () => {
  it(`recovers every acknowledged step through ${KILLS} SIGKILLs`, async (t) => {
    const bundle = bundleChild('soak-child.ts');
    const dir = join(root, 'collection');
    const random = seededRandom(SEED);
    const problems: string[] = [];
    let model: Model = new Map();
    let next = 0;
    let acknowledged = 0;
    let inFlightPresent = 0;
    const openMs: number[] = [];
    const started = performance.now();

    for (let kill = 0; kill <= KILLS; kill++) {
      const mode = kill === 0 ? 'create' : kill === KILLS ? 'open-only' : 'open';
      const plan = mode === 'open-only' ? null : { afterReady: random() * MAX_DELAY_MS };
      const run = await runChild(bundle, [dir, String(SEED), String(next), mode], next, plan);

      if (run.state) {
        // The previous child's step in flight (next) may be entirely present or absent. Steps
        // are idempotent, so this child runs it again either way.
        openMs.push(run.state.openMs);
        const withInFlight = applyStep(model, stepOf(SEED, next));
        const before = violations(run.state, model);
        const afterStep = violations(run.state, withInFlight);
        if (before.length > 0 && afterStep.length > 0) {
          problems.push(`kill ${kill}: ${before.slice(0, 3).join('; ')}`);
        } else if (before.length > 0) inFlightPresent++;
      }
      if (mode !== 'open-only' && !run.killed) problems.push(`kill ${kill}: ${run.stderr}`);
      if (mode === 'open-only' && run.stderr.includes('Error')) problems.push(run.stderr);
      acknowledged += run.lastAck - next + 1;
      model = advance(model, next, run.lastAck);
      next = run.lastAck + 1;
      if (problems.length > 5) break;
    }
    const seconds = (performance.now() - started) / 1000;
    openMs.sort((a, b) => a - b);
    t.diagnostic(
      `${KILLS} kills, ${acknowledged} acknowledged steps, ${model.size} documents at the end, ` +
        `in-flight step present after ${inFlightPresent} kills, open median ${openMs[openMs.length >> 1]?.toFixed(0)} ms ` +
        `max ${openMs.at(-1)?.toFixed(0)} ms, ${seconds.toFixed(0)} s`,
    );
    assert.deepEqual(problems, []);
    assert.ok(acknowledged > KILLS, 'the children did real work between kills');
  });
});
