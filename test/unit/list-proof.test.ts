// When an engine's image list may be remembered with a stamp of the store's state
// (answerReflectsStamp): a change of the stamped files between the asking and the stamp must
// never let the answer be remembered.
import { describe, expect, it } from 'vitest';
import { ASKED_BEFORE_STAMP_MARGIN_MS, answerReflectsStamp } from '../../source/engine/list-proof.js';

describe('answerReflectsStamp', () => {
  it('takes an answer asked after the stamp, whatever the times', () => {
    expect(answerReflectsStamp('after-proof', undefined, undefined, undefined)).toBe(true);
  });

  it('takes an answer asked before the stamp when the state stood still since before the asking, with the margin', () => {
    // Asked at 1,000 ms, the stamp back at 1,400: the state must have stood still 400 ms + the margin.
    expect(answerReflectsStamp('engine', 1_000, 1_400, 5_000)).toBe(true);
    expect(answerReflectsStamp('engine', 1_000, 1_400, 400 + ASKED_BEFORE_STAMP_MARGIN_MS + 1)).toBe(true);
  });

  it('refuses one whose stamped files changed after the asking, or too near it to tell', () => {
    // The state changed 300 ms before the stamp was read, 100 ms after the engine was asked.
    expect(answerReflectsStamp('engine', 1_000, 1_400, 300)).toBe(false);
    // Changed before the asking, but within the margin.
    expect(answerReflectsStamp('engine', 1_000, 1_400, 400 + ASKED_BEFORE_STAMP_MARGIN_MS)).toBe(false);
  });

  it('refuses what it cannot time, and a list that did not come from the engine', () => {
    expect(answerReflectsStamp('engine', undefined, 1_400, 60_000)).toBe(false);
    expect(answerReflectsStamp('engine', 1_000, undefined, 60_000)).toBe(false);
    expect(answerReflectsStamp('engine', 1_000, 1_400, undefined)).toBe(false);
    expect(answerReflectsStamp('known', 1_000, 1_400, 60_000)).toBe(false);
  });
});
