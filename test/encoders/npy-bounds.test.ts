/**
 * Crafted `.npy` files whose headers lie about sizes: every one must fail with a `parse-error`
 * naming the file, checked before anything is allocated from the header (these used to throw an
 * untyped RangeError, or allocate up to the claimed size first).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { openNpy, readNpyFloats, readNpyNumbers } from '../../src/encoders/npy.js';

const dir = mkdtempSync(join(tmpdir(), 'muvera-npy-bounds-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let counter = 0;

function write(bytes: Buffer): string {
  const file = join(dir, `f${counter++}`);
  writeFileSync(file, bytes);
  return file;
}

/** A version 1.0 `.npy` file with the shape written verbatim, then `dataBytes` zero bytes. */
function npy(shape: string, dataBytes: number, descr = '<f4'): string {
  const dict = `{'descr': '${descr}', 'fortran_order': False, 'shape': (${shape}), }\n`;
  const preamble = Buffer.from([0x93, ...Buffer.from('NUMPY'), 1, 0, 0, 0]);
  preamble.writeUInt16LE(dict.length, 8);
  return write(Buffer.concat([preamble, Buffer.from(dict, 'latin1'), Buffer.alloc(dataBytes)]));
}

const parseError = (file: string, message: RegExp) => ({
  code: 'parse-error',
  file,
  message,
});

describe('npy reader bounds', () => {
  it('rejects shape entries that are not whole non-negative numbers', async () => {
    for (const shape of ['2, x', '-3, 3', '1.5,', '2, 1e3', '0x10,']) {
      const file = npy(shape, 64);
      await assert.rejects(openNpy(file), parseError(file, /shape entry \d+ is/));
    }
  });

  it('rejects a shape whose data does not fit the file, before reading it', async () => {
    const file = npy('1000000000, 1000000', 48);
    await assert.rejects(openNpy(file), parseError(file, /needs more than the 48 data bytes/));
    await assert.rejects(readNpyNumbers(file), parseError(file, /needs more than/));
  });

  it('rejects a header longer than the file and an unknown version', async () => {
    const long = Buffer.from([0x93, ...Buffer.from('NUMPY'), 2, 0, 0xff, 0xff, 0xff, 0x0f]);
    const file = write(long);
    await assert.rejects(openNpy(file), parseError(file, /does not fit a 12-byte file/));
    const v9 = write(Buffer.from([0x93, ...Buffer.from('NUMPY'), 9, 0, 10, 0]));
    await assert.rejects(openNpy(v9), parseError(v9, /version 9/));
  });

  it('reads within the array and rejects element ranges outside it', async () => {
    const file = npy('2, 3', 24);
    const handle = await openNpy(file);
    try {
      assert.equal(handle.count, 6);
      assert.deepEqual(Array.from(await readNpyFloats(handle, 1, 5)), [0, 0, 0, 0, 0]);
      await assert.rejects(readNpyFloats(handle, 4, 3), parseError(file, /outside its 6/));
      await assert.rejects(readNpyFloats(handle, -1, 2), parseError(file, /outside/));
    } finally {
      await handle.handle.close();
    }
  });

  it('accepts an empty array whatever its other dimensions', async () => {
    const file = npy('0, 1000000000000', 0);
    assert.deepEqual(await readNpyNumbers(file), { shape: [0, 1e12], values: [] });
  });
});
