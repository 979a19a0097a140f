// Whether an image list the engine answered can be remembered with a stamp of the store's state
// (scan.ts, rememberImageList): only if the answer reflects that very state.
import type { ImageListSource } from './docker/inventory.js';

/**
 * How much sooner than the stamped state's stillness an answer asked before the stamp must have
 * been asked: the stamp's age is the engine host's clock, the asking layertop's (two clocks that
 * tick at one rate, not from one origin: only differences are compared).
 */
export const ASKED_BEFORE_STAMP_MARGIN_MS = 500;

/**
 * True when the engine's answer reflects the stamped state: it was asked after the stamp was read
 * (`after-proof`), or before it by less than the state had already stood still when the stamp was
 * read (`stillMs`, less a margin), so that no change of the stamped files came between the asking
 * and the stamp. `askedAt` and `stampAt` are this process's clock (performance.now()): when the
 * engine was asked, and when the stamp came back (later than it was read: on the safe side). A
 * step of the host's clock between a change and the stamp could make that change look older (as
 * it could for the stamp's `settled`); the answer is still held to the stamped state's images and
 * tags (ImageListStamp.matches) before it is remembered.
 */
export function answerReflectsStamp(
  from: ImageListSource,
  askedAt: number | undefined,
  stampAt: number | undefined,
  stillMs: number | undefined,
): boolean {
  if (from === 'after-proof') return true;
  if (from !== 'engine' || askedAt === undefined || stampAt === undefined || stillMs === undefined)
    return false;
  return stampAt - askedAt + ASKED_BEFORE_STAMP_MARGIN_MS < stillMs;
}
