/**
 * The workload of the kill and recovery tests, shared by the child that runs it and the parent
 * that checks it. Step s is one collection call derived from (seed, s) alone: a batch upsert of
 * new and existing ids (replaces), a delete of present and missing ids, a checkpoint, or a
 * compaction. The parent keeps the model (id -> document) after every acknowledged step and
 * checks each recovered collection against it: same ids, identical tokens, metadata and text,
 * and exact search equal to a brute-force oracle over the model.
 */
import { createHash } from 'node:crypto';
import { seededRandom } from '../../bench/harness.js';
import type { Collection } from '../../src/collection/collection.js';
import type { DocumentInput } from '../../src/collection/types.js';
import { bruteForce } from '../collection/helpers.js';

/** Token width of the workload's collection (odd on purpose). */
export const DIM = 7;
/** Ids cycle through this many names, so upserts replace and deletes hit. */
export const ID_SPACE = 240;
const MAX_BATCH = 16;
const MAX_TOKENS = 9;
const CHECKPOINT_EVERY = 17;
const COMPACT_EVERY = 61;
/** Queries whose exact top-k each recovered collection must share with the oracle. */
export const ORACLE_QUERIES = 3;
export const ORACLE_K = 10;
/** Automatic checkpoints run too, at this log size. */
export const CHECKPOINT_LOG_BYTES = 48 * 1024;

/** One step of the workload. */
export type Step =
  | { kind: 'upsert'; docs: DocumentInput[] }
  | { kind: 'delete'; ids: string[] }
  | { kind: 'checkpoint' | 'compact' };

/** Step `s` of the workload seeded with `seed`. */
export function stepOf(seed: number, s: number): Step {
  if (s % COMPACT_EVERY === COMPACT_EVERY - 1) return { kind: 'compact' };
  if (s % CHECKPOINT_EVERY === CHECKPOINT_EVERY - 1) return { kind: 'checkpoint' };
  const random = seededRandom(seed * 1_000_003 + s);
  const pick = (n: number) => Math.floor(random() * n);
  if (pick(5) === 0) {
    return {
      kind: 'delete',
      ids: Array.from({ length: 1 + pick(4) }, () => `id-${pick(ID_SPACE)}`),
    };
  }
  const docs = Array.from({ length: 1 + pick(MAX_BATCH) }, (_, j) => {
    const numTokens = 1 + pick(MAX_TOKENS);
    const tokens = Float32Array.from({ length: numTokens * DIM }, () => random() * 2 - 1);
    return {
      id: `id-${pick(ID_SPACE)}`,
      tokens,
      metadata: { step: s, j, tag: random().toString(36).slice(2, 8) },
      text: `step ${s} doc ${j}`,
    };
  });
  return { kind: 'upsert', docs };
}

/** Runs one step on a collection. */
export async function runStep(collection: Collection, step: Step): Promise<void> {
  if (step.kind === 'upsert') await collection.upsert(step.docs);
  else if (step.kind === 'delete') await collection.delete(step.ids);
  else if (step.kind === 'checkpoint') await collection.checkpoint();
  else await collection.compact();
}

/** id -> document: what the collection must hold. */
export type Model = Map<string, DocumentInput>;

/** The model after `step` (a new map; `model` is unchanged). Last occurrence in a batch wins. */
export function applyStep(model: Model, step: Step): Model {
  const next = new Map(model);
  if (step.kind === 'upsert') for (const doc of step.docs) next.set(doc.id, doc);
  if (step.kind === 'delete') for (const id of step.ids) next.delete(id);
  return next;
}

/** A document's identity as a short hash of its tokens' bytes, metadata and text. */
export function digest(doc: { tokens: Float32Array; metadata?: unknown; text?: string }): string {
  const hash = createHash('sha256');
  hash.update(new Uint8Array(doc.tokens.buffer, doc.tokens.byteOffset, doc.tokens.byteLength));
  hash.update(JSON.stringify([doc.metadata ?? null, doc.text ?? null]));
  return hash.digest('hex').slice(0, 16);
}

/** The oracle's query `q` (fixed, seeded). */
export function oracleQuery(q: number): Float32Array {
  const random = seededRandom(777 + q);
  return Float32Array.from({ length: (2 + q) * DIM }, () => random() * 2 - 1);
}

/** What a recovered collection reports about itself. */
export interface StateReport {
  /** Documents `stats()` counts. */
  count: number;
  /** id -> digest of every document an exact search over everything returns. */
  docs: Record<string, string>;
  /** Ids returned by that search (duplicates would show here). */
  ids: string[];
  /** Exact top-k of each oracle query. */
  top: { id: string; score: number }[][];
  /** Ids the default (FDE) strategy returns when asked for everything. */
  fdeIds: string[];
}

/** Reads the whole state of an open collection through the public API. */
export async function reportState(collection: Collection): Promise<StateReport> {
  const everything = new Float32Array(DIM).fill(1);
  const { hits } = await collection.search(everything, { strategy: 'exact', k: ID_SPACE + 10 });
  const docs: Record<string, string> = {};
  for (const hit of hits) {
    const doc = await collection.get(hit.id);
    docs[hit.id] = doc ? digest(doc) : 'missing from get()';
  }
  const top = [];
  for (let q = 0; q < ORACLE_QUERIES; q++) {
    const result = await collection.search(oracleQuery(q), { strategy: 'exact', k: ORACLE_K });
    top.push(result.hits.map((h) => ({ id: h.id, score: h.score })));
  }
  const k = ID_SPACE + 10;
  const fde = await collection.search(everything, { k, candidates: k });
  const { documents } = await collection.stats();
  return {
    count: documents,
    docs,
    ids: hits.map((h) => h.id),
    top,
    fdeIds: fde.hits.map((h) => h.id),
  };
}

/** Score tolerance between the collection's kernel and the oracle's. */
const SCORE_TOLERANCE = 1e-4;

/** Every way `report` disagrees with `model` (empty when it matches). */
export function violations(report: StateReport, model: Model): string[] {
  const found: string[] = [];
  if (new Set(report.ids).size !== report.ids.length) found.push('duplicate ids in a search');
  if (report.count !== model.size) found.push(`stats counts ${report.count}, model ${model.size}`);
  for (const [id, doc] of model) {
    const got = report.docs[id];
    if (got === undefined) found.push(`acknowledged ${id} is missing`);
    else if (got !== digest(doc)) found.push(`${id} differs from its acknowledged version`);
  }
  for (const id of Object.keys(report.docs)) {
    if (!model.has(id)) found.push(`unknown or deleted id ${id} is present`);
  }
  const fde = [...report.fdeIds].sort().join();
  if (fde !== [...report.ids].sort().join()) found.push('FDE and exact strategies disagree');
  const docs = [...model.values()];
  report.top.forEach((hits, q) => {
    const oracle = bruteForce(oracleQuery(q), docs, DIM).slice(0, ORACLE_K);
    const same =
      hits.length === oracle.length &&
      hits.every((hit, i) => Math.abs(hit.score - oracle[i].score) <= SCORE_TOLERANCE);
    if (!same) found.push(`exact search ${q} differs from the oracle`);
  });
  return found;
}
