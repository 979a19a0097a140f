// Waiting in component tests: a short pause for Ink to draw, and a wait for an asynchronous step
// (a re-scan, a listing, a run) that polls instead of guessing how long the step takes.
export const tick = (ms = 40) => new Promise((r) => setTimeout(r, ms));

export async function until(cond: () => boolean, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out waiting for the screen');
    await tick(20);
  }
}
