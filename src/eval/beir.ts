/**
 * Reading a dataset in the BEIR layout (Thakur et al., "BEIR: A Heterogeneous Benchmark for
 * Zero-shot Evaluation of Information Retrieval Models", NeurIPS 2021 Datasets and Benchmarks):
 *
 *   <folder>/corpus.jsonl        one JSON object a line: {"_id", "title"?, "text", ...}
 *   <folder>/queries.jsonl       one JSON object a line: {"_id", "text", ...}
 *   <folder>/qrels/<split>.tsv   query-id <TAB> corpus-id <TAB> score, after a header line
 *
 * The corpus is streamed (it can be millions of lines); queries and judgments are read whole.
 * Scores are integer grades (Cranfield's run from 1 to 4, SciFact's are all 1); a grade <= 0
 * marks a judged non-relevant document. Every malformed line is a `parse-error` that names the
 * file, the 1-based line and its byte offset; a missing folder or file is `not-found`. Blank
 * lines are skipped. Extra JSON fields (such as `metadata`) are ignored.
 */
import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { describe, MuveraError } from '../errors.js';
import type { Judgments, Qrels } from './metrics.js';

/** One corpus document. `title` is '' when the line has none. */
export interface BeirDocument {
  id: string;
  title: string;
  text: string;
}

/** One query. */
export interface BeirQuery {
  id: string;
  text: string;
}

/** One line of a file, with where it starts. */
interface Line {
  text: string;
  /** 1-based line number. */
  number: number;
  /** Byte offset of the line's first byte. */
  offset: number;
}

const NEWLINE = 0x0a;
const BYTE_ORDER_MARK = '\ufeff';

/** A `parse-error` naming the file, line and offset. */
function parseError(
  file: string,
  line: Line,
  problem: string,
  parameter?: string,
  cause?: unknown,
) {
  return new MuveraError('parse-error', `${file} line ${line.number}: ${problem}`, {
    file,
    offset: line.offset,
    parameter,
    cause,
  });
}

/** Throws `not-found` unless `path` exists and is of the expected kind. */
async function checkExists(path: string, kind: 'file' | 'folder', remedy?: string) {
  const info = await stat(path).catch(() => null);
  const found = info !== null && (kind === 'file' ? info.isFile() : info.isDirectory());
  if (!found) {
    throw new MuveraError('not-found', `BEIR ${kind} ${path} does not exist`, {
      file: path,
      expected: `a ${kind}`,
      remedy,
    });
  }
}

/** The non-blank lines of a UTF-8 file, streamed, with line numbers and byte offsets. */
async function* readLines(path: string): AsyncGenerator<Line> {
  const decoder = new TextDecoder('utf-8');
  let pending = Buffer.alloc(0);
  let number = 0;
  let offset = 0;

  const emit = (bytes: Buffer): Line | null => {
    number++;
    let text = decoder.decode(bytes).replace(/\r$/, '');
    if (number === 1 && text.startsWith(BYTE_ORDER_MARK)) text = text.slice(1);
    const line = { text, number, offset };
    offset += bytes.length + 1;
    return text.trim() === '' ? null : line;
  };

  for await (const chunk of createReadStream(path)) {
    let data = Buffer.concat([pending, chunk as Buffer]);
    for (let end = data.indexOf(NEWLINE); end >= 0; end = data.indexOf(NEWLINE)) {
      const line = emit(data.subarray(0, end));
      if (line) yield line;
      data = data.subarray(end + 1);
    }
    pending = Buffer.from(data);
  }
  const last = pending.length > 0 ? emit(pending) : null;
  if (last) yield last;
}

/** Parses one JSON line into an object with a string `_id` (an integer id becomes a string). */
function parseRecord(file: string, line: Line): { id: string; record: Record<string, unknown> } {
  let record: unknown;
  try {
    record = JSON.parse(line.text);
  } catch (cause) {
    throw parseError(file, line, `not valid JSON (${(cause as Error).message})`, undefined, cause);
  }
  if (record === null || typeof record !== 'object' || Array.isArray(record)) {
    throw parseError(file, line, `expected a JSON object, got ${describe(record)}`);
  }
  const raw = (record as Record<string, unknown>)._id;
  const id = Number.isInteger(raw) ? String(raw) : raw;
  if (typeof id !== 'string' || id === '') {
    throw parseError(file, line, `_id must be a non-empty string, got ${describe(raw)}`, '_id');
  }
  return { id, record: record as Record<string, unknown> };
}

/** Reads a string field; `optional` fields default to ''. */
function stringField(
  file: string,
  line: Line,
  record: Record<string, unknown>,
  field: string,
  optional = false,
): string {
  const value = record[field];
  if (typeof value === 'string') return value;
  if (optional && (value === undefined || value === null)) return '';
  throw parseError(file, line, `${field} must be a string, got ${describe(value)}`, field);
}

/** Streams the documents of `<folder>/corpus.jsonl`. */
export async function* readBeirCorpus(folder: string): AsyncGenerator<BeirDocument> {
  const path = join(folder, 'corpus.jsonl');
  await checkExists(path, 'file');
  for await (const line of readLines(path)) {
    const { id, record } = parseRecord(path, line);
    const title = stringField(path, line, record, 'title', true);
    yield { id, title, text: stringField(path, line, record, 'text') };
  }
}

/** The text a retriever indexes for a document: the title, a space, the text (as BEIR does). */
export function documentText(doc: BeirDocument): string {
  return doc.title === '' ? doc.text : `${doc.title} ${doc.text}`;
}

