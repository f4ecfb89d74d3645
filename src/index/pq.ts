/**
 * Product quantization of FDE vectors (Jegou, Douze and Schmid, "Product quantization for nearest
 * neighbor search", TPAMI 2011), as MUVERA compresses its FDEs with PQ-256-8 (Jayaram et al.,
 * NeurIPS 2024, section 3.2): the vector is cut into groups of `groupSize` consecutive values,
 * each group is replaced by the index of the nearest of `centroids` (at most 256) centres learnt
 * by k-means for that group, so one byte stands for `groupSize` float32 values (32 times smaller
 * at 8 dims a group).
 *
 * Search is asymmetric (ADC): the query stays exact. Per query, a lookup table holds the inner
 * product of each query group with each centre of that group (numGroups x 256 floats); a stored
 * vector's score is the sum of one table entry per group, read through its codes. The score
 * approximates the true inner product; the collection re-ranks candidates by exact Chamfer.
 *
 * Training happens once, when the index first holds `trainingSize` vectors (or on an explicit
 * `train()`): k-means runs per group on a seeded sample of `trainingSize` stored vectors for
 * `iterations` rounds, then every stored vector is encoded and its floats dropped. Until then
 * vectors are kept as float32 and searched exactly. Vectors added later are encoded with the
 * same centres; if the data drifts far from the training sample, rebuild the index.
 * Dimensions that are not a multiple of `groupSize` leave a shorter last group.
 */
import { DEFAULTS } from '../defaults.js';
import { invalidArgument, MuveraError } from '../errors.js';
import { SeededRandom } from '../fde/random.js';
import { type EnvelopeHeader, wrapEnvelope } from './envelope.js';
import { appendRestored, dot } from './flat.js';
import { assignNearest, distinctSample, kMeans } from './kmeans.js';
import { packSections, SectionReader } from './payload.js';
import { RowStore } from './row-store.js';
import { TopK } from './top-k.js';
import type {
  CandidateIndex,
  CandidateIndexStats,
  CandidateResult,
  CandidateSearchOptions,
} from './types.js';
import {
  checkCount,
  checkKeys,
  checkKeysAreNew,
  checkMatrix,
  checkOptionNames,
  positiveInteger,
} from './validate.js';

/** The largest codebook a one-byte code can address. */
export const MAX_CENTROIDS = 256;

/** PQ parameters; each defaults to `DEFAULTS.index.pq` (see docs/indexes.md). */
export interface PqOptions {
  /** Consecutive dimensions quantised together (the paper's 8). */
  groupSize?: number;
  /** Centres per group, 2 to 256 (the paper's 256). */
  centroids?: number;
  /** Vectors held when training starts, and the size of the training sample. */
  trainingSize?: number;
  /** k-means rounds per group. */
  iterations?: number;
  /** Seed of the training sample and the k-means starts. */
  seed?: number;
}

type ResolvedPq = Required<PqOptions>;
const OPTION_NAMES = ['groupSize', 'centroids', 'trainingSize', 'iterations', 'seed'];
/** Seeds of group g's k-means: `seed + SEED_STRIDE * (g + 1)`, distinct from the sample's. */
const SEED_STRIDE = 0x9e37;

/** Compressed inner-product scan over PQ codes. */
export class PqIndex implements CandidateIndex {
  readonly kind = 'pq' as const;
  readonly dimensions: number;
  readonly params: ResolvedPq;
  /** Groups per vector: ceil(dimensions / groupSize), also bytes per stored code. */
  readonly numGroups: number;
  #floats: RowStore<Float32Array> | null;
  #codes: RowStore<Uint8Array>;
  /** Centres of group g at `centroids * g * groupSize`, each `groupWidth(g)` values. */
  #codebook: Float32Array | null = null;
  /** Centres actually learnt per group: min(centroids, training sample). */
  #trainedCentroids = 0;

