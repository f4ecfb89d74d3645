/**
 * Compatibility: the collection part of a manifest for code that read it before `Collection`
 * exposed `encoder`. The write lock now comes from src/store/write-lock.ts.
 */
import type { FileSystem } from '../store/file-system.js';
import { readManifest } from '../store/manifest.js';

/**
 * The collection part (`config`) of the newest manifest generation of `dir`, or undefined.
 * @deprecated Use `collection.encoder` and `collection.stats()` of an open collection.
 */
export function readLatestManifest(
  fs: FileSystem,
  dir: string,
): { generation: number; body: unknown } | undefined {
  const loaded = readManifest(fs, dir);
  return loaded === null ? undefined : { generation: loaded.generation, body: loaded.body.config };
}
