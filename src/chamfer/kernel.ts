/**
 * The Chamfer kernel contract and its selection.
 *
 * Two kernels score with the same arithmetic contract: the WebAssembly SIMD kernel
 * (kernel-wasm.ts, the fast path) and the portable TypeScript kernel (kernel-portable.ts, the
 * fallback on any runtime). `'auto'` takes WebAssembly when its module instantiates and falls
 * back to the portable kernel otherwise; tests and benchmarks pick one explicitly with
 * {@link setChamferKernel} or the `MUVERA_CHAMFER_KERNEL` environment variable.
 */
import { DEFAULTS } from '../defaults.js';
import { invalidArgument, MuveraError } from '../errors.js';
import { logger } from '../log.js';
import { PortableKernel } from './kernel-portable.js';
import { loadWasmKernel } from './kernel-wasm.js';
import type { EncodedTokens } from './precision.js';

/** Names of the kernels. */
export type KernelName = 'wasm-simd' | 'portable';

/** A kernel choice: one kernel, or `'auto'` (WebAssembly when it loads, else portable). */
export type KernelChoice = KernelName | 'auto';

const CHOICES: readonly KernelChoice[] = ['auto', 'wasm-simd', 'portable'];

/**
 * What every kernel does. One instance per thread; calls are synchronous and never interleave.
 * Padding rows are dropped on both sides; documents are checked for NaN, infinities and
 * emptiness while they are scored.
 */
export interface ChamferKernel {
  readonly name: KernelName;
  /** Loads a validated query (numTokens x dim) for the following `scoreBatch` calls. */
  setQuery(query: Float32Array, dim: number): void;
  /**
   * Scores documents `first` to `last - 1` of a batch (document i is rows `offsets[i]` to
   * `offsets[i + 1]` of `tokens`) into `out[outAt + i - first]`. Errors name the document
   * `documents[labelBase + i]`.
   */
  scoreBatch(
    tokens: EncodedTokens,
    offsets: ArrayLike<number>,
    first: number,
    last: number,
    out: Float32Array,
    outAt: number,
    labelBase: number,
  ): void;
  /** out[i * bRows + j] = <a_i, b_j> for a (aRows x dim) and b (bRows x dim). */
  dotProducts(
    a: Float32Array,
    aRows: number,
    b: Float32Array,
    bRows: number,
    dim: number,
    out: Float32Array,
  ): void;
}

/** The error for a document with no non-padding row. */
export function emptyDocument(label: number, numTokens: number): MuveraError {
  const what = numTokens === 0 ? 'no rows' : `only padding rows (${numTokens}, all zero)`;
  return new MuveraError('empty-input', `documents[${label}] has ${what}`, {
    parameter: `documents[${label}]`,
    expected: 'at least one non-zero token row',
    actual: numTokens,
  });
}

/** The error for a document value that is NaN or infinite. */
export function nonFiniteDocument(label: number, row: number): MuveraError {
  return new MuveraError(
    'non-finite-value',
    `documents[${label}] row ${row} has a NaN or infinity`,
    {
      parameter: `documents[${label}]`,
      expected: 'finite numbers',
      actual: `row ${row}`,
    },
  );
}

function initialChoice(): KernelChoice {
  const fromEnv = process.env.MUVERA_CHAMFER_KERNEL;
  return fromEnv && (CHOICES as readonly string[]).includes(fromEnv)
    ? (fromEnv as KernelChoice)
    : DEFAULTS.chamfer.kernel;
}

let choice: KernelChoice = initialChoice();
let active: ChamferKernel | undefined;
const portable = new PortableKernel();

/**
 * The kernel for `next`: `'auto'` falls back to the portable kernel when `loadWasm` throws,
 * `'wasm-simd'` turns that failure into an `unavailable` error. Exported for tests.
 */
export function chooseKernel(
  next: KernelChoice,
  loadWasm: () => ChamferKernel = loadWasmKernel,
): ChamferKernel {
  if (next === 'portable') return portable;
  try {
    return loadWasm();
  } catch (error) {
    if (next === 'wasm-simd') {
      throw new MuveraError('unavailable', 'the WebAssembly SIMD Chamfer kernel cannot load', {
        remedy: "Use setChamferKernel('auto') to fall back to the portable kernel",
        cause: error,
      });
    }
    logger.debug('Chamfer: WebAssembly SIMD unavailable, using the portable kernel', error);
    return portable;
  }
}

/** The kernel this thread scores with (loaded on first use). */
export function getKernel(): ChamferKernel {
  active ??= chooseKernel(choice);
  return active;
}

/** The portable kernel (explain and tests use it directly). */
export function getPortableKernel(): PortableKernel {
  return portable;
}

/**
 * Chooses the Chamfer kernel of this thread: `'auto'` (default), `'wasm-simd'` (throws
 * `unavailable` on first use if it cannot load) or `'portable'`. Worker threads of a
 * {@link ChamferPool} follow the choice made before the pool was created.
 */
export function setChamferKernel(next: KernelChoice): void {
  if (!CHOICES.includes(next)) throw invalidArgument('kernel', CHOICES.join(' | '), next);
  choice = next;
  active = undefined;
}

/** The current kernel choice (what {@link setChamferKernel} last set). */
export function getChamferKernelChoice(): KernelChoice {
  return choice;
}

/** The name of the kernel in use on this thread, loading it if needed. */
export function chamferKernelName(): KernelName {
  return getKernel().name;
}
