/**
 * A small in-memory engine for front-end tests: collections scored by brute-force Chamfer
 * (src/chamfer/reference.ts) and a word-hash encoder whose tokens keep their spans. It follows
 * the CollectionApi contract closely enough to test the server and CLI protocols quickly; the
 * real engine is tested end to end elsewhere.
 */
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { chamferReference } from '../../src/chamfer/reference.js';
import type {
  CollectionApi,
  CollectionOptions,
  CollectionStats,
  DeleteResult,
  DocumentInput,
  SearchOptions,
  SearchResult,
  StoredDocument,
  TokenMatch,
  UpsertResult,
} from '../../src/collection/types.js';
import type { EncoderSpec, TokenEncoder, TokenEncoding } from '../../src/encoders/types.js';
import { MuveraError } from '../../src/errors.js';
import type { Engine, OpenedCollection } from '../../src/server/engine.js';

const MARKER = 'fake-collection.json';
const STOP_WORDS = new Set(['the', 'a', 'of']);

/** The fake encoder's token dim. */
export const FAKE_DIM = 8;

/** A deterministic unit vector per word (FNV-1a hash seeding a tiny LCG). */
function wordVector(word: string, dim: number): Float32Array {
  let state = 2166136261;
  for (const char of word) state = Math.imul(state ^ char.charCodeAt(0), 16777619) >>> 0;
  const out = new Float32Array(dim);
  let norm = 0;
  for (let i = 0; i < dim; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    out[i] = state / 2 ** 32 - 0.5;
    norm += out[i] * out[i];
  }
  for (let i = 0; i < dim; i++) out[i] /= Math.sqrt(norm);
  return out;
}

/**
 * Lower-cased words minus a few stop words, each with its span. Every path gives the same
 * vectors; the path only tells specs apart (`fake` by default).
 */
export class FakeEncoder implements TokenEncoder {
  readonly dim = FAKE_DIM;
  readonly spec: EncoderSpec;

  /** `counter` counts the documents encoded, across the encoders of one engine. */
  constructor(
    private readonly counter: { documents: number } = { documents: 0 },
    path = 'fake',
  ) {
    this.spec = { kind: 'static', path, dim: FAKE_DIM } as unknown as EncoderSpec;
  }

  async encodeQuery(text: string): Promise<TokenEncoding> {
    return this.encode(text);
  }
  async encodeDocument(text: string): Promise<TokenEncoding> {
    this.counter.documents++;
    return this.encode(text);
  }
  async encodeQueries(texts: readonly string[]): Promise<TokenEncoding[]> {
    return Promise.all(texts.map((text) => this.encode(text)));
  }
  async encodeDocuments(texts: readonly string[]): Promise<TokenEncoding[]> {
    return Promise.all(texts.map((text) => this.encode(text)));
  }
  async dispose(): Promise<void> {}

  private encode(text: string): TokenEncoding {
    const tokens = [...text.matchAll(/\w+/g)]
      .filter((match) => !STOP_WORDS.has(match[0].toLowerCase()))
      .map((match) => ({
        text: match[0].toLowerCase(),
        start: match.index,
        end: match.index + match[0].length,
      }));
    if (tokens.length === 0)
      throw new MuveraError('empty-input', 'text has no words left to encode', {
        parameter: 'text',
      });
    const data = new Float32Array(tokens.length * FAKE_DIM);
    for (const [row, token] of tokens.entries()) {
      data.set(wordVector(token.text, FAKE_DIM), row * FAKE_DIM);
    }
    return { data, dim: FAKE_DIM, numTokens: tokens.length, tokens };
  }
}

/** Brute-force collection: every search scores every document exactly. */
export class FakeCollection implements CollectionApi {
  readonly docs = new Map<string, StoredDocument>();
  closed = false;

  constructor(readonly dim: number) {}

  async upsert(docs: DocumentInput[]): Promise<UpsertResult> {
    for (const doc of docs) {
      if (doc.tokens.length % this.dim !== 0) {
        throw new MuveraError(
          'dimension-mismatch',
          `tokens of "${doc.id}" are not rows of ${this.dim}`,
          { parameter: 'tokens' },
        );
      }
    }
    let replaced = 0;
    for (const doc of docs) {
      if (this.docs.has(doc.id)) replaced++;
      const spans = doc.spans ? Uint32Array.from(doc.spans) : undefined;
      this.docs.set(doc.id, {
        id: doc.id,
        tokens: doc.tokens.slice(),
        metadata: doc.metadata,
        text: doc.text,
        spans,
      });
    }
    return { inserted: docs.length - replaced, replaced };
  }

