/**
 * A small SVG line chart, written by hand (no plotting dependency): axes with "nice" ticks
 * (steps of 1, 2 or 5 times a power of ten), axis labels, one polyline with point markers per
 * series, and a legend. Used for recall against latency curves of sweeps.
 *
 * Every point is a `<circle>` carrying `data-series`, `data-x` and `data-y` attributes and a
 * `<title>` tooltip, so the plotted values can be read back from the file.
 */
import { invalidArgument } from '../errors.js';
import type { EvalResult } from './report.js';
import type { SweepPoint } from './sweep.js';

/** One curve: its name and its points, joined in the order given. */
export interface PlotSeries {
  name: string;
  points: ReadonlyArray<{ x: number; y: number }>;
}

/** Chart options. Sizes are in SVG user units (pixels). */
export interface PlotOptions {
  title?: string;
  xLabel?: string;
  yLabel?: string;
  width?: number;
  height?: number;
  /** Logarithmic x axis (all x must be > 0): for latencies spanning orders of magnitude. */
  logX?: boolean;
}

const DEFAULT_WIDTH = 720;
const DEFAULT_HEIGHT = 440;
/** Space around the plot area: left for y tick labels, right for the legend. */
const MARGIN = Object.freeze({ left: 64, right: 180, top: 40, bottom: 52 });
const TICK_TARGET = 6;
const TICK_LENGTH = 5;
const POINT_RADIUS = 3.5;
const LEGEND_ROW = 18;
/** Distinguishable colours (Tableau 10), cycled when there are more series. */
const PALETTE = Object.freeze([
  '#4e79a7',
  '#f28e2b',
  '#e15759',
  '#76b7b2',
  '#59a14f',
  '#edc948',
  '#b07aa1',
  '#ff9da7',
  '#9c755f',
  '#bab0ac',
]);

/** Escapes text for XML content and attribute values. */
export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** A number as short text: at most 6 significant digits, no float noise such as 0.30000000004. */
function short(value: number): string {
  return String(Number(value.toPrecision(6)));
}

/** An axis: its domain after rounding to ticks, the ticks, and a value -> fraction mapping. */
interface Axis {
  ticks: number[];
  fraction(value: number): number;
}

/** A linear axis over [min, max], widened to whole tick steps of 1, 2 or 5 times 10^n. */
function linearAxis(min: number, max: number): Axis {
  const span = max - min || Math.abs(max) || 1;
  if (max === min) [min, max] = [min - span / 2, max + span / 2];
  const rough = (max - min) / TICK_TARGET;
  const power = 10 ** Math.floor(Math.log10(rough));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= rough) ?? 10 * power;
  const low = Math.floor(min / step) * step;
  const high = Math.ceil(max / step) * step;

  const ticks: number[] = [];
  for (let i = 0; low + i * step <= high + step / 2; i++)
    ticks.push(Number((low + i * step).toPrecision(12)));
  return { ticks, fraction: (v) => (v - low) / (high - low) };
}

/** A base-10 logarithmic axis over whole decades, ticks at 1, 2 and 5 times each power. */
function logAxis(min: number, max: number): Axis {
  const low = Math.floor(Math.log10(min));
  const high = Math.max(low + 1, Math.ceil(Math.log10(max)));
  const ticks: number[] = [];
  for (let e = low; e <= high; e++) {
    for (const m of [1, 2, 5])
      if (e < high || m === 1) ticks.push(Number((m * 10 ** e).toPrecision(12)));
  }
  return { ticks, fraction: (v) => (Math.log10(v) - low) / (high - low) };
}

/** Checks every coordinate: finite, and x > 0 on a log axis. */
function checkPoints(series: readonly PlotSeries[], logX: boolean): void {
  for (const { name, points } of series) {
    for (const [i, { x, y }] of points.entries()) {
      const bad = !Number.isFinite(x) || !Number.isFinite(y) || (logX && x <= 0);
      if (bad) {
        const expected = logX ? 'finite coordinates with x > 0' : 'finite coordinates';
        throw invalidArgument(
          `series ${JSON.stringify(name)} point ${i}`,
          expected,
          `(${x}, ${y})`,
        );
      }
    }
  }
}

/** Draws the axes, grid, tick labels and axis labels of the plot area. */
function drawAxes(x: Axis, y: Axis, box: Box, options: PlotOptions): string[] {
  const out: string[] = [];
  const bottom = box.top + box.height;
  for (const tick of x.ticks) {
    const px = box.left + x.fraction(tick) * box.width;
    out.push(`<line x1="${px}" y1="${box.top}" x2="${px}" y2="${bottom}" stroke="#eee"/>`);
    out.push(
      `<line x1="${px}" y1="${bottom}" x2="${px}" y2="${bottom + TICK_LENGTH}" stroke="#333"/>`,
    );
    out.push(`<text x="${px}" y="${bottom + 18}" text-anchor="middle">${short(tick)}</text>`);
  }
  for (const tick of y.ticks) {
    const py = box.top + (1 - y.fraction(tick)) * box.height;
    out.push(
      `<line x1="${box.left}" y1="${py}" x2="${box.left + box.width}" y2="${py}" stroke="#eee"/>`,
    );
    out.push(
      `<line x1="${box.left - TICK_LENGTH}" y1="${py}" x2="${box.left}" y2="${py}" stroke="#333"/>`,
    );
    out.push(`<text x="${box.left - 8}" y="${py + 4}" text-anchor="end">${short(tick)}</text>`);
  }
  out.push(
    `<rect x="${box.left}" y="${box.top}" width="${box.width}" height="${box.height}" fill="none" stroke="#333"/>`,
  );

  const xLabel = escapeXml(options.xLabel ?? 'x');
  const yLabel = escapeXml(options.yLabel ?? 'y');
  const midY = box.top + box.height / 2;
  out.push(
    `<text x="${box.left + box.width / 2}" y="${bottom + 40}" text-anchor="middle">${xLabel}</text>`,
  );
  out.push(
    `<text x="16" y="${midY}" text-anchor="middle" transform="rotate(-90 16 ${midY})">${yLabel}</text>`,
  );
  return out;
}

