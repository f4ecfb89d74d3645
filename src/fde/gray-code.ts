/**
 * Partition indexing of SimHash sign bits, as in Google's FDE reference code.
 *
 * A token's k SimHash sign bits are read in order (direction 0 first) and folded into a
 * partition index with `idx = (idx << 1) + (bit ^ (idx & 1))`. The index is therefore the
 * prefix XOR of the bits, and the bits of partition `idx` (direction 0 in the most significant
 * place) are recovered with `idx ^ (idx >> 1)`. Neighbouring partitions differ in one bit, which
 * is what makes Hamming distance between sign patterns the right measure when an empty document
 * partition borrows a token (see {@link nearestPatternOwners}).
 */

/** Appends one sign bit (0 or 1) to a partition index. */
export function appendSignBit(index: number, bit: number): number {
  return ((index << 1) + (bit ^ (index & 1))) >>> 0;
}

/** The sign bits of partition `index`, direction 0 in the most significant of the k places. */
export function partitionSignBits(index: number): number {
  return (index ^ (index >>> 1)) >>> 0;
}

/** The partition whose sign bits are `bits` (the inverse of {@link partitionSignBits}). */
export function partitionFromSignBits(bits: number, numBits: number): number {
  let index = 0;
  for (let i = numBits - 1; i >= 0; i--) index = appendSignBit(index, (bits >>> i) & 1);
  return index;
}

/** Number of set bits of a 32-bit word. */
export function popcount32(value: number): number {
  let v = value - ((value >>> 1) & 0x55555555);
  v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
  return (Math.imul((v + (v >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24) & 0xff;
}

const UNSET = -1;

/**
 * For every k-bit sign pattern, the token whose pattern is nearest in Hamming distance, ties going
 * to the lowest token number (as a scan over tokens in order would choose).
 *
 * `tokenPatterns[t]` is token t's sign pattern; `owners` (length 2^k) receives the token number
 * for each pattern. A breadth-first search over the k-cube from all token patterns at once costs
 * 2^k * k steps, independent of the token count, so a 100,000-token document is no slower to
 * fill than a short one. `scratch` (length 2 * 2^k) holds distances and the queue.
 */
export function nearestPatternOwners(
  tokenPatterns: ArrayLike<number>,
  numTokens: number,
  numBits: number,
  owners: Int32Array,
  scratch: Int32Array,
): void {
  const numPatterns = 2 ** numBits;
  const distance = scratch.subarray(0, numPatterns);
  const queue = scratch.subarray(numPatterns, 2 * numPatterns);
  owners.fill(UNSET, 0, numPatterns);
  distance.fill(UNSET);

  // Level 0: each token's own pattern, owned by its first token.
  let tail = 0;
  for (let t = 0; t < numTokens; t++) {
    const pattern = tokenPatterns[t];
    if (owners[pattern] !== UNSET) continue;
    owners[pattern] = t;
    distance[pattern] = 0;
    queue[tail++] = pattern;
  }

  // Level d + 1 takes the smallest owner among its level-d neighbours: that is the lowest-numbered
  // token at the minimum distance, because every shortest path ends in such a neighbour.
  for (let head = 0; head < tail; head++) {
    const pattern = queue[head];
    const next = distance[pattern] + 1;
    const owner = owners[pattern];
    for (let bit = 0; bit < numBits; bit++) {
      const neighbour = pattern ^ (1 << bit);
      if (distance[neighbour] === UNSET) {
        distance[neighbour] = next;
        owners[neighbour] = owner;
        queue[tail++] = neighbour;
      } else if (distance[neighbour] === next && owner < owners[neighbour]) {
        owners[neighbour] = owner;
      }
    }
  }
}
