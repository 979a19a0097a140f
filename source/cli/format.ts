import { sizeText } from '../model/size-text.js';

export { sizeText };

/** A disk figure: "unknown" where the helper did not measure (null), never 0. */
export function diskSize(bytes: number | null | undefined): string {
  return bytes === null || bytes === undefined ? 'unknown' : sizeText(bytes);
}

/** Pads a table: columns left-aligned, three spaces apart, as docker's tabwriter does. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join('   ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}
