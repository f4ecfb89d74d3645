/**
 * A synthetic ColBERT-like corpus: unit-norm token vectors whose similarity statistics match real
 * ColBERTv2 embeddings, generated lazily so that 100,000 documents never sit in memory at once.
 *
 * The generative model, in the order things are drawn:
 * - A shared basis: one global "mean" direction that every ColBERT token leans towards (real
 *   ColBERTv2 tokens have a pairwise cosine of about 0.25, not 0) and a few "background"
 *   directions that give those cosines their spread.
 * - Words. A general vocabulary, plus per topic a vocabulary of topic words that also lean
 *   towards the topic's centroid. A word vector mixes the mean direction (with a weight that
 *   varies by word), the background directions, its own random direction and, for topic words,
 *   the centroid; it is then normalised.
 * - Clusters: documents `[c * clusterSize, (c + 1) * clusterSize)` form cluster `c`, which has a
 *   topic and a few key words drawn from that topic's vocabulary.
 * - Documents: each token is a key word of the document's cluster, a word of its topic, or a
 *   general word, plus contextual noise, normalised (the same word in two contexts has a cosine
 *   of about 0.8, as in ColBERT).
 * - Queries: each query targets one cluster, whose documents are all relevant to it. Its tokens
 *   are key words of that cluster, topic words, or low-similarity filler (like ColBERT's [MASK]
 *   query augmentation); word tokens carry less of the mean direction than document tokens,
 *   which keeps their best match in unrelated documents low, as in the real data.
 *
 * Every vector comes from its own seeded stream (see random.ts), so any document or query can be
 * regenerated alone. The parameters live in {@link COLBERT_LIKE}; `check-fit.ts` compares the
 * output's statistics with the real ColBERTv2 fixture in ../shared/data.
 */
import { invalidArgument } from '../../src/errors.js';
import {
  dot,
  fillNormal,
  MAX_NOISE_DIM,
  normalize,
  STREAM,
  type Stream,
  stream,
  writeNoisy,
} from './random.js';

/** Highest cosine a word may have with the mean direction (keeps the square root real). */
const MAX_MEAN_COSINE = 0.95;

/** Below this length a vector's part orthogonal to the mean counts as nothing (dim 1). */
const ORTHOGONAL_EPSILON = 1e-6;

/** Noise of a filler query token, relative to its topic direction's weight. */
const FILLER_NOISE = 1;

/** Every parameter of the corpus, fixed in one place. Sizes may be overridden for tests. */
export const COLBERT_LIKE = Object.freeze({
  /** Base seed of every stream. */
  seed: 20_240_519,
  /** Documents in the corpus. */
  numDocuments: 100_000,
  /** Token rows of every document. */
  tokensPerDocument: 100,
  /** Queries. */
  numQueries: 1_000,
  /** Token rows of every query (ColBERT pads queries to 32). */
  tokensPerQuery: 32,
  /** Width of every token vector. */
  dim: 128,
  /** Documents of one cluster, all relevant to the queries that target it. */
  clusterSize: 3,
  /**
   * Documents per topic on average: the corpus has numDocuments / documentsPerTopic topics
   * (1,000 at full size), so a slice of any size has the full corpus's structure (a query's
   * exact top 100 is mostly its topic's documents).
   */
  documentsPerTopic: 100,
  /** Words in each topic's vocabulary. */
  wordsPerTopic: 64,
  /** Words in the general vocabulary shared by all topics. */
  generalWords: 30_000,
  /** Key words of each cluster, drawn from its topic's vocabulary. */
  keyWordsPerCluster: 12,
  /** Background directions shared by every word. */
  numBackground: 12,
  /** Mean cosine of a word with the global direction, and its spread between words. */
  meanCosine: 0.5,
  meanCosineSpread: 0.2,
  /** Weight of the background directions in a word vector. */
  backgroundWeight: 0.45,
  /** Weight of a word's own random direction. */
  ownWeight: 0.75,
  /** Weight of the topic centroid in a topic word. */
  topicWeight: 0.6,
  /** Contextual noise added to a document token (relative to a unit word vector). */
  documentNoise: 0.7,
  /** Shares of document tokens that are cluster key words and topic words (rest: general). */
  documentKeyShare: 0.25,
  documentTopicShare: 0.25,
  /** Shares of query tokens that are cluster key words and topic words (rest: filler). */
  queryKeyShare: 0.35,
  queryTopicShare: 0.25,
  /** Fraction of the mean direction a query word token keeps. */
  queryMeanKept: 0.5,
  /** Contextual noise added to a query word token. */
  queryNoise: 0.7,
  /** Cosine of a filler query token with the mean direction. */
  fillerMeanCosine: 0,
  /** Weight of the query's topic centroid in a filler token (its noise has weight 1). */
  fillerTopicWeight: 0.45,
});

