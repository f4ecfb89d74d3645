/**
 * The collections a server holds: those in its data directory (created and dropped through the
 * API) plus collection directories attached by path on the command line. Each is opened once, on
 * first use, and its encoder loaded once and shared.
 *
 * NOTE: a collection name becomes a directory name, so names are restricted to letters, digits,
 * `_` and `-` (no dots, no separators) and the resolved path is checked to lie inside the data
 * directory: a path-like name such as `../etc` is refused before it touches the file system.
 */
import { mkdir, readdir, rm } from 'node:fs/promises';
import { basename, resolve, sep } from 'node:path';
import type { CollectionOptions } from '../collection/types.js';
import type { EncoderSpec, TokenEncoder } from '../encoders/types.js';
import { invalidArgument, MuveraError } from '../errors.js';
import { isPostgresUrl, parseTarget } from '../postgres/target.js';
import type { Engine, OpenedCollection } from './engine.js';

/** Allowed collection names: 1 to 64 characters, letters, digits, `_`, `-`, not starting with `-`. */
export const COLLECTION_NAME = /^[A-Za-z0-9_][A-Za-z0-9_-]{0,63}$/;

/** Where a collection lives and whether the API may drop it. */
interface Entry {
  name: string;
  dir: string;
  attached: boolean;
  opened?: Promise<OpenedCollection>;
  encoder?: Promise<TokenEncoder>;
}

/** What {@link Catalog.list} reports for each collection. */
export interface CollectionSummary {
  name: string;
  /** True for a directory attached on the command line (not droppable through the API). */
  attached: boolean;
  documents: number;
  dim: number;
  /** The encoder's kind (`static`, `colbert`), or null for vectors only. */
  encoder: string | null;
}

/** Checks a collection name; throws `invalid-argument` naming `parameter` otherwise. */
export function checkCollectionName(name: string, parameter = 'name'): string {
  if (!COLLECTION_NAME.test(name)) {
    throw invalidArgument(
      parameter,
      'letters, digits, "_" or "-" (1 to 64, no dots or slashes)',
      name,
    );
  }
  return name;
}

/** Named collections over an engine: a data directory plus attached collection directories. */
export class Catalog {
  private readonly entries = new Map<string, Entry>();
  private readonly dataDir: string | null;

  constructor(
    private readonly engine: Engine,
    options: { dataDir?: string | null; attach?: string[] } = {},
  ) {
    this.dataDir = options.dataDir ? resolve(options.dataDir) : null;
    for (const dir of options.attach ?? []) this.attach(dir);
  }

  /** Attaches a collection directory under its base name. */
  attach(dir: string): void {
    // A postgres:// URL is served under its collection (schema) name and never resolved as a path.
    const url = isPostgresUrl(dir);
    const base = url ? parseTarget(dir).schema : basename(resolve(dir));
    const name = checkCollectionName(base, 'collection directory name');
    if (this.entries.has(name)) {
      throw new MuveraError('already-exists', `two attached collections are named "${name}"`, {
        parameter: 'dir',
        actual: dir,
        remedy: 'Rename one directory, or serve them from different servers',
      });
    }
    this.entries.set(name, { name, dir: url ? dir : resolve(dir), attached: true });
  }

  /** Names of every collection: attached ones and those found in the data directory. */
  async names(): Promise<string[]> {
    const names = new Set(this.entries.keys());
    for (const name of await this.scanDataDir()) names.add(name);
    return [...names].sort();
  }

  /** A summary of every collection. */
  async list(): Promise<CollectionSummary[]> {
    const out: CollectionSummary[] = [];
    for (const name of await this.names()) {
      const entry = await this.entry(name);
      const { collection, encoder } = await this.open(entry);
      const stats = await collection.stats();
      const kind = encoder ? encoder.kind : null;
      out.push({
        name,
        attached: entry.attached,
        documents: stats.documents,
        dim: stats.dim,
        encoder: kind,
      });
    }
    return out;
  }

