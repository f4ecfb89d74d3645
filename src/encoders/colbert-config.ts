/**
 * Reading a ColBERT-family model's own settings: markers, lengths, skiplist, projection layer.
 *
 * Two layouts are read, in this order:
 * 1. PyLate / sentence-transformers (answerai-colbert-small-v1, GTE-ModernColBERT-v1, ...):
 *    `config_sentence_transformers.json` holds `query_prefix` / `document_prefix` (marker tokens
 *    such as `[unused0]` / `[unused1]` or `[Q] ` / `[D] `), `query_length`, `document_length`,
 *    `skiplist_words` and `attend_to_expansion_tokens` (without `document_length`, the length is
 *    `sentence_bert_config.json`'s `max_seq_length` + 1); `modules.json` lists the `Dense` modules
 *    whose folders (e.g. `1_Dense/`) hold `config.json` (`in_features`, `out_features`, `bias`,
 *    `activation_function`) and `model.safetensors` (`linear.weight`, out x in; `linear.bias`).
 * 2. Stanford ColBERT checkpoints (colbert-ir/colbertv2.0): `artifact.metadata` holds
 *    `query_token_id`, `doc_token_id`, `query_maxlen`, `doc_maxlen`, `dim`, `mask_punctuation`
 *    and `attend_to_mask_tokens`. Their projection sits inside the checkpoint, so an ONNX export
 *    must include it: the model's output must already be `dim` wide.
 * A model with neither is refused: its markers and lengths would be guesses.
 */
import { MuveraError } from '../errors.js';
import { type HubEnv, type ModelSource, readModelFile, readModelJson } from './model-files.js';
import { parseSafetensors } from './safetensors.js';

/** A linear layer applied to each token's hidden state: out = weight x in (+ bias). */
export interface Projection {
  inFeatures: number;
  outFeatures: number;
  /** outFeatures x inFeatures, row-major (PyTorch `nn.Linear` layout). */
  weight: Float32Array;
  bias: Float32Array | null;
}

/** The settings the encoder honours. */
export interface ColbertSettings {
  /** Where they were read from. */
  layout: 'pylate' | 'stanford';
  /** Marker token put after [CLS] in queries / documents, or null for none. */
  queryPrefix: string | null;
  documentPrefix: string | null;
  /** Query length in tokens, [CLS], marker, [SEP] and [MASK] padding included. */
  queryLength: number;
  /** Maximum document length in tokens, [CLS], marker and [SEP] included. */
  documentLength: number;
  /** Tokens removed from documents (punctuation). */
  skiplist: string[];
  /** Whether query [MASK] padding positions take part in attention. */
  attendToExpansionTokens: boolean;
  /** Linear layers applied in order after the model, possibly none. */
  projections: Projection[];
  /** Width of the final vectors. */
  dim: number;
}

/** ASCII punctuation: Stanford ColBERT's skiplist when `mask_punctuation` is on. */
export const ASCII_PUNCTUATION = [...'!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~'];

const IDENTITY_ACTIVATIONS = new Set(['torch.nn.modules.linear.Identity', 'Identity', null]);

interface PylateConfig {
  query_prefix?: string;
  document_prefix?: string;
  query_length?: number;
  document_length?: number;
  skiplist_words?: string[];
  attend_to_expansion_tokens?: boolean;
}

interface StanfordMetadata {
  query_token_id?: string;
  doc_token_id?: string;
  query_maxlen?: number;
  doc_maxlen?: number;
  dim?: number;
  mask_punctuation?: boolean;
  attend_to_mask_tokens?: boolean;
}

/** Reads the settings of `source`; `hiddenSize` is the model's output width (config.json). */
export async function readColbertSettings(
  source: ModelSource,
  env: HubEnv,
  hiddenSize: number,
): Promise<ColbertSettings> {
  const pylate = await readModelJson<PylateConfig>(
    source,
    'config_sentence_transformers.json',
    env,
  );
  if (pylate?.query_length !== undefined) return pylateSettings(source, env, pylate, hiddenSize);

  const stanford = await readModelJson<StanfordMetadata>(source, 'artifact.metadata', env);
  if (stanford?.query_maxlen !== undefined) return stanfordSettings(stanford, hiddenSize);

  throw new MuveraError('not-found', `${source.model} has no ColBERT settings`, {
    parameter: 'model',
    expected: 'config_sentence_transformers.json with query_length, or artifact.metadata',
    remedy:
      'Use a ColBERT model in PyLate or Stanford ColBERT layout, or add one of those files (see docs/encoders.md)',
  });
}

