import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isMuveraError } from '../../src/errors.js';
import { crc32 } from '../../src/store/binary.js';
import { FaultFileSystem, SimulatedCrash } from '../../src/store/fault-file-system.js';
import type { FileSystem } from '../../src/store/file-system.js';
import {
  type LogEntry,
  type LogRecord,
  logFileName,
  replayLog,
} from '../../src/store/log-format.js';
import { MemoryFileSystem } from '../../src/store/memory-file-system.js';
import { WriteAheadLog } from '../../src/store/write-ahead-log.js';

const DIR = '/c';
const FIRST_FILE = `${DIR}/${logFileName(1)}`;

/** Entry `n`: payload sizes cycle through awkward lengths so alignment is exercised. */
function entry(n: number): LogEntry {
  const sizes = [0, 1, 7, 8, 9, 33];
  const payload = Uint8Array.from(
    { length: sizes[n % sizes.length] },
    (_, i) => (n * 31 + i) & 255,
  );
  return { type: 1 + (n % 3), payload };
}

const batch = (from: number, count: number) =>
  Array.from({ length: count }, (_, i) => entry(from + i));

function setup(): MemoryFileSystem {
  const fs = new MemoryFileSystem();
  fs.mkdir(DIR);
  fs.syncDir('/');
  return fs;
}

function collect(fs: FileSystem, fromSequence = 1): LogRecord[] {
  const records: LogRecord[] = [];
  replayLog(fs, DIR, { fromSequence, onRecord: (record) => records.push(record) });
  return records;
}

/** Asserts `records` are entries 1..n in order, and returns n. */
function assertPrefix(records: LogRecord[], message: string): number {
  records.forEach((record, i) => {
    assert.equal(record.sequence, i + 1, message);
    assert.deepEqual({ type: record.type, payload: record.payload }, entry(i + 1), message);
  });
  return records.length;
}

describe('write-ahead log', () => {
  it('appends batches and replays them in order with their sequences', () => {
    const fs = setup();
    const log = WriteAheadLog.open(fs, DIR);
    assert.deepEqual(log.append(batch(1, 3)), { firstSequence: 1, lastSequence: 3 });
    assert.deepEqual(log.append(batch(4, 4)), { firstSequence: 4, lastSequence: 7 });
    log.close();
    assert.equal(assertPrefix(collect(fs), 'replay'), 7);
    const reopened = WriteAheadLog.open(fs, DIR);
    assert.equal(reopened.nextSequence, 8);
    assert.equal(reopened.replay.records, 7);
  });

  it('syncs once per append call, never per record (group commit)', () => {
    const fs = new FaultFileSystem();
    fs.loadImage(setup());
    const log = WriteAheadLog.open(fs, DIR);
    const before = fs.trace.length;
    log.append(batch(1, 50));
    assert.deepEqual(
      fs.trace.slice(before).map((call) => call.kind),
      ['write', 'datasync'],
    );
  });

  it('rotates at a checkpoint, skips what the manifest holds, and drops old files', () => {
    const fs = setup();
    const log = WriteAheadLog.open(fs, DIR);
    log.append(batch(1, 3));
    const cut = log.rotate();
    assert.equal(cut, 4);
    assert.equal(log.rotate(), 4, 'rotating an empty file is a no-op');
    log.append(batch(4, 2));

    const seen: number[] = [];
    const summary = replayLog(fs, DIR, {
      fromSequence: cut,
      onRecord: (r) => seen.push(r.sequence),
    }).summary;
    assert.deepEqual(seen, [4, 5]);
    assert.equal(summary.skipped, 3);

    assert.deepEqual(log.dropBefore(cut), [FIRST_FILE]);
    assert.deepEqual(fs.readdir(DIR), [logFileName(4)]);
    log.close();
    assert.deepEqual(
      collect(fs, cut).map((r) => r.sequence),
      [4, 5],
    );
  });

  it('removes files wholly before the manifest position at open (crash before dropBefore)', () => {
    const fs = setup();
    const log = WriteAheadLog.open(fs, DIR);
    log.append(batch(1, 2));
    log.rotate();
    log.append(batch(3, 1));
    log.close();
    const reopened = WriteAheadLog.open(fs, DIR, { fromSequence: 3 });
    assert.equal(reopened.replay.records, 1);
    assert.deepEqual(fs.readdir(DIR), [logFileName(3)]);
  });

  it('refuses a log that lacks records the manifest needs', () => {
    const fs = setup();
    const log = WriteAheadLog.open(fs, DIR);
    log.append(batch(1, 2));
    log.close();
    assert.throws(() => WriteAheadLog.open(fs, DIR, { fromSequence: 9 }), { code: 'corrupt-data' });
    fs.rename(FIRST_FILE, `${DIR}/${logFileName(5)}`);
    assert.throws(() => replayLog(fs, DIR, { fromSequence: 2 }), { code: 'corrupt-data' });
  });

  it('refuses bad entries and a newer format version', () => {
    const fs = setup();
    const log = WriteAheadLog.open(fs, DIR, { maxRecordBytes: 16 });
    assert.throws(() => log.append([{ type: 0, payload: new Uint8Array(1) }]), {
      code: 'invalid-argument',
    });
    assert.throws(() => log.append([{ type: 1, payload: new Uint8Array(17) }]), {
      code: 'limit-exceeded',
    });
    log.close();

    const bytes = fs.peek(FIRST_FILE);
    const view = new DataView(bytes.buffer);
    view.setUint16(8, 2, true);
    view.setUint32(28, crc32(bytes.subarray(0, 28)), true);
    fs.putFile(FIRST_FILE, bytes);
    assert.throws(() => WriteAheadLog.open(fs, DIR), {
      code: 'unsupported-version',
      file: FIRST_FILE,
    });
  });
});