  constructor(dimensions: number, options: PqOptions = {}) {
    checkOptionNames(options, OPTION_NAMES, 'pq');
    this.dimensions = dimensions;
    this.params = resolveOptions(options);
    this.numGroups = Math.ceil(dimensions / this.params.groupSize);
    this.#floats = new RowStore(Float32Array, dimensions);
    this.#codes = new RowStore(Uint8Array, this.numGroups);
  }

  get size(): number {
    return this.#floats?.size ?? this.#codes.size;
  }

  /** True once the codebook is learnt and vectors are stored as codes. */
  get trained(): boolean {
    return this.#codebook !== null;
  }

  add(keys: ArrayLike<number>, vectors: Float32Array): void {
    const checked = checkKeys(keys);
    checkMatrix(vectors, this.dimensions, checked.length, 'vectors');
    checkKeysAreNew(checked, (key) => this.has(key));

    if (this.#floats === null) {
      this.#codes.append(checked, this.#encode(vectors));
      return;
    }
    this.#floats.append(checked, vectors);
    if (this.#floats.size >= this.params.trainingSize) this.train();
  }

  remove(keys: ArrayLike<number>): number {
    const store = this.#floats ?? this.#codes;
    let removed = 0;
    for (const key of checkKeys(keys)) if (store.delete(key)) removed++;
    return removed;
  }

  has(key: number): boolean {
    return (this.#floats ?? this.#codes).has(key);
  }

  /**
   * Learns the codebook from the vectors held now and encodes them. Runs by itself when the
   * index reaches `trainingSize`; call it to train earlier. Does nothing once trained or empty.
   */
  train(): void {
    const floats = this.#floats;
    if (floats === null || floats.size === 0) return;

    const sample = this.#trainingSample(floats);
    const numSample = sample.length / this.dimensions;
    this.#trainedCentroids = Math.min(this.params.centroids, numSample);
    this.#codebook = this.#learnCodebook(sample, numSample);

    this.#codes.append(Array.from(floats.usedKeys()), this.#encode(floats.usedRows()));
    this.#floats = null;
  }

  search(
    query: Float32Array,
    count: number,
    options: CandidateSearchOptions = {},
  ): CandidateResult {
    checkMatrix(query, this.dimensions, 1, 'query');
    return this.#searchOne(query, checkCount(count), options.filter);
  }

  searchBatch(
    queries: Float32Array,
    count: number,
    options: CandidateSearchOptions = {},
  ): CandidateResult[] {
    checkMatrix(queries, this.dimensions, null, 'queries');
    checkCount(count);
    const results: CandidateResult[] = [];
    for (let start = 0; start < queries.length; start += this.dimensions) {
      const query = queries.subarray(start, start + this.dimensions);
      results.push(this.#searchOne(query, count, options.filter));
    }
    return results;
  }

  stats(): CandidateIndexStats {
    const { kind, dimensions, size } = this;
    const memoryBytes =
      (this.#floats?.bytes ?? 0) + this.#codes.bytes + (this.#codebook?.byteLength ?? 0);
    return { kind, dimensions, size, memoryBytes, params: this.#storedParams() };
  }

  serialize(): Uint8Array {
    const header: EnvelopeHeader = {
      kind: 'pq',
      dimensions: this.dimensions,
      count: this.size,
      params: this.#storedParams(),
    };
    const floats = this.#floats;
    const sections =
      floats !== null
        ? [floats.usedKeys(), floats.usedRows()]
        : [this.#codes.usedKeys(), this.#codes.usedRows(), this.#codebook as Float32Array];
    return wrapEnvelope(header, packSections(sections));
  }

  /** Rebuilds a PQ index from a verified envelope header and payload. */
  static fromPayload(header: EnvelopeHeader, payload: Uint8Array): PqIndex {
    const { trained, trainedCentroids, ...options } = header.params;
    const index = new PqIndex(header.dimensions, options as PqOptions);
    const reader = new SectionReader(payload);
    const keys = Array.from(reader.read(Float64Array, header.count));
    if (trained !== true) {
      const rows = reader.read(Float32Array, header.count * header.dimensions);
      reader.end();
      appendRestored(index, keys, rows);
      return index;
    }

    const codes = reader.read(Uint8Array, header.count * index.numGroups);
    index.#codebook = reader.read(Float32Array, index.params.centroids * header.dimensions);
    reader.end();
    index.#trainedCentroids = Number(trainedCentroids);
    if (!(index.#trainedCentroids >= 1 && index.#trainedCentroids <= index.params.centroids)) {
      throw new MuveraError('corrupt-data', `PQ header has ${trainedCentroids} trained centres`, {
        remedy: 'Rebuild the index from the stored documents',
      });
    }
    index.#floats = null;
    index.#codes.append(keys, codes);
    return index;
  }

  #storedParams(): Record<string, unknown> {
    return { ...this.params, trained: this.trained, trainedCentroids: this.#trainedCentroids };
  }

  /** Up to `trainingSize` stored vectors, drawn with the seed. */
  #trainingSample(floats: RowStore<Float32Array>): Float32Array {
    const rows = floats.usedRows();
    if (floats.size <= this.params.trainingSize) return rows;

    const random = new SeededRandom(this.params.seed >>> 0);
    const picks = distinctSample(floats.size, this.params.trainingSize, random);
    const sample = new Float32Array(picks.length * this.dimensions);
    picks.forEach((slot, i) => {
      sample.set(
        rows.subarray(slot * this.dimensions, (slot + 1) * this.dimensions),
        i * this.dimensions,
      );
    });
    return sample;
  }

  /** Runs k-means on every group of the sample; returns the codebook. */
  #learnCodebook(sample: Float32Array, numSample: number): Float32Array {
    const { groupSize, centroids, iterations, seed } = this.params;
    const codebook = new Float32Array(centroids * this.dimensions);
    for (let g = 0; g < this.numGroups; g++) {
      const width = this.#groupWidth(g);
      const points = gatherGroup(sample, numSample, this.dimensions, g * groupSize, width);
      const groupSeed = (seed + SEED_STRIDE * (g + 1)) >>> 0;
      const k = this.#trainedCentroids;
      const centres = kMeans({ points, width, k, iterations, seed: groupSeed });
      codebook.set(centres, centroids * g * groupSize);
    }
    return codebook;
  }

  /** PQ codes of `vectors` (rows of `dimensions`): one byte per group, row after row. */
  #encode(vectors: Float32Array): Uint8Array {
    const codebook = this.#codebook as Float32Array;
    const numRows = vectors.length / this.dimensions;
    const codes = new Uint8Array(numRows * this.numGroups);
    const groupCodes = new Uint8Array(numRows);
    for (let g = 0; g < this.numGroups; g++) {
      const width = this.#groupWidth(g);
      const start = g * this.params.groupSize;
      const points = gatherGroup(vectors, numRows, this.dimensions, start, width);
      const centres = codebook.subarray(this.params.centroids * start);
      assignNearest(points, width, centres, this.#trainedCentroids, groupCodes);
      for (let row = 0; row < numRows; row++) codes[row * this.numGroups + g] = groupCodes[row];
    }
    return codes;
  }

  #searchOne(
    query: Float32Array,
    count: number,
    filter: ((key: number) => boolean) | undefined,
  ): CandidateResult {
    const top = new TopK(Math.min(count, this.size));
    if (this.#floats !== null) scanFloats(this.#floats, query, top, filter);
    else scanCodes(this.#codes, this.#lookupTable(query), top, filter);
    const { ids, scores } = top.sorted();
    return { keys: ids, scores };
  }

  /**
   * Inner product of each query group with each centre of that group.
   * Shape: numGroups x MAX_CENTROIDS floats; entry g * 256 + c.
   */
  #lookupTable(query: Float32Array): Float32Array {
    const codebook = this.#codebook as Float32Array;
    const table = new Float32Array(this.numGroups * MAX_CENTROIDS);
    for (let g = 0; g < this.numGroups; g++) {
      const width = this.#groupWidth(g);
      const start = g * this.params.groupSize;
      const base = this.params.centroids * start;
      for (let c = 0; c < this.#trainedCentroids; c++) {
        table[g * MAX_CENTROIDS + c] = dot(query, start, codebook, base + c * width, width);
      }
    }
    return table;
  }

  #groupWidth(group: number): number {
    const start = group * this.params.groupSize;
    return Math.min(this.params.groupSize, this.dimensions - start);
  }
}

/** Exact scan of vectors kept as floats (before training). */
function scanFloats(
  floats: RowStore<Float32Array>,
  query: Float32Array,
  top: TopK,
  filter: ((key: number) => boolean) | undefined,
): void {
  const { data, keys, width } = floats;
  for (let slot = 0; slot < floats.size; slot++) {
    if (filter !== undefined && !filter(keys[slot])) continue;
    top.offer(dot(query, 0, data, slot * width, width), keys[slot]);
  }
}

/**
 * ADC scan: each stored vector's score is the sum of its groups' table entries.
 * Shape: codes size x numGroups bytes, table numGroups x 256 floats. Four partial sums and a
 * moving table offset (instead of g * 256) make this about twice as fast in V8.
 */
function scanCodes(
  codes: RowStore<Uint8Array>,
  table: Float32Array,
  top: TopK,
  filter: ((key: number) => boolean) | undefined,
): void {
  const { data, keys, width: numGroups } = codes;
  const stride = 4 * MAX_CENTROIDS;
  for (let slot = 0; slot < codes.size; slot++) {
    if (filter !== undefined && !filter(keys[slot])) continue;
    let i = slot * numGroups;
    const end = i + numGroups;
    let t = 0;
    let s0 = 0;
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    for (; i + 3 < end; i += 4, t += stride) {
      s0 += table[t + data[i]];
      s1 += table[t + MAX_CENTROIDS + data[i + 1]];
      s2 += table[t + 2 * MAX_CENTROIDS + data[i + 2]];
      s3 += table[t + 3 * MAX_CENTROIDS + data[i + 3]];
    }
    for (; i < end; i++, t += MAX_CENTROIDS) s0 += table[t + data[i]];
    top.offer(s0 + s1 + s2 + s3, keys[slot]);
  }
}

/** Copies columns `start..start+width` of every row into a contiguous rows x width matrix. */
function gatherGroup(
  rows: Float32Array,
  numRows: number,
  dimensions: number,
  start: number,
  width: number,
): Float32Array {
  const out = new Float32Array(numRows * width);
  for (let row = 0; row < numRows; row++) {
    const from = row * dimensions + start;
    out.set(rows.subarray(from, from + width), row * width);
  }
  return out;
}

/** Fills in and checks PQ options against DEFAULTS.index.pq. */
function resolveOptions(options: PqOptions): ResolvedPq {
  const base = DEFAULTS.index.pq;
  const centroids = positiveInteger(options.centroids, base.centroids, 'options.centroids');
  if (centroids < 2 || centroids > MAX_CENTROIDS) {
    throw invalidArgument('options.centroids', `an integer from 2 to ${MAX_CENTROIDS}`, centroids);
  }
  const seed = options.seed ?? base.seed;
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
    throw invalidArgument('options.seed', 'an integer in 0..4294967295', seed);
  }
  return {
    groupSize: positiveInteger(options.groupSize, base.groupSize, 'options.groupSize'),
    centroids,
    trainingSize: positiveInteger(options.trainingSize, base.trainingSize, 'options.trainingSize'),
    iterations: positiveInteger(options.iterations, base.iterations, 'options.iterations'),
    seed,
  };
}