/** Reads every query of `<folder>/queries.jsonl`, in file order. Duplicate ids are an error. */
export async function readBeirQueries(folder: string): Promise<BeirQuery[]> {
  const path = join(folder, 'queries.jsonl');
  await checkExists(path, 'file');
  const queries: BeirQuery[] = [];
  const seen = new Set<string>();
  for await (const line of readLines(path)) {
    const { id, record } = parseRecord(path, line);
    if (seen.has(id)) throw parseError(path, line, `query id ${JSON.stringify(id)} repeats`, '_id');
    seen.add(id);
    queries.push({ id, text: stringField(path, line, record, 'text') });
  }
  return queries;
}

/** Judgments read from a qrels file, with the line that first judged each query. */
interface QrelsWithLines {
  qrels: Map<string, Map<string, number>>;
  firstLine: Map<string, Line>;
}

/** Parses `query-id TAB corpus-id TAB score` lines, skipping a header line. */
async function parseQrels(path: string): Promise<QrelsWithLines> {
  const qrels = new Map<string, Map<string, number>>();
  const firstLine = new Map<string, Line>();
  for await (const line of readLines(path)) {
    const fields = line.text.trimEnd().split('\t');
    if (fields.length !== 3) {
      throw parseError(path, line, `expected 3 tab-separated fields, got ${fields.length}`);
    }
    const [queryId, docId, scoreText] = fields;
    const score = Number(scoreText);
    if (line.number === 1 && scoreText.trim() !== '' && Number.isNaN(score)) continue;
    if (!Number.isInteger(score) || scoreText.trim() === '') {
      throw parseError(path, line, `score must be an integer, got ${JSON.stringify(scoreText)}`);
    }
    if (queryId === '' || docId === '') throw parseError(path, line, 'empty query-id or corpus-id');

    const judgments = qrels.get(queryId) ?? new Map<string, number>();
    if (judgments.has(docId)) {
      throw parseError(path, line, `query ${queryId} judges document ${docId} twice`);
    }
    judgments.set(docId, score);
    qrels.set(queryId, judgments);
    if (!firstLine.has(queryId)) firstLine.set(queryId, line);
  }
  return { qrels, firstLine };
}

/** The splits a BEIR folder has judgments for (the names of `qrels/*.tsv`). */
export async function listBeirSplits(folder: string): Promise<string[]> {
  const entries = await readdir(join(folder, 'qrels')).catch(() => []);
  return entries.filter((name) => name.endsWith('.tsv')).map((name) => name.slice(0, -4));
}

/** Reads `<folder>/qrels/<split>.tsv`: query id -> document id -> grade. */
export async function readBeirQrels(folder: string, split = 'test'): Promise<Qrels> {
  return (await readQrelsFile(folder, split)).qrels;
}

async function readQrelsFile(folder: string, split: string): Promise<QrelsWithLines> {
  const path = join(folder, 'qrels', `${split}.tsv`);
  const splits = await listBeirSplits(folder);
  const remedy = `Splits with judgments here: ${splits.join(', ') || 'none'}`;
  await checkExists(path, 'file', remedy);
  return parseQrels(path);
}

/** A BEIR dataset: its queries with judgments in one split, the judgments, and the corpus. */
export interface BeirDataset {
  /** The folder's name. */
  name: string;
  folder: string;
  split: string;
  /** Queries that have judgments in the split, in queries.jsonl order. */
  queries: BeirQuery[];
  /** Queries of queries.jsonl without judgments in the split (not evaluated). */
  unjudgedQueries: number;
  qrels: Qrels;
  /** Streams the corpus (each call reads the file again). */
  corpus(): AsyncGenerator<BeirDocument>;
}

/**
 * The dataset's name: its folder's name, or the parent's when the folder is the conventional
 * `beir` subfolder of a dataset (`cranfield/beir` is named `cranfield`).
 */
export function datasetName(folder: string): string {
  const name = basename(resolve(folder));
  return name === 'beir' ? basename(dirname(resolve(folder))) : name;
}

/**
 * Opens a BEIR folder: reads the queries and the split's judgments, and checks that every
 * judged query exists (a judged query missing from queries.jsonl is `not-found`, naming the
 * qrels line). The corpus is streamed on demand.
 */
export async function loadBeirDataset(folder: string, split = 'test'): Promise<BeirDataset> {
  await checkExists(folder, 'folder');
  const allQueries = await readBeirQueries(folder);
  const { qrels, firstLine } = await readQrelsFile(folder, split);

  const known = new Set(allQueries.map((query) => query.id));
  for (const [queryId, line] of firstLine) {
    if (!known.has(queryId)) {
      const file = join(folder, 'qrels', `${split}.tsv`);
      const message = `${file} line ${line.number}: query ${queryId} is not in queries.jsonl`;
      throw new MuveraError('not-found', message, { file, offset: line.offset });
    }
  }

  const queries = allQueries.filter((query) => qrels.has(query.id));
  return {
    name: datasetName(folder),
    folder,
    split,
    queries,
    unjudgedQueries: allQueries.length - queries.length,
    qrels,
    corpus: () => readBeirCorpus(folder),
  };
}

/** Judgments of one query, empty when it has none. */
export function judgmentsOf(qrels: Qrels, queryId: string): Judgments {
  return qrels.get(queryId) ?? new Map();
}
