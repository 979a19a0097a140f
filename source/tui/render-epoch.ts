import { createContext, useContext, useEffect } from 'react';

/**
 * Bumped once after a new model has settled (see useEngineData). React keeps a second copy of each
 * component (its alternate) as it was one render before; after a rescan those copies held the
 * model before (21 MB at 1,322 images, in a heap snapshot) until the next key press. Every
 * memoized component reads this, so that one render after the bump reaches it too, and the copies
 * kept then hold the current model.
 */
export const RenderEpoch = createContext(0);

export function useRenderEpoch(): number {
  return useContext(RenderEpoch);
}

/**
 * How long a measured model stays before the render that lets go of the one before: sooner than
 * its search index is built (200 ms, Explorer), so that the two models' indexes are never held
 * together.
 */
export const SETTLE_RENDER_MS = 100;

/**
 * Calls `bump` (which must raise the RenderEpoch given to the tree) once `model` has stayed for
 * `ms`: the explorer, its hooks and every memoized component then render once more, and React's
 * copies of the render before, which held the model before, are made anew. `model` is undefined
 * while it is not settled (a scan under way): nothing is asked then.
 */
export function useSettledRender(model: object | undefined, bump: () => void, ms = SETTLE_RENDER_MS): void {
  // biome-ignore lint/correctness/useExhaustiveDependencies: once per model; bump only raises a counter
  useEffect(() => {
    if (!model) return;
    const t = setTimeout(bump, ms);
    t.unref?.();
    return () => clearTimeout(t);
  }, [model, ms]);
}
