/**
 * Dense, growable rows of fixed width with a key for each row, shared by the flat and PQ indexes.
 *
 * Rows live back to back in one typed array (row `slot` at `slot * width`), so a scan walks
 * memory in order. Removing a row moves the last row into its slot, keeping the array dense;
 * the key-to-slot map follows the move. Capacity doubles when full.
 */

/** Typed arrays a row store can hold. */
export type RowArray = Float32Array | Uint8Array;

type RowArrayConstructor<T extends RowArray> = new (length: number) => T;

const INITIAL_CAPACITY = 16;

/** Keyed rows of `width` values of one typed-array type. */
export class RowStore<T extends RowArray> {
  readonly width: number;
  #make: RowArrayConstructor<T>;
  #data: T;
  #keys: Float64Array;
  #slotOf = new Map<number, number>();

  constructor(make: RowArrayConstructor<T>, width: number) {
    this.#make = make;
    this.width = width;
    this.#data = new make(INITIAL_CAPACITY * width);
    this.#keys = new Float64Array(INITIAL_CAPACITY);
  }

  /** Rows held. */
  get size(): number {
    return this.#slotOf.size;
  }

  /** All rows, back to back: row `slot` is at `slot * width`. Valid until the next change. */
  get data(): T {
    return this.#data;
  }

  /** Key of each slot: `keys[slot]`. Valid until the next change. */
  get keys(): Float64Array {
    return this.#keys;
  }

  /** Bytes held by rows and keys (capacity included). */
  get bytes(): number {
    return this.#data.byteLength + this.#keys.byteLength + this.#slotOf.size * MAP_ENTRY_BYTES;
  }

  has(key: number): boolean {
    return this.#slotOf.has(key);
  }

  /** Appends rows: row i of `rows` under `keys[i]`. Keys must be new (checked by the caller). */
  append(keys: readonly number[], rows: T): void {
    this.#reserve(this.size + keys.length);
    const start = this.size;
    this.#data.set(rows.subarray(0, keys.length * this.width), start * this.width);
    for (let i = 0; i < keys.length; i++) {
      this.#keys[start + i] = keys[i];
      this.#slotOf.set(keys[i], start + i);
    }
  }

  /** Removes a key, moving the last row into its slot. Returns false when it was not held. */
  delete(key: number): boolean {
    const slot = this.#slotOf.get(key);
    if (slot === undefined) return false;

    const last = this.size - 1;
    if (slot !== last) {
      const width = this.width;
      this.#data.copyWithin(slot * width, last * width, (last + 1) * width);
      this.#keys[slot] = this.#keys[last];
      this.#slotOf.set(this.#keys[slot], slot);
    }
    this.#slotOf.delete(key);
    return true;
  }

  /** The rows in use, back to back (a view, valid until the next change). */
  usedRows(): T {
    return this.#data.subarray(0, this.size * this.width) as T;
  }

  /** The keys in slot order (a view, valid until the next change). */
  usedKeys(): Float64Array {
    return this.#keys.subarray(0, this.size);
  }

  /** Doubles capacity until `rows` fit. */
  #reserve(rows: number): void {
    let capacity = this.#keys.length;
    if (rows <= capacity) return;
    while (capacity < rows) capacity *= 2;

    const data = new this.#make(capacity * this.width);
    data.set(this.#data.subarray(0, this.size * this.width));
    this.#data = data;
    const keys = new Float64Array(capacity);
    keys.set(this.#keys.subarray(0, this.size));
    this.#keys = keys;
  }
}

/** NOTE: a rough figure for one Map entry in V8 (key, value, hash-table slot). */
const MAP_ENTRY_BYTES = 40;
