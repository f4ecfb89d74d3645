/**
 * The real {@link Engine}: collections are embedded `Collection` directories (src/collection/),
 * encoders come from src/encoders' factory. The CLI and `muvera serve` use it.
 */
import { readdir } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import { Collection } from '../collection/collection.js';
import { readLatestManifest } from '../collection/store-adapter.js';
import { createEncoder, loadEncoder } from '../encoders/factory.js';
import type { EncoderSpec } from '../encoders/types.js';
import { NodeFileSystem } from '../store/file-system.js';
import type { Engine } from './engine.js';

/** A collection directory holds manifest generations (see src/collection/directory-storage.ts). */
const MANIFEST_PREFIX = 'manifest';

/**
 * The encoder spec a collection stored at creation, or null for a collection of vectors.
 * NOTE: `Collection` exposes no accessor for it yet, so it is read from the newest manifest
 * generation (the collection's own commit point) through the collection's store adapter.
 */
function rememberedEncoder(collection: Collection): EncoderSpec | null {
  const exposed = (collection as unknown as { encoder?: unknown }).encoder;
  const body =
    exposed === undefined
      ? readLatestManifest(new NodeFileSystem(), collection.dir)?.body
      : undefined;
  const spec =
    exposed ?? (body as { collection?: { encoder?: unknown } } | undefined)?.collection?.encoder;
  return spec !== null && typeof spec === 'object' ? (spec as EncoderSpec) : null;
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
