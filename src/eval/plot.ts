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
/** Share of the data range added on each side of a linear axis, so no point sits on the frame. */
const AXIS_PADDING = 0.04;
const TICK_LENGTH = 5;
const POINT_RADIUS = 3.5;
const LEGEND_ROW = 18;
const LEGEND_GAP = 16;
const SWATCH = 12;
/** Space between a swatch and its name, and after the longest name. */
const LEGEND_PAD = 6;
/** Width of one character of 12px sans-serif text, rounded up: names are never cut off. */
const CHAR_WIDTH = 7.5;
/** Horizontal position of the rotated y axis label. */
const Y_LABEL_X = 16;
const GRID = '#eee';
const INK = '#333';
const SVG_NAMESPACE = 'http://www.w3.org/2000/svg';
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

/** A linear axis over [min, max], padded, then widened to whole steps of 1, 2 or 5 times 10^n. */
function linearAxis(dataMin: number, dataMax: number): Axis {
  const pad = (dataMax - dataMin) * AXIS_PADDING;
  let [min, max] = [dataMin - pad, dataMax + pad];
  const span = max - min || Math.abs(max) || 1;
  if (max === min) [min, max] = [min - span / 2, max + span / 2];
  const rough = (max - min) / TICK_TARGET;
  const power = 10 ** Math.floor(Math.log10(rough));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= rough) ?? 10 * power;
  const low = Math.floor(min / step) * step;
  const high = Math.ceil(max / step) * step;

  const ticks: number[] = [];
  for (let i = 0; low + i * step <= high + step / 2; i++) {
    ticks.push(Number((low + i * step).toPrecision(12)));
  }
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

/** Attribute values: numbers are rounded to 2 decimals, strings escaped. */
type Attributes = Record<string, string | number>;

/** One SVG element; `content` is already-escaped markup (or text passed through escapeXml). */
function el(name: string, attributes: Attributes, content?: string): string {
  const attrs = Object.entries(attributes)
    .map(([key, value]) => {
      const text = typeof value === 'number' ? String(Number(value.toFixed(2))) : value;
      return ` ${key}="${escapeXml(text)}"`;
    })
    .join('');
  return content === undefined ? `<${name}${attrs}/>` : `<${name}${attrs}>${content}</${name}>`;
}

/** The plot area. */
interface Box {
  left: number;
  top: number;
  width: number;
  height: number;
}

/** Draws the grid, ticks and tick labels of both axes and the frame of the plot area. */
function drawAxes(x: Axis, y: Axis, box: Box): string[] {
  const out: string[] = [];
  const bottom = box.top + box.height;
  const right = box.left + box.width;
  for (const tick of x.ticks) {
    const px = box.left + x.fraction(tick) * box.width;
    out.push(el('line', { x1: px, y1: box.top, x2: px, y2: bottom, stroke: GRID }));
    out.push(el('line', { x1: px, y1: bottom, x2: px, y2: bottom + TICK_LENGTH, stroke: INK }));
    out.push(el('text', { x: px, y: bottom + 18, 'text-anchor': 'middle' }, short(tick)));
  }
  for (const tick of y.ticks) {
    const py = box.top + (1 - y.fraction(tick)) * box.height;
    out.push(el('line', { x1: box.left, y1: py, x2: right, y2: py, stroke: GRID }));
    out.push(el('line', { x1: box.left - TICK_LENGTH, y1: py, x2: box.left, y2: py, stroke: INK }));
    out.push(el('text', { x: box.left - 8, y: py + 4, 'text-anchor': 'end' }, short(tick)));
  }
  const frame = { x: box.left, y: box.top, width: box.width, height: box.height };
  out.push(el('rect', { ...frame, fill: 'none', stroke: INK }));
  return out;
}

/** The axis labels: x centred below the plot area, y rotated left of it. */
function drawLabels(box: Box, options: PlotOptions): string[] {
  const midX = box.left + box.width / 2;
  const midY = box.top + box.height / 2;
  const bottom = box.top + box.height;
  const xLabel = escapeXml(options.xLabel ?? 'x');
  const yLabel = escapeXml(options.yLabel ?? 'y');
  const rotate = `rotate(-90 ${Y_LABEL_X} ${midY})`;
  return [
    el('text', { x: midX, y: bottom + 40, 'text-anchor': 'middle' }, xLabel),
    el('text', { x: Y_LABEL_X, y: midY, 'text-anchor': 'middle', transform: rotate }, yLabel),
  ];
}

