/**
 * Cranfield (BEIR format, graded judgments) with the static demo encoder: `fde` under several
 * presets and candidate counts, `tokens` and `exact`; see bench/beir-strategies.ts. The dataset
 * is read from ../shared/data/cranfield/beir relative to the repository (it is not shipped), or
 * from the folder given with --dataset.
 *
 * Run: npx tsx bench/cranfield-strategies.ts [--full] [--dataset <BEIR folder>]
 * (default: every test query, presets weaviate and paper; --full adds compact and milvus)
 */
import { join } from 'node:path';
import { runBeirScenario } from './beir-strategies.js';

const FULL = process.argv.includes('--full');
const at = process.argv.indexOf('--dataset');
const folder =
  at >= 0
    ? process.argv[at + 1]
    : join(import.meta.dirname, '..', '..', 'shared', 'data', 'cranfield', 'beir');

await runBeirScenario({
  name: FULL ? 'cranfield-strategies-full' : 'cranfield-strategies',
  title: 'Cranfield',
  folder,
  folderNote:
    'Cranfield test split from `../shared/data/cranfield/beir` (graded judgments, linear gains)',
  presets: FULL ? ['weaviate', 'paper', 'compact', 'milvus'] : ['weaviate', 'paper'],
  candidates: [50, 100, 200, 500],
  maxQueries: null,
  command: `npx tsx bench/cranfield-strategies.ts${FULL ? ' --full' : ''}`,
});
