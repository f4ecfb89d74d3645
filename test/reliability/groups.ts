/**
 * The readers-and-one-writer workload: the writer rewrites whole groups of documents in one
 * upsert (every document of group g gets version v), deletes whole groups in one call, and
 * checkpoints and compacts now and then. A reader that sees a group with documents of two
 * versions, with some of its documents missing, or with tokens that are not those of the stated
 * version has seen a torn write.
 */
import { seededRandom } from '../../bench/harness.js';
import type { DocumentInput } from '../../src/collection/types.js';

export const GROUP_DIM = 5;
export const GROUPS = 12;
export const GROUP_SIZE = 8;
const TOKENS = 3;

/** The tokens of document i of group g at version v. */
export function groupTokens(g: number, i: number, v: number): Float32Array {
  const random = seededRandom(((g * 131 + i) * 7919 + v) >>> 0);
  return Float32Array.from({ length: TOKENS * GROUP_DIM }, () => random() * 2 - 1);
}

/** Group g at version v: one upsert's documents. */
export function groupDocuments(g: number, v: number): DocumentInput[] {
  return Array.from({ length: GROUP_SIZE }, (_, i) => ({
    id: `g${g}-${i}`,
    tokens: groupTokens(g, i, v),
    metadata: { group: g, version: v, i },
  }));
}

/** The ids of group g. */
export function groupIds(g: number): string[] {
  return Array.from({ length: GROUP_SIZE }, (_, i) => `g${g}-${i}`);
}
