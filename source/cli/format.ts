/**
 * Decimal sizes exactly as the docker CLI prints them (go-units HumanSize: 4 significant digits,
 * %g-style, units B kB MB GB TB PB), so layertop's table reads like `docker system df -v`.
 */
export function dockerSize(bytes: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB', 'PB', 'EB'];
  let v = bytes;
  let i = 0;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${goG4(v)}${units[i]}`;
}

/** A disk figure: "unknown" where the helper did not measure (null), never 0. */
export function diskSize(bytes: number | null | undefined): string {
  return bytes === null || bytes === undefined ? 'unknown' : dockerSize(bytes);
}

/** Go's fmt "%.4g" for 0 <= v < 1000: 4 significant digits, trailing zeros dropped. */
function goG4(v: number): string {
  if (v === 0) return '0';
  const s = v.toPrecision(4);
  if (s.includes('e')) return String(Number(s));
  return s.includes('.') ? s.replace(/\.?0+$/, '') : s;
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
