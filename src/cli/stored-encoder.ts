/**
 * `--encoder` against the encoder a collection stores. Tokens from two encoders live in
 * unrelated spaces (even at the same dim), so a collection is extended only with the encoder it
 * was built with: `muvera index` on an existing collection refuses any other with
 * `config-mismatch`, naming both specs.
 */
import type { EncoderSpec, TokenEncoder } from '../encoders/types.js';
import { MuveraError } from '../errors.js';
import { loadNamedEncoder } from '../server/operations.js';
import type { CliContext } from './context.js';

/** The flag that names an encoder. */
const FLAG = '--encoder';

/** A spec as a user would write it: `static:<path>` or `colbert:<model>`. */
export function specLabel(spec: EncoderSpec): string {
  return spec.kind === 'static' ? `static:${spec.path}` : `colbert:${spec.model}`;
}

/** `"<given>"`, plus what it loads when that reads differently (a relative path made absolute). */
function named(given: string, loaded: EncoderSpec): string {
  const label = specLabel(loaded);
  return label === given ? `"${given}"` : `"${given}" (${label})`;
}

/** Fields whose values differ between two specs (settings included), in a stable order. */
function differingFields(a: EncoderSpec, b: EncoderSpec): string[] {
  const left = a as unknown as Record<string, unknown>;
  const right = b as unknown as Record<string, unknown>;
  const keys = [...new Set([...Object.keys(left), ...Object.keys(right)])].sort();
  return keys.filter((key) => JSON.stringify(left[key]) !== JSON.stringify(right[key]));
}

/** Loads the encoder `--encoder <spec>` names, for a new collection. */
export function loadEncoderFlag(context: CliContext, spec: string): Promise<TokenEncoder> {
  return loadNamedEncoder((given) => context.engine.loadEncoder(given), spec, FLAG);
}

/**
 * Loads `--encoder <given>` for the existing collection in `dir` and returns it when it equals
 * the `stored` one; otherwise throws `config-mismatch` naming both specs.
 */
export async function storedEncoderFlag(
  context: CliContext,
  dir: string,
  stored: EncoderSpec | null,
  given: string,
): Promise<TokenEncoder> {
  if (stored === null) {
    throw new MuveraError(
      'config-mismatch',
      `${FLAG} "${given}" was given, but ${dir} stores no encoder (its documents came as vectors)`,
      {
        parameter: FLAG,
        expected: null,
        actual: given,
        remedy: 'Leave --encoder out and give each line "vectors", or index into a new directory',
      },
    );
  }
  const encoder = await loadEncoderFlag(context, given);
  const differences = differingFields(stored, encoder.spec);
  if (differences.length === 0) return encoder;

  await encoder.dispose();
  throw new MuveraError(
    'config-mismatch',
    `${FLAG} ${named(given, encoder.spec)}, but ${dir} was built with ${specLabel(stored)} ` +
      `(they differ in ${differences.join(', ')}); indexing with another encoder would mix ` +
      'incompatible tokens',
    {
      parameter: FLAG,
      expected: specLabel(stored),
      actual: given,
      remedy: 'Leave --encoder out to use the stored encoder, or index into a new directory',
    },
  );
}
