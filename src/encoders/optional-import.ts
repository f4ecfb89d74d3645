/** Loading an optional dependency on first use, with a clear error when it is not installed. */
import { MuveraError } from '../errors.js';

/**
 * Imports `specifier`, or throws `unavailable` naming it and the command that installs it.
 * The specifier is a variable, so bundlers and the type checker leave the import alone.
 */
export async function importOptional<T>(specifier: string, install: string): Promise<T> {
  try {
    return (await import(specifier)) as T;
  } catch (cause) {
    throw new MuveraError('unavailable', `optional dependency ${specifier} is not installed`, {
      parameter: 'encoder',
      expected: specifier,
      cause,
      remedy: `Install it: ${install}`,
    });
  }
}
