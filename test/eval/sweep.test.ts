import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { lineChartSvg, sweepSvg } from '../../src/eval/plot.js';
import type { EvalResult } from '../../src/eval/report.js';
import { formatSweepTable, parseSweep, type SweepPoint } from '../../src/eval/sweep.js';

/** A result with the given recall@10 vs exact and p50 latency; other fields fixed. */
function result(recall: number, latency: number, candidates: number): EvalResult {
  return {
    dataset: 'synthetic',
    strategy: 'fde',
    candidates,
    queries: 50,
    skippedQueries: 0,
    ndcgAt10: 0.5,
    recallAt100: 0.8,
    mrrAt10: 0.6,
    recallVsExactAt10: recall,
    recallVsExactAt100: recall - 0.05,
    latencyMsP50: latency,
    latencyMsP95: latency * 1.5,
    qps: 1000 / latency,
  };
}

const POINTS: SweepPoint[] = [
  { series: 'fde (paper)', value: 50, result: result(0.81, 2.5, 50) },
  { series: 'fde (paper)', value: 100, result: result(0.9, 4, 100) },
  { series: 'fde (paper)', value: 200, result: result(0.96, 7.25, 200) },
  { series: 'tokens & <dedup>', value: 100, result: result(0.7, 9, 100) },
  { series: 'tokens & <dedup>', value: 200, result: result(0.83, 16, 200) },
];

describe('parseSweep', () => {
  it('parses a parameter and its values in order', () => {
    assert.deepEqual(parseSweep('candidates=50,100,200'), {
      parameter: 'candidates',
      values: [50, 100, 200],
    });
    assert.deepEqual(parseSweep(' candidates = 400, 25 ').values, [400, 25]);
    assert.deepEqual(parseSweep('ef=16,32', ['ef']).values, [16, 32]);
  });

  it('rejects malformed specs with invalid-argument', () => {
    for (const spec of [
      '',
      'candidates',
      'candidates=',
      'candidates=50,,100',
      'candidates=50,abc',
      'candidates=0',
      'candidates=-5',
      'candidates=1.5',
      'candidates=50,50',
      'ef=16',
      '=50',
    ]) {
      assert.throws(() => parseSweep(spec), { code: 'invalid-argument' }, spec);
    }
  });
});

describe('formatSweepTable', () => {
  it('writes one markdown row per point', () => {
    const table = formatSweepTable(POINTS, { parameter: 'candidates' });
    const rows = table.trim().split('\n');
    assert.equal(rows.length, 2 + POINTS.length);
    assert.match(rows[0], /^\| series \| candidates \| recall@10 vs exact \|/);
    assert.equal(
      rows[3],
      '| fde (paper) | 100 | 0.9000 | 0.8500 | 0.5000 | 0.8000 | 4 | 6 | 250 |',
    );
  });

  it('writes aligned plain text', () => {
    const rows = formatSweepTable(POINTS, { format: 'text' }).trim().split('\n');
    assert.equal(rows.length, 1 + POINTS.length);
    assert.equal(new Set(rows.map((row) => row.length)).size, 1);
    assert.match(rows[4], /^tokens & <dedup> +100 +0\.7000 /);
  });
});

