/**
 * ColBERT-family models through ONNX, with `@huggingface/transformers` on the CPU.
 *
 * ColBERT (Khattab and Zaharia, SIGIR 2020; ColBERTv2, Santhanam et al., NAACL 2022) encodes a
 * text into one vector per token: the transformer's last hidden state at each position, passed
 * through a linear projection to a small dimension and scaled to unit length. A query is padded
 * with [MASK] tokens to a fixed length (query augmentation) and every position is kept; a
 * document drops its punctuation positions. Layouts: src/encoders/colbert-layout.ts; where each
 * model family keeps its settings and its projection: src/encoders/colbert-config.ts.
 *
 * Steps for a batch of texts: lay each out (ids, attention, which positions to keep), pad the
 * batch to its longest layout with the pad id and attention 0, run the model, then for each text
 * take its own positions only, project, normalise. Padding positions never reach an output, so a
 * text's vectors do not depend on the batch (up to float rounding in the model's kernels).
 *
 * `@huggingface/transformers` is an optional dependency loaded here, and only here, on first use.
 */
import { DEFAULTS } from '../defaults.js';
import { MuveraError } from '../errors.js';
import { type ColbertSettings, type Projection, readColbertSettings } from './colbert-config.js';
import {
  type Layout,
  type LayoutRules,
  type LayoutTokenizer,
  layoutRules,
  layoutText,
} from './colbert-layout.js';
import { type HubEnv, resolveModelSource } from './model-files.js';
import { importOptional } from './optional-import.js';
import type { ColbertEncoderSpec, TokenEncoder, TokenEncoding } from './types.js';

/** Options of {@link ColbertOnnxEncoder.load}; defaults in `DEFAULTS.encoders.colbert`. */
export interface ColbertEncoderOptions {
  /** Hub revision (branch, tag, commit); null for the default branch. */
  revision?: string | null;
  /** ONNX weight variant as transformers.js names it: `fp32`, `fp16`, `q8`, `int8`, `q4`. */
  dtype?: string;
  /** Texts per model call. Does not change outputs. */
  batchSize?: number;
  /** Overrides the model's query length (tokens, markers and [MASK] padding included). */
  queryLength?: number | null;
  /** Overrides the model's document length (tokens, markers included). */
  documentLength?: number | null;
}

/** The parts of transformers.js this module uses. */
interface Transformers {
  env: HubEnv;
  AutoTokenizer: { from_pretrained(model: string, options: object): Promise<LayoutTokenizer> };
  AutoModel: { from_pretrained(model: string, options: object): Promise<TransformersModel> };
  AutoConfig: { from_pretrained(model: string, options: object): Promise<ModelConfig> };
  Tensor: new (type: string, data: BigInt64Array, dims: number[]) => unknown;
}

interface TransformersModel {
  (inputs: Record<string, unknown>): Promise<Record<string, OutputTensor | undefined>>;
  dispose(): Promise<unknown>;
}

interface OutputTensor {
  dims: number[];
  data: Float32Array;
}

interface ModelConfig {
  hidden_size?: number;
  pad_token_id?: number | null;
}

const PACKAGE = '@huggingface/transformers';
const OUTPUT_NAME = 'last_hidden_state';

/** Imports `@huggingface/transformers`, or throws `unavailable` saying how to install it. */
export async function loadTransformers(): Promise<Transformers> {
  return importOptional<Transformers>(
    PACKAGE,
    `ONNXRUNTIME_NODE_INSTALL=skip npm install ${PACKAGE}@4.3.2`,
  );
}

/** A ColBERT model as a {@link TokenEncoder}. Build one with {@link ColbertOnnxEncoder.load}. */
export class ColbertOnnxEncoder implements TokenEncoder {
  readonly dim: number;
  readonly spec: ColbertEncoderSpec;

