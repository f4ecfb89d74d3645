/**
 * Runs `muvera eval` once its flags are parsed. The evaluation itself (BEIR loading, running the
 * queries, metrics, sweeps, plots) belongs to src/eval.
 */
import { MuveraError } from '../../errors.js';
import type { CliContext } from '../context.js';
import type { EvalFlags } from './eval-command.js';

/** Evaluates and prints the result. */
export async function runEvaluation(_context: CliContext, flags: EvalFlags): Promise<void> {
  throw new MuveraError('unavailable', 'muvera eval is not wired to src/eval yet', {
    parameter: '--dataset',
    actual: flags.dataset,
  });
}
