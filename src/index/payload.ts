/**
 * Payload sections: typed arrays written back to back and read back in the same order. The
 * envelope has verified the bytes already; the reader still checks every length, so a header
 * that disagrees with its payload is reported as `corrupt-data` rather than read out of bounds.
 */
import { MuveraError } from '../errors.js';

type Section = Float32Array | Float64Array | Uint8Array | Uint16Array;
type SectionConstructor<T extends Section> = {
  new (buffer: ArrayBuffer): T;
  BYTES_PER_ELEMENT: number;
};

/** Concatenates the bytes of `sections`. */
export function packSections(sections: readonly Section[]): Uint8Array {
  let total = 0;
  for (const section of sections) total += section.byteLength;
  const out = new Uint8Array(total);
  let offset = 0;
  for (const section of sections) {
    out.set(new Uint8Array(section.buffer, section.byteOffset, section.byteLength), offset);
    offset += section.byteLength;
  }
  return out;
}

/** Reads sections of known lengths from a payload, copying each into aligned memory. */
export class SectionReader {
  #bytes: Uint8Array;
  #offset = 0;

  constructor(bytes: Uint8Array) {
    this.#bytes = bytes;
  }

  /** Reads `length` elements of type `make`. */
  read<T extends Section>(make: SectionConstructor<T>, length: number): T {
    const size = length * make.BYTES_PER_ELEMENT;
    if (this.#offset + size > this.#bytes.length) {
      throw new MuveraError(
        'corrupt-data',
        `candidate index payload ends at byte ${this.#bytes.length}, before a section of ${size} bytes at ${this.#offset}`,
        { offset: this.#offset, remedy: 'Rebuild the index from the stored documents' },
      );
    }
    // NOTE: a Node Buffer's slice() is a view, not a copy; copy into fresh, aligned memory.
    const copy = new Uint8Array(size);
    copy.set(this.#bytes.subarray(this.#offset, this.#offset + size));
    this.#offset += size;
    return new make(copy.buffer);
  }

  /** The bytes not read yet (a view), which ends the reading. */
  rest(): Uint8Array {
    const rest = this.#bytes.subarray(this.#offset);
    this.#offset = this.#bytes.length;
    return rest;
  }

  /** Throws `corrupt-data` unless every byte was read. */
  end(): void {
    if (this.#offset !== this.#bytes.length) {
      throw new MuveraError(
        'corrupt-data',
        `candidate index payload has ${this.#bytes.length - this.#offset} unread bytes`,
        { offset: this.#offset, remedy: 'Rebuild the index from the stored documents' },
      );
    }
  }
}