async function pylateSettings(
  source: ModelSource,
  env: HubEnv,
  config: PylateConfig,
  hiddenSize: number,
): Promise<ColbertSettings> {
  const projections = await readDenseModules(source, env);
  // NOTE: sentence_bert_config.json's max_seq_length is the length before PyLate inserts the
  // marker, one less than document_length; it is only a fallback for older exports.
  const bert = await readModelJson<{ max_seq_length?: number }>(
    source,
    'sentence_bert_config.json',
    env,
  );
  const fallbackLength = bert?.max_seq_length === undefined ? undefined : bert.max_seq_length + 1;
  return {
    layout: 'pylate',
    queryPrefix: config.query_prefix || null,
    documentPrefix: config.document_prefix || null,
    queryLength: positiveInteger(config.query_length, 'query_length'),
    documentLength: positiveInteger(config.document_length ?? fallbackLength, 'document_length'),
    skiplist: config.skiplist_words ?? [],
    attendToExpansionTokens: config.attend_to_expansion_tokens ?? false,
    projections,
    dim: projections.at(-1)?.outFeatures ?? hiddenSize,
  };
}

function stanfordSettings(metadata: StanfordMetadata, hiddenSize: number): ColbertSettings {
  return {
    layout: 'stanford',
    queryPrefix: metadata.query_token_id || null,
    documentPrefix: metadata.doc_token_id || null,
    queryLength: positiveInteger(metadata.query_maxlen, 'query_maxlen'),
    documentLength: positiveInteger(metadata.doc_maxlen, 'doc_maxlen'),
    skiplist: metadata.mask_punctuation === false ? [] : ASCII_PUNCTUATION,
    attendToExpansionTokens: metadata.attend_to_mask_tokens ?? false,
    projections: [],
    dim: metadata.dim ?? hiddenSize,
  };
}

function positiveInteger(value: unknown, name: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) {
    throw new MuveraError('parse-error', `ColBERT setting ${name} must be a positive integer`, {
      parameter: name,
      expected: 'a positive integer',
      actual: value,
    });
  }
  return value;
}

/** The Dense modules listed in modules.json, in order. */
async function readDenseModules(source: ModelSource, env: HubEnv): Promise<Projection[]> {
  const modules = await readModelJson<{ path: string; type: string }[]>(
    source,
    'modules.json',
    env,
  );
  const dense = (modules ?? []).filter((module) => /(^|\.)Dense$/.test(module.type));
  const out: Projection[] = [];
  for (const module of dense) out.push(await readDense(source, env, module.path));
  return out;
}

interface DenseConfig {
  in_features: number;
  out_features: number;
  bias: boolean;
  activation_function?: string | null;
}

async function readDense(source: ModelSource, env: HubEnv, folder: string): Promise<Projection> {
  const config = await readModelJson<DenseConfig>(source, `${folder}/config.json`, env);
  if (!config) throw missing(source, `${folder}/config.json`);
  if (!IDENTITY_ACTIVATIONS.has(config.activation_function ?? null)) {
    throw new MuveraError(
      'unavailable',
      `${folder} uses activation ${config.activation_function}`,
      {
        parameter: `${folder}/config.json activation_function`,
        expected: 'Identity (a plain linear layer)',
        actual: config.activation_function,
      },
    );
  }

  const file = `${folder}/model.safetensors`;
  const bytes = await readModelFile(source, file, env);
  if (!bytes) throw missing(source, file, 'Convert pytorch_model.bin to model.safetensors first');
  const tensors = parseSafetensors(bytes, file);
  const weight = tensors.get('linear.weight');
  const bias = tensors.get('linear.bias');
  const { in_features: inFeatures, out_features: outFeatures } = config;
  if (
    !(weight?.values instanceof Float32Array) ||
    weight.values.length !== inFeatures * outFeatures
  ) {
    throw new MuveraError(
      'corrupt-data',
      `${file} has no ${outFeatures} x ${inFeatures} linear.weight`,
      {
        file,
        expected: [outFeatures, inFeatures],
        actual: weight?.shape,
      },
    );
  }
  const biasValues = config.bias && bias?.values instanceof Float32Array ? bias.values : null;
  if (config.bias && biasValues?.length !== outFeatures) {
    throw new MuveraError('corrupt-data', `${file} lacks linear.bias of ${outFeatures} values`, {
      file,
    });
  }
  return { inFeatures, outFeatures, weight: weight.values, bias: biasValues };
}

function missing(source: ModelSource, file: string, remedy?: string): MuveraError {
  return new MuveraError('not-found', `${source.model} lacks ${file}`, { file, remedy });
}
