import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { FaultFileSystem, SimulatedCrash } from '../../src/store/fault-file-system.js';
import { type FileSystem, NodeFileSystem, WriteFence } from '../../src/store/file-system.js';
import { MemoryFileSystem, SECTOR_BYTES } from '../../src/store/memory-file-system.js';

const bytes = (...values: number[]) => Uint8Array.from(values);
const text = (value: string) => new TextEncoder().encode(value);

/** The contract every FileSystem implementation passes. */
function contract(name: string, make: () => { fs: FileSystem; dir: string }) {
  describe(`FileSystem contract: ${name}`, () => {
    it('writes, appends, reads, truncates and reports sizes', () => {
      const { fs, dir } = make();
      const handle = fs.open(join(dir, 'a'), 'create');
      handle.write(bytes(1, 2, 3), 0);
      assert.equal(handle.append(bytes(4, 5)), 3);
      handle.write(bytes(9), 1);
      handle.datasync();
      assert.deepEqual([...handle.read(0, 100)], [1, 9, 3, 4, 5]);
      handle.truncate(2);
      handle.sync();
      assert.equal(handle.size(), 2);
      handle.close();
      assert.deepEqual([...fs.readFile(join(dir, 'a'), 10)], [1, 9]);
      assert.equal(fs.stat(join(dir, 'a')).size, 2);
    });

    it('renames, unlinks, lists and syncs directories', () => {
      const { fs, dir } = make();
      fs.mkdir(join(dir, 'sub', 'deeper'));
      fs.open(join(dir, 'sub', 'x.tmp'), 'create').close();
      fs.rename(join(dir, 'sub', 'x.tmp'), join(dir, 'sub', 'x'));
      fs.syncDir(join(dir, 'sub'));
      assert.deepEqual(fs.readdir(join(dir, 'sub')), ['deeper', 'x']);
      assert.ok(fs.stat(join(dir, 'sub', 'deeper')).isDirectory);
      fs.link(join(dir, 'sub', 'x'), join(dir, 'sub', 'y'));
      assert.throws(() => fs.link(join(dir, 'sub', 'x'), join(dir, 'sub', 'y')), {
        code: 'already-exists',
      });
      fs.unlink(join(dir, 'sub', 'x'));
      assert.equal(fs.exists(join(dir, 'sub', 'x')), false);
      assert.equal(fs.stat(join(dir, 'sub', 'y')).size, 0);
    });

    it('maps missing and existing files to typed errors', () => {
      const { fs, dir } = make();
      assert.throws(() => fs.open(join(dir, 'missing'), 'read'), { code: 'not-found' });
      assert.throws(() => fs.stat(join(dir, 'missing')), { code: 'not-found' });
      assert.throws(() => fs.unlink(join(dir, 'missing')), { code: 'not-found' });
      fs.open(join(dir, 'b'), 'create').close();
      assert.throws(() => fs.open(join(dir, 'b'), 'create'), { code: 'already-exists' });
    });

    it('refuses to read a file over the size cap', () => {
      const { fs, dir } = make();
      const handle = fs.open(join(dir, 'big'), 'create');
      handle.write(new Uint8Array(100), 0);
      handle.close();
      assert.throws(() => fs.readFile(join(dir, 'big'), 99), { code: 'corrupt-data' });
    });
  });
}

const temps: string[] = [];
after(() => {
  for (const dir of temps) rmSync(dir, { recursive: true, force: true });
});
contract('NodeFileSystem', () => {
  const dir = mkdtempSync(join(tmpdir(), 'muvera-fs-'));
  temps.push(dir);
  return { fs: new NodeFileSystem(), dir };
});
contract('MemoryFileSystem', () => {
  const fs = new MemoryFileSystem();
  fs.mkdir('/d');
  return { fs, dir: '/d' };
});

