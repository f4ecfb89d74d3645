/**
 * `muvera index` on the real embedded engine ends with a checkpoint: the write-ahead log holds
 * nothing to replay, so the next open loads the checkpoint instead of re-encoding every FDE.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, it } from 'node:test';
import { EXIT_OK } from '../../src/cli/exit-codes.js';
import { main } from '../../src/cli/main.js';
import { Collection } from '../../src/collection/collection.js';
import { embeddedEngine } from '../../src/server/embedded-engine.js';

/** Awkward width on purpose. */
const DIM = 3;
const DOCUMENTS = 37;

class Sink extends Writable {
  text = '';
  override _write(chunk: Buffer, _encoding: string, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
}

const root = await mkdtemp(join(tmpdir(), 'muvera-index-checkpoint-'));
after(() => rm(root, { recursive: true, force: true }));

it('muvera index checkpoints, leaving an empty log', async () => {
  const file = join(root, 'vectors.jsonl');
  const lines = Array.from({ length: DOCUMENTS }, (_, i) => ({
    id: `d${i}`,
    vectors: [
      [1, i, 0],
      [0, 1, -i],
    ],
  }));
  await writeFile(file, `${lines.map((line) => JSON.stringify(line)).join('\n')}\n`);
  const dir = join(root, 'collection');
  const err = new Sink();
  const argv = ['index', dir, '--corpus', file, '--dim', String(DIM), '--quiet'];
  const code = await main(argv, {
    out: new Sink(),
    err,
    engine: embeddedEngine,
    interrupted: () => Promise.resolve(),
  });
  assert.equal(code, EXIT_OK, err.text);

  const collection = await Collection.open(dir);
  try {
    const stats = await collection.stats();
    assert.equal(stats.documents, DOCUMENTS);
    const empty = await Collection.create(join(root, 'empty'), { dim: DIM });
    const emptyLog = (await empty.stats()).logBytes;
    await empty.close();
    assert.equal(stats.logBytes, emptyLog, 'the log holds only its header');
  } finally {
    await collection.close();
  }
});
