/**
 * A WebAssembly module of two functions, written out opcode by opcode (WebAssembly core spec 2.0
 * binary format; its SIMD and bulk-memory instructions run in Node 20 without flags):
 *
 *   addToSlots(block, rows, dim, slotList, reps, sums)
 *     for b < rows, r < reps:
 *       slot = slotList[b * reps + r]; if slot < 0 { slot = -1 - slot; zero sums row `slot` }
 *       sums row `slot` += block row b (float32 widened to float64, two lanes at a time; an odd
 *       last value alone)
 *   projectSparse(rows, numRows, dim, order, signs, starts, dProj, out)
 *     for i < numRows, c < dProj:
 *       out[i][c] = sum over at in starts[c] .. starts[c + 1] - 1 of signs[at] * rows[i][order[at]]
 *       (order holds byte offsets, j * 8; a running float64 sum from 0, in `at` order)
 *
 * Shapes: block (rows x dim, float32), slotList (rows x reps, int32), sums and rows (x dim,
 * float64), out (numRows x dProj, float64); arguments are byte addresses in the module's exported
 * memory. WebAssembly has no fused multiply-add, so results equal the TypeScript twins' bit for
 * bit (src/fde/pass-memory.ts).
 */

/** The exports of the module. */
export interface PassModuleExports {
  memory: { buffer: ArrayBuffer; grow(pages: number): number };
  addToSlots(
    block: number,
    rows: number,
    dim: number,
    slotList: number,
    reps: number,
    sums: number,
  ): void;
  projectSparse(
    rows: number,
    numRows: number,
    dim: number,
    order: number,
    signs: number,
    starts: number,
    dProj: number,
    out: number,
  ): void;
}

interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: unknown };
}

// Opcodes used (names as in the spec's text format).
const BLOCK = 0x02;
const LOOP = 0x03;
const IF = 0x04;
const END = 0x0b;
const BR = 0x0c;
const BR_IF = 0x0d;
const VOID = 0x40;
const LOCAL_GET = 0x20;
const LOCAL_SET = 0x21;
const I32_CONST = 0x41;
const I32_LOAD = 0x28;
const F32_LOAD = 0x2a;
const F64_LOAD = 0x2b;
const F64_STORE = 0x39;
const I32_LT_S = 0x48;
const I32_GE_S = 0x4e;
const I32_ADD = 0x6a;
const I32_SUB = 0x6b;
const I32_MUL = 0x6c;
const I32_AND = 0x71;
const F64_CONST = 0x44;
const F64_ADD = 0xa0;
const F64_MUL = 0xa2;
const F64_PROMOTE_F32 = 0xbb;
const SIMD = 0xfd;
const V128_LOAD = 0x00;
const V128_STORE = 0x0b;
const V128_LOAD64_ZERO = 0x5d;
const F64X2_PROMOTE_LOW_F32X4 = 0x5f;
const F64X2_ADD = [0xf0, 0x01];
const BULK = 0xfc;
const MEMORY_FILL = [0x0b, 0x00];
const I32 = 0x7f;

/** Bytes of a float64 and of a float32 or int32 value, and their log2 (memory alignment hints). */
const BYTES_64 = 8;
const BYTES_32 = 4;
const ALIGN_64 = 3;
const ALIGN_32 = 2;
const F64 = 0x7c;

// addToSlots: parameters, then locals.
const BLOCK_AT = 0;
const ROWS = 1;
const DIM = 2;
const SLOT_LIST = 3;
const REPS = 4;
const SUMS = 5;
const B = 6;
const R = 7;
const SRC = 8;
const DST = 9;
const J = 10;
const SLOT = 11;
const PAIRS_END = 12;
const ADD_LOCALS = 7;

