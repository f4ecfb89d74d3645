/**
 * The storage blocks used together the way a collection uses them (log, checkpoint into a token
 * segment, manifest publish, log drop), killed at every mutating call and cut by every
 * power-loss scenario: every acknowledged document comes back with identical tokens, an
 * interrupted batch is entirely present or absent, nothing unknown appears, nothing fails to open.
 */
import assert from 'node:assert/strict';
import { posix } from 'node:path';
import { describe, it } from 'node:test';
import type { EncodedTokens } from '../../src/chamfer/precision.js';
import { isMuveraError } from '../../src/errors.js';
import { FaultFileSystem, SimulatedCrash } from '../../src/store/fault-file-system.js';
import type { FileSystem } from '../../src/store/file-system.js';
import { cleanTempFiles, publishManifest, readManifest } from '../../src/store/manifest.js';
import { MemoryFileSystem } from '../../src/store/memory-file-system.js';
import { TokenSegmentReader } from '../../src/store/token-segment-reader.js';
import { TokenSegmentWriter } from '../../src/store/token-segment-writer.js';
import { WriteAheadLog } from '../../src/store/write-ahead-log.js';
import { acquireWriteLock } from '../../src/store/write-lock.js';

const DIR = '/collection';
const DIM = 3;
const UPSERT = 1;
/** Batches of document ids; a checkpoint follows batch 1 and batch 3. */
const BATCHES = [[1, 2, 3], [4, 5], [6], [7, 8, 9]];
const CHECKPOINT_AFTER = new Set([1, 3]);

/** Document `id`: (id % 4) + 1 tokens whose values encode the id. */
function tokens(id: number): Float32Array {
  const rows = (id % 4) + 1;
  return Float32Array.from({ length: rows * DIM }, (_, i) => id * 100 + i);
}
const idOf = (values: Float32Array) => Math.floor(values[0] / 100);
const encoded = (id: number): EncodedTokens => {
  const values = tokens(id);
  return { precision: 'float32', dim: DIM, numTokens: values.length / DIM, values };
};

/** Opens the directory as a writer: lock, temp cleanup, manifest, segments, log replay. */
function open(fs: FileSystem) {
  const lock = acquireWriteLock(fs, DIR, { isAlive: () => false });
  cleanTempFiles(fs, DIR);
  const manifest = readManifest(fs, DIR);
  const docs = new Map<number, Float32Array>();
  for (const segment of manifest?.body.segments ?? []) {
    const reader = TokenSegmentReader.open(fs, posix.join(DIR, segment.file), {
      expected: segment,
    });
    for (let i = 0; i < reader.numDocuments; i++) {
      const values = reader.get(i).values as Float32Array;
      docs.set(idOf(values), values.slice());
    }
  }
  const log = WriteAheadLog.open(fs, DIR, {
    fromSequence: manifest?.body.log.sequence ?? 1,
    onRecord: (record) => {
      const values = new Float32Array(record.payload.slice().buffer);
      docs.set(idOf(values), values);
    },
  });
  return { lock, manifest, docs, log };
}

/** The scripted workload; `acknowledged` receives each batch once its call returned. */
function workload(fs: FileSystem, acknowledged: number[][]): void {
  fs.mkdir(DIR);
  fs.syncDir('/');
  const { lock, docs, log } = open(fs);
  let generation = 0;
  BATCHES.forEach((batch, b) => {
    log.append(batch.map((id) => ({ type: UPSERT, payload: new Uint8Array(tokens(id).buffer) })));
    for (const id of batch) docs.set(id, tokens(id));
    acknowledged.push(batch);
    if (!CHECKPOINT_AFTER.has(b)) return;

    const cut = log.rotate();
    generation += 1;
    const writer = TokenSegmentWriter.create(fs, posix.join(DIR, `seg-${generation}.tok`), {
      dim: DIM,
      precision: 'float32',
    });
    for (const id of [...docs.keys()].sort((x, y) => x - y)) writer.append(encoded(id));
    const info = writer.finish();
    const segment = { ...info, file: posix.basename(info.file) };
    publishManifest(fs, DIR, {
      generation,
      config: { dim: DIM },
      segments: [segment],
      index: null,
      parts: [],
      log: { sequence: cut },
      counts: { documents: docs.size },
    });
    log.dropBefore(cut);
  });
  log.close();
  lock.release();
}

