/**
 * `muvera index <dir> --corpus <file|BEIR folder> [--encoder <spec>]`: builds or extends a
 * collection. Resumable: ids already stored are skipped before encoding, and every batch is
 * durable once upserted, so rerunning after an interruption continues where it stopped. A
 * document that cannot be encoded (empty, only stop words, wrong width) is reported and skipped.
 */
import { performance } from 'node:perf_hooks';
import { defineCommand } from 'citty';
import type { CollectionApi, DocumentInput } from '../../collection/types.js';
import { DEFAULTS } from '../../defaults.js';
import type { TokenEncoder } from '../../encoders/types.js';
import { type ErrorCode, isMuveraError, MuveraError } from '../../errors.js';
import type { OpenedCollection } from '../../server/engine.js';
import {
  collectionDim,
  type DocumentRequest,
  toDocuments,
  upsertNamed,
} from '../../server/operations.js';
import { type CliContext, intFlag, println } from '../context.js';
import { corpusFile, countDocuments, readCorpus } from '../corpus.js';
import { startProgress } from '../progress.js';
import { loadEncoderFlag, storedEncoderFlag } from '../stored-encoder.js';
import { commonArgs, defineArgs, type Runner } from './common.js';

/** Failures that condemn one document, not the run. */
const SKIPPABLE: ReadonlySet<ErrorCode> = new Set([
  'empty-input',
  'dimension-mismatch',
  'non-finite-value',
  'limit-exceeded',
  'invalid-argument',
]);
/** Skipped documents listed one by one in the summary; the rest are counted. */
const LISTED_SKIPS = 10;

const args = defineArgs({
  dir: {
    type: 'positional',
    description: 'Collection directory (created when absent)',
    required: true,
  },
  corpus: {
    type: 'string',
    description: 'JSON Lines file or BEIR folder (corpus.jsonl)',
    required: true,
  },
  encoder: {
    type: 'string',
    description: 'Encoder spec for text: static:<dir> or colbert:<model>',
  },
  dim: { type: 'string', description: 'Token dim, for a new collection of precomputed vectors' },
  fde: { type: 'string', description: 'FDE preset of a new collection (see docs/fde.md)' },
  index: {
    type: 'string',
    description: 'Candidate index kind of a new collection: dynamic (default), hnsw, flat, pq',
  },
  precision: {
    type: 'enum',
    options: ['float32', 'float16', 'int8'],
    description: 'Stored token precision',
  },
  'batch-size': {
    type: 'string',
    description: 'Documents per durable upsert',
    default: String(DEFAULTS.cli.indexBatchSize),
  },
  limit: { type: 'string', description: 'Index only the first N documents of the corpus' },
  json: { type: 'boolean', description: 'Print the summary as JSON' },
  ...commonArgs,
});

/** Counts of one indexing run. */
export interface IndexSummary {
  indexed: number;
  alreadyStored: number;
  skipped: { id: string; code: string; message: string }[];
  seconds: number;
}

/** What to index where; the collection fields apply only when `dir` holds no collection yet. */
export interface IndexRequest extends CreateFlags {
  corpus: string;
  batchSize: number;
  limit?: number;
  quiet: boolean;
}

/** Builds or extends the collection in `request.dir` from a corpus; shared with `muvera eval`. */
export async function indexCorpus(
  context: CliContext,
  request: IndexRequest,
): Promise<IndexSummary> {
  const file = await corpusFile(request.corpus);
  const { opened, encoder: created } = await openOrCreate(context, request);
  const encoder = lazyEncoder(context, opened, created);
  try {
    const total = Math.min(await countDocuments(file), request.limit ?? Number.POSITIVE_INFINITY);
    const progress = startProgress(context.err, 'indexing', total, request.quiet);
    const summary: IndexSummary = { indexed: 0, alreadyStored: 0, skipped: [], seconds: 0 };
    const started = performance.now();

    let seen = 0;
    for await (let batch of readCorpus(file, request.batchSize)) {
      if (seen >= total) break;
      batch = batch.slice(0, total - seen);
      seen += batch.length;
      await indexBatch(opened.collection, batch, encoder.get, summary);
      progress.advance(batch.length);
    }
    progress.stop();

    // NOTE: a bulk load leaves its whole log (tens of MB for SciFact) to be replayed, FDEs
    // re-encoded and the index re-inserted, on every open; one checkpoint here saves that.
    if (summary.indexed > 0) await opened.collection.checkpoint?.();
    summary.seconds = (performance.now() - started) / 1000;
    return summary;
  } finally {
    await encoder.dispose();
    await opened.collection.close();
  }
}

/** Runs `muvera index`. */
const runIndex: Runner<typeof args> = async (context, parsed) => {
  const summary = await indexCorpus(context, {
    ...parsed,
    batchSize: intFlag(parsed['batch-size'], 'batch-size') ?? DEFAULTS.cli.indexBatchSize,
    limit: intFlag(parsed.limit, 'limit'),
    quiet: parsed.quiet === true,
  });
  report(context, summary, parsed.json === true);
};

/** Flags that describe a new collection. */
interface CreateFlags {
  dir: string;
  encoder?: string;
  dim?: string;
  fde?: string;
  index?: string;
  precision?: string;
}

/**
 * Opens the collection, or creates it. The encoder `--encoder` loaded (for a new collection, or
 * checked equal to the stored one) is returned to be reused.
 */