  /** Loads a model by hub id (downloaded and cached by transformers.js) or local folder. */
  static async load(
    model: string,
    options: ColbertEncoderOptions = {},
  ): Promise<ColbertOnnxEncoder> {
    const settings = { ...DEFAULTS.encoders.colbert, revision: null, ...options };
    const transformers = await loadTransformers();
    const source = await resolveModelSource(model, settings.revision);
    const fromPretrained = {
      revision: settings.revision ?? undefined,
      local_files_only: source.local,
    };
    const load = <T>(what: { from_pretrained(id: string, o: object): Promise<T> }, extra = {}) =>
      wrapLoad(source.model, () =>
        what.from_pretrained(source.model, { ...fromPretrained, ...extra }),
      );

    // Tokenizer and config first: the ColBERT settings need the hidden size.
    const [tokenizer, config] = await Promise.all([
      load(transformers.AutoTokenizer),
      load(transformers.AutoConfig),
    ]);
    const colbert = await readColbertSettings(source, transformers.env, config.hidden_size ?? 0);
    const lengths = {
      queryLength: settings.queryLength ?? colbert.queryLength,
      documentLength: settings.documentLength ?? colbert.documentLength,
    };

    const session = await load(transformers.AutoModel, { dtype: settings.dtype, device: 'cpu' });
    const spec: ColbertEncoderSpec = {
      kind: 'colbert',
      model: source.model,
      revision: settings.revision,
      dtype: settings.dtype,
      dim: colbert.dim,
      ...lengths,
    };
    const parts = {
      transformers,
      tokenizer,
      session,
      settings: { ...colbert, ...lengths },
      config,
    };
    return new ColbertOnnxEncoder(parts, spec, settings.batchSize);
  }

  private readonly rules: LayoutRules;

  private constructor(
    private readonly parts: {
      transformers: Transformers;
      tokenizer: LayoutTokenizer;
      session: TransformersModel;
      settings: ColbertSettings;
      config: ModelConfig;
    },
    spec: ColbertEncoderSpec,
    private readonly batchSize: number,
  ) {
    this.spec = spec;
    this.dim = spec.dim;
    this.rules = layoutRules(parts.tokenizer, parts.settings);
  }

  /** The ColBERT settings in use (read from the model, lengths possibly overridden). */
  get settings(): ColbertSettings {
    return this.parts.settings;
  }

  async encodeQuery(text: string): Promise<TokenEncoding> {
    return (await this.encodeAll([text], 'query'))[0];
  }

  async encodeDocument(text: string): Promise<TokenEncoding> {
    return (await this.encodeAll([text], 'document'))[0];
  }

  async encodeQueries(texts: readonly string[]): Promise<TokenEncoding[]> {
    return this.encodeAll(texts, 'query');
  }

  async encodeDocuments(texts: readonly string[]): Promise<TokenEncoding[]> {
    return this.encodeAll(texts, 'document');
  }

  async dispose(): Promise<void> {
    await this.parts.session.dispose();
  }

  private async encodeAll(texts: readonly string[], role: 'query' | 'document') {
    const layouts = texts.map((text) => layoutText(this.parts.tokenizer, this.rules, text, role));
    const out: TokenEncoding[] = [];
    for (let start = 0; start < layouts.length; start += this.batchSize) {
      const batch = layouts.slice(start, start + this.batchSize);
      const hidden = await this.run(batch);
      out.push(...batch.map((layout, i) => this.finish(layout, hidden, i)));
    }
    return out;
  }

  /** Runs one padded batch; returns the hidden states (batch x seqLength x width). */
  private async run(batch: Layout[]): Promise<OutputTensor> {
    const { Tensor } = this.parts.transformers;
    const seqLength = Math.max(...batch.map((layout) => layout.ids.length));
    const padId = BigInt(this.parts.config.pad_token_id ?? 0);
    const ids = new BigInt64Array(batch.length * seqLength).fill(padId);
    const attention = new BigInt64Array(batch.length * seqLength);
    batch.forEach((layout, b) => {
      layout.ids.forEach((id, t) => {
        ids[b * seqLength + t] = BigInt(id);
        attention[b * seqLength + t] = BigInt(layout.attention[t]);
      });
    });

    const dims = [batch.length, seqLength];
    const outputs = await this.parts.session({
      input_ids: new Tensor('int64', ids, dims),
      attention_mask: new Tensor('int64', attention, dims),
    });
    return this.checkOutput(outputs, dims);
  }

