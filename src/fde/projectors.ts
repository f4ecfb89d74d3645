/**
 * The three inner projections of an FDE, applied to rows that live in token space: a partition's
 * token sum, or the first token of a partition that fills an empty one. Because each projection is
 * linear, projecting a partition's sum equals summing its projected tokens, so the encoding pass
 * (src/fde/encode-pass.ts) aggregates raw tokens first and projects once per partition, not once
 * per token.
 *
 * - `identity`: the row itself (d_proj = dim).
 * - `sparse` (Google's reference code): input coordinate j of repetition r is added, with sign
 *   sign[r][j], to output coordinate bucket[r][j]; unscaled. dim multiply-adds a row, in float64
 *   (WebAssembly, src/fde/pass-memory.ts).
 * - `dense` (MUVERA paper): d_proj rows of +-1 / sqrt(d_proj); one WebAssembly product a call
 *   (src/fde/kernels.ts), in float32 as the token products are.
 */
import type { FdeConfig } from './config.js';
import { effectiveProjectionDimension } from './config.js';
import { type ProductKernel, productKernel } from './kernels.js';
import { denseProjection, sparseProjection } from './matrices.js';
import type { PassMemory, SparseTables } from './pass-memory.js';

const FLOAT64_BYTES = 8;

/** Projects rows of repetition r into `memory.projected`. */
export interface PartitionProjector {
  /** Shapes: rows (numRows x dim, a view of `memory`), memory.projected (numRows x d_proj). */
  project(r: number, rows: Float64Array, numRows: number): void;
}

/** The projector of a config's `projection`, writing into `memory`. */
export function partitionProjector(config: FdeConfig, memory: PassMemory): PartitionProjector {
  if (config.projection === 'identity') return new IdentityProjector(config.dim, memory);
  if (config.projection === 'sparse') return new SparseProjector(config, memory);
  return new DenseProjector(config, memory);
}

/** Copies rows (d_proj = dim). */
class IdentityProjector implements PartitionProjector {
  constructor(
    private readonly dim: number,
    private readonly memory: PassMemory,
  ) {}

  project(_r: number, rows: Float64Array, numRows: number): void {
    this.memory.projected.set(rows.subarray(0, numRows * this.dim));
  }
}

/**
 * One signed add per input coordinate, gathered by output coordinate: repetition r's input
 * coordinates sorted by bucket (then by j), so each output value is one running sum. The same
 * adds in the same order as a scatter over j, so the same bytes; run by PassMemory.projectSparse.
 */
class SparseProjector implements PartitionProjector {
  private readonly dim: number;
  private readonly dProj: number;

  constructor(
    config: FdeConfig,
    private readonly memory: PassMemory,
  ) {
    this.dim = config.dim;
    this.dProj = effectiveProjectionDimension(config);
    memory.setSparseTables(sparseTables(config));
  }

  project(r: number, rows: Float64Array, numRows: number): void {
    this.memory.projectSparse(r, rows, numRows, this.dim, this.dProj);
  }
}

/** The sparse projection of every repetition, counting-sorted by bucket, stable in j. */
function sparseTables(config: FdeConfig): SparseTables {
  const { dim, numRepetitions: reps } = config;
  const dProj = effectiveProjectionDimension(config);
  const { bucket, sign } = sparseProjection(config);
  const tables = {
    order: new Int32Array(reps * dim),
    signs: new Float64Array(reps * dim),
    starts: new Int32Array(reps * (dProj + 1)),
  };
  for (let r = 0; r < reps; r++) {
    const starts = tables.starts.subarray(r * (dProj + 1), (r + 1) * (dProj + 1));
    for (let j = 0; j < dim; j++) starts[bucket[r * dim + j] + 1]++;
    for (let c = 0; c < dProj; c++) starts[c + 1] += starts[c];

    const next = Int32Array.from(starts.subarray(0, dProj));
    for (let j = 0; j < dim; j++) {
      const at = r * dim + next[bucket[r * dim + j]]++;
      tables.order[at] = j * FLOAT64_BYTES;
      tables.signs[at] = sign[r * dim + j];
    }
  }
  return tables;
}

/** One product of the rows (rounded to float32) with the repetition's d_proj x dim matrix. */
class DenseProjector implements PartitionProjector {
  private readonly dim: number;
  private readonly dProj: number;
  private readonly matrix: Float32Array;
  private readonly product: ProductKernel;
  private staged = new Float32Array(0);
  private products = new Float32Array(0);

  constructor(
    config: FdeConfig,
    private readonly memory: PassMemory,
  ) {
    this.dim = config.dim;
    this.dProj = effectiveProjectionDimension(config);
    this.matrix = denseProjection(config);
    this.product = productKernel(config.dim);
  }

  project(r: number, rows: Float64Array, numRows: number): void {
    const { dim, dProj } = this;
    if (this.staged.length < numRows * dim) {
      this.staged = new Float32Array(numRows * dim);
      this.products = new Float32Array(numRows * dProj);
    }
    this.staged.set(rows.subarray(0, numRows * dim));

    const rowsOfR = this.matrix.subarray(r * dProj * dim, (r + 1) * dProj * dim);
    this.product(this.staged, numRows, rowsOfR, dProj, dim, this.products);
    this.memory.projected.set(this.products.subarray(0, numRows * dProj));
  }
}
