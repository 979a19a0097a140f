import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import type { EngineData } from '../engine-data.js';

// React as the bundle runs it (production): its development build keeps each element's owner and
// the stack that made it, which held every model in this test and holds none in a user's explorer.
// Set before React loads: everything that loads it is imported below, and this file has no JSX.
process.env.NODE_ENV = 'production';
const { createElement, useState } = await import('react');
const { render } = await import('ink-testing-library');
const { readyData, sampleModel } = await import('../../../test/support/model.js');
const { useSettledRender } = await import('../render-epoch.js');
const { Explorer } = await import('./Explorer.js');
const { heldSearchIndex, searchIndexReady } = await import('../search/search.js');

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const tick = (ms = 30) => new Promise((r) => setTimeout(r, ms));
const size = { columns: 140, rows: 30 };

/** As the app holds it: the engine data in a state above the explorer, replaced by a scan. */
type SetData = (d: EngineData | ((d: EngineData) => EngineData)) => void;

function Owner(props: { first: () => EngineData; give: (set: SetData) => void; settleMs: number }) {
  const [data, setData] = useState(props.first);
  props.give(setData);
  useSettledRender(data.model, setData, props.settleMs);
  return createElement(Explorer, { data, onQuit: () => {}, size });
}

/**
 * The explorer on a first model (made inside the state's initializer: nothing of the test holds it), then on
 * a second one as a rescan gives it; a weak reference to the first, and the screen.
 */
async function rescanned(
  settleMs: number,
  /** The next scan starts at once (engine events came meanwhile): its model comes with 'measuring'. */
  again = false,
): Promise<{ before: WeakRef<object>; frame: () => string }> {
  let set: SetData = () => {};
  const made: { before?: WeakRef<object> } = {};
  const first = () => {
    const model = sampleModel();
    made.before = new WeakRef(model);
    return readyData(model);
  };
  const r = render(createElement(Owner, { first, give: (s: SetData) => (set = s), settleMs }));
  await tick();
  // A scan under way (the model on screen stays), then its model.
  set((d) => ({ ...d, phase: 'measuring' }));
  await tick();
  set(again ? { ...readyData(sampleModel()), phase: 'measuring' } : readyData(sampleModel()));
  await tick(200);
  if (!made.before) throw new Error('the first model was not made');
  return { before: made.before, frame: () => r.lastFrame() ?? '' };
}

/** Waits up to 2 s for `cond` (a render's effects come after its frame, at the scheduler's pace). */
async function until(cond: () => boolean): Promise<boolean> {
  const end = Date.now() + 2_000;
  while (!cond() && Date.now() < end) await tick(20);
  return cond();
}

async function collected(ref: WeakRef<object>): Promise<boolean> {
  // A deref() keeps its target alive until the job that called it ends: each collection runs in
  // a job of its own.
  for (let i = 0; i < 4; i++) {
    await tick(10);
    gc();
    await tick(10);
    if (ref.deref() === undefined) return true;
  }
  return false;
}

// At 1,322 images a model is 21 MB. Two kept what nothing showed: React's copies of the render
// before a rescan's model came (until the next key), and the key handler Ink subscribed on the
// first render (for the explorer's life; with a last scan on launch, that scan's model). Each
// change alone fails a test here (checked by hand).
describe('Explorer: the model a rescan replaced', () => {
  it('is let go once the new one has settled', async () => {
    const { before, frame } = await rescanned(50);
    expect(frame()).toContain('LAYER');
    expect(await collected(before)).toBe(true);
  });

  it('is let go when the next scan starts at once, as back-to-back rescans do', async () => {
    const { before, frame } = await rescanned(50, true);
    expect(frame()).toContain('LAYER');
    expect(await collected(before)).toBe(true);
  });

  it('is still held without the settled render (what it is for)', async () => {
    const { before, frame } = await rescanned(60_000);
    expect(frame()).toContain('LAYER');
    expect(await collected(before)).toBe(false);
  });

  it('drops the search index of the model on screen while a rescan runs, unless a search is open', async () => {
    for (const searching of [false, true]) {
      const model = sampleModel();
      let set: SetData = () => {};
      const r = render(
        createElement(Owner, {
          first: () => readyData(model),
          give: (s: SetData) => (set = s),
          settleMs: 50,
        }),
      );
      await tick(400); // settled: its index is built after 200 ms
      expect(searchIndexReady(model)).toBeTypeOf('boolean');
      if (searching) {
        r.stdin.write('/');
        await tick();
        expect(r.lastFrame()).toMatch(/search/i);
      }
      const held = heldSearchIndex(model);
      set((d) => ({ ...d, phase: 'measuring' }));
      if (searching) {
        await tick(300);
        expect(heldSearchIndex(model)).toBe(held); // the same one: not dropped and built again
      } else expect(await until(() => searchIndexReady(model) === undefined)).toBe(true);
      expect(r.lastFrame()).toContain(searching ? 'search' : 'LAYER');
      if (!searching) {
        // A search opened meanwhile builds it again, before the first character.
        r.stdin.write('/');
        expect(await until(() => searchIndexReady(model) !== undefined)).toBe(true);
      }
      r.unmount();
    }
  });
});
