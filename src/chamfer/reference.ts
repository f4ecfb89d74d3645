/**
 * The plain Chamfer (MaxSim) kernel: the readable oracle that every faster kernel is tested
 * against.
 *
 *   chamfer(Q, P) = sum over q in Q of max over p in P of <q, p>
 *
 * Padding rows (entirely zero) are skipped on both sides, consistently with the FDE encoder.
 */
import { isPaddingRow } from '../tokens/token-set.js';

/**
 * Chamfer similarity of `query` (numQueryTokens x dim) against `doc` (numDocTokens x dim),
 * without validation. Returns 0 when either side has no non-padding row.
 */
export function chamferReference(query: Float32Array, doc: Float32Array, dim: number): number {
  const numQuery = query.length / dim;
  const numDoc = doc.length / dim;
  let total = 0;
  for (let q = 0; q < numQuery; q++) {
    if (isPaddingRow(query, q, dim)) continue;
    let best = Number.NEGATIVE_INFINITY;
    for (let p = 0; p < numDoc; p++) {
      if (isPaddingRow(doc, p, dim)) continue;
      let dot = 0;
      for (let j = 0; j < dim; j++) dot += query[q * dim + j] * doc[p * dim + j];
      if (dot > best) best = dot;
    }
    if (best !== Number.NEGATIVE_INFINITY) total += best;
  }
  return total;
}
