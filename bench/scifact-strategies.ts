/**
 * SciFact (BEIR, shipped in data/scifact) with the static demo encoder: `fde` under several
 * presets and candidate counts, `tokens` and `exact`; see bench/beir-strategies.ts.
 *
 * Run: npx tsx bench/scifact-strategies.ts [--full]   (default: the first 60 test queries,
 * presets weaviate and paper; --full: all 300 queries, adds compact and milvus)
 */
import { join } from 'node:path';
import { runBeirScenario } from './beir-strategies.js';

const FULL = process.argv.includes('--full');

await runBeirScenario({
  name: FULL ? 'scifact-strategies-full' : 'scifact-strategies',
  title: 'SciFact',
  folder: join(import.meta.dirname, '..', 'data', 'scifact'),
  folderNote: 'SciFact test split from `data/scifact`',
  presets: FULL ? ['weaviate', 'paper', 'compact', 'milvus'] : ['weaviate', 'paper'],
  candidates: [50, 100, 200, 500],
  maxQueries: FULL ? null : 60,
  command: `npx tsx bench/scifact-strategies.ts${FULL ? ' --full' : ''}`,
});