/** The parameters of a corpus: {@link COLBERT_LIKE} with any sizes overridden. */
export type ColbertLikeParams = { readonly [K in keyof typeof COLBERT_LIKE]: number };

/** A batch of token sets: flat rows plus `offsets` in rows (set i is rows offsets[i]..[i+1]). */
export interface TokenBatch {
  data: Float32Array;
  offsets: Uint32Array;
  /** Index of the first set in the batch. */
  start: number;
}

/** Which vocabulary a token is drawn from. */
enum WordKind {
  key = 0,
  topic = 1,
  general = 2,
}

/** The lazily generated corpus. Documents and queries are identified by their index. */
export class ColbertLikeCorpus {
  readonly params: ColbertLikeParams;
  readonly dim: number;
  readonly numClusters: number;
  readonly numTopics: number;
  private readonly mean: Float32Array;
  private readonly background: Float32Array[];
  private readonly topics = new Map<number, Float32Array>();
  private readonly words = new Map<number, Float32Array>();
  private readonly scratch: Float32Array;

  constructor(overrides: Partial<ColbertLikeParams> = {}) {
    this.params = Object.freeze({ ...COLBERT_LIKE, ...overrides });
    this.dim = this.params.dim;
    if (!(Number.isInteger(this.dim) && this.dim > 0 && this.dim <= MAX_NOISE_DIM)) {
      throw invalidArgument('dim', `an integer from 1 to ${MAX_NOISE_DIM}`, this.dim);
    }
    this.numClusters = Math.ceil(this.params.numDocuments / this.params.clusterSize);
    this.numTopics = Math.max(
      1,
      Math.round(this.params.numDocuments / this.params.documentsPerTopic),
    );
    this.scratch = new Float32Array(this.dim);

    const basis = stream(this.params.seed, STREAM.basis, 0);
    this.mean = this.unitVector(basis);
    this.background = Array.from({ length: this.params.numBackground }, () =>
      this.unitVector(basis),
    );
  }

  /** The id string of document `index` (`d<index>`). */
  documentId(index: number): string {
    return `d${index}`;
  }

  /** The id string of query `index` (`q<index>`). */
  queryId(index: number): string {
    return `q${index}`;
  }

  /** The documents relevant to query `index`: every document of the cluster it targets. */
  relevantDocuments(index: number): number[] {
    const cluster = stream(this.params.seed, STREAM.queryCluster, index).below(this.numClusters);
    const first = cluster * this.params.clusterSize;
    const last = Math.min(this.params.numDocuments, first + this.params.clusterSize);
    return Array.from({ length: last - first }, (_, i) => first + i);
  }

  /** Judgments in the shape the eval module reads: query id -> document id -> grade 1. */
  qrels(numQueries = this.params.numQueries): Map<string, Map<string, number>> {
    const qrels = new Map<string, Map<string, number>>();
    for (let q = 0; q < numQueries; q++) {
      const judged = this.relevantDocuments(q).map((d) => [this.documentId(d), 1] as const);
      qrels.set(this.queryId(q), new Map(judged));
    }
    return qrels;
  }

  /** The tokens of document `index` (tokensPerDocument x dim), written into `out` if given. */
  document(index: number, out = new Float32Array(this.params.tokensPerDocument * this.dim)) {
    const { tokensPerDocument, documentKeyShare, documentTopicShare, documentNoise } = this.params;
    const random = stream(this.params.seed, STREAM.document, index);
    const keys = this.clusterKeyWords(Math.floor(index / this.params.clusterSize));

    for (let t = 0; t < tokensPerDocument; t++) {
      const kind = pickKind(random.uniform(), documentKeyShare, documentTopicShare);
      const word = this.wordVector(this.pickWord(kind, keys, random));
      this.writeToken(out, t, word, word[this.dim], documentNoise, random);
    }
    return out;
  }

