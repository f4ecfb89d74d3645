/**
 * Files of a model, from a local folder or from the Hugging Face hub.
 *
 * transformers.js fetches and caches the files it needs itself (config, tokenizer, ONNX weights).
 * The ColBERT side files it does not know about (config_sentence_transformers.json, modules.json,
 * 1_Dense/...) are read here, looking where transformers.js looks: the folder itself; for a hub
 * id, `env.localModelPath/<model id>/<file>` (when local models are allowed), then its file cache
 * `env.cacheDir/<model id>/<file>` (its layout for the default revision), then a download from
 * `env.remoteHost` into that cache (when remote models are allowed).
 */
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { MuveraError } from '../errors.js';

/** Where the model comes from. */
export interface ModelSource {
  /** Absolute folder path, or a hub model id. */
  model: string;
  local: boolean;
  revision: string | null;
}

/** The parts of transformers.js's `env` this module reads. */
export interface HubEnv {
  allowLocalModels: boolean;
  localModelPath: string;
  allowRemoteModels: boolean;
  remoteHost: string;
  /** Path after the host, with `{model}` and `{revision}` placeholders. */
  remotePathTemplate: string;
  cacheDir: string | null;
}

/** A local path when `model` names an existing folder (or is path-like), else a hub id. */
export async function resolveModelSource(model: string, revision: string | null) {
  const pathLike = isAbsolute(model) || model.startsWith('.') || model.split('/').length > 2;
  const exists = await stat(model).then(
    (info) => info.isDirectory(),
    () => false,
  );
  if (exists || pathLike) return { model: resolve(model), local: true, revision } as ModelSource;
  return { model, local: false, revision } as ModelSource;
}

/** Bytes of `file` in the model, or null when the model has no such file. */
export async function readModelFile(
  source: ModelSource,
  file: string,
  env: HubEnv,
): Promise<Buffer | null> {
  if (source.local) return readFile(join(source.model, file)).catch(() => null);

  if (env.allowLocalModels) {
    const local = await readFile(join(env.localModelPath, source.model, file)).catch(() => null);
    if (local) return local;
  }
  const cached = env.cacheDir && !source.revision ? join(env.cacheDir, source.model, file) : null;
  if (cached) {
    const bytes = await readFile(cached).catch(() => null);
    if (bytes) return bytes;
  }
  if (!env.allowRemoteModels) return null;
  return download(source, file, env, cached);
}

async function download(source: ModelSource, file: string, env: HubEnv, cached: string | null) {
  const path = env.remotePathTemplate
    .replaceAll('{model}', source.model)
    .replaceAll('{revision}', encodeURIComponent(source.revision ?? 'main'));
  const url = `${env.remoteHost.replace(/\/$/, '')}/${path.replace(/^\/|\/$/g, '')}/${file}`;
  const response = await fetch(url).catch((cause) => {
    throw new MuveraError('io-error', `cannot fetch ${url}`, { file: url, cause });
  });
  if (response.status === 404) return null;
  if (!response.ok) {
    throw new MuveraError('io-error', `fetching ${url} returned HTTP ${response.status}`, {
      file: url,
    });
  }
  const bytes = Buffer.from(await response.arrayBuffer());
  if (cached) {
    await mkdir(dirname(cached), { recursive: true });
    await writeFile(cached, bytes);
  }
  return bytes;
}

/** Parsed JSON of `file` in the model, or null when absent. */
export async function readModelJson<T>(
  source: ModelSource,
  file: string,
  env: HubEnv,
): Promise<T | null> {
  const bytes = await readModelFile(source, file, env);
  if (bytes === null) return null;
  try {
    return JSON.parse(bytes.toString('utf8')) as T;
  } catch (cause) {
    throw new MuveraError('parse-error', `${file} of ${source.model} is not valid JSON`, {
      file,
      cause,
    });
  }
}
