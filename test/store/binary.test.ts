import assert from 'node:assert/strict';
import { it } from 'node:test';
import { BoundedBytes, ByteWriter, crc32, crc32Portable } from '../../src/store/binary.js';
import { seededRandom } from '../../src/store/memory-file-system.js';

it('CRC-32 matches the standard check value and the portable fallback', () => {
  const check = new TextEncoder().encode('123456789');
  assert.equal(crc32(check), 0xcbf43926);
  assert.equal(crc32Portable(check), 0xcbf43926);
  const random = seededRandom(4);
  for (const length of [0, 1, 3, 97, 1000]) {
    const bytes = Uint8Array.from({ length }, () => (random() * 256) | 0);
    assert.equal(crc32Portable(bytes), crc32(bytes));
    assert.equal(
      crc32Portable(bytes.subarray(length >> 1), crc32Portable(bytes.subarray(0, length >> 1))),
      crc32(bytes),
    );
  }
});

it('bounded reads name the file and offset, and refuse sizes beyond safe integers', () => {
  const bytes = new ByteWriter(16).u64(0, 2 ** 53 + 2).u32(8, 7).bytes;
  const data = new BoundedBytes(bytes, '/f');
  assert.throws(() => data.u64(0, 'size'), { code: 'corrupt-data', file: '/f', offset: 0 });
  assert.throws(() => data.u32(14, 'count'), { code: 'corrupt-data', file: '/f', offset: 14 });
  assert.throws(() => data.bounded(data.u32(8, 'n'), 0, 5, 8, 'n'), {
    code: 'corrupt-data',
    offset: 8,
  });
  assert.throws(() => data.need(-1, 2, 'x'), { code: 'corrupt-data', offset: 0 });
});
