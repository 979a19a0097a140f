/**
 * Turns of the event loop for a long stretch of work on the UI's thread: `await turn()` costs a
 * clock read and a microtask until `sliceMs` have passed since the last turn (or since
 * timeSlices was called), then lets input and replies that came meanwhile be handled
 * (setImmediate) before the work goes on. The explorer measures while it
 * takes keys: a key pressed during 150 ms of parsing waited for all of it (issue 14: key to frame
 * p95 <= 50 ms while measuring).
 */
export function timeSlices(
  sliceMs = 8,
  /** What a turn does instead of a bare setImmediate (the size cache's save writes what it made). */
  pause: () => Promise<void> = () => new Promise<void>((r) => setImmediate(r)),
): () => Promise<void> {
  let start = performance.now();
  return async () => {
    if (performance.now() - start <= sliceMs) return;
    await pause();
    start = performance.now();
  };
}