const get = (i: number) => [LOCAL_GET, i];
const set = (i: number) => [LOCAL_SET, i];
const i32 = (value: number) => [I32_CONST, ...signedLeb(value)];
/** memarg: log2 alignment, offset 0. */
const mem = (log2Align: number) => [log2Align, 0];
/** local i += step */
const increment = (i: number, step: number) => [...get(i), ...i32(step), I32_ADD, ...set(i)];
/** A counted loop: `i = from; while (i < end) { body; i += step }`. */
const loopFrom = (i: number, from: number[], end: number[], step: number, body: number[]) => [
  ...from,
  ...set(i),
  BLOCK,
  VOID,
  LOOP,
  VOID,
  ...get(i),
  ...end,
  I32_GE_S,
  BR_IF,
  1,
  ...body,
  ...increment(i, step),
  BR,
  0,
  END,
  END,
];
/** `for (i = 0; i < end; i += step) body` */
const countedLoop = (i: number, end: number[], step: number, body: number[]) =>
  loopFrom(i, i32(0), end, step, body);
/** address = base + index * scale (index and scale i32 expressions). */
const address = (base: number, index: number[], byteSize: number) => [
  ...get(base),
  ...index,
  ...i32(byteSize),
  I32_MUL,
  I32_ADD,
];

/** sums[dst + j] += widen(block[src + j]) for a pair of values. */
const addPair = [
  ...address(DST, get(J), BYTES_64),
  ...address(DST, get(J), BYTES_64),
  SIMD,
  V128_LOAD,
  ...mem(ALIGN_64),
  ...address(SRC, get(J), BYTES_32),
  SIMD,
  V128_LOAD64_ZERO,
  ...mem(ALIGN_32),
  SIMD,
  F64X2_PROMOTE_LOW_F32X4,
  SIMD,
  ...F64X2_ADD,
  SIMD,
  V128_STORE,
  ...mem(ALIGN_64),
];

/** The last value of an odd dim (j = dim - 1 after the pair loop). */
const addLast = [
  ...get(DIM),
  ...i32(1),
  I32_AND,
  IF,
  VOID,
  ...address(DST, get(J), BYTES_64),
  ...address(DST, get(J), BYTES_64),
  F64_LOAD,
  ...mem(ALIGN_64),
  ...address(SRC, get(J), BYTES_32),
  F32_LOAD,
  ...mem(ALIGN_32),
  F64_PROMOTE_F32,
  F64_ADD,
  F64_STORE,
  ...mem(ALIGN_64),
  END,
];

const addBody = [
  ...get(DIM),
  ...i32(-2),
  I32_AND,
  ...set(PAIRS_END),
  ...countedLoop(B, get(ROWS), 1, [
    ...address(BLOCK_AT, [...get(B), ...get(DIM), I32_MUL], BYTES_32),
    ...set(SRC),
    ...countedLoop(R, get(REPS), 1, [
      ...loadRow(),
      ...countedLoop(J, get(PAIRS_END), 2, addPair),
      ...addLast,
    ]),
  ]),
  END,
];

/** Decodes the slot, sets DST to its row and zeroes it on a first add. */
function loadRow(): number[] {
  return [
    ...address(SLOT_LIST, [...get(B), ...get(REPS), I32_MUL, ...get(R), I32_ADD], BYTES_32),
    I32_LOAD,
    ...mem(ALIGN_32),
    ...set(SLOT),
    ...get(SLOT),
    ...i32(0),
    I32_LT_S,
    IF,
    VOID,
    ...i32(-1),
    ...get(SLOT),
    I32_SUB,
    ...set(SLOT),
    ...address(SUMS, [...get(SLOT), ...get(DIM), I32_MUL], BYTES_64),
    ...i32(0),
    ...get(DIM),
    ...i32(BYTES_64),
    I32_MUL,
    BULK,
    ...MEMORY_FILL,
    END,
    ...address(SUMS, [...get(SLOT), ...get(DIM), I32_MUL], BYTES_64),
    ...set(DST),
  ];
}

// projectSparse: parameters, then locals.
const ROWS_AT = 0;
const NUM_ROWS = 1;
const P_DIM = 2;
const ORDER = 3;
const SIGNS = 4;
const STARTS = 5;
const D_PROJ = 6;
const OUT = 7;
const I = 8;
const C = 9;
const ROW = 10;
const AT = 11;
const SUM = 12;
const PROJECT_I32_LOCALS = 4;
const PROJECT_F64_LOCALS = 1;

