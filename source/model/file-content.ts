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
 * Above this many cells of the common-subsequence table (after the common head and tail are cut),
 * the changed middle is shown as all of it removed, then all of it added: still a true diff, not
 * the shortest. A 16 KiB preview of one-character lines on both sides is 268 million cells (a
 * review measured 10 s and 2.3 GB with a table of numbers); 4 million is 16 MB and tens of ms.
 */
const MAX_DIFF_CELLS = 4_000_000;

type Op = { kind: ' ' | '-' | '+'; text: string; ai: number; bi: number };

/** a[lo..hiA) against b[lo2..hiB): the shortest edit by the common subsequence, or the plain one. */
function middleOps(
  a: readonly string[],
  b: readonly string[],
  a0: number,
  a1: number,
  b0: number,
  b1: number,
): Op[] {
  const n = a1 - a0;
  const m = b1 - b0;
  const ops: Op[] = [];
  if ((n + 1) * (m + 1) > MAX_DIFF_CELLS) {
    for (let x = a0; x < a1; x++) ops.push({ kind: '-', text: a[x] as string, ai: x, bi: b0 });
    for (let y = b0; y < b1; y++) ops.push({ kind: '+', text: b[y] as string, ai: a1, bi: y });
    return ops;
  }
  const w = m + 1;
  const lcs = new Uint32Array((n + 1) * w);
  for (let x = n - 1; x >= 0; x--)
    for (let y = m - 1; y >= 0; y--)
      lcs[x * w + y] =
        a[a0 + x] === b[b0 + y]
          ? (lcs[(x + 1) * w + y + 1] as number) + 1
          : Math.max(lcs[(x + 1) * w + y] as number, lcs[x * w + y + 1] as number);
  const at = (x: number, y: number) => lcs[x * w + y] as number;
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && a[a0 + i] === b[b0 + j]) {
      ops.push({ kind: ' ', text: a[a0 + i] as string, ai: a0 + i, bi: b0 + j });
      i++;
      j++;
    } else if (i < n && (j === m || at(i + 1, j) >= at(i, j + 1))) {
      ops.push({ kind: '-', text: a[a0 + i] as string, ai: a0 + i, bi: b0 + j });
      i++;
    } else {
      ops.push({ kind: '+', text: b[b0 + j] as string, ai: a0 + i, bi: b0 + j });
      j++;
    }
  }
  return ops;
}

/**
 * A unified diff (3 lines of context) of two texts as lines: the common head and tail, and the
 * middle by the longest common subsequence while its table stays small (MAX_DIFF_CELLS).
 */
export function unifiedDiff(a: readonly string[], b: readonly string[], context = 3): DiffLine[] {
  const n = a.length;
  const m = b.length;
  let head = 0;
  while (head < n && head < m && a[head] === b[head]) head++;
  let tail = 0;
  while (tail < n - head && tail < m - head && a[n - 1 - tail] === b[m - 1 - tail]) tail++;
  // ai/bi: lines of a and b consumed before the op (for the hunk headers).
  const ops: Op[] = [];
  for (let x = 0; x < head; x++) ops.push({ kind: ' ', text: a[x] as string, ai: x, bi: x });
  ops.push(...middleOps(a, b, head, n - tail, head, m - tail));
  for (let t = tail; t > 0; t--) ops.push({ kind: ' ', text: a[n - t] as string, ai: n - t, bi: m - t });
  // Hunks: changed lines with `context` unchanged lines around them.
  // An op is kept when a change lies within `context` of it: the nearest change before and after,
  // in two passes (marking each change's window was changes × context, quadratic at full context).
  const keep = ops.map(() => false);
  let last = Number.NEGATIVE_INFINITY;
  for (let k = 0; k < ops.length; k++) {
    if ((ops[k] as Op).kind !== ' ') last = k;
    keep[k] = k - last <= context;
  }
  let next = Number.POSITIVE_INFINITY;
  for (let k = ops.length - 1; k >= 0; k--) {
    if ((ops[k] as Op).kind !== ' ') next = k;
    if (next - k <= context) keep[k] = true;
  }
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
    const aLen = hunk.filter((h) => h.kind !== '+').length;
    const bLen = hunk.filter((h) => h.kind !== '-').length;
    // An empty range names the line before it, as diff -u does (@@ -0,0 +1,1 @@ for a new file).
    const aStart = (hunk[0]?.ai ?? 0) + (aLen ? 1 : 0);
    const bStart = (hunk[0]?.bi ?? 0) + (bLen ? 1 : 0);
    out.push({ kind: '@', text: `@@ -${aStart},${aLen} +${bStart},${bLen} @@` });
    for (const h of hunk) out.push({ kind: h.kind, text: h.text });
    k = end;
  }
  return out;
}
