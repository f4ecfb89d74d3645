/**
 * The real {@link Engine}: collections are embedded `Collection` directories (src/collection/),
 * encoders come from src/encoders' factory. The CLI and `muvera serve` use it.
 */
import { readdir } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import { Collection } from '../collection/collection.js';
import { createEncoder, loadEncoder } from '../encoders/factory.js';
import type { EncoderSpec } from '../encoders/types.js';
import type { Engine } from './engine.js';

/** A collection directory holds manifest generations (see src/collection/directory-storage.ts). */
const MANIFEST_PREFIX = 'manifest';

/** The encoder spec a collection stored at creation, or null for a collection of vectors. */
function rememberedEncoder(collection: Collection): EncoderSpec | null {
  const spec = collection.encoder;
  return spec === undefined ? null : (spec as unknown as EncoderSpec);
}

/**
 * `static:<relative dir>` made absolute, so the spec a collection remembers still loads when it
 * is searched from another working directory.
 */
function absoluteStaticPath(spec: string): string {
  const prefix = 'static:';
  if (!spec.startsWith(prefix) || isAbsolute(spec.slice(prefix.length))) return spec;
  return prefix + resolve(spec.slice(prefix.length));
}

/** Embedded collections and the library's encoders. */
export const embeddedEngine: Engine = {
  async isCollection(dir) {
    const names = await readdir(dir).catch(() => [] as string[]);
    return names.some((name) => name.startsWith(MANIFEST_PREFIX));
  },
  async openCollection(dir, options = {}) {
    const collection = await Collection.open(dir, { readOnly: options.readOnly === true });
    return { collection, encoder: rememberedEncoder(collection) };
  },
  async createCollection(dir, options) {
    const collection = await Collection.create(dir, options);
    return { collection, encoder: (options.encoder as EncoderSpec | undefined) ?? null };
  },
  loadEncoder(spec) {
    return typeof spec === 'string' ? createEncoder(absoluteStaticPath(spec)) : loadEncoder(spec);
  },
};
