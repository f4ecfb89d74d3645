/**
 * A tiny ColBERT model folder for tests: the real answerai-colbert-small-v1 tokenizer and ColBERT
 * configs (test/fixtures), a tiny ONNX graph (test/encoders/tiny-onnx.ts) and a 1_Dense
 * projection written as safetensors. Also computes, without the encoder, the vector a token id
 * must get: normalise(dense x (embedding[id] x hidden)).
 */
import { cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeSafetensors } from '../../src/encoders/safetensors.js';
import { tinyOnnxModel } from './tiny-onnx.js';

export const FIXTURE = join(import.meta.dirname, '..', 'fixtures', 'answerai-colbert-small-v1');
export const VOCAB_SIZE = 30522;
export const EMBED_DIM = 4;
export const HIDDEN_SIZE = 6;
export const OUTPUT_DIM = 3;

/** Weights of the tiny model, fixed by formula so tests can recompute them. */
export interface TinyColbert {
  dir: string;
  embedding: Float32Array;
  hidden: Float32Array;
  /** OUTPUT_DIM x HIDDEN_SIZE, PyTorch Linear layout. */
  dense: Float32Array;
}

/** Token ids by spelling, read straight from the fixture's tokenizer.json. */
export function fixtureVocab(): Map<string, number> {
  const json = JSON.parse(readFileSync(join(FIXTURE, 'tokenizer.json'), 'utf8'));
  return new Map(Object.entries(json.model.vocab as Record<string, number>));
}

/** Writes a model folder; `options` change its ColBERT configs for error cases. */
export async function writeTinyColbert(
  options: {
    denseIn?: number;
    layout?: 'pylate' | 'stanford';
    stanfordDim?: number;
    /** Leave document_length out of config_sentence_transformers.json. */
    omitDocumentLength?: boolean;
  } = {},
): Promise<TinyColbert> {
  const dir = mkdtempSync(join(tmpdir(), 'muvera-tiny-colbert-'));
  const embedding = Float32Array.from({ length: VOCAB_SIZE * EMBED_DIM }, (_, i) =>
    Math.sin(i * 0.7 + 1),
  );
  const hidden = Float32Array.from({ length: EMBED_DIM * HIDDEN_SIZE }, (_, i) =>
    Math.cos(i * 1.3),
  );
  const denseIn = options.denseIn ?? HIDDEN_SIZE;
  const dense = Float32Array.from(
    { length: OUTPUT_DIM * denseIn },
    (_, i) => ((i * 7) % 5) - 2 + 0.25,
  );

  mkdirSync(join(dir, 'onnx'));
  const onnx = tinyOnnxModel({
    vocabSize: VOCAB_SIZE,
    embedDim: EMBED_DIM,
    hiddenSize: HIDDEN_SIZE,
    embedding,
    hidden,
  });
  writeFileSync(join(dir, 'onnx', 'model.onnx'), onnx);
  for (const file of ['tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json']) {
    cpSync(join(FIXTURE, file), join(dir, file));
  }
  const config = JSON.parse(readFileSync(join(FIXTURE, 'config.json'), 'utf8'));
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ ...config, hidden_size: HIDDEN_SIZE }));

  if (options.layout === 'stanford') {
    const metadata = { query_token_id: '[unused0]', doc_token_id: '[unused1]', query_maxlen: 32 };
    const extra = {
      doc_maxlen: 180,
      dim: options.stanfordDim ?? HIDDEN_SIZE,
      mask_punctuation: true,
    };
    writeFileSync(join(dir, 'artifact.metadata'), JSON.stringify({ ...metadata, ...extra }));
    return { dir, embedding, hidden, dense };
  }
  for (const file of [
    'config_sentence_transformers.json',
    'modules.json',
    'sentence_bert_config.json',
  ]) {
    cpSync(join(FIXTURE, file), join(dir, file));
  }
  if (options.omitDocumentLength) {
    const file = join(dir, 'config_sentence_transformers.json');
    const { document_length: _, ...rest } = JSON.parse(readFileSync(file, 'utf8'));
    writeFileSync(file, JSON.stringify(rest));
  }
  mkdirSync(join(dir, '1_Dense'));
  const denseConfig = { in_features: denseIn, out_features: OUTPUT_DIM, bias: false };
  writeFileSync(join(dir, '1_Dense', 'config.json'), JSON.stringify(denseConfig));
  await writeSafetensors(join(dir, '1_Dense', 'model.safetensors'), {
    'linear.weight': { shape: [OUTPUT_DIM, denseIn], values: dense },
  });
  return { dir, embedding, hidden, dense };
}

/** The vector the encoder must give token `id`, computed in float64 from the weights. */
export function expectedVector(model: TinyColbert, id: number): number[] {
  const hiddenState = Array.from({ length: HIDDEN_SIZE }, (_, h) => {
    let sum = 0;
    for (let e = 0; e < EMBED_DIM; e++)
      sum += model.embedding[id * EMBED_DIM + e] * model.hidden[e * HIDDEN_SIZE + h];
    return sum;
  });
  const projected = Array.from({ length: OUTPUT_DIM }, (_, o) =>
    hiddenState.reduce((sum, value, h) => sum + model.dense[o * HIDDEN_SIZE + h] * value, 0),
  );
  const norm = Math.hypot(...projected);
  return projected.map((value) => value / norm);
}
