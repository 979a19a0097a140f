import { createContext, type Dispatch, type SetStateAction, useContext, useEffect } from 'react';

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
 * Raises the state's `renderEpoch` (what the tree's RenderEpoch is given) once `model` has stayed
 * for `ms`: the explorer, its hooks and every memoized component then render once more, and
 * React's copies of the render before, which held the model before, are made anew. Keyed on the
 * model alone: back-to-back rescans set the next model and 'measuring' in one render.
 */
export function useSettledRender<D extends { renderEpoch?: number | undefined }>(
  model: object | undefined,
  setData: Dispatch<SetStateAction<D>>,
  ms = SETTLE_RENDER_MS,
): void {
  useEffect(() => {
    if (!model) return;
    const t = setTimeout(() => setData((d) => ({ ...d, renderEpoch: (d.renderEpoch ?? 0) + 1 })), ms);
    t.unref?.();
    return () => clearTimeout(t);
  }, [model, setData, ms]);
}
