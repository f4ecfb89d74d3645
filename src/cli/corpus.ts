/**
 * Reads a corpus to index: a JSON Lines file, or a BEIR folder (its `corpus.jsonl`). Each line is
 * one document: `{ "_id" | "id", "title"?, "text"?, "metadata"?, "vectors"? }`. Text documents
 * are encoded as `title + "\n" + text` (the title is also kept in `metadata.title`, so a front
 * end can show it); a line with `vectors` (one array of dim numbers per token) is stored as given.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Metadata } from '../collection/types.js';
import { MuveraError } from '../errors.js';
import type { DocumentRequest } from '../server/operations.js';

/** The JSON Lines file of a corpus given as a file or a BEIR folder. */
export async function corpusFile(path: string): Promise<string> {
  const info = await stat(path).catch((error: unknown) => {
    throw new MuveraError('not-found', `corpus ${path} does not exist`, {
      parameter: '--corpus',
      file: path,
      cause: error,
    });
  });
  return info.isDirectory() ? join(path, 'corpus.jsonl') : path;
}

/** Counts the non-empty lines of a file (for the progress bar's total). */
export async function countDocuments(file: string): Promise<number> {
  let count = 0;
  for await (const line of lines(file)) if (line.trim() !== '') count++;
  return count;
}

/** Yields documents in batches of `batchSize`, in file order. */
export async function* readCorpus(
  file: string,
  batchSize: number,
): AsyncGenerator<DocumentRequest[]> {
  let batch: DocumentRequest[] = [];
  let lineNumber = 0;
  for await (const line of lines(file)) {
    lineNumber++;
    if (line.trim() === '') continue;
    batch.push(parseLine(line, file, lineNumber));
    if (batch.length === batchSize) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length > 0) yield batch;
}

function lines(file: string): AsyncIterable<string> {
  const stream = createReadStream(file, 'utf8');
  stream.on('error', () => {
    // Reported by the readline iterator below.
  });
  return createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY });
}

interface CorpusLine {
  _id?: unknown;
  id?: unknown;
  title?: unknown;
  text?: unknown;
  metadata?: unknown;
  vectors?: unknown;
}

function parseLine(line: string, file: string, lineNumber: number): DocumentRequest {
  let parsed: CorpusLine;
  try {
    parsed = JSON.parse(line) as CorpusLine;
  } catch (error) {
    throw new MuveraError('parse-error', `${file}:${lineNumber} is not valid JSON`, {
      parameter: '--corpus',
      file,
      cause: error,
    });
  }
  const id = parsed._id ?? parsed.id;
  if (typeof id !== 'string' && typeof id !== 'number') {
    throw new MuveraError('parse-error', `${file}:${lineNumber} has no "_id" or "id"`, {
      parameter: '--corpus',
      file,
    });
  }
  const metadata: Metadata = isObject(parsed.metadata) ? { ...parsed.metadata } : {};
  const title = typeof parsed.title === 'string' ? parsed.title.trim() : '';
  if (title !== '') metadata.title = title;
  const body = typeof parsed.text === 'string' ? parsed.text : '';
  const doc: DocumentRequest = { id: String(id), text: title === '' ? body : `${title}\n${body}` };
  if (Object.keys(metadata).length > 0) doc.metadata = metadata;
  if (parsed.vectors !== undefined) doc.vectors = parsed.vectors as number[][];
  return doc;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