/** The plot area. */
interface Box {
  left: number;
  top: number;
  width: number;
  height: number;
}

/** One series: its polyline and its point markers. */
function drawSeries(series: PlotSeries, color: string, x: Axis, y: Axis, box: Box): string[] {
  const name = escapeXml(series.name);
  const coords = series.points.map((p) => [
    Number((box.left + x.fraction(p.x) * box.width).toFixed(2)),
    Number((box.top + (1 - y.fraction(p.y)) * box.height).toFixed(2)),
  ]);
  const out = [`<g data-series="${name}">`];
  const path = coords.map(([px, py]) => `${px},${py}`).join(' ');
  out.push(`<polyline points="${path}" fill="none" stroke="${color}" stroke-width="2"/>`);
  for (const [i, p] of series.points.entries()) {
    const [px, py] = coords[i];
    const tip = `${name}: x ${short(p.x)}, y ${short(p.y)}`;
    out.push(
      `<circle cx="${px}" cy="${py}" r="${POINT_RADIUS}" fill="${color}" data-series="${name}" data-x="${p.x}" data-y="${p.y}"><title>${tip}</title></circle>`,
    );
  }
  out.push('</g>');
  return out;
}

/** The legend: a colour swatch and the name of each series, right of the plot area. */
function drawLegend(series: readonly PlotSeries[], box: Box): string[] {
  const left = box.left + box.width + 16;
  return series.map((s, i) => {
    const top = box.top + i * LEGEND_ROW;
    const color = PALETTE[i % PALETTE.length];
    return `<g class="legend"><rect x="${left}" y="${top}" width="12" height="12" fill="${color}"/><text x="${left + 18}" y="${top + 10}">${escapeXml(s.name)}</text></g>`;
  });
}

/** Renders the series as a standalone SVG document. */
export function lineChartSvg(series: readonly PlotSeries[], options: PlotOptions = {}): string {
  const logX = options.logX ?? false;
  checkPoints(series, logX);
  const all = series.flatMap((s) => s.points);
  if (all.length === 0) throw invalidArgument('series', 'at least one point', 0);

  const width = options.width ?? DEFAULT_WIDTH;
  const height = options.height ?? DEFAULT_HEIGHT;
  const box = {
    left: MARGIN.left,
    top: MARGIN.top,
    width: width - MARGIN.left - MARGIN.right,
    height: height - MARGIN.top - MARGIN.bottom,
  };
  const xs = all.map((p) => p.x);
  const ys = all.map((p) => p.y);
  const xAxis = (logX ? logAxis : linearAxis)(Math.min(...xs), Math.max(...xs));
  const yAxis = linearAxis(Math.min(...ys), Math.max(...ys));
  const title = escapeXml(options.title ?? '');

  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<title>${title}</title>`,
    `<rect width="${width}" height="${height}" fill="#fff"/>`,
    `<text x="${box.left}" y="24" font-size="14" font-weight="bold">${title}</text>`,
    ...drawAxes(xAxis, yAxis, box, options),
    ...series.flatMap((s, i) => drawSeries(s, PALETTE[i % PALETTE.length], xAxis, yAxis, box)),
    ...drawLegend(series, box),
    '</svg>',
    '',
  ].join('\n');
}

/** Result fields that can be plotted. */
export type PlotField =
  | 'latencyMsP50'
  | 'latencyMsP95'
  | 'qps'
  | 'recallVsExactAt10'
  | 'recallVsExactAt100'
  | 'ndcgAt10'
  | 'recallAt100';

/** Axis labels of the plottable fields. */
const FIELD_LABELS: Readonly<Record<PlotField, string>> = Object.freeze({
  latencyMsP50: 'latency p50 (ms)',
  latencyMsP95: 'latency p95 (ms)',
  qps: 'queries per second (1 thread)',
  recallVsExactAt10: 'recall@10 vs exact',
  recallVsExactAt100: 'recall@100 vs exact',
  ndcgAt10: 'nDCG@10',
  recallAt100: 'Recall@100',
});

/**
 * The sweep as an SVG plot: by default recall@10 against the exact strategy (y) versus median
 * latency (x), one curve per series in the order the points are given.
 */
export function sweepSvg(
  points: readonly SweepPoint[],
  {
    x = 'latencyMsP50',
    y = 'recallVsExactAt10',
    ...options
  }: PlotOptions & { x?: PlotField; y?: PlotField } = {},
): string {
  const bySeries = new Map<string, Array<{ x: number; y: number }>>();
  for (const point of points) {
    const coords = { x: value(point.result, x), y: value(point.result, y) };
    bySeries.set(point.series, [...(bySeries.get(point.series) ?? []), coords]);
  }
  const series = [...bySeries].map(([name, pts]) => ({ name, points: pts }));
  return lineChartSvg(series, {
    title: `${FIELD_LABELS[y]} against ${FIELD_LABELS[x]}`,
    xLabel: FIELD_LABELS[x],
    yLabel: FIELD_LABELS[y],
    ...options,
  });
}

/** A plottable field of a result; null (not measured) becomes NaN and is rejected. */
function value(result: EvalResult, field: PlotField): number {
  return result[field] ?? Number.NaN;
}
