/**
 * FDE versus exact Chamfer on real ColBERTv2 vectors (test/fixtures/colbertv2-nanofiqa: 5 queries,
 * 35 documents): Spearman rank correlation of FDE scores with the fixture's exact Chamfer scores,
 * per query and per preset, and how often each query's exact best document is the FDE's best.
 *
 * Run: npx tsx bench/fde-fixture.ts   Writes bench/results/fde-fixture.md and .json.
 */
import { FDE_PRESET_NAMES, FdeEncoder } from '../src/fde/index.js';
import { loadColbertFixture, setOf, spearman } from '../test/fde/fixture.js';
import { machineInfo, machineLine, writeResult } from './harness.js';

const fixture = loadColbertFixture();

function correlations(preset: string): { rho: number[]; topMatches: number } {
  const encoder = FdeEncoder.fromPreset(preset, fixture.dim);
  const D = encoder.outputDimension;
  const docs = encoder.encodeDocuments(fixture.documents, fixture.documentOffsets).vectors;
  let topMatches = 0;
  const rho = fixture.reference.map((reference, q) => {
    const query = encoder.encodeQuery(setOf(fixture.queries, fixture.queryOffsets, q, fixture.dim));
    const scores = reference.map((_, d) => {
      let score = 0;
      for (let i = 0; i < D; i++) score += query[i] * docs[d * D + i];
      return score;
    });
    const argmax = (values: number[]) => values.indexOf(Math.max(...values));
    if (argmax(scores) === argmax(reference)) topMatches++;
    return spearman(scores, reference);
  });
  return { rho, topMatches };
}

const rows = FDE_PRESET_NAMES.map((preset) => ({ preset, ...correlations(preset) }));
const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
const numQueries = fixture.reference.length;
const markdown = [
  '# FDE vs exact Chamfer on real ColBERTv2 vectors (NanoFiQA fixture)',
  '',
  `Spearman rank correlation between FDE inner products and exact Chamfer scores over the 35 documents, per query (seed ${FdeEncoder.fromPreset('paper', 128).config.seed}). "Top-1": queries whose exact best document is also the FDE's best.`,
  '',
  `| preset | ${fixture.reference.map((_, q) => `q${q}`).join(' | ')} | mean | top-1 |`,
  `| --- | ${fixture.reference.map(() => '---').join(' | ')} | --- | --- |`,
  ...rows.map(
    (r) =>
      `| ${r.preset} | ${r.rho.map((x) => x.toFixed(3)).join(' | ')} | ${mean(r.rho).toFixed(3)} | ${r.topMatches}/${numQueries} |`,
  ),
  '',
  machineLine(),
].join('\n');
writeResult('fde-fixture', markdown, { machine: machineInfo(), rows });
process.stdout.write(`${markdown}\n`);