  /** Documents `start` to `start + count` (clipped to the corpus) as one batch. */
  documents(start: number, count: number): TokenBatch {
    const end = Math.min(this.params.numDocuments, start + count);
    const rows = this.params.tokensPerDocument;
    const data = new Float32Array((end - start) * rows * this.dim);
    const offsets = new Uint32Array(end - start + 1);
    for (let i = start; i < end; i++) {
      this.document(
        i,
        data.subarray((i - start) * rows * this.dim, (i - start + 1) * rows * this.dim),
      );
      offsets[i - start + 1] = (i - start + 1) * rows;
    }
    return { data, offsets, start };
  }

  /** Every document in batches of `batchSize`, generated as they are consumed. */
  *batches(batchSize: number): Generator<TokenBatch> {
    for (let start = 0; start < this.params.numDocuments; start += batchSize) {
      yield this.documents(start, batchSize);
    }
  }

  /** The tokens of query `index` (tokensPerQuery x dim). */
  query(index: number, out = new Float32Array(this.params.tokensPerQuery * this.dim)) {
    const { tokensPerQuery, queryKeyShare, queryTopicShare, queryMeanKept, queryNoise } =
      this.params;
    const { fillerMeanCosine, fillerTopicWeight } = this.params;
    const random = stream(this.params.seed, STREAM.query, index);
    const first = this.relevantDocuments(index)[0];
    const keys = this.clusterKeyWords(Math.floor(first / this.params.clusterSize));
    const filler = this.topicCentroid(keys[0]).map((value) => value * fillerTopicWeight);

    for (let t = 0; t < tokensPerQuery; t++) {
      const kind = pickKind(random.uniform(), queryKeyShare, queryTopicShare);
      if (kind === WordKind.general) {
        this.writeToken(out, t, filler, fillerMeanCosine, FILLER_NOISE, random);
      } else {
        const word = this.wordVector(this.pickWord(kind, keys, random));
        this.writeToken(out, t, word, queryMeanKept * word[this.dim], queryNoise, random);
      }
    }
    return out;
  }

  /** The first `count` queries as one batch. */
  queries(count = this.params.numQueries): TokenBatch {
    const rows = this.params.tokensPerQuery;
    const data = new Float32Array(count * rows * this.dim);
    const offsets = Uint32Array.from({ length: count + 1 }, (_, i) => i * rows);
    for (let q = 0; q < count; q++) {
      this.query(q, data.subarray(q * rows * this.dim, (q + 1) * rows * this.dim));
    }
    return { data, offsets, start: 0 };
  }

  /** The topic of a cluster and the word ids of its key words (first entry: the topic). */
  private clusterKeyWords(cluster: number): Int32Array {
    const random = stream(this.params.seed, STREAM.cluster, cluster);
    const { keyWordsPerCluster, wordsPerTopic } = this.params;
    const out = new Int32Array(keyWordsPerCluster + 1);
    out[0] = random.below(this.numTopics);
    for (let k = 1; k <= keyWordsPerCluster; k++) {
      out[k] = this.topicWordId(out[0], random.below(wordsPerTopic));
    }
    return out;
  }

  /** A word id of the given kind: a key word, a word of the cluster's topic, a general word. */
  private pickWord(kind: WordKind, keys: Int32Array, random: Stream): number {
    if (kind === WordKind.key) return keys[1 + random.below(keys.length - 1)];
    if (kind === WordKind.topic)
      return this.topicWordId(keys[0], random.below(this.params.wordsPerTopic));
    return random.below(this.params.generalWords);
  }

  /** Word ids: general words first, then each topic's vocabulary in turn. */
  private topicWordId(topic: number, word: number): number {
    return this.params.generalWords + topic * this.params.wordsPerTopic + word;
  }

