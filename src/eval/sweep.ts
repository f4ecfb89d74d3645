/**
 * Parameter sweeps: `--sweep candidates=50,100,200` runs one evaluation per value, and the
 * results become one table row each and one point each on a recall/latency plot (plot.ts).
 */
import { invalidArgument } from '../errors.js';
import { type EvalResult, formatValue } from './report.js';

/** A parsed sweep: the parameter and its values, in the order given. */
export interface SweepSpec {
  parameter: string;
  values: number[];
}

/** Parameters `--sweep` accepts unless the caller allows others. */
export const SWEEP_PARAMETERS: readonly string[] = Object.freeze(['candidates']);

/**
 * Parses `name=v1,v2,...` (positive integers, no repeats, spaces ignored) into a
 * {@link SweepSpec}. `allowed` lists the parameter names accepted.
 */
export function parseSweep(spec: string, allowed: readonly string[] = SWEEP_PARAMETERS): SweepSpec {
  const expected = `name=v1,v2,... with name one of ${allowed.join(', ')}`;
  const match = /^\s*([A-Za-z][\w-]*)\s*=(.*)$/.exec(spec);
  if (!match) throw invalidArgument('sweep', expected, spec, 'Example: candidates=50,100,200');
  const [, parameter, list] = match;
  if (!allowed.includes(parameter)) throw invalidArgument('sweep', expected, spec);

  const values = list.split(',').map((item) => Number(item.trim() === '' ? Number.NaN : item));
  for (const [i, value] of values.entries()) {
    if (!Number.isInteger(value) || value <= 0) {
      throw invalidArgument(
        `sweep ${parameter} value ${i + 1}`,
        'a positive integer',
        list.split(',')[i],
      );
    }
    if (values.indexOf(value) !== i) {
      throw invalidArgument(
        `sweep ${parameter} value ${i + 1}`,
        'a value not already listed',
        value,
      );
    }
  }
  return { parameter, values };
}

/** One evaluated point of a sweep: a series (strategy or preset), its value, the result. */
export interface SweepPoint {
  /** Name of the curve the point belongs to, e.g. `fde (paper)` or `tokens`. */
  series: string;
  /** The swept parameter's value. */
  value: number;
  result: EvalResult;
}

/** Columns of the sweep table: header and how to read the cell from a point. */
const COLUMNS: ReadonlyArray<[string, (point: SweepPoint) => string | number | null]> = [
  ['series', (p) => p.series],
  ['value', (p) => p.value],
  ['recall@10 vs exact', (p) => p.result.recallVsExactAt10],
  ['recall@100 vs exact', (p) => p.result.recallVsExactAt100],
  ['nDCG@10', (p) => p.result.ndcgAt10],
  ['Recall@100', (p) => p.result.recallAt100],
  ['p50 ms', (p) => p.result.latencyMsP50],
  ['p95 ms', (p) => p.result.latencyMsP95],
  ['queries/s', (p) => p.result.qps],
];

/** Table layouts: GitHub markdown, or plain text with aligned columns. */
export type TableFormat = 'markdown' | 'text';

/** The sweep as a table, one row per point; `parameter` names the value column. */
export function formatSweepTable(
  points: readonly SweepPoint[],
  { format = 'markdown', parameter = 'value' }: { format?: TableFormat; parameter?: string } = {},
): string {
  const header = COLUMNS.map(([name]) => (name === 'value' ? parameter : name));
  const rows = points.map((point) => COLUMNS.map(([, cell]) => formatValue(cell(point))));

  if (format === 'markdown') {
    const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
    return `${[line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n')}\n`;
  }
  const widths = header.map((name, c) =>
    Math.max(name.length, ...rows.map((row) => row[c].length)),
  );
  const line = (cells: string[]) =>
    cells
      .map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c])))
      .join('  ');
  return `${[line(header), ...rows.map(line)].join('\n')}\n`;
}
