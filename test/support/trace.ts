// LT_TEST_TRACE=<file>: each traced step of a test (a layertop run, a docker command, an engine's
// start, a wait for the data root to settle) appends "<start time> <seconds> <label>" to the file,
// to see where an integration test's time goes (CI runs are bound by two cores).
import { appendFileSync } from 'node:fs';
/** Runs fn, timed into LT_TEST_TRACE when that is set. */
export async function traced<T>(label: string, fn: () => Promise<T>): Promise<T> {
  const f = process.env.LT_TEST_TRACE;
  if (!f) return fn();
  const t0 = Date.now();
  try {
    return await fn();
  } finally {
    appendFileSync(
      f,
      `${new Date(t0).toISOString().slice(11, 23)} ${((Date.now() - t0) / 1000).toFixed(2)} ${label}\n`,
    );
  }
}
