/**
 * The portable Chamfer kernel: plain TypeScript, runs wherever JavaScript runs. It is the
 * fallback when WebAssembly SIMD cannot load, and the kernel behind `explainChamfer`.
 *
 * Loop order: document row outer, query row inner, so each document row is decoded once (from
 * float16 through a table, from int8 as code * scale) into a one-row scratch and then dotted
 * with every query row; `best` keeps the running maximum of each query row. Dot products
 * accumulate in JavaScript numbers (float64), at least as precise as the float32 contract.
 */
import { isPaddingRow } from '../tokens/token-set.js';
import { halfTable } from './float16.js';
import { type ChamferKernel, emptyDocument, nonFiniteDocument } from './kernel.js';
import type { EncodedTokens } from './precision.js';

/** Shape: query numQuery x dim (padding removed); documents are rows of an EncodedTokens. */
export class PortableKernel implements ChamferKernel {
  readonly name = 'portable';
  private query = new Float32Array(0);
  private numQuery = 0;
  private dim = 0;
  private best = new Float64Array(0);
  private row: Float32Array = new Float32Array(0);
  private current: Float32Array = this.row;
  /** Original row index of each packed query row. */
  private queryRows = new Int32Array(0);

  setQuery(query: Float32Array, dim: number): void {
    const numTokens = query.length / dim;
    if (this.query.length < query.length) this.query = new Float32Array(query.length);
    if (this.best.length < numTokens) this.best = new Float64Array(numTokens);
    if (this.queryRows.length < numTokens) this.queryRows = new Int32Array(numTokens);
    if (this.row.length < dim) this.row = new Float32Array(dim);

    let kept = 0;
    for (let r = 0; r < numTokens; r++) {
      if (isPaddingRow(query, r, dim)) continue;
      this.query.set(query.subarray(r * dim, (r + 1) * dim), kept * dim);
      this.queryRows[kept++] = r;
    }
    this.numQuery = kept;
    this.dim = dim;
  }

  scoreBatch(
    tokens: EncodedTokens,
    offsets: ArrayLike<number>,
    first: number,
    last: number,
    out: Float32Array,
    outAt: number,
    labelBase: number,
  ): void {
    for (let doc = first; doc < last; doc++) {
      const label = labelBase + doc;
      out[outAt + doc - first] = this.scoreRows(tokens, offsets[doc], offsets[doc + 1], label);
    }
  }

  /**
   * Scores rows `start` to `end - 1` of `tokens`. With `argmax`, also writes for each ORIGINAL
   * query row the best document row (relative to `start`; -1 for padding query rows) and with
   * `maxima` its dot product (0 for padding rows). Ties keep the lower document row.
   */
  scoreRows(
    tokens: EncodedTokens,
    start: number,
    end: number,
    label: number,
    argmax?: Int32Array,
    maxima?: Float32Array,
  ): number {
    const { best, numQuery, dim } = this;
    best.fill(Number.NEGATIVE_INFINITY, 0, numQuery);
    const bestRow = argmax ? new Int32Array(numQuery) : undefined;
    let kept = 0;

    for (let r = start; r < end; r++) {
      const base = this.loadRow(tokens, r);
      const values = this.current;
      if (isPaddingRow(values, base / dim, dim)) continue;
      if (!finiteRow(values, base, dim)) throw nonFiniteDocument(label, r - start);
      kept++;
      this.scoreRow(values, base, r - start, bestRow);
    }
    if (kept === 0) throw emptyDocument(label, end - start);

    if (argmax && maxima && bestRow) this.unpack(bestRow, argmax, maxima);
    let total = 0;
    for (let q = 0; q < numQuery; q++) total += best[q];
    return total;
  }

  /**
   * Dots one document row (float32 at `values[base..]`) with every query row and keeps the
   * maxima. Four query rows share each loaded document value.
   */
  private scoreRow(values: Float32Array, base: number, row: number, bestRow?: Int32Array): void {
    const { best, numQuery, dim, query } = this;
    let q = 0;
    for (; q + QUERY_BLOCK <= numQuery; q += QUERY_BLOCK) {
      const q0 = q * dim;
      let d0 = 0;
      let d1 = 0;
      let d2 = 0;
      let d3 = 0;
      for (let j = 0; j < dim; j++) {
        const v = values[base + j];
        d0 += query[q0 + j] * v;
        d1 += query[q0 + dim + j] * v;
        d2 += query[q0 + 2 * dim + j] * v;
        d3 += query[q0 + 3 * dim + j] * v;
      }
      keep(best, q, d0, row, bestRow);
      keep(best, q + 1, d1, row, bestRow);
      keep(best, q + 2, d2, row, bestRow);
      keep(best, q + 3, d3, row, bestRow);
    }
    for (; q < numQuery; q++) {
      let dot = 0;
      for (let j = 0; j < dim; j++) dot += query[q * dim + j] * values[base + j];
      keep(best, q, dot, row, bestRow);
    }
  }

  /** Spreads packed per-row results back to original query rows. */
  private unpack(bestRow: Int32Array, argmax: Int32Array, maxima: Float32Array): void {
    argmax.fill(-1);
    maxima.fill(0);
    for (let q = 0; q < this.numQuery; q++) {
      argmax[this.queryRows[q]] = bestRow[q];
      maxima[this.queryRows[q]] = this.best[q];
    }
  }

  /**
   * Points `current` at row `r` as float32 and returns the row's first index in it: the stored
   * array itself for float32, else the decoded scratch row.
   */
  private loadRow(tokens: EncodedTokens, r: number): number {
    const { values, dim } = tokens;
    if (values instanceof Float32Array) {
      this.current = values;
      return r * dim;
    }
    const row = this.row;
    this.current = row;
    const base = r * dim;
    if (values instanceof Uint16Array) {
      const table = halfTable();
      for (let j = 0; j < dim; j++) row[j] = table[values[base + j]];
      return 0;
    }
    const scales = tokens.scales as Float32Array;
    const perToken = tokens.scaleMode === 'token';
    for (let j = 0; j < dim; j++) row[j] = values[base + j] * scales[perToken ? r : j];
    return 0;
  }

  dotProducts(
    a: Float32Array,
    aRows: number,
    b: Float32Array,
    bRows: number,
    dim: number,
    out: Float32Array,
  ): void {
    for (let i = 0; i < aRows; i++) {
      for (let k = 0; k < bRows; k++) {
        let dot = 0;
        for (let j = 0; j < dim; j++) dot += a[i * dim + j] * b[k * dim + j];
        out[i * bRows + k] = dot;
      }
    }
  }
}

/** Query rows scored together against one document row. */
const QUERY_BLOCK = 4;

/** Raises best[q] to `dot` when larger (ties keep the earlier row), noting the row. */
function keep(best: Float64Array, q: number, dot: number, row: number, bestRow?: Int32Array) {
  if (dot > best[q]) {
    best[q] = dot;
    if (bestRow) bestRow[q] = row;
  }
}

function finiteRow(values: Float32Array, base: number, dim: number): boolean {
  for (let j = base; j < base + dim; j++) if (!Number.isFinite(values[j])) return false;
  return true;
}