  /** Creates a collection in the data directory. */
  async create(name: string, options: CollectionOptions): Promise<OpenedCollection> {
    checkCollectionName(name);
    const dir = this.pathInDataDir(name);
    const exists = () =>
      new MuveraError('already-exists', `collection "${name}" exists already`, {
        parameter: 'name',
        actual: name,
      });
    if (this.entries.has(name)) throw exists();

    // The name is reserved before the first await, so two concurrent creates cannot both pass.
    const entry: Entry = { name, dir, attached: false };
    this.entries.set(name, entry);
    try {
      if (await this.engine.isCollection(dir)) throw exists();
      entry.opened = this.engine.createCollection(dir, options);
      return await entry.opened;
    } catch (error) {
      if (this.entries.get(name) === entry) this.entries.delete(name);
      throw error;
    }
  }

  /** Closes a collection of the data directory and deletes its files. */
  async drop(name: string): Promise<void> {
    const entry = await this.entry(name);
    if (entry.attached) {
      throw new MuveraError('invalid-argument', `collection "${name}" was attached by path`, {
        parameter: 'name',
        actual: name,
        remedy: 'Only collections created in the data directory can be dropped through the API',
      });
    }
    this.entries.delete(name);
    if (entry.opened) await (await entry.opened).collection.close();
    await rm(entry.dir, { recursive: true, force: true });
  }

  /** The open collection called `name`; throws `not-found`. */
  async get(name: string): Promise<OpenedCollection> {
    return this.open(await this.entry(name));
  }

  /** The encoder of collection `name`; throws `invalid-argument` when it has none. */
  async encoder(name: string): Promise<TokenEncoder> {
    const entry = await this.entry(name);
    const { encoder } = await this.open(entry);
    if (!encoder) {
      throw new MuveraError('invalid-argument', `collection "${name}" has no encoder for text`, {
        parameter: 'text',
        remedy: 'Send token vectors (`vectors`) instead, or create the collection with an encoder',
      });
    }
    entry.encoder ??= this.engine.loadEncoder(encoder);
    return entry.encoder;
  }

  /** Loads an encoder from a spec, for creating collections. */
  loadEncoder(spec: string | EncoderSpec): Promise<TokenEncoder> {
    return this.engine.loadEncoder(spec);
  }

  /** Closes every open collection and encoder. */
  async close(): Promise<void> {
    const entries = [...this.entries.values()];
    this.entries.clear();
    for (const entry of entries) {
      if (entry.encoder) await (await entry.encoder).dispose();
      if (entry.opened) await (await entry.opened).collection.close();
    }
  }

  private async entry(name: string): Promise<Entry> {
    checkCollectionName(name);
    const known = this.entries.get(name);
    if (known) return known;

    const dir = this.dataDir === null ? null : this.pathInDataDir(name);
    if (dir === null || !(await this.engine.isCollection(dir))) {
      throw new MuveraError('not-found', `no collection named "${name}"`, {
        parameter: 'name',
        actual: name,
      });
    }
    // Another request may have registered it while this one awaited: keep a single entry.
    const raced = this.entries.get(name);
    if (raced) return raced;
    const entry: Entry = { name, dir, attached: false };
    this.entries.set(name, entry);
    return entry;
  }

  private open(entry: Entry): Promise<OpenedCollection> {
    if (!entry.opened) {
      // A failed open is forgotten so that the next request tries again.
      entry.opened = this.engine.openCollection(entry.dir);
      entry.opened.catch(() => {
        entry.opened = undefined;
      });
    }
    return entry.opened;
  }

  private pathInDataDir(name: string): string {
    if (this.dataDir === null) {
      throw new MuveraError('invalid-argument', 'this server has no data directory', {
        parameter: 'name',
        actual: name,
        remedy: 'Start the server with --data-dir to create collections through the API',
      });
    }
    const dir = resolve(this.dataDir, name);
    if (!dir.startsWith(this.dataDir + sep)) {
      throw invalidArgument('name', 'a name inside the data directory', name);
    }
    return dir;
  }

  private async scanDataDir(): Promise<string[]> {
    if (this.dataDir === null) return [];
    await mkdir(this.dataDir, { recursive: true });
    const found: string[] = [];
    for (const item of await readdir(this.dataDir, { withFileTypes: true })) {
      const ok = item.isDirectory() && COLLECTION_NAME.test(item.name);
      if (ok && (await this.engine.isCollection(resolve(this.dataDir, item.name)))) {
        found.push(item.name);
      }
    }
    return found;
  }
}
