import prettyBytes from 'pretty-bytes';

/** Sizes on screen: decimal units like Docker. pretty-bytes truncates the last digit (8,192 B is
 * "8.1 kB"), so the screen never overstates what a removal frees. */
export function size(n: number | null | undefined): string {
  if (n === null || n === undefined) return '…';
  return prettyBytes(n, { maximumFractionDigits: 1 });
}

export const shortId = (id: string): string => id.replace(/^sha256:/, '').slice(0, 12);

/** Cuts to `width` terminal cells (text is already escaped, so one char is one cell here). */
export function fitCells(s: string, width: number): string {
  if (width <= 0) return '';
  if (s.length <= width) return s.padEnd(width);
  return `${s.slice(0, Math.max(0, width - 1))}…`;
}