describe('SVG plots', () => {
  const svg = sweepSvg(POINTS);

  it('is well-formed XML with an svg root', () => {
    assert.equal(XMLValidator.validate(svg), true);
    const parsed = new XMLParser({ ignoreAttributes: false }).parse(svg);
    assert.equal(parsed.svg['@_xmlns'], 'http://www.w3.org/2000/svg');
  });

  it('contains every point, one polyline per series and a legend entry each', () => {
    const circles = [...svg.matchAll(/<circle [^>]*data-x="([^"]+)" data-y="([^"]+)"/g)];
    assert.deepEqual(
      circles.map(([, x, y]) => [Number(x), Number(y)]),
      POINTS.map((p) => [p.result.latencyMsP50, p.result.recallVsExactAt10]),
    );
    assert.equal(svg.match(/<polyline /g)?.length, 2);
    assert.equal(svg.match(/class="legend"/g)?.length, 2);
    assert.ok(svg.includes('tokens &#38; &#60;dedup&#62;'), 'series names are escaped');
    assert.ok(svg.includes('recall@10 vs exact'), 'y label');
    assert.ok(svg.includes('latency p50 (ms)'), 'x label');
  });

  it('places points inside the plot area, higher recall higher up', () => {
    const cy = [...svg.matchAll(/<circle cx="([\d.]+)" cy="([\d.]+)"/g)].map((m) => Number(m[2]));
    const cx = [...svg.matchAll(/<circle cx="([\d.]+)" cy="([\d.]+)"/g)].map((m) => Number(m[1]));
    assert.ok(cy[2] < cy[1] && cy[1] < cy[0], 'recall 0.96 above 0.9 above 0.81');
    assert.ok(cx[0] < cx[1] && cx[1] < cx[2], 'latency grows to the right');
    for (const x of cx) assert.ok(x > 0 && x < 720);
  });

  it('draws nice ticks, linear and logarithmic', () => {
    const ticks = (text: string) =>
      [...text.matchAll(/<text x="[\d.]+" y="[\d.]+" text-anchor="middle">([\d.]+)</g)].map((m) =>
        Number(m[1]),
      );
    // x from 2.5 to 16, padded by 4% of 13.5 = 0.54 on each side: 1.96 to 16.54. Rough step
    // 14.58 / 6 = 2.43; the smallest of 1, 2, 5, 10 (x 10^0) at least that is 5; the axis widens
    // to whole steps, floor(1.96 / 5) = 0 to ceil(16.54 / 5) = 4 steps: 0 to 20.
    assert.deepEqual(ticks(svg), [0, 5, 10, 15, 20]);
    // Log: decades 10^0 (below 2.5) to 10^2 (above 16), ticks at 1, 2 and 5 of each.
    const log = sweepSvg(POINTS, { logX: true });
    assert.deepEqual(ticks(log), [1, 2, 5, 10, 20, 50, 100]);
  });

  it('rejects points that cannot be drawn', () => {
    const bad = [{ name: 's', points: [{ x: 1, y: Number.NaN }] }];
    assert.throws(() => lineChartSvg(bad), { code: 'invalid-argument' });
    const zero = [{ name: 's', points: [{ x: 0, y: 1 }] }];
    assert.throws(() => lineChartSvg(zero, { logX: true }), { code: 'invalid-argument' });
    assert.throws(() => lineChartSvg([]), { code: 'invalid-argument' });
    const missing = POINTS.map((p) => ({ ...p, result: { ...p.result, recallVsExactAt10: null } }));
    assert.throws(() => sweepSvg(missing), { code: 'invalid-argument' });
  });

  it('widens the picture for long legend names, keeping the plot area', () => {
    const points = [{ x: 1, y: 1 }];
    const widthOf = (svgText: string) => Number(/<svg [^>]*width="(\d+)"/.exec(svgText)?.[1]);
    const short = lineChartSvg([{ name: 'fde', points }]);
    const name = 'fde weaviate hnsw, documents pooled (factor 2)';
    const long = lineChartSvg([{ name, points }]);
    assert.equal(widthOf(short), 720);
    const legendX = Number(/<g class="legend">[\s\S]*?<text x="([\d.]+)"/.exec(long)?.[1]);
    // 7.5 px a character is an upper bound for 12px sans-serif text.
    assert.ok(widthOf(long) >= legendX + name.length * 7.5, `width ${widthOf(long)}`);
    const circleX = (svgText: string) => /<circle cx="([\d.]+)"/.exec(svgText)?.[1];
    assert.equal(circleX(long), circleX(short), 'the plot area does not move');
  });

  it('draws a single point and equal values', () => {
    const one = lineChartSvg([{ name: 'only', points: [{ x: 3, y: 1 }] }]);
    assert.equal(XMLValidator.validate(one), true);
    assert.equal(one.match(/<circle /g)?.length, 1);
  });
});
