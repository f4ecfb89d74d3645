/**
 * The engine seen by the front ends (CLI, HTTP server): how to open or create a collection
 * directory and how to load the encoder a collection remembers. The server and the CLI take an
 * {@link Engine} so their tests can run against a small in-memory one; {@link embeddedEngine}
 * (src/server/embedded-engine.ts) is the real one, backed by the embedded `Collection`.
 */
import type { CollectionApi, CollectionOptions } from '../collection/types.js';
import type { EncoderSpec, TokenEncoder } from '../encoders/types.js';

/** A collection opened by the engine, with the encoder spec it was built with (if any). */
export interface OpenedCollection {
  collection: CollectionApi;
  /** The encoder that produced the stored tokens; null when documents came as vectors. */
  encoder: EncoderSpec | null;
}

/** What the front ends need from the core. */
export interface Engine {
  /** True when `dir` holds a collection. */
  isCollection(dir: string): Promise<boolean>;
  /**
   * Opens an existing collection; throws `not-found` when `dir` holds none. `readOnly` opens it
   * without the write lock (searches only), so it works while a server writes to it.
   */
  openCollection(dir: string, options?: { readOnly?: boolean }): Promise<OpenedCollection>;
  /** Creates a collection in `dir`; throws `already-exists` when one is there. */
  createCollection(dir: string, options: CollectionOptions): Promise<OpenedCollection>;
  /** Loads an encoder from a spec string (`static:<dir>`, `colbert:<model>`) or stored JSON. */
  loadEncoder(spec: string | EncoderSpec): Promise<TokenEncoder>;
}
