import { createContext, useContext } from 'react';

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
