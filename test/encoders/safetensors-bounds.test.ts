/**
 * Crafted `.safetensors` files whose headers lie about sizes: every one must fail with a `parse-error`
 * naming the file, checked before anything is allocated from the header (these used to throw an
 * untyped RangeError, or allocate up to the claimed size first).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { openSafetensors, parseSafetensors } from '../../src/encoders/safetensors.js';

const dir = mkdtempSync(join(tmpdir(), 'muvera-st-bounds-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let counter = 0;

function write(bytes: Buffer): string {
  const file = join(dir, `f${counter++}`);
  writeFileSync(file, bytes);
  return file;
}

/** A `.safetensors` file with `header` as its JSON and `dataBytes` zero bytes after it. */
function safetensors(header: unknown, dataBytes: number, claimedLength?: number): Buffer {
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(claimedLength ?? json.length));
  return Buffer.concat([length, json, Buffer.alloc(dataBytes)]);
}

const parseError = (file: string, message: RegExp) => ({
  code: 'parse-error',
  file,
  message,
});

describe('safetensors reader bounds', () => {
  const tensor = (shape: unknown, offsets: unknown, dtype = 'F32') => ({
    t: { dtype, shape, data_offsets: offsets },
  });

  it('rejects a header length past the end of the file before allocating it', async () => {
    const file = write(safetensors({}, 0, 50 * 1024 * 1024));
    await assert.rejects(openSafetensors(file), parseError(file, /does not fit a \d+-byte file/));
  });

  it('rejects a tensor whose byte range is outside the file', async () => {
    const file = write(safetensors(tensor([100_000_000], [0, 400_000_000]), 16));
    await assert.rejects(openSafetensors(file), parseError(file, /outside the 16 data bytes/));
    const bytes = safetensors(tensor([4], [8, 24]), 16);
    assert.throws(() => parseSafetensors(bytes, 'mem'), parseError('mem', /outside the 16/));
  });

  it('rejects bad shapes, offsets, dtypes and a header that is not an object', async () => {
    const cases: [unknown, RegExp][] = [
      [tensor([-1, 4], [0, 16]), /not whole numbers/],
      [tensor([1.5], [0, 16]), /not whole numbers/],
      [tensor(['4'], [0, 16]), /not whole numbers/],
      [tensor([4], [16, 0]), /outside/],
      [tensor([4], [0, 16, 32]), /outside/],
      [tensor([3], [0, 16]), /shape needs 12/],
      [tensor([4], [0, 32], 'toString'), /outside the 16/],
      [null, /not a JSON object/],
    ];
    for (const [header, message] of cases) {
      const file = write(safetensors(header, 16));
      await assert.rejects(openSafetensors(file), parseError(file, message));
    }
  });

  it('opens a file with a tensor of another dtype and rejects only reading that tensor', async () => {
    const header = {
      ...tensor([2], [0, 8]),
      b: { dtype: 'BOOL', shape: [3], data_offsets: [8, 11] },
    };
    const file = write(safetensors(header, 11));
    const tensors = await openSafetensors(file);
    try {
      assert.deepEqual((await tensors.read('t')).values, new Float32Array(2));
      await assert.rejects(tensors.read('b'), parseError(file, /unsupported dtype BOOL/));
    } finally {
      await tensors.close();
    }
  });

  it('reads a range inside a tensor and rejects one outside it', async () => {
    const file = write(safetensors(tensor([2, 2], [0, 16]), 16));
    const tensors = await openSafetensors(file);
    try {
      assert.deepEqual(Array.from(await tensors.readRange('t', 1, 3)), [0, 0, 0]);
      await assert.rejects(tensors.readRange('t', 2, 3), parseError(file, /outside tensor "t"/));
      await assert.rejects(tensors.readRange('t', 0, -1), parseError(file, /outside/));
    } finally {
      await tensors.close();
    }
  });
});
