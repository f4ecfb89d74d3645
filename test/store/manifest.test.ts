import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isMuveraError } from '../../src/errors.js';
import { crc32 } from '../../src/store/binary.js';
import { FaultFileSystem, SimulatedCrash } from '../../src/store/fault-file-system.js';
import type { FileSystem } from '../../src/store/file-system.js';
import {
  cleanTempFiles,
  decodeManifest,
  encodeManifest,
  listGenerations,
  type ManifestBody,
  manifestName,
  publishManifest,
  readManifest,
  upgradeManifestBody,
} from '../../src/store/manifest.js';
import { MemoryFileSystem } from '../../src/store/memory-file-system.js';

function body(generation: number): ManifestBody {
  return {
    generation,
    config: { dim: 3, fde: { preset: 'paper', seed: 42 } },
    segments: [
      {
        file: `seg-${generation}.tok`,
        length: 100 + generation,
        checksum: 12345,
        numDocuments: 2,
        numTokens: 9,
      },
    ],
    index: { file: 'index-1.bin', length: 10, checksum: 0xffffffff },
    parts: [{ role: 'documents', file: 'docs-1.bin', length: 5, checksum: 7 }],
    log: { sequence: generation * 10 },
    counts: { documents: 2 },
  };
}

function setup(): MemoryFileSystem {
  const fs = new MemoryFileSystem();
  fs.mkdir('/c');
  fs.syncDir('/');
  return fs;
}

describe('manifest generations', () => {
  it('publishes and reads back the newest generation, keeping two', () => {
    const fs = setup();
    assert.equal(readManifest(fs, '/c'), null);
    for (let g = 1; g <= 4; g++) publishManifest(fs, '/c', body(g));
    const loaded = readManifest(fs, '/c');
    assert.equal(loaded?.generation, 4);
    assert.deepEqual(loaded?.body, body(4));
    assert.equal(loaded?.file, `/c/${manifestName(4)}`);
    assert.deepEqual(listGenerations(fs, '/c'), [3, 4]);
  });

  it('refuses a generation that is not newer, and unsafe file names', () => {
    const fs = setup();
    publishManifest(fs, '/c', body(2));
    assert.throws(() => publishManifest(fs, '/c', body(2)), { code: 'invalid-argument' });
    const unsafe = { ...body(3), parts: [{ role: 'x', file: '../etc', length: 1, checksum: 1 }] };
    assert.throws(() => publishManifest(fs, '/c', unsafe), { code: 'invalid-argument' });
  });

  it('cleans temporary files at open', () => {
    const fs = setup();
    fs.putFile('/c/manifest-0000000000000003.tmp', new Uint8Array(5));
    fs.putFile('/c/seg-9.tok.tmp', new Uint8Array(5));
    fs.putFile('/c/seg-1.tok', new Uint8Array(5));
    assert.deepEqual(cleanTempFiles(fs, '/c'), ['manifest-0000000000000003.tmp', 'seg-9.tok.tmp']);
    assert.deepEqual(fs.readdir('/c'), ['seg-1.tok']);
  });

  it('refuses a newer format version and upgrades older ones through named steps', () => {
    const bytes = encodeManifest(body(1));
    const view = new DataView(bytes.buffer);
    view.setUint16(8, 2, true);
    view.setUint32(28, crc32(bytes.subarray(0, 28)), true);
    assert.throws(() => decodeManifest(bytes, '/c/m'), {
      code: 'unsupported-version',
      file: '/c/m',
    });

    view.setUint16(8, 0, true);
    view.setUint32(28, crc32(bytes.subarray(0, 28)), true);
    assert.throws(() => decodeManifest(bytes, '/c/m'), { code: 'unsupported-version' });

    const step = {
      from: 0,
      name: 'addCounts',
      upgrade: (old: Record<string, unknown>) => ({ ...old, counts: { documents: 0 } }),
    };
    const { counts: _, ...old } = body(1);
    assert.deepEqual(upgradeManifestBody(old, 0, '/c/m', [step]), {
      ...old,
      counts: { documents: 0 },
    });
  });
});

