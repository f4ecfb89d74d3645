/**
 * A deliberately plain FDE, token by token, straight from the definition (project every token,
 * then sum or average per partition; fill by scanning all tokens). Tests compare the fast encoder
 * against it; it shares only the seeded matrices.
 */

import { popcount32 } from '../../src/fde/gray-code.js';
import type { FdeConfigJson, FdeKind } from '../../src/fde/index.js';
import {
  appendSignBit,
  effectiveProjectionDimension,
  fdeDimension,
  partitionSignBits,
} from '../../src/fde/index.js';
import {
  denseProjection,
  finalSketch,
  simhashMatrix,
  sparseProjection,
} from '../../src/fde/matrices.js';
import { isPaddingRow } from '../../src/tokens/token-set.js';

export function naiveFde(config: FdeConfigJson, tokens: Float32Array, kind: FdeKind): Float64Array {
  const { dim, numRepetitions: R, numSimhashProjections: k } = config;
  const B = 2 ** k;
  const dProj = effectiveProjectionDimension(config);
  const S = simhashMatrix(config);
  const dense = config.projection === 'dense' ? denseProjection(config) : null;
  const sparse = config.projection === 'sparse' ? sparseProjection(config) : null;
  const rows = [];
  for (let t = 0; t < tokens.length / dim; t++) {
    if (!isPaddingRow(tokens, t, dim)) rows.push(tokens.subarray(t * dim, (t + 1) * dim));
  }
  const out = new Float64Array(fdeDimension(config));
  for (let r = 0; r < R; r++) {
    const projected = rows.map((x) => {
      const y = new Float64Array(dProj);
      for (let c = 0; c < dProj; c++) {
        if (config.projection === 'identity') y[c] = x[c];
        if (dense) for (let j = 0; j < dim; j++) y[c] += dense[(r * dProj + c) * dim + j] * x[j];
      }
      if (sparse)
        for (let j = 0; j < dim; j++)
          y[sparse.bucket[r * dim + j]] += sparse.sign[r * dim + j] * x[j];
      return y;
    });
    const bits = rows.map((x) => {
      let idx = 0;
      for (let i = 0; i < k; i++) {
        let dot = 0;
        for (let j = 0; j < dim; j++) dot += S[(r * k + i) * dim + j] * x[j];
        idx = appendSignBit(idx, dot > 0 ? 1 : 0);
      }
      return idx;
    });
    const counts = new Array(B).fill(0);
    for (let t = 0; t < rows.length; t++) {
      counts[bits[t]]++;
      for (let c = 0; c < dProj; c++) out[(r * B + bits[t]) * dProj + c] += projected[t][c];
    }
    for (let p = 0; p < B; p++) {
      const at = (r * B + p) * dProj;
      if (kind === 'document' && counts[p] > 0) {
        for (let c = 0; c < dProj; c++) out[at + c] /= counts[p];
      }
      if (kind === 'document' && counts[p] === 0 && config.fillEmptyPartitions) {
        let best = -1;
        let bestDistance = Number.POSITIVE_INFINITY;
        for (let t = 0; t < rows.length; t++) {
          const d = popcount32(partitionSignBits(p) ^ partitionSignBits(bits[t]));
          if (d < bestDistance) [best, bestDistance] = [t, d];
        }
        for (let c = 0; c < dProj; c++) out[at + c] = projected[best][c];
      }
    }
  }
  const sketch = finalSketch(config);
  if (!sketch || config.finalProjectionDimension === null) return out;
  const final = new Float64Array(config.finalProjectionDimension);
  for (let i = 0; i < out.length; i++) final[sketch.bucket[i]] += sketch.sign[i] * out[i];
  return final;
}