async function openOrCreate(
  context: CliContext,
  parsed: CreateFlags,
): Promise<{ opened: OpenedCollection; encoder?: TokenEncoder }> {
  if (await context.engine.isCollection(parsed.dir)) {
    const creationOnly = [parsed.dim, parsed.fde, parsed.index, parsed.precision];
    if (creationOnly.some((value) => value !== undefined)) {
      context.err.write(
        `note: ${parsed.dir} exists; --dim, --fde, --index and --precision apply only to a new ` +
          'collection and are ignored\n',
      );
    }
    const opened = await context.engine.openCollection(parsed.dir);
    if (parsed.encoder === undefined) return { opened };
    try {
      return {
        opened,
        encoder: await storedEncoderFlag(context, parsed.dir, opened.encoder, parsed.encoder),
      };
    } catch (error) {
      await opened.collection.close();
      throw error;
    }
  }

  const encoder =
    parsed.encoder === undefined ? undefined : await loadEncoderFlag(context, parsed.encoder);
  const dim = encoder?.dim ?? intFlag(parsed.dim, 'dim');
  if (dim === undefined) {
    throw new MuveraError(
      'invalid-argument',
      'a new collection needs --encoder (for text) or --dim (for vectors)',
      {
        parameter: '--encoder',
      },
    );
  }
  const options = {
    dim,
    fde: parsed.fde,
    index: parsed.index === undefined ? undefined : { kind: parsed.index },
    precision: parsed.precision as 'float32' | 'float16' | 'int8' | undefined,
    encoder: encoder ? { ...encoder.spec } : undefined,
  };
  return { opened: await context.engine.createCollection(parsed.dir, options), encoder };
}

/** Loads the collection's encoder on first use (a corpus of vectors needs none). */
function lazyEncoder(context: CliContext, opened: OpenedCollection, created?: TokenEncoder) {
  let loaded: Promise<TokenEncoder> | undefined = created && Promise.resolve(created);
  return {
    get: (): Promise<TokenEncoder> => {
      if (!opened.encoder) {
        throw new MuveraError(
          'invalid-argument',
          'this collection has no encoder, so documents need "vectors"',
          {
            parameter: '--corpus',
            remedy: 'Create the collection with --encoder, or give each line a "vectors" field',
          },
        );
      }
      loaded ??= context.engine.loadEncoder(opened.encoder);
      return loaded;
    },
    dispose: async () => (await loaded)?.dispose(),
  };
}

/** A corpus line's fields are named as the line writes them: `vectors[0]`, `text`. */
const lineField = (_index: number, field: string) => field;

async function indexBatch(
  collection: CollectionApi,
  batch: DocumentRequest[],
  encoder: () => Promise<TokenEncoder>,
  summary: IndexSummary,
): Promise<void> {
  const fresh: DocumentRequest[] = [];
  for (const request of batch) {
    if (await collection.get(request.id)) summary.alreadyStored++;
    else fresh.push(request);
  }

  // A missing encoder fails the run, not each document: resolve it before the per-document loop.
  const textEncoder = fresh.some((request) => request.vectors === undefined)
    ? await encoder()
    : undefined;
  const dim = await collectionDim(collection);
  const docs: DocumentInput[] = [];
  const requests: DocumentRequest[] = [];
  for (const request of fresh) {
    const encode = async () => textEncoder as TokenEncoder;
    const encoded = await attempt(request.id, summary, () =>
      toDocuments([request], encode, dim, lineField),
    );
    if (encoded) {
      docs.push(...encoded);
      requests.push(request);
    }
  }
  if (docs.length === 0) return;

  // One durable write per batch; when the collection refuses the batch, find the culprits.
  const whole = await attempt(null, summary, () => collection.upsert(docs));
  if (whole) {
    summary.indexed += docs.length;
    return;
  }
  for (const [i, doc] of docs.entries()) {
    const alone = () => upsertNamed(collection, [doc], [requests[i]], lineField);
    if (await attempt(doc.id, summary, alone)) summary.indexed++;
  }
}

/** Runs `step`; a skippable failure is recorded against `id` (when given) and yields undefined. */
async function attempt<T>(
  id: string | null,
  summary: IndexSummary,
  step: () => Promise<T>,
): Promise<T | undefined> {
  try {
    return await step();
  } catch (error) {
    if (!isMuveraError(error) || !SKIPPABLE.has(error.code)) throw error;
    if (id !== null) summary.skipped.push({ id, code: error.code, message: error.message });
    return undefined;
  }
}

function report(context: CliContext, summary: IndexSummary, json: boolean): void {
  if (json) {
    println(context, JSON.stringify(summary));
    return;
  }
  const rate = summary.indexed / Math.max(summary.seconds, Number.EPSILON);
  println(
    context,
    `indexed ${summary.indexed}, already stored ${summary.alreadyStored}, skipped ${summary.skipped.length} ` +
      `in ${summary.seconds.toFixed(1)} s (${rate.toFixed(0)} docs/s)`,
  );
  for (const skip of summary.skipped.slice(0, LISTED_SKIPS)) {
    context.err.write(`skipped ${skip.id}: ${skip.code}: ${skip.message}\n`);
  }
  const more = summary.skipped.length - LISTED_SKIPS;
  if (more > 0) context.err.write(`... and ${more} more skipped (use --json for the full list)\n`);
}

/** `muvera index`. */
export const indexCommand = defineCommand({
  meta: { name: 'index', description: 'Build or extend a collection from a corpus (resumable)' },
  args,
  run: ({ args: parsed, data }) => runIndex(data as CliContext, parsed),
});