/** One series: its polyline and its point markers. */
function drawSeries(series: PlotSeries, color: string, x: Axis, y: Axis, box: Box): string[] {
  const coords = series.points.map((p) => [
    Number((box.left + x.fraction(p.x) * box.width).toFixed(2)),
    Number((box.top + (1 - y.fraction(p.y)) * box.height).toFixed(2)),
  ]);
  const path = coords.map(([px, py]) => `${px},${py}`).join(' ');
  const line = el('polyline', { points: path, fill: 'none', stroke: color, 'stroke-width': 2 });

  const markers = series.points.map((p, i) => {
    const tip = escapeXml(`${series.name}: x ${short(p.x)}, y ${short(p.y)}`);
    const [cx, cy] = coords[i];
    const attributes = { cx, cy, r: POINT_RADIUS, fill: color, 'data-series': series.name };
    return el(
      'circle',
      { ...attributes, 'data-x': String(p.x), 'data-y': String(p.y) },
      el('title', {}, tip),
    );
  });
  return [el('g', { 'data-series': series.name }, ['', line, ...markers, ''].join('\n'))];
}

/** The legend: a colour swatch and the name of each series, right of the plot area. */
function drawLegend(series: readonly PlotSeries[], box: Box): string[] {
  const left = box.left + box.width + LEGEND_GAP;
  return series.map((s, i) => {
    const top = box.top + i * LEGEND_ROW;
    const swatch = el('rect', { x: left, y: top, width: SWATCH, height: SWATCH, fill: colorOf(i) });
    const x = left + SWATCH + LEGEND_PAD;
    const name = el('text', { x, y: top + SWATCH - 2 }, escapeXml(s.name));
    return el('g', { class: 'legend' }, swatch + name);
  });
}

/** Room the legend needs right of the plot area. */
function legendWidth(series: readonly PlotSeries[]): number {
  const longest = Math.max(0, ...series.map((s) => s.name.length));
  return Math.ceil(LEGEND_GAP + SWATCH + LEGEND_PAD + longest * CHAR_WIDTH + LEGEND_PAD);
}

/** The colour of series `i`. */
function colorOf(i: number): string {
  return PALETTE[i % PALETTE.length];
}

/** Renders the series as a standalone SVG document. */
export function lineChartSvg(series: readonly PlotSeries[], options: PlotOptions = {}): string {
  const logX = options.logX ?? false;
  checkPoints(series, logX);
  const all = series.flatMap((s) => s.points);
  if (all.length === 0) throw invalidArgument('series', 'at least one point', 0);

  // The plot area keeps the asked size; the picture grows to the right for long legend names.
  const height = options.height ?? DEFAULT_HEIGHT;
  const box = {
    left: MARGIN.left,
    top: MARGIN.top,
    width: (options.width ?? DEFAULT_WIDTH) - MARGIN.left - MARGIN.right,
    height: height - MARGIN.top - MARGIN.bottom,
  };
  const width = box.left + box.width + Math.max(MARGIN.right, legendWidth(series));
  const xs = all.map((p) => p.x);
  const ys = all.map((p) => p.y);
  const xAxis = (logX ? logAxis : linearAxis)(Math.min(...xs), Math.max(...xs));
  const yAxis = linearAxis(Math.min(...ys), Math.max(...ys));
  const title = escapeXml(options.title ?? '');

  const body = [
    el('title', {}, title),
    el('rect', { width, height, fill: '#fff' }),
    el('text', { x: box.left, y: 24, 'font-size': 14, 'font-weight': 'bold' }, title),
    ...drawAxes(xAxis, yAxis, box),
    ...drawLabels(box, options),
    ...series.flatMap((s, i) => drawSeries(s, colorOf(i), xAxis, yAxis, box)),
    ...drawLegend(series, box),
  ];
  const root = { xmlns: SVG_NAMESPACE, width, height, viewBox: `0 0 ${width} ${height}` };
  const font = { 'font-family': 'sans-serif', 'font-size': 12 };
  return `${el('svg', { ...root, ...font }, ['', ...body, ''].join('\n'))}\n`;
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