  private checkOutput(outputs: Record<string, OutputTensor | undefined>, dims: number[]) {
    const hidden = outputs[OUTPUT_NAME];
    if (!hidden) {
      throw new MuveraError('config-mismatch', `the model has no ${OUTPUT_NAME} output`, {
        parameter: 'model',
        expected: OUTPUT_NAME,
        actual: Object.keys(outputs).join(', '),
        remedy: 'Export the model for feature extraction (per-token hidden states)',
      });
    }
    const width = hidden.dims[2];
    const expected = this.parts.settings.projections[0]?.inFeatures ?? this.dim;
    if (hidden.dims.length !== 3 || hidden.dims[0] !== dims[0] || hidden.dims[1] !== dims[1]) {
      throw new MuveraError(
        'config-mismatch',
        `model output has shape ${hidden.dims.join(' x ')}`,
        {
          parameter: OUTPUT_NAME,
          expected: `${dims.join(' x ')} x width`,
          actual: hidden.dims,
        },
      );
    }
    if (width !== expected) throw notColbertVectors(width, expected, this.parts.settings);
    return hidden;
  }

  /** One text's kept positions, projected and normalised. */
  private finish(layout: Layout, hidden: OutputTensor, index: number): TokenEncoding {
    const [, seqLength, width] = hidden.dims;
    const kept = layout.keep.flatMap((keep, t) => (keep ? [t] : []));
    const data = new Float32Array(kept.length * this.dim);
    kept.forEach((t, row) => {
      const start = (index * seqLength + t) * width;
      let vector = hidden.data.subarray(start, start + width);
      for (const projection of this.parts.settings.projections)
        vector = project(projection, vector);
      data.set(unitLength(vector), row * this.dim);
    });
    const tokens = kept.map((t) => layout.tokens[t]);
    return { data, dim: this.dim, numTokens: kept.length, tokens };
  }
}

/** `projection.weight` (out x in) times `vector` (in), plus bias. */
export function project(projection: Projection, vector: Float32Array): Float32Array {
  const { inFeatures, outFeatures, weight, bias } = projection;
  const out = new Float32Array(outFeatures);
  for (let o = 0; o < outFeatures; o++) {
    let sum = bias ? bias[o] : 0;
    for (let i = 0; i < inFeatures; i++) sum += weight[o * inFeatures + i] * vector[i];
    out[o] = sum;
  }
  return out;
}

/** `vector` scaled to unit length (a zero vector stays zero, i.e. padding). */
function unitLength(vector: Float32Array): Float32Array {
  let squares = 0;
  for (const value of vector) squares += value * value;
  const scale = squares > 0 ? 1 / Math.sqrt(squares) : 0;
  return vector.map((value) => value * scale);
}

function notColbertVectors(width: number, expected: number, settings: ColbertSettings) {
  const projection =
    settings.projections.length > 0 ? 'its projection layer' : 'its ColBERT config';
  return new MuveraError(
    'config-mismatch',
    `the model outputs ${width}-dim hidden states but ${projection} expects ${expected}: these are not ColBERT vectors`,
    {
      parameter: OUTPUT_NAME,
      expected,
      actual: width,
      remedy:
        'Export the ONNX model with its final linear layer (see docs/encoders.md, "Exporting a model"), or use a model whose projection ships beside it (1_Dense)',
    },
  );
}

async function wrapLoad<T>(model: string, load: () => Promise<T>): Promise<T> {
  try {
    return await load();
  } catch (cause) {
    if (cause instanceof MuveraError) throw cause;
    throw new MuveraError('unavailable', `cannot load ${model}: ${(cause as Error).message}`, {
      parameter: 'model',
      cause,
      remedy:
        'Check the model id or folder; a folder needs config.json, tokenizer.json and onnx/model.onnx',
    });
  }
}
