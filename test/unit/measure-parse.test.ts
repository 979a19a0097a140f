import { describe, expect, it } from 'vitest';
import { parseMeasure } from '../../source/engine/measure-parse.js';

describe('parseMeasure', () => {
  it('counts Docker bytes over the content subdirectory, disk bytes over the whole layer directory', () => {
    const out = [
      'C +',
      'T +',
      '=C',
      'C 8 20',
      '8 20 2 4096 8 41ed', // diff/ itself
      '8 21 2 5000 16 81a4', // a file with two names
      '8 21 2 5000 16 81a4', // ... seen again through its second name
      '8 22 1 10 0 a1ff', // a symlink: 10 bytes of target, no blocks
      '8 23 1 0 0 2000', // a whiteout (char device 0/0)
      '=T',
      'T 8 10',
      '8 10 3 4096 8 41ed', // the layer dir itself
      '8 11 1 26 8 81a4', // "link" file: disk only
    ].join('\n');
    const [m] = parseMeasure(out, 1, true);
    expect(m).toEqual({
      apparentBytes: 5010,
      diskBytes: (8 + 16 + 8 + 8) * 512,
      contentDiskBytes: (8 + 16) * 512,
      entries: 7,
      missing: false,
      partial: false,
    });
  });

  it('splits one pass over several roots at each root’s own line, in request order', () => {
    const out = [
      'C +',
      'C ?',
      'C +',
      '=C',
      'C 8 100',
      'C 8 200',
      '8 100 2 4096 8 41ed',
      '8 101 1 7 8 81a4',
      '8 102 2 4096 8 41ed', // a subdirectory of the first root
      '8 103 1 1 8 81a4',
      '8 200 2 4096 8 41ed', // the third requested directory starts here
      '8 201 1 9 8 81a4',
    ].join('\n');
    const r = parseMeasure(out, 3, false);
    expect(r.map((m) => [m.apparentBytes, m.diskBytes, m.missing])).toEqual([
      [8, 4 * 4096, false],
      [0, 0, true],
      [9, 2 * 4096, false],
    ]);
  });

  it('marks the batch partial when find reported an error, and a line it cannot read', () => {
    const r = parseMeasure('C +\n=C\nC 1 1\n1 1 2 4096 8 41ed\n1 2 x\n!\n', 1, false);
    expect(r[0]?.partial).toBe(true);
    expect(r[0]?.diskBytes).toBe(4096);
  });
});
