/**
 * The workload of the SIGKILL test, shared by the child that runs it and the parent that checks
 * it: step s is one collection call, derived from s alone, so the parent can rebuild what every
 * acknowledged step wrote.
 */
import type { Collection } from '../../src/collection/collection.js';
import type { DocumentInput } from '../../src/collection/types.js';
import { TokenFactory } from './helpers.js';

/** Token width of the kill-test collection. */
export const KILL_DIM = 16;
/** Distinct ids the workload cycles through, so upserts replace and deletes hit. */
const ID_SPACE = 300;
const BATCH = 12;

/** One step of the workload. */
export type KillStep =
  | { kind: 'upsert'; docs: DocumentInput[] }
  | { kind: 'delete'; ids: string[] }
  | { kind: 'checkpoint' }
  | { kind: 'compact' };

/** Step `s`: mostly batch upserts, a delete every 5th step, checkpoints, compactions. */
export function killStep(s: number): KillStep {
  if (s % 37 === 36) return { kind: 'compact' };
  if (s % 23 === 22) return { kind: 'checkpoint' };
  if (s % 5 === 4) {
    return { kind: 'delete', ids: [0, 1, 2].map((j) => `d-${(s * 11 + j) % ID_SPACE}`) };
  }
  const factory = new TokenFactory(KILL_DIM, 1000 + s);
  const docs = factory.documents(BATCH).map((doc, j) => ({
    ...doc,
    id: `d-${(s * 7 + j * 13) % ID_SPACE}`,
    metadata: { step: s, j },
  }));
  return { kind: 'upsert', docs };
}

/** Runs step `s` on a collection. */
export async function runKillStep(collection: Collection, s: number): Promise<void> {
  const step = killStep(s);
  if (step.kind === 'upsert') await collection.upsert(step.docs);
  else if (step.kind === 'delete') await collection.delete(step.ids);
  else if (step.kind === 'compact') await collection.compact();
  else await collection.checkpoint();
}

/** id -> serialised document after steps 0..last (inclusive); last -1 is empty. */
export function modelAfter(last: number): Map<string, string> {
  const model = new Map<string, string>();
  for (let s = 0; s <= last; s++) {
    const step = killStep(s);
    if (step.kind === 'upsert') {
      for (const doc of step.docs) model.set(doc.id, serialiseDoc(doc));
    } else if (step.kind === 'delete') for (const id of step.ids) model.delete(id);
  }
  return model;
}

/** A document as comparable text: tokens, metadata, text. */
export function serialiseDoc(doc: { tokens: Float32Array; metadata?: unknown; text?: string }) {
  return JSON.stringify([Array.from(doc.tokens), doc.metadata ?? null, doc.text ?? null]);
}
