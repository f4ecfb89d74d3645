import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe } from 'node:test';
import { ColbertOnnxEncoder, loadTransformers } from '../../src/encoders/colbert-onnx.js';
import { StaticTokenEncoder } from '../../src/encoders/static-encoder.js';
import { encoderContract } from './encoder-contract.js';
import { type TinyColbert, writeTinyColbert } from './tiny-colbert.js';

// Every implementation passes the whole contract; none is exempt from a case.

describe('TokenEncoder contract: StaticTokenEncoder (shipped demo vectors)', () => {
  let encoder: StaticTokenEncoder;
  before(async () => {
    const demo = join(import.meta.dirname, '..', '..', 'data', 'encoders', 'fasttext-skipgram128');
    encoder = await StaticTokenEncoder.load(demo);
  });
  encoderContract({ encoder: () => encoder, batchTolerance: 0 });
});

describe('TokenEncoder contract: ColbertOnnxEncoder (tiny ONNX model)', () => {
  let model: TinyColbert;
  let encoder: ColbertOnnxEncoder;
  before(async () => {
    (await loadTransformers()).env.allowRemoteModels = false;
    model = await writeTinyColbert();
    encoder = await ColbertOnnxEncoder.load(model.dir);
  });
  after(async () => {
    await encoder.dispose();
    rmSync(model.dir, { recursive: true, force: true });
  });
  encoderContract({ encoder: () => encoder, batchTolerance: 1e-6 });
});
