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

  it('answers the same when asked again and for images sharing a base (remembered hashes)', () => {
    const first = chainIds([d(4), d(5), d(6)]);
    expect(chainIds([d(4), d(5), d(6)])).toEqual(first);
    const branch = chainIds([d(4), d(5), d(7)]);
    expect(branch.slice(0, 2)).toEqual(first.slice(0, 2));
    expect(branch[2]).not.toEqual(first[2]);
    expect(branch[2]).toBe(
      `sha256:${createHash('sha256')
        .update(`${first[1]} ${d(7)}`)
        .digest('hex')}`,
    );
  });
});

describe('chainIds of a list asked again', () => {
  it('gives the very answer of the first ask for the same list, and an equal one for a copy', () => {
    const list = [d(1), d(8), d(9)];
    const first = chainIds(list);
    expect(chainIds(list)).toBe(first);
    expect(chainIds([...list])).toEqual(first);
  });
});
