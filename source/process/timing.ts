import { appendFileSync } from 'node:fs';

/**
 * LAYERTOP_TIMING_FILE=path: appends "<event> <ms since the process started>" lines, so that
 * `npm run bench` can time start-up milestones from inside the process.
 */
export function mark(event: string): void {
  const file = process.env.LAYERTOP_TIMING_FILE;
  if (!file) return;
  try {
    appendFileSync(file, `${event} ${performance.now().toFixed(1)}\n`);
  } catch {
    // timing is best effort
  }
}
