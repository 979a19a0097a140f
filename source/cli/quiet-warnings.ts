// docker-modem builds every request URL with Node's legacy url.parse(), which makes Node print
// DEP0169 (and DEP0170 for some ports) on tcp:// and ssh:// runs. Those two say nothing to a
// layertop user; every other warning still goes out as Node prints it.

const SILENCED = new Set(['DEP0169', 'DEP0170']);

function codeOf(warning: unknown, rest: unknown[]): string | undefined {
  const [second, third] = rest;
  if (second && typeof second === 'object') return (second as { code?: string }).code;
  if (typeof third === 'string') return third;
  return (warning as { code?: string } | null)?.code;
}

let installed = false;

export function silenceUrlParseDeprecations(): void {
  if (installed) return;
  installed = true;
  const original = process.emitWarning;
  process.emitWarning = function emitWarning(this: unknown, warning: string | Error, ...rest: unknown[]) {
    const code = codeOf(warning, rest);
    if (code && SILENCED.has(code)) return;
    return (original as (...a: unknown[]) => void).call(process, warning, ...rest);
  } as typeof process.emitWarning;
}
