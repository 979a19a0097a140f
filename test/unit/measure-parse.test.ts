import { describe, expect, it } from 'vitest';
import { parseMeasure } from '../../source/engine/measure-parse.js';

describe('parseMeasure', () => {
  it('counts Docker bytes over the content part only, and disk bytes over everything', () => {
    const out = [
      '@',
      '10 3 4096 8 41ed', // layer dir itself
      '11 1 26 8 81a4', // "link" file: disk only
      '=',
      '20 2 4096 8 41ed', // diff/
      '21 2 5000 16 81a4', // a file with two names
      '21 2 5000 16 81a4', // ... seen again through its second name
      '22 1 10 0 a1ff', // a symlink: 10 bytes of target, no blocks
      '23 1 0 0 2000', // a whiteout (char device 0/0)
      '',
    ].join('\n');
    const [m] = parseMeasure(out, true);
    expect(m).toEqual({
      apparentBytes: 5010,
      diskBytes: (8 + 8 + 8 + 16) * 512,
      entries: 7,
      missing: false,
      partial: false,
    });
  });

  it('keeps directories apart and in request order, and reports missing ones', () => {
    const out = '@\n1 1 7 8 81a4\n@\n?\n@\n2 1 9 8 81a4\n!\n';
    const r = parseMeasure(out, false);
    expect(r.map((m) => m.apparentBytes)).toEqual([7, 0, 9]);
    expect(r[1]?.missing).toBe(true);
    expect(r[2]?.partial).toBe(true);
  });

  it('marks a line it cannot read as partial instead of guessing', () => {
    const [m] = parseMeasure('@\n1 1 x 8 81a4\n1 2 3\n', false);
    expect(m?.partial).toBe(true);
    expect(m?.apparentBytes).toBe(0);
  });
});
