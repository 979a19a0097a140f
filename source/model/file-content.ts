// What the files pane shows of one file, pure: text escaped line by line, anything else as a short
// hex dump; and a unified diff between the version below and this layer's version of a text file.
import { escapeBytes } from './escape.js';

/** Bytes layertop reads of a file for a preview (never the whole of a huge file). */
export const PREVIEW_BYTES = 16 * 1024;

export function isText(b: Uint8Array): boolean {
  if (b.includes(0)) return false;
  // Valid UTF-8 (a cut at the end of the preview is allowed).
  const text = new TextDecoder('utf-8', { fatal: false }).decode(b);
  const bad = (text.match(/\ufffd/g) ?? []).length;
  return bad <= 1;
}

/** Lines of a text preview, each escaped: no byte of a file reaches the terminal raw. */
export function textLines(b: Uint8Array): string[] {
  const lines: string[] = [];
  let start = 0;
  for (let i = 0; i <= b.length; i++) {
    if (i === b.length || b[i] === 0x0a) {
      if (i > start || i < b.length) lines.push(escapeBytes(b.subarray(start, i)));
      start = i + 1;
    }
  }
  return lines;
}

/** `xxd`-like rows: offset, 16 bytes in hex, printable ASCII. */
export function hexDump(b: Uint8Array, maxRows = 16): string[] {
  const rows: string[] = [];
  for (let off = 0; off < b.length && rows.length < maxRows; off += 16) {
    const chunk = b.subarray(off, off + 16);
    const hex = [...chunk].map((x) => x.toString(16).padStart(2, '0')).join(' ');
    const ascii = [...chunk].map((x) => (x >= 0x20 && x < 0x7f ? String.fromCharCode(x) : '.')).join('');
    rows.push(`${off.toString(16).padStart(8, '0')}  ${hex.padEnd(47)}  ${ascii}`);
  }
  return rows;
}

export type DiffLine = { kind: ' ' | '-' | '+' | '@'; text: string };

/**
 * A unified diff (3 lines of context) of two texts as lines, by the longest common subsequence.
 * Both inputs are capped previews, so the quadratic table stays small.
 */
export function unifiedDiff(a: readonly string[], b: readonly string[], context = 3): DiffLine[] {
  const n = a.length;
  const m = b.length;
  const lcs: number[][] = Array.from({ length: n + 1 }, () => new Array<number>(m + 1).fill(0));
  for (let x = n - 1; x >= 0; x--)
    for (let y = m - 1; y >= 0; y--)
      (lcs[x] as number[])[y] =
        a[x] === b[y]
          ? ((lcs[x + 1] as number[])[y + 1] as number) + 1
          : Math.max((lcs[x + 1] as number[])[y] as number, (lcs[x] as number[])[y + 1] as number);
  // ai/bi: lines of a and b consumed before the op (for the hunk headers).
  const ops: { kind: ' ' | '-' | '+'; text: string; ai: number; bi: number }[] = [];
  let i = 0;
  let j = 0;
  const at = (x: number, y: number) => (lcs[x] as number[])[y] as number;
  while (i < n || j < m) {
    if (i < n && j < m && a[i] === b[j]) {
      ops.push({ kind: ' ', text: a[i] as string, ai: i, bi: j });
      i++;
      j++;
    } else if (i < n && (j === m || at(i + 1, j) >= at(i, j + 1))) {
      ops.push({ kind: '-', text: a[i] as string, ai: i, bi: j });
      i++;
    } else {
      ops.push({ kind: '+', text: b[j] as string, ai: i, bi: j });
      j++;
    }
  }
  // Hunks: changed lines with `context` unchanged lines around them.
  const keep = ops.map(() => false);
  ops.forEach((op, k) => {
    if (op.kind === ' ') return;
    for (let d = Math.max(0, k - context); d <= Math.min(ops.length - 1, k + context); d++) keep[d] = true;
  });
  const out: DiffLine[] = [];
  let k = 0;
  while (k < ops.length) {
    if (!keep[k]) {
      k++;
      continue;
    }
    let end = k;
    while (end < ops.length && keep[end]) end++;
    const hunk = ops.slice(k, end);
    const aStart = (hunk[0]?.ai ?? 0) + 1;
    const bStart = (hunk[0]?.bi ?? 0) + 1;
    const aLen = hunk.filter((h) => h.kind !== '+').length;
    const bLen = hunk.filter((h) => h.kind !== '-').length;
    out.push({ kind: '@', text: `@@ -${aStart},${aLen} +${bStart},${bLen} @@` });
    for (const h of hunk) out.push({ kind: h.kind, text: h.text });
    k = end;
  }
  return out;
}