/** Reopens an image and checks it against what was acknowledged and what was in flight. */
function verify(image: FileSystem, acknowledged: number[][], where: string): void {
  if (!image.exists(DIR)) {
    assert.equal(
      acknowledged.length,
      0,
      `${where}: the directory is gone after an acknowledgement`,
    );
    return;
  }
  const { docs } = open(image);
  for (const batch of acknowledged) {
    for (const id of batch)
      assert.deepEqual(docs.get(id), tokens(id), `${where}: acknowledged document ${id}`);
  }
  const inFlight = BATCHES[acknowledged.length] ?? [];
  const present = inFlight.filter((id) => docs.has(id));
  assert.ok(
    present.length === 0 || present.length === inFlight.length,
    `${where}: batch ${inFlight} half applied`,
  );
  const known = new Set([...acknowledged.flat(), ...inFlight]);
  for (const id of docs.keys()) assert.ok(known.has(id), `${where}: unknown document ${id}`);
  for (const id of present)
    assert.deepEqual(docs.get(id), tokens(id), `${where}: in-flight document ${id}`);
}

describe('commit protocol of the storage blocks', () => {
  const counter = new FaultFileSystem();
  workload(counter, []);
  const total = counter.mutations;

  it(`survives a kill at each of its ${total} mutating calls, and every power-loss image`, (t) => {
    let images = 0;
    for (let n = 1; n <= total; n++) {
      const fs = new FaultFileSystem({ crashAt: n });
      const acknowledged: number[][] = [];
      assert.throws(() => workload(fs, acknowledged), SimulatedCrash);
      verify(fs.processKillImage(), acknowledged, `kill at call ${n}`);
      for (const { scenario, fs: image } of fs.powerLossImages(n)) {
        verify(image, acknowledged, `power loss at call ${n} (${scenario})`);
        images++;
      }
    }
    assert.ok(images >= total * 9);
    t.diagnostic(`${total} kill points, ${images} power-loss images reopened`);
  });

  it('after EIO, ENOSPC or a failed fsync at any call: a typed error, then a clean reopen', () => {
    const plans = [];
    for (let n = 1; n <= total; n++)
      plans.push(
        { failAt: n, failWith: 'EIO' as const },
        { failAt: n, failWith: 'ENOSPC' as const },
      );
    for (let n = 1; n <= 20; n++) plans.push({ failSyncAt: n });
    for (const plan of plans) {
      const fs = new FaultFileSystem(plan);
      const acknowledged: number[][] = [];
      try {
        workload(fs, acknowledged);
      } catch (error) {
        assert.ok(isMuveraError(error, 'io-error'), `${JSON.stringify(plan)}: ${String(error)}`);
      }
      for (const { scenario, fs: image } of [
        { scenario: 'kill', fs: fs.processKillImage() },
        ...fs.powerLossImages(7),
      ]) {
        verify(image, acknowledged, `${JSON.stringify(plan)} ${scenario}`);
      }
    }
  });

  it('recovery itself survives a kill at each of its mutating calls', (t) => {
    let recoveryKills = 0;
    for (let n = 1; n <= total; n += 4) {
      const crashed = new FaultFileSystem({ crashAt: n });
      const acknowledged: number[][] = [];
      assert.throws(() => workload(crashed, acknowledged), SimulatedCrash);
      for (const { fs: image } of crashed.powerLossImages(n).slice(0, 3)) {
        if (!image.exists(DIR)) continue;
        const counting = FaultFileSystem.from(image);
        open(counting);
        for (let k = 1; k <= counting.mutations; k++) {
          const recovering = FaultFileSystem.from(image, { crashAt: k });
          assert.throws(() => open(recovering), SimulatedCrash);
          verify(
            recovering.processKillImage(),
            acknowledged,
            `recovery of call ${n} killed at ${k}`,
          );
          recoveryKills++;
        }
      }
    }
    assert.ok(recoveryKills >= 50, `only ${recoveryKills} kills during recovery`);
    t.diagnostic(`${recoveryKills} kills during recovery`);
  });

  it('a clean run leaves the newest generation, one log file and no temp files', () => {
    const fs = new MemoryFileSystem();
    workload(fs, []);
    const names = fs.readdir(DIR);
    assert.ok(names.includes('manifest-0000000000000002'));
    assert.equal(names.filter((name) => name.startsWith('wal-')).length, 1);
    assert.equal(names.filter((name) => name.endsWith('.tmp')).length, 0);
  });
});
