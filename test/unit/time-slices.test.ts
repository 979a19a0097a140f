import { describe, expect, it } from 'vitest';
import { timeSlices } from '../../source/process/time-slices.js';

describe('timeSlices', () => {
  it('lets the event loop turn once the slice has passed, and not before', async () => {
    // A slice long enough that a runner's stall cannot end it before the first turns are taken.
    const turn = timeSlices(200);
    let turned = 0;
    const watch = () =>
      setImmediate(() => {
        turned++;
      });
    watch();
    // Within the slice: the work goes on, nothing else runs in between.
    await turn();
    await turn();
    expect(turned).toBe(0);
    // Past it: what waited (input, replies; here the immediate) runs before the work goes on.
    const until = performance.now() + 210;
    while (performance.now() < until);
    await turn();
    expect(turned).toBe(1);
    // And the slice starts again from that turn.
    watch();
    await turn();
    expect(turned).toBe(1);
  });
});
