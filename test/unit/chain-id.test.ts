import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { chainIds } from '../../source/model/chain-id.js';

const d = (n: number) => `sha256:${String(n).repeat(64).slice(0, 64)}`;

describe('chainIds', () => {
  it('keeps the first diffID and hashes "<parent> <diffID>" after it (OCI image spec)', () => {
    const ids = chainIds([d(1), d(2), d(3)]);
    const second = `sha256:${createHash('sha256')
      .update(`${d(1)} ${d(2)}`)
      .digest('hex')}`;
    const third = `sha256:${createHash('sha256')
      .update(`${second} ${d(3)}`)
      .digest('hex')}`;
    expect(ids).toEqual([d(1), second, third]);
  });

  it('gives the same layer on top of different bases different chain IDs', () => {
    const [, a] = chainIds([d(1), d(3)]);
    const [, b] = chainIds([d(2), d(3)]);
    expect(a).not.toEqual(b);
  });
});
