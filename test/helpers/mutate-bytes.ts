/**
 * Byte mutations for the fuzz tests of every file reader: overwritten bytes, a flipped bit, a
 * truncation, appended garbage, or a 32-bit field set to an extreme value.
 */

/** 32-bit values that break size and count fields most often. */
export const EXTREME_WORDS = [0, 1, 0x7fffffff, 0xffffffff, 0x80000000, 0xfffffffe];

/**
 * A mutated copy of `good`, chosen by `random`. With `alignWords`, extreme words land on 4-byte
 * boundaries (where fixed-layout headers keep their fields); otherwise anywhere.
 */
export function mutateBytes(
  good: Uint8Array,
  random: () => number,
  { alignWords = false } = {},
): Uint8Array {
  const pick = (n: number) => Math.floor(random() * n);
  const bad = good.slice();
  switch (pick(5)) {
    case 0:
      for (let i = 1 + pick(4); i > 0; i--) bad[pick(bad.length)] = pick(256);
      return bad;
    case 1:
      bad[pick(bad.length)] ^= 1 << pick(8);
      return bad;
    case 2:
      return bad.subarray(0, pick(bad.length));
    case 3: {
      const longer = new Uint8Array(bad.length + 1 + pick(64));
      longer.set(bad);
      for (let i = bad.length; i < longer.length; i++) longer[i] = pick(256);
      return longer;
    }
    default: {
      const offset = pick(Math.max(1, bad.length - 4));
      const at = alignWords ? offset & ~3 : offset;
      new DataView(bad.buffer).setUint32(at, EXTREME_WORDS[pick(EXTREME_WORDS.length)], true);
      return bad;
    }
  }
}
