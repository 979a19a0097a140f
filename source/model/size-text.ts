/**
 * The one way layertop writes a byte count for people, in the explorer, `scan`, `prune` and
 * `files` alike: decimal units and three significant digits, rounded, as `docker images` prints
 * (go-units HumanSizeWithPrecision(n, 3)): 209,863,913 B is "210MB", 3,083,677 B is "3.08MB".
 * Unlike go-units, a value that rounds up to 1000 moves to the next unit ("1MB", never "1e+03kB").
 * Exact figures stay in bytes where they matter (JSON, the prune report's "(N bytes)").
 */
const UNITS = ['B', 'kB', 'MB', 'GB', 'TB', 'PB', 'EB'] as const;

export function sizeText(bytes: number): string {
  if (!Number.isFinite(bytes)) return '?';
  if (bytes < 0) return `-${sizeText(-bytes)}`;
  let v = bytes;
  let i = 0;
  while (v >= 1000 && i < UNITS.length - 1) {
    v /= 1000;
    i++;
  }
  let digits = sig3(v);
  if (Number(digits) >= 1000 && i < UNITS.length - 1) {
    v /= 1000;
    i++;
    digits = sig3(v);
  }
  return `${digits}${UNITS[i]}`;
}

/** Go's "%.3g" for 0 <= v < 1000 without exponent form: three significant digits, zeros dropped. */
function sig3(v: number): string {
  if (v === 0) return '0';
  const s = v.toPrecision(3);
  if (s.includes('e')) return String(Number(s));
  return s.includes('.') ? s.replace(/\.?0+$/, '') : s;
}

/** "1 entry", "2 entries": a count with its noun, singular for one. */
export function counted(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}