/** starts[c + offset] */
const bucketBound = (offset: number) => [
  ...address(STARTS, [...get(C), ...i32(offset), I32_ADD], BYTES_32),
  I32_LOAD,
  ...mem(ALIGN_32),
];

/** sum += signs[at] * rows row i [order[at]] */
const addSigned = [
  ...get(SUM),
  ...address(SIGNS, get(AT), BYTES_64),
  F64_LOAD,
  ...mem(ALIGN_64),
  ...get(ROW),
  ...address(ORDER, get(AT), BYTES_32),
  I32_LOAD,
  ...mem(ALIGN_32),
  I32_ADD,
  F64_LOAD,
  ...mem(ALIGN_64),
  F64_MUL,
  F64_ADD,
  ...set(SUM),
];

const projectBody = [
  ...countedLoop(I, get(NUM_ROWS), 1, [
    ...address(ROWS_AT, [...get(I), ...get(P_DIM), I32_MUL], BYTES_64),
    ...set(ROW),
    ...countedLoop(C, get(D_PROJ), 1, [
      F64_CONST,
      ...[0, 0, 0, 0, 0, 0, 0, 0],
      ...set(SUM),
      ...loopFrom(AT, bucketBound(0), bucketBound(1), 1, addSigned),
      ...address(OUT, [...get(I), ...get(D_PROJ), I32_MUL, ...get(C), I32_ADD], BYTES_64),
      ...get(SUM),
      F64_STORE,
      ...mem(ALIGN_64),
    ]),
  ]),
  END,
];

/** The module's bytes: two types and functions, one exported memory, three exports. */
function moduleBytes(): Uint8Array {
  const addType = [0x60, 6, ...Array(6).fill(I32), 0x00];
  const projectType = [0x60, 8, ...Array(8).fill(I32), 0x00];
  const addCode = [0x01, ADD_LOCALS, I32, ...addBody];
  const projectCode = [0x02, PROJECT_I32_LOCALS, I32, PROJECT_F64_LOCALS, F64, ...projectBody];
  const exports = [
    0x03,
    ...name('memory'),
    0x02,
    0x00,
    ...name('addToSlots'),
    0x00,
    0x00,
    ...name('projectSparse'),
    0x00,
    0x01,
  ];
  return Uint8Array.from([
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...section(1, [0x02, ...addType, ...projectType]),
    ...section(3, [0x02, 0x00, 0x01]),
    ...section(5, [0x01, 0x00, 0x01]),
    ...section(7, exports),
    ...section(10, [0x02, ...vector(addCode), ...vector(projectCode)]),
  ]);
}

let compiled: object | undefined;

/** A new instance (its own memory) of the module, compiled once per thread; throws without SIMD. */
export function instantiatePassModule(): PassModuleExports {
  const api = (globalThis as unknown as { WebAssembly?: WasmApi }).WebAssembly;
  if (!api) throw new Error('this runtime has no WebAssembly');
  compiled ??= new api.Module(moduleBytes());
  return new api.Instance(compiled, {}).exports as PassModuleExports;
}

/** A section: id, byte length, content. */
const section = (id: number, content: number[]) => [id, ...vector(content)];
/** Bytes prefixed by their count. */
const vector = (bytes: number[]) => [...unsignedLeb(bytes.length), ...bytes];
const name = (text: string) => vector([...Buffer.from(text, 'utf8')]);

function unsignedLeb(value: number): number[] {
  const out: number[] = [];
  let rest = value;
  do {
    const byte = rest & 0x7f;
    rest >>>= 7;
    out.push(rest === 0 ? byte : byte | 0x80);
  } while (rest !== 0);
  return out;
}

function signedLeb(value: number): number[] {
  const out: number[] = [];
  let rest = value | 0;
  for (;;) {
    const byte = rest & 0x7f;
    rest >>= 7;
    const done = (rest === 0 && (byte & 0x40) === 0) || (rest === -1 && (byte & 0x40) !== 0);
    out.push(done ? byte : byte | 0x80);
    if (done) return out;
  }
}