describe('torn and damaged logs', () => {
  const fs = setup();
  const log = WriteAheadLog.open(fs, DIR);
  log.append(batch(1, 2));
  const secondBatchStart = fs.peek(FIRST_FILE).length;
  log.append(batch(3, 1));
  log.append(batch(4, 2));
  log.close();
  const good = fs.peek(FIRST_FILE);

  it('cuts every truncation of the tail to whole batches, and appends after the cut', () => {
    for (let length = 0; length < good.length; length++) {
      const image = setup();
      image.putFile(FIRST_FILE, good.slice(0, length));
      const reopened = WriteAheadLog.open(image, DIR);
      const kept = assertPrefix(collect(image), `length ${length}`);
      assert.ok(
        [0, 2, 3, 5].includes(kept),
        `length ${length}: ${kept} records is not a whole number of batches`,
      );
      reopened.append([entry(kept + 1)]);
      reopened.close();
      assert.equal(assertPrefix(collect(image), `after append at ${length}`), kept + 1);
    }
  });

  it('every bit flip in the last batches ends in a cut tail or a typed error, never wrong data', () => {
    let errors = 0;
    for (let bit = secondBatchStart * 8; bit < good.length * 8; bit++) {
      const bad = good.slice();
      bad[bit >> 3] ^= 1 << (bit & 7);
      const image = setup();
      image.putFile(FIRST_FILE, bad);
      try {
        assertPrefix(collect(image), `bit ${bit}`);
      } catch (error) {
        assert.ok(
          isMuveraError(error, 'corrupt-data') && error.file === FIRST_FILE,
          `bit ${bit}: ${String(error)}`,
        );
        assert.equal(typeof error.offset, 'number');
        errors++;
      }
    }
    assert.ok(errors > 0, 'a flip before the final batch is reported, not cut');
  });

  it('reports damage before the tail as corrupt-data naming file and offset', () => {
    const bad = good.slice();
    bad[40] ^= 1;
    const image = setup();
    image.putFile(FIRST_FILE, bad);
    assert.throws(() => WriteAheadLog.open(image, DIR), {
      code: 'corrupt-data',
      file: FIRST_FILE,
      offset: 32,
    });
  });
});

describe('log under crashes, power loss and I/O errors', () => {
  /** The scripted workload; returns how many records were acknowledged. */
  function workload(fs: FileSystem, progress: { acknowledged: number }): void {
    const log = WriteAheadLog.open(fs, DIR);
    log.append(batch(1, 2));
    progress.acknowledged = 2;
    log.append(batch(3, 3));
    progress.acknowledged = 5;
    log.rotate();
    log.append(batch(6, 1));
    progress.acknowledged = 6;
    log.dropBefore(1);
    log.append(batch(7, 2));
    progress.acknowledged = 8;
    log.close();
  }

  const count = new FaultFileSystem();
  count.loadImage(setup());
  workload(count, { acknowledged: 0 });
  const total = count.mutations;

  function start(plan: ConstructorParameters<typeof FaultFileSystem>[0]): FaultFileSystem {
    const fs = new FaultFileSystem(plan);
    fs.loadImage(setup());
    return fs;
  }

  /** Reopens `image` and checks: acknowledged records present, nothing else but whole batches. */
  function check(image: FileSystem, acknowledged: number, where: string): void {
    WriteAheadLog.open(image, DIR).close();
    const kept = assertPrefix(collect(image), where);
    assert.ok(kept >= acknowledged, `${where}: ${kept} records < ${acknowledged} acknowledged`);
    assert.ok([0, 2, 5, 6, 8].includes(kept), `${where}: ${kept} records splits a batch`);
  }

  it('keeps every acknowledged record when killed at any mutating call, on every power-loss image', () => {
    for (let n = 1; n <= total; n++) {
      const fs = start({ crashAt: n });
      const progress = { acknowledged: 0 };
      assert.throws(() => workload(fs, progress), SimulatedCrash);
      check(fs.processKillImage(), progress.acknowledged, `kill at ${n}`);
      for (const { scenario, fs: image } of fs.powerLossImages(n)) {
        check(image, progress.acknowledged, `power loss at ${n} (${scenario})`);
      }
    }
  });

  it('rejects with a typed error and stops acknowledging after EIO, ENOSPC or a failed fsync', () => {
    const plans = [];
    for (let n = 1; n <= total; n++)
      plans.push(
        { failAt: n, failWith: 'EIO' as const },
        { failAt: n, failWith: 'ENOSPC' as const },
      );
    for (let n = 1; n <= 8; n++) plans.push({ failSyncAt: n });
    for (const plan of plans) {
      const fs = start(plan);
      const progress = { acknowledged: 0 };
      try {
        workload(fs, progress);
        continue;
      } catch (error) {
        assert.ok(isMuveraError(error, 'io-error'), `${JSON.stringify(plan)}: ${String(error)}`);
      }
      const image = fs.powerLossImage({
        seed: 5,
        keep: 0,
        reorder: false,
        tear: false,
        growth: 'none',
        names: 'undone',
      });
      check(image, progress.acknowledged, JSON.stringify(plan));
    }
  });

  it('refuses every append after a failed fsync until reopened', () => {
    const fs = start({});
    const log = WriteAheadLog.open(fs, DIR);
    log.append(batch(1, 1));
    fs.arm({ failSyncAt: fs.syncs + 1 });
    assert.throws(() => log.append(batch(2, 1)), { code: 'io-error' });
    assert.equal(log.state, 'failed');
    assert.throws(() => log.append(batch(2, 1)), { code: 'closed' });
    assert.throws(() => log.rotate(), { code: 'closed' });
    log.close();
    const reopened = WriteAheadLog.open(fs, DIR);
    assert.equal(reopened.state, 'open');
  });
});
