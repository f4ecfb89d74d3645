/**
 * Building encoders from the CLI's spec strings and from the JSON spec a collection stores.
 *
 *   static:<folder or .vec file>       word vectors (src/encoders/static-encoder.ts)
 *   colbert:<hub model id or folder>   a ColBERT model through ONNX (src/encoders/colbert-onnx.ts)
 */
import { existsSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { invalidArgument, MuveraError } from '../errors.js';
import { ColbertOnnxEncoder } from './colbert-onnx.js';
import { StaticTokenEncoder } from './static-encoder.js';
import type { EncoderSpec, TokenEncoder } from './types.js';

const KINDS = ['static', 'colbert'] as const;
/** The package's root (two levels above src/encoders or dist/encoders), where data/ ships. */
const PACKAGE_ROOT = fileURLToPath(new URL('../..', import.meta.url));

/**
 * A relative `static:` path as given when it exists from the working directory, else the same
 * path inside the package, so `static:data/encoders/fasttext-skipgram128` finds the bundled
 * vectors from an installed package too.
 */
function staticPath(target: string): string {
  if (isAbsolute(target) || existsSync(target)) return target;
  const bundled = join(PACKAGE_ROOT, target);
  return existsSync(bundled) ? bundled : target;
}

/**
 * An encoder from a spec string such as `static:data/encoders/fasttext-skipgram128` (a relative
 * static path is looked up from the working directory, then inside the package).
 */
export async function createEncoder(spec: string): Promise<TokenEncoder> {
  const colon = spec.indexOf(':');
  const kind = colon < 0 ? '' : spec.slice(0, colon);
  const target = spec.slice(colon + 1);
  if (!KINDS.includes(kind as (typeof KINDS)[number]) || target === '') {
    throw invalidArgument(
      'encoder',
      '"static:<folder or .vec file>" or "colbert:<model id or folder>"',
      spec,
    );
  }
  if (kind === 'static') return StaticTokenEncoder.load(staticPath(target));
  return ColbertOnnxEncoder.load(target);
}

/**
 * Rebuilds the encoder a stored spec describes, with the same settings, and checks that what
 * loads has the recorded dimension (and vocabulary size, for static vectors).
 */
export async function loadEncoder(spec: EncoderSpec): Promise<TokenEncoder> {
  if (spec?.kind === 'static') {
    const { stopWords, uniqueDocumentTokens, uniqueQueryTokens, normalize } = spec;
    const options = { stopWords, uniqueDocumentTokens, uniqueQueryTokens, normalize };
    const encoder = await StaticTokenEncoder.load(spec.path, options);
    checkSame('vocabSize', spec.vocabSize, encoder.spec.vocabSize, spec.path);
    checkSame('dim', spec.dim, encoder.dim, spec.path);
    return encoder;
  }
  if (spec?.kind === 'colbert') {
    const { revision, dtype, queryLength, documentLength } = spec;
    const options = { revision, dtype, queryLength, documentLength };
    const encoder = await ColbertOnnxEncoder.load(spec.model, options);
    checkSame('dim', spec.dim, encoder.dim, spec.model);
    return encoder;
  }
  throw invalidArgument(
    'spec.kind',
    `one of ${KINDS.join(', ')}`,
    (spec as { kind?: unknown })?.kind,
  );
}

function checkSame(field: string, recorded: number, loaded: number, source: string): void {
  if (recorded !== loaded) {
    throw new MuveraError(
      'config-mismatch',
      `the encoder at ${source} has ${field} ${loaded} but the stored spec says ${recorded}`,
      { parameter: `spec.${field}`, expected: recorded, actual: loaded },
    );
  }
}
