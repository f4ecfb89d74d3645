/**
 * Seeded token sets for collection tests: clustered unit-norm tokens, so that documents sharing
 * a topic score higher against that topic's queries (a little like ColBERT geometry), and the
 * brute-force oracle the results are checked against.
 */
import { seededRandom } from '../../bench/harness.js';
import { chamferReference } from '../../src/chamfer/reference.js';
import type { DocumentInput } from '../../src/collection/types.js';

/** A seeded source of token sets over `numTopics` topic centres. */
export class TokenFactory {
  readonly dim: number;
  readonly #random: () => number;
  readonly #topics: Float32Array[];

  constructor(dim: number, seed: number, numTopics = 8) {
    this.dim = dim;
    this.#random = seededRandom(seed);
    this.#topics = Array.from({ length: numTopics }, () => this.#unit(this.#gaussian(dim)));
  }

  /** `numTokens` unit rows near topic `topic` (spread 0 = the centre itself). */
  tokens(numTokens: number, topic: number, spread = 0.6): Float32Array {
    const out = new Float32Array(numTokens * this.dim);
    const centre = this.#topics[topic % this.#topics.length];
    for (let row = 0; row < numTokens; row++) {
      const noise = this.#gaussian(this.dim);
      const mixed = centre.map((c, j) => c + spread * noise[j]);
      out.set(this.#unit(mixed), row * this.dim);
    }
    return out;
  }

  /** `count` documents `doc-<first + i>` of 3 to 12 tokens, topic i mod topics, metadata. */
  documents(count: number, first = 0): DocumentInput[] {
    return Array.from({ length: count }, (_, i) => {
      const n = first + i;
      const numTokens = 3 + Math.floor(this.#random() * 10);
      return {
        id: `doc-${n}`,
        tokens: this.tokens(numTokens, n),
        metadata: { n, parity: n % 2 === 0 ? 'even' : 'odd', topic: n % this.#topics.length },
        text: `text of document ${n}`,
      };
    });
  }

  #gaussian(n: number): Float32Array {
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      const u = 1 - this.#random();
      out[i] = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.#random());
    }
    return out;
  }

  #unit(v: Float32Array): Float32Array {
    const norm = Math.hypot(...v) || 1;
    return v.map((x) => x / norm);
  }
}

/** Ids and exact Chamfer scores of every document, best first (ties: lower id first). */
export function bruteForce(
  query: Float32Array,
  docs: { id: string; tokens: Float32Array }[],
  dim: number,
): { id: string; score: number }[] {
  return docs
    .map((doc) => ({ id: doc.id, score: chamferReference(query, doc.tokens, dim) }))
    .sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : 1));
}

/** Score tolerance of comparisons between kernels (float32 accumulation order differs). */
export const SCORE_TOLERANCE = 1e-4;

/**
 * Checks that `hits` is a valid top-k of `oracle`: the same scores position by position, so
 * ties may come in either order.
 */
export function sameRanking(
  hits: { id: string; score: number }[],
  oracle: { id: string; score: number }[],
): boolean {
  if (hits.length !== oracle.length) return false;
  return hits.every((hit, i) => Math.abs(hit.score - oracle[i].score) <= SCORE_TOLERANCE);
}
