import { appendFileSync } from 'node:fs';

/**
 * LAYERTOP_TIMING_FILE=path: appends "<event> <ms since the process started>" lines, so that
 * `npm run bench` can time start-up milestones from inside the process.
 */
export function mark(event: string): void {
  const file = process.env.LAYERTOP_TIMING_FILE;
  if (!file) return;
  try {
    // LAYERTOP_TIMING_MEMORY=1 adds the process's memory at the mark (MB: rss, heap used, external: Buffers and WebAssembly included).
    const m = process.env.LAYERTOP_TIMING_MEMORY ? process.memoryUsage() : undefined;
    // ... and the page faults so far: on a VM that backs memory lazily each costs 10+ µs.
    const mem = m
      ? ` ${[m.rss, m.heapUsed, m.external].map((b) => Math.round(b / 2 ** 20)).join(' ')} ${process.resourceUsage().minorPageFault}`
      : '';
    appendFileSync(file, `${event} ${performance.now().toFixed(1)}${mem}\n`);
  } catch {
    // timing is best effort
  }
}
