/**
 * Real ColBERTv2 geometry (test/fixtures/colbertv2-nanofiqa): the exact Chamfer oracle matches the
 * fixture's stored scores, and FDE scores rank documents like Chamfer does for every preset.
 * bench/fde-fixture.ts reports the correlations; docs/fde.md quotes them.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { chamferReference } from '../../src/chamfer/reference.js';
import { FDE_PRESET_NAMES, FdeEncoder } from '../../src/fde/index.js';
import { loadColbertFixture, setOf, spearman } from './fixture.js';

const fixture = loadColbertFixture();
const numQueries = fixture.queryOffsets.length - 1;
const numDocuments = fixture.documentOffsets.length - 1;

/** Scores are stored with 5 decimals. */
const SCORE_TOLERANCE = 1e-4;
/** Lowest per-query Spearman correlation accepted for any preset (measured: 0.48 to 0.82). */
const MIN_QUERY_CORRELATION = 0.4;
/** Lowest mean correlation for the paper preset (measured: 0.70). */
const MIN_PAPER_MEAN_CORRELATION = 0.65;

describe('ColBERTv2 fixture', () => {
  it('exact Chamfer matches the stored reference scores', () => {
    for (let q = 0; q < numQueries; q++) {
      const query = setOf(fixture.queries, fixture.queryOffsets, q, fixture.dim);
      for (let d = 0; d < numDocuments; d++) {
        const doc = setOf(fixture.documents, fixture.documentOffsets, d, fixture.dim);
        const score = chamferReference(query, doc, fixture.dim);
        assert.ok(Math.abs(score - fixture.reference[q][d]) < SCORE_TOLERANCE, `q ${q} d ${d}`);
      }
    }
  });

  for (const name of FDE_PRESET_NAMES) {
    it(`FDE scores of preset ${name} correlate with Chamfer for every query`, () => {
      const encoder = FdeEncoder.fromPreset(name, fixture.dim);
      const D = encoder.outputDimension;
      const docs = encoder.encodeDocuments(fixture.documents, fixture.documentOffsets).vectors;
      const correlations = fixture.reference.map((reference, q) => {
        const query = encoder.encodeQuery(
          setOf(fixture.queries, fixture.queryOffsets, q, fixture.dim),
        );
        const scores = reference.map((_, d) => {
          let score = 0;
          for (let i = 0; i < D; i++) score += query[i] * docs[d * D + i];
          return score;
        });
        return spearman(scores, reference);
      });
      for (const rho of correlations)
        assert.ok(rho > MIN_QUERY_CORRELATION, `${name}: ${correlations}`);
      const mean = correlations.reduce((a, b) => a + b, 0) / correlations.length;
      if (name === 'paper') assert.ok(mean > MIN_PAPER_MEAN_CORRELATION, `paper mean ${mean}`);
    });
  }
});
