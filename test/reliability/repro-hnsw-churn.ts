/**
 * Reproduction (not a test): usearch HNSW under replace churn. Upserts 12 groups of 8 documents
 * (96 live vectors), then replaces one group per round: removes its 8 keys and adds 8 new ones.
 * Run: npx tsx test/reliability/repro-hnsw-churn.ts [rounds]
 */
import { seededRandom } from '../../bench/harness.js';
import { HnswIndex } from '../../src/index/hnsw.js';

const DIMENSIONS = Number(process.argv[3] ?? 320);
const GROUPS = 12;
const GROUP_SIZE = 8;
const rounds = Number(process.argv[2] ?? 400);
const random = seededRandom(1);
const index = new HnswIndex(DIMENSIONS, { threads: Number(process.argv[4] ?? 0) || undefined });
const keysOf: number[][] = [];
let nextKey = 0;
const rows = () => Float32Array.from({ length: GROUP_SIZE * DIMENSIONS }, () => random() - 0.5);
for (let round = 0; round < rounds; round++) {
  const g = round % GROUPS;
  if (keysOf[g]) index.remove(keysOf[g]);
  keysOf[g] = Array.from({ length: GROUP_SIZE }, () => nextKey++);
  const started = performance.now();
  index.add(keysOf[g], rows());
  const ms = performance.now() - started;
  if (ms > 1000 || round % 50 === 0 || round > 85)
    process.stdout.write(`round ${round}: add took ${ms.toFixed(1)} ms, size ${index.size}\n`);
}
process.stdout.write('done\n');
