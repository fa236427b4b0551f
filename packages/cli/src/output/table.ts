import { printable } from '../cli-error';

/**
 * Left-aligned columns two spaces apart, as `docker ps` and `kubectl get` print them.
 * Cells are made printable: names come from the server and must not drive the terminal.
 */
export function renderTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const cells = [headers, ...rows].map((row) => row.map((cell) => printable(cell)));
  const widths = headers.map((_, column) => Math.max(...cells.map((row) => (row[column] ?? '').length)));
  return cells
    .map((row) => row.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join('  ').trimEnd())
    .join('\n')
    .concat('\n');
}

/** `key  value` lines with the keys aligned, for one record. */
export function renderDetails(pairs: readonly (readonly [string, string])[]): string {
  const width = Math.max(...pairs.map(([key]) => key.length));
  return pairs.map(([key, value]) => `${key.padEnd(width)}  ${printable(value)}`.trimEnd()).join('\n').concat('\n');
}
