/**
 * Keeps the `capacity` best (highest-scoring) entries of a stream in a binary min-heap: the root
 * is the worst entry kept, so a new score is tested against one number. O(n log k) for n offers.
 * Entries carry a numeric id (a document key); equal scores rank the lower id first, so results
 * do not depend on insertion order.
 */

/** A bounded selection of the highest scores, each with the id (document key) that produced it. */
export class TopK {
  readonly capacity: number;
  #scores: Float64Array;
  #ids: Float64Array;
  #size = 0;

  constructor(capacity: number) {
    this.capacity = capacity;
    this.#scores = new Float64Array(capacity);
    this.#ids = new Float64Array(capacity);
  }

  /** The lowest score kept, or -Infinity while there is room. Scores below it cannot enter. */
  get threshold(): number {
    return this.#size < this.capacity ? Number.NEGATIVE_INFINITY : this.#scores[0];
  }

  /** Offers one entry; kept when there is room or it beats the worst kept entry. */
  offer(score: number, id: number): void {
    if (this.#size < this.capacity) {
      this.#siftUp(this.#size++, score, id);
    } else if (worse(this.#scores[0], this.#ids[0], score, id)) {
      this.#siftDown(score, id);
    }
  }

  /** The kept entries, best first. Ties rank the lower id first. */
  sorted(): { ids: number[]; scores: number[] } {
    const order = Array.from({ length: this.#size }, (_, i) => i);
    order.sort((a, b) => this.#scores[b] - this.#scores[a] || this.#ids[a] - this.#ids[b]);
    return {
      ids: order.map((i) => this.#ids[i]),
      scores: order.map((i) => this.#scores[i]),
    };
  }

  #siftUp(position: number, score: number, id: number): void {
    let i = position;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!worse(score, id, this.#scores[parent], this.#ids[parent])) break;
      this.#scores[i] = this.#scores[parent];
      this.#ids[i] = this.#ids[parent];
      i = parent;
    }
    this.#scores[i] = score;
    this.#ids[i] = id;
  }

  #siftDown(score: number, id: number): void {
    let i = 0;
    const size = this.#size;
    for (;;) {
      let child = 2 * i + 1;
      if (child >= size) break;
      const right = child + 1;
      if (
        right < size &&
        worse(this.#scores[right], this.#ids[right], this.#scores[child], this.#ids[child])
      ) {
        child = right;
      }
      if (!worse(this.#scores[child], this.#ids[child], score, id)) break;
      this.#scores[i] = this.#scores[child];
      this.#ids[i] = this.#ids[child];
      i = child;
    }
    this.#scores[i] = score;
    this.#ids[i] = id;
  }
}

/** Heap order: lower score is worse; among equal scores the higher id is worse. */
function worse(scoreA: number, idA: number, scoreB: number, idB: number): boolean {
  return scoreA < scoreB || (scoreA === scoreB && idA > idB);
}
