import { describe, expect, it } from 'vitest';
import { withoutFetch } from '../../source/cli/without-fetch.js';

describe('loading the UI without fetch', () => {
  it('hides fetch while the load runs and puts the same one back, also when the load fails', async () => {
    const before = Object.getOwnPropertyDescriptor(globalThis, 'fetch');
    expect(await withoutFetch(async () => typeof globalThis.fetch)).toBe('undefined');
    expect(Object.getOwnPropertyDescriptor(globalThis, 'fetch')).toEqual(before);
    await expect(
      withoutFetch(async () => {
        throw new Error('no UI');
      }),
    ).rejects.toThrow('no UI');
    expect(Object.getOwnPropertyDescriptor(globalThis, 'fetch')).toEqual(before);
    expect(typeof globalThis.fetch).toBe('function');
  });
});
