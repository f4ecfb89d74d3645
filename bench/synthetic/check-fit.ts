/**
 * Checks the synthetic ColBERT-like corpus against real ColBERTv2 embeddings: measures, on a
 * sample of the full-size corpus, each query token's best similarity in relevant and in
 * unrelated documents and the cosine between document tokens, and prints them beside the same
 * statistics measured from the fixture's own files.
 *
 *   npx tsx bench/synthetic/check-fit.ts [fixture folder]
 *
 * The fixture folder defaults to the copy shipped beside this script. Exits with status 1 when a
 * mean or quartile is further than FIT_TOLERANCE from the fixture's.
 */
import { join } from 'node:path';
import { machineInfo, machineLine, writeResult } from '../harness.js';
import { COLBERT_LIKE, ColbertLikeCorpus } from './colbert-like.js';
import {
  DEFAULT_SAMPLE,
  type FitStatistics,
  fitGaps,
  loadFixture,
  measureFixture,
  measureSynthetic,
  type Summary,
} from './fit-stats.js';

/** Largest allowed gap between a synthetic and a fixture statistic (the target). */
export const FIT_TOLERANCE = 0.05;

/** The fixture copy shipped with the repository. */
export const FIXTURE_DIR = join(import.meta.dirname, 'fixture', 'colbertv2-nanofiqa');

function row(name: string, fixture: Summary, synthetic: Summary): string {
  const cells = (s: Summary) =>
    [s.q25, s.median, s.q75, s.mean].map((value) => value.toFixed(3)).join(' / ');
  return `| ${name} | ${cells(fixture)} | ${cells(synthetic)} |`;
}

function table(fixture: FitStatistics, synthetic: FitStatistics): string {
  return [
    '| statistic | fixture q25 / median / q75 / mean | synthetic q25 / median / q75 / mean |',
    '| --- | --- | --- |',
    row('best similarity, relevant document', fixture.relevant, synthetic.relevant),
    row('best similarity, unrelated document', fixture.unrelated, synthetic.unrelated),
    row('cosine of two document tokens', fixture.documentPairs, synthetic.documentPairs),
  ].join('\n');
}

function main(): void {
  const dir = process.argv[2] ?? FIXTURE_DIR;
  const fixture = measureFixture(loadFixture(dir));
  const synthetic = measureSynthetic(new ColbertLikeCorpus(), DEFAULT_SAMPLE);
  const worst = Math.max(...fitGaps(fixture, synthetic).map((gap) => gap.gap));

  const markdown = [
    '# Synthetic ColBERT-like corpus against the ColBERTv2 fixture',
    machineLine(),
    `Corpus: \`${JSON.stringify(COLBERT_LIKE)}\``,
    `Sample: \`${JSON.stringify(DEFAULT_SAMPLE)}\`; fixture: every query, document and token pair.`,
    table(fixture, synthetic),
    `Largest gap: ${worst.toFixed(3)} (tolerance ${FIT_TOLERANCE}).`,
  ].join('\n\n');
  process.stdout.write(`${markdown}\n`);
  const data = {
    machine: machineInfo(),
    corpus: COLBERT_LIKE,
    sample: DEFAULT_SAMPLE,
    fixture,
    synthetic,
    worst,
  };
  writeResult('synthetic-fit', markdown, data);
  if (worst > FIT_TOLERANCE) process.exitCode = 1;
}

if (import.meta.url === `file://${process.argv[1]}`) main();