  /**
   * Word `id`, drawn from its own stream and cached: `dim` values of a unit direction orthogonal
   * to the mean direction, then the word's cosine with the mean direction.
   */
  private wordVector(id: number): Float32Array {
    const cached = this.words.get(id);
    if (cached) return cached;

    const p = this.params;
    const random = stream(p.seed, STREAM.word, id);
    const word = new Float32Array(this.dim + 1);
    const direction = fillNormal(word.subarray(0, this.dim), random);
    scale(direction, p.ownWeight / Math.sqrt(this.dim));
    for (const background of this.background) {
      addScaled(
        direction,
        background,
        (p.backgroundWeight * random.normal()) / Math.sqrt(p.numBackground),
      );
    }
    if (id >= p.generalWords) {
      const topic = Math.floor((id - p.generalWords) / p.wordsPerTopic);
      addScaled(direction, this.topicCentroid(topic), p.topicWeight);
    }
    this.orthogonalUnit(direction);

    word[this.dim] = clamp(p.meanCosine + p.meanCosineSpread * random.normal(), 0, MAX_MEAN_COSINE);
    this.words.set(id, word);
    return word;
  }

  /** The centroid of a topic: a random unit vector from the topic's stream. */
  private topicCentroid(topic: number): Float32Array {
    let centroid = this.topics.get(topic);
    if (!centroid) {
      centroid = this.unitVector(stream(this.params.seed, STREAM.topic, topic));
      this.topics.set(topic, centroid);
    }
    return centroid;
  }

  /**
   * Writes row `row` of `out`: cosine `meanCosine` with the mean direction, and the rest along
   * the word's direction plus Gaussian noise of norm about `noise` (orthogonal to the mean).
   */
  private writeToken(
    out: Float32Array,
    row: number,
    direction: Float32Array,
    meanCosine: number,
    noise: number,
    random: Stream,
  ) {
    // Shape: one row of `dim` values; three passes (write, measure, finish) for speed.
    const { dim, mean } = this;
    const base = row * dim;
    writeNoisy(out, base, direction, dim, noise / Math.sqrt(dim), random);

    let along = 0;
    let squared = 0;
    for (let j = 0; j < dim; j++) {
      along += out[base + j] * mean[j];
      squared += out[base + j] * out[base + j];
    }

    // The part orthogonal to the mean has squared length |x|^2 - <x, m>^2.
    // NOTE: at dim 1 nothing is orthogonal to the mean: the token is the mean direction.
    const orthogonal = Math.sqrt(Math.max(0, squared - along * along));
    const cosine = orthogonal > ORTHOGONAL_EPSILON ? meanCosine : 1;
    const rest = orthogonal > ORTHOGONAL_EPSILON ? Math.sqrt(1 - cosine * cosine) / orthogonal : 0;
    for (let j = 0; j < dim; j++) {
      out[base + j] = rest * (out[base + j] - along * mean[j]) + cosine * mean[j];
    }
  }

  /**
   * Removes the mean direction's component from `vector` and scales the rest to unit length;
   * false when nothing was left (dim 1).
   */
  private orthogonalUnit(vector: Float32Array): boolean {
    addScaled(vector, this.mean, -dot(vector, 0, this.mean, 0, this.dim));
    return normalize(vector) > ORTHOGONAL_EPSILON;
  }

  private unitVector(random: Stream): Float32Array {
    const vector = fillNormal(this.scratch.slice(), random);
    normalize(vector);
    return vector;
  }
}

/** Maps a uniform draw to a word kind, given the shares of key and topic words. */
function pickKind(u: number, keyShare: number, topicShare: number): WordKind {
  if (u < keyShare) return WordKind.key;
  return u < keyShare + topicShare ? WordKind.topic : WordKind.general;
}

/** Clamps `value` to [low, high]. */
function clamp(value: number, low: number, high: number): number {
  return Math.min(high, Math.max(low, value));
}

/** vector *= factor. */
function scale(vector: Float32Array, factor: number): void {
  for (let j = 0; j < vector.length; j++) vector[j] *= factor;
}

/** vector += weight * direction. */
function addScaled(vector: Float32Array, direction: Float32Array, weight: number): void {
  for (let j = 0; j < vector.length; j++) vector[j] += weight * direction[j];
}
