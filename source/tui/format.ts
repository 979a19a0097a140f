import { sizeText } from '../model/size-text.js';

/** Sizes on screen, the same text as the CLI's (model/size-text.ts); "…" while not yet known. */
export function size(n: number | null | undefined): string {
  if (n === null || n === undefined) return '…';
  return sizeText(n);
}

/** A disk figure: "?" where the helper did not measure it (null: no helper), never 0. */
export function disk(n: number | null | undefined): string {
  return n === null || n === undefined ? '?' : size(n);
}

export { shortId } from '../model/digest.js';

/** Cuts to `width` terminal cells (text is already escaped, so one char is one cell here). */
/**
 * As fitCells, cut at the start: what tells hosts apart is at their end (the socket's directory,
 * the machine's name), where two "unix:///tmp/lt-tr…" cells read the same.
 */
export function fitCellsEnd(s: string, width: number): string {
  if (width <= 0) return '';
  if (s.length <= width) return s.padEnd(width);
  return `…${s.slice(s.length - Math.max(0, width - 1))}`;
}

export function fitCells(s: string, width: number): string {
  if (width <= 0) return '';
  if (s.length <= width) return s.padEnd(width);
  return `${s.slice(0, Math.max(0, width - 1))}…`;
}