describe('damaged manifests', () => {
  const good = encodeManifest(body(5));
  const typed = (error: unknown) =>
    isMuveraError(error, 'corrupt-data') &&
    error.file === '/c/m' &&
    typeof error.offset === 'number';

  it('detects every truncation length', () => {
    for (let length = 0; length < good.length; length++) {
      assert.throws(() => decodeManifest(good.slice(0, length), '/c/m'), typed, `length ${length}`);
    }
  });

  it('detects every single-bit flip', () => {
    for (let bit = 0; bit < good.length * 8; bit++) {
      const bad = good.slice();
      bad[bit >> 3] ^= 1 << (bit & 7);
      assert.throws(() => decodeManifest(bad, '/c/m'), typed, `bit ${bit}`);
    }
  });

  it('names the previous generation in the remedy when the newest is damaged', () => {
    const fs = setup();
    publishManifest(fs, '/c', body(1));
    publishManifest(fs, '/c', body(2));
    const bytes = fs.peek(`/c/${manifestName(2)}`);
    bytes[40] ^= 4;
    fs.putFile(`/c/${manifestName(2)}`, bytes);
    assert.throws(
      () => readManifest(fs, '/c'),
      (error) => isMuveraError(error, 'corrupt-data') && /manifest-0+1/.test(error.message),
    );
  });

  it('refuses a file over the size cap before reading it', () => {
    const fs = setup();
    publishManifest(fs, '/c', body(1));
    assert.throws(() => readManifest(fs, '/c', 10), { code: 'corrupt-data' });
  });
});

describe('publishing under crashes, power loss and I/O errors', () => {
  const script = (fs: FileSystem) => {
    publishManifest(fs, '/c', body(1));
    publishManifest(fs, '/c', body(2));
  };
  const base = setup();
  const total = (() => {
    const fs = new FaultFileSystem();
    fs.loadImage(base);
    script(fs);
    return fs.mutations;
  })();

  function start(plan: ConstructorParameters<typeof FaultFileSystem>[0]): FaultFileSystem {
    const fs = new FaultFileSystem(plan);
    fs.loadImage(setup());
    return fs;
  }

  it('reads a whole generation after a kill at every mutating call, and every power-loss image', () => {
    assert.ok(total >= 8);
    let images = 0;
    for (let n = 1; n <= total + 1; n++) {
      const fs = start({ crashAt: n });
      let acknowledged = 0;
      try {
        publishManifest(fs, '/c', body(1));
        acknowledged = 1;
        publishManifest(fs, '/c', body(2));
        acknowledged = 2;
      } catch (error) {
        assert.ok(error instanceof SimulatedCrash);
      }
      for (const { scenario, fs: image } of [
        { scenario: 'kill', fs: fs.processKillImage() },
        ...fs.powerLossImages(n),
      ]) {
        images++;
        cleanTempFiles(image, '/c');
        const generation = readManifest(image, '/c')?.generation ?? 0;
        assert.ok(
          generation >= acknowledged,
          `call ${n}, ${scenario}: generation ${generation} < acknowledged ${acknowledged}`,
        );
        assert.ok(
          generation <= acknowledged + 1,
          `call ${n}, ${scenario}: generation ${generation} from nowhere`,
        );
      }
    }
    assert.ok(images >= total * 9);
  });

  it('gives a typed error for EIO at each call, ENOSPC from each call on, and EIO on each sync', () => {
    const plans = [];
    for (let n = 1; n <= total; n++)
      plans.push(
        { failAt: n, failWith: 'EIO' as const },
        { failAt: n, failWith: 'ENOSPC' as const },
      );
    for (let n = 1; n <= 6; n++) plans.push({ failSyncAt: n });
    for (const plan of plans) {
      const fs = start(plan);
      let acknowledged = 0;
      try {
        publishManifest(fs, '/c', body(1));
        acknowledged = 1;
        publishManifest(fs, '/c', body(2));
        acknowledged = 2;
      } catch (error) {
        assert.ok(isMuveraError(error, 'io-error'), `${JSON.stringify(plan)}: ${String(error)}`);
      }
      const image = fs.powerLossImage({
        seed: 1,
        keep: 0,
        reorder: false,
        tear: false,
        growth: 'none',
        names: 'undone',
      });
      cleanTempFiles(image, '/c');
      const generation = readManifest(image, '/c')?.generation ?? 0;
      assert.ok(
        generation >= acknowledged && generation <= 2,
        `${JSON.stringify(plan)}: generation ${generation}`,
      );
    }
  });
});