  async delete(ids: string[]): Promise<DeleteResult> {
    const deleted = ids.filter((id) => this.docs.delete(id));
    return { deleted, missing: ids.filter((id) => !deleted.includes(id)) };
  }

  async get(id: string): Promise<StoredDocument | undefined> {
    return this.docs.get(id);
  }

  async search(query: Float32Array, options: SearchOptions = {}): Promise<SearchResult> {
    if (query.length === 0 || query.length % this.dim !== 0) {
      throw new MuveraError('dimension-mismatch', `query is not rows of ${this.dim}`, {
        parameter: 'query',
        expected: this.dim,
      });
    }
    const started = performance.now();
    const passes = (doc: StoredDocument) =>
      Object.entries(options.filter ?? {}).every(([key, value]) => doc.metadata?.[key] === value);
    const scored = [...this.docs.values()]
      .filter(passes)
      .map((doc) => ({ doc, score: chamferReference(query, doc.tokens, this.dim) }))
      .sort((a, b) => b.score - a.score || (a.doc.id < b.doc.id ? -1 : 1))
      .slice(0, options.k ?? 10);
    const hits = scored.map(({ doc, score }) => ({
      id: doc.id,
      score,
      text: doc.text,
      metadata: doc.metadata,
      matches: options.explain ? this.matches(query, doc) : undefined,
    }));
    const totalMs = performance.now() - started;
    const stats = {
      strategy: options.strategy ?? 'fde',
      queryTokens: query.length / this.dim,
      candidatesFetched: this.docs.size,
      exactScorings: this.docs.size,
      timings: { candidatesMs: 0, rerankMs: totalMs, totalMs },
    };
    return { hits, stats };
  }

  async searchBatch(queries: Float32Array[], options?: SearchOptions): Promise<SearchResult[]> {
    return Promise.all(queries.map((query) => this.search(query, options)));
  }

  async stats(): Promise<CollectionStats> {
    const tokens = [...this.docs.values()].reduce(
      (sum, doc) => sum + doc.tokens.length / this.dim,
      0,
    );
    return {
      documents: this.docs.size,
      tokens,
      dim: this.dim,
      fdeDimension: 0,
      precision: 'float32',
      bytesPerToken: this.dim * 4,
      diskBytes: 0,
      indexKind: 'fake',
    };
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  private matches(query: Float32Array, doc: StoredDocument): TokenMatch[] {
    const dim = this.dim;
    const out: TokenMatch[] = [];
    for (let q = 0; q < query.length / dim; q++) {
      let best = { docToken: -1, score: Number.NEGATIVE_INFINITY };
      for (let d = 0; d < doc.tokens.length / dim; d++) {
        let dot = 0;
        for (let i = 0; i < dim; i++) dot += query[q * dim + i] * doc.tokens[d * dim + i];
        if (dot > best.score) best = { docToken: d, score: dot };
      }
      const span: [number, number] | undefined = doc.spans
        ? [doc.spans[2 * best.docToken], doc.spans[2 * best.docToken + 1]]
        : undefined;
      out.push({ queryToken: q, ...best, span });
    }
    return out;
  }
}

/** Collections kept in memory, keyed by directory; a marker file shows where they live. */
export class FakeEngine implements Engine {
  readonly collections = new Map<string, OpenedCollection>();
  /** Documents encoded by every encoder this engine loaded. */
  readonly encoded = { documents: 0 };

  async isCollection(dir: string): Promise<boolean> {
    return existsSync(join(dir, MARKER));
  }

  async openCollection(dir: string): Promise<OpenedCollection> {
    const opened = this.collections.get(dir);
    if (!opened)
      throw new MuveraError('not-found', `no collection in ${dir}`, { parameter: 'dir' });
    return opened;
  }

  async createCollection(dir: string, options: CollectionOptions): Promise<OpenedCollection> {
    if (await this.isCollection(dir)) throw new MuveraError('already-exists', `${dir} exists`);
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, MARKER), JSON.stringify(options));
    const encoder = (options.encoder as EncoderSpec | undefined) ?? null;
    const opened = { collection: new FakeCollection(options.dim), encoder };
    this.collections.set(dir, opened);
    return opened;
  }

  /** A fake encoder whose spec path is the spec string given, or the stored spec's path. */
  async loadEncoder(spec?: string | EncoderSpec): Promise<TokenEncoder> {
    const path = typeof spec === 'string' ? spec : (spec as { path?: string } | undefined)?.path;
    return new FakeEncoder(this.encoded, path);
  }
}
