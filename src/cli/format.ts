/** Plain-text tables and snippets for the CLI's readable output. */
import type { ExplainedHit, SearchResponse } from '../server/operations.js';

/** Characters of document text shown in a result row. */
const SNIPPET_LENGTH = 70;
/** Token matches shown per hit with `--explain`, strongest first. */
const SHOWN_MATCHES = 12;

/** Renders rows as columns separated by two spaces; numeric columns right-aligned. */
export function table(header: string[], rows: string[][], numeric: boolean[] = []): string {
  const widths = header.map((title, col) =>
    Math.max(title.length, ...rows.map((row) => row[col].length)),
  );
  const line = (cells: string[]) =>
    cells
      .map((cell, col) => (numeric[col] ? cell.padStart(widths[col]) : cell.padEnd(widths[col])))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((width) => '-'.repeat(width))), ...rows.map(line)].join(
    '\n',
  );
}

/** One line of text, cut to `length` characters with an ellipsis. */
export function snippet(text: string | undefined, length = SNIPPET_LENGTH): string {
  const flat = (text ?? '').replace(/\s+/g, ' ').trim();
  return flat.length > length ? `${flat.slice(0, length - 1)}…` : flat;
}

/** The result table of a search, with matched words under each hit when explained. */
export function searchTable(response: SearchResponse): string {
  const rows = response.hits.map((hit, rank) => [
    String(rank + 1),
    hit.score.toFixed(4),
    hit.id,
    snippet(hit.text),
  ]);
  const lines = [table(['#', 'score', 'id', 'text'], rows, [true, true, false, false])];
  if (response.hits.some((hit) => hit.matches)) {
    lines.push('', 'matched words (query word -> document word, similarity):');
    for (const [rank, hit] of response.hits.entries())
      lines.push(`${rank + 1}. ${hit.id}: ${matchLine(hit)}`);
  }
  return lines.join('\n');
}

function matchLine(hit: ExplainedHit): string {
  const matches = [...(hit.matches ?? [])]
    .sort((a, b) => b.score - a.score)
    .slice(0, SHOWN_MATCHES);
  return matches
    .map(
      (match) =>
        `${match.queryText ?? `#${match.queryToken}`} -> ${match.docText ?? `#${match.docToken}`} ${match.score.toFixed(2)}`,
    )
    .join(', ');
}

/** The statistics block of `--stats`. */
export function statsBlock(response: SearchResponse): string {
  const { stats } = response;
  const t = stats.timings;
  const rows = [
    ['strategy', stats.strategy],
    ['query tokens', String(stats.queryTokens)],
    ['candidates fetched', String(stats.candidatesFetched)],
    ['exact scorings', String(stats.exactScorings)],
    ['encode ms', t.encodeMs.toFixed(2)],
    ['candidates ms', t.candidatesMs.toFixed(2)],
    ['re-rank ms', t.rerankMs.toFixed(2)],
    ['total ms', t.totalMs.toFixed(2)],
  ];
  return table(['stage', 'value'], rows, [false, true]);
}

/** Bytes in binary units. */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(unit === 0 ? 0 : 1)} ${units[unit]}`;
}