describe('MemoryFileSystem durability model', () => {
  it('keeps synced writes and drops unsynced ones in a synced-only image', () => {
    const fs = new MemoryFileSystem();
    const handle = fs.open('/f', 'create');
    handle.write(text('durable'), 0);
    handle.datasync();
    fs.syncDir('/');
    handle.append(text('-volatile'));
    const image = fs.powerLossImage({
      seed: 1,
      keep: 0,
      reorder: false,
      tear: false,
      growth: 'none',
      names: 'undone',
    });
    assert.equal(new TextDecoder().decode(image.peek('/f')), 'durable');
    assert.equal(new TextDecoder().decode(fs.processKillImage().peek('/f')), 'durable-volatile');
  });

  it('undoes a rename until its directory is synced', () => {
    const fs = new MemoryFileSystem();
    fs.putFile('/old', text('v1'));
    fs.putFile('/new.tmp', text('v2'));
    fs.rename('/new.tmp', '/old');
    const undone = fs.powerLossImage({
      seed: 1,
      keep: 1,
      reorder: false,
      tear: false,
      growth: 'none',
      names: 'undone',
    });
    assert.equal(new TextDecoder().decode(undone.peek('/old')), 'v1');
    assert.ok(undone.exists('/new.tmp'));
    fs.syncDir('/');
    const kept = fs.powerLossImage({
      seed: 1,
      keep: 0,
      reorder: false,
      tear: false,
      growth: 'none',
      names: 'undone',
    });
    assert.equal(new TextDecoder().decode(kept.peek('/old')), 'v2');
    assert.equal(kept.exists('/new.tmp'), false);
  });

  it('loses a file whose creation was never made durable', () => {
    const fs = new MemoryFileSystem();
    const handle = fs.open('/f', 'create');
    handle.write(text('x'), 0);
    handle.sync();
    const image = fs.powerLossImage({
      seed: 1,
      keep: 1,
      reorder: false,
      tear: false,
      growth: 'none',
      names: 'undone',
    });
    assert.equal(image.exists('/f'), false);
  });

  it('tears the last write at a 512-byte boundary and fills growth', () => {
    const fs = new MemoryFileSystem();
    const handle = fs.open('/f', 'create');
    fs.syncDir('/');
    handle.write(new Uint8Array(3 * SECTOR_BYTES + 7).fill(1), 0);
    const lengths = new Set<number>();
    for (let seed = 0; seed < 40; seed++) {
      const image = fs.powerLossImage({
        seed,
        keep: 1,
        reorder: false,
        tear: true,
        growth: 'none',
        names: 'kept',
      });
      lengths.add(image.peek('/f').length);
    }
    assert.deepEqual(
      [...lengths].sort((a, b) => a - b),
      [0, 512, 1024, 1536],
    );

    const zeros = fs.powerLossImage({
      seed: 3,
      keep: 0,
      reorder: false,
      tear: false,
      growth: 'zeros',
      names: 'kept',
    });
    assert.deepEqual(zeros.peek('/f'), new Uint8Array(3 * SECTOR_BYTES + 7));
    const garbage = fs.powerLossImage({
      seed: 3,
      keep: 0,
      reorder: false,
      tear: false,
      growth: 'garbage',
      names: 'kept',
    });
    assert.equal(garbage.peek('/f').length, 3 * SECTOR_BYTES + 7);
    assert.ok(garbage.peek('/f').some((b) => b !== 0 && b !== 1));
  });

  it('builds every named scenario image', () => {
    const fs = new MemoryFileSystem();
    fs.putFile('/f', text('base'));
    fs.open('/f', 'write').append(text('more'));
    const images = fs.powerLossImages(7);
    assert.ok(images.length >= 8);
    for (const { fs: image } of images) assert.ok(image.peek('/f').length >= 4);
  });
});

describe('FaultFileSystem', () => {
  function script(fs: FileSystem) {
    const handle = fs.open('/f', 'create');
    handle.write(text('abc'), 0);
    handle.datasync();
    fs.rename('/f', '/g');
    fs.syncDir('/');
  }

  it('counts mutating calls and kills at each one, staying dead afterwards', () => {
    const counter = new FaultFileSystem();
    script(counter);
    assert.equal(counter.mutations, 5);
    assert.deepEqual(
      counter.trace.map((t) => t.kind),
      ['create', 'write', 'datasync', 'rename', 'syncDir'],
    );
    for (let n = 1; n <= counter.mutations; n++) {
      const fs = new FaultFileSystem({ crashAt: n });
      assert.throws(() => script(fs), SimulatedCrash);
      assert.ok(fs.isCrashed);
      assert.throws(() => fs.readdir('/'), SimulatedCrash);
      assert.equal(fs.processKillImage().exists('/g'), n === counter.mutations);
    }
  });

  it('fails a call with EIO once, and with ENOSPC from then on (unlink still works)', () => {
    const eio = new FaultFileSystem({ failAt: 2, failWith: 'EIO' });
    const handle = eio.open('/f', 'create');
    assert.throws(() => handle.write(text('a'), 0), { code: 'io-error', actual: 'EIO' });
    handle.write(text('a'), 0);

    const full = new FaultFileSystem({ failAt: 2, failWith: 'ENOSPC' });
    const h2 = full.open('/f', 'create');
    assert.throws(() => h2.write(text('a'), 0), { code: 'io-error', actual: 'ENOSPC' });
    assert.throws(() => h2.write(text('a'), 0), { code: 'io-error', actual: 'ENOSPC' });
    assert.throws(() => full.mkdir('/x'), { code: 'io-error' });
    full.unlink('/f');
  });

  it('fails the n-th sync with EIO and drops the pending writes from durability', () => {
    const fs = new FaultFileSystem({ failSyncAt: 1 });
    fs.putFile('/f', text('old'));
    const handle = fs.open('/f', 'write');
    handle.write(text('new'), 0);
    assert.throws(() => handle.datasync(), { code: 'io-error', actual: 'EIO' });
    handle.datasync();
    const image = fs.powerLossImage({
      seed: 1,
      keep: 1,
      reorder: false,
      tear: false,
      growth: 'none',
      names: 'kept',
    });
    assert.equal(new TextDecoder().decode(image.peek('/f')), 'old');
  });

  it('copies an image with a new plan', () => {
    const source = new MemoryFileSystem();
    source.putFile('/f', text('x'));
    const fs = FaultFileSystem.from(source, { crashAt: 1 });
    assert.equal(fs.peek('/f').length, 1);
    assert.throws(() => fs.unlink('/f'), SimulatedCrash);
  });
});

describe('WriteFence', () => {
  it('latches the first failure and refuses every later write with closed', () => {
    const fence = new WriteFence('the log');
    assert.equal(
      fence.run(() => 1),
      1,
    );
    assert.throws(() =>
      fence.run(() => {
        throw new Error('EIO');
      }),
    );
    assert.equal(fence.state, 'failed');
    assert.throws(() => fence.run(() => 2), { code: 'closed' });
  });

  it('reports an orderly close', () => {
    const fence = new WriteFence('the log');
    fence.close();
    assert.equal(fence.state, 'closed');
    assert.throws(() => fence.check(), { code: 'closed' });
  });
});
