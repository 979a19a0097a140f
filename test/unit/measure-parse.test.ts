import { describe, expect, it } from 'vitest';
import {
  GnuMeasureStream,
  MeasureOutputError,
  parseGnuMeasure,
  parseGnuMeasureEach,
  parseMeasure,
} from '../../source/engine/helper/measure-parse.js';

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
      '49 20 1 4096 8 41ed', // merged/, a running container's mount: not counted (du -x)
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

describe("parseGnuMeasure (the host's GNU find)", () => {
  it('splits one walk into layers and whole paths, content at depth 1 only, hard links once', () => {
    const out = [
      'S + +', // a layer: diff/ present, top present
      'S ? ?', // a layer that is gone
      'W +', // a container directory, measured whole
      'W ?', // a volume that is gone
      'S ? +', // a top without its content subdirectory: not a layer
      '=G',
      '0 4096 8 d 8', // layer top (directories end in their device)
      '1 26 8 f', // link: disk only
      '1 4096 8 d C 8', // diff/
      '2 5000 16 f 8:21', // a file with two names ...
      '3 4096 8 d C 8', // a directory named diff deeper down: plain content
      '4 5000 16 f 8:21', // ... seen again through its second name
      '4 10 0 l', // a symlink: 10 bytes of target, no blocks
      '1 4096 8 d 8', // work/: back in the top, disk only
      '2 7 8 f', // a file under work/: disk only
      '1 4096 8 d 49', // merged/, a running container's mount: another file system, not counted
      '0 4096 8 d 8', // the container directory
      '1 300 8 f',
      '0 4096 8 d 8', // the top without content
      '1 3 8 f',
    ].join('\n');
    const [layer, gone, whole, goneVolume, notLayer] = parseGnuMeasure(out, 5);
    expect(layer).toEqual({
      apparentBytes: 5010,
      diskBytes: (8 + 8 + 8 + 16 + 8 + 8 + 8) * 512,
      contentDiskBytes: (8 + 16 + 8) * 512,
      entries: 9,
      missing: false,
      partial: false,
    });
    expect(gone?.missing).toBe(true);
    expect(whole).toMatchObject({ apparentBytes: 300, diskBytes: 16 * 512, contentDiskBytes: 16 * 512 });
    expect(goneVolume?.missing).toBe(true);
    expect(notLayer?.missing).toBe(true);
  });

  it('gives each entry of a directory walked whole its own figures, by name', () => {
    const out = [
      'W +', // a path named alone
      'E +', // containers/: two entries
      'e aaa',
      'e bbb',
      'E ?', // a directory that is not there
      'E +', // volumes/: empty
      '=G',
      '0 4096 8 d 8', // the path named alone
      '0 4096 8 d 8', // containers/aaa
      '1 100 8 f',
      '0 4096 8 d 8', // containers/bbb
      '1 7 8 f',
      '1 5 8 f',
    ].join('\n');
    const { measures, each } = parseGnuMeasureEach(out, 1);
    expect(measures[0]).toMatchObject({ diskBytes: 4096, entries: 1, missing: false });
    expect(each.map((m) => (m ? [...m.keys()] : m))).toEqual([['aaa', 'bbb'], undefined, []]);
    expect(each[0]?.get('aaa')).toMatchObject({ apparentBytes: 100, diskBytes: 16 * 512, entries: 2 });
    expect(each[0]?.get('bbb')).toMatchObject({ apparentBytes: 12, diskBytes: 24 * 512, entries: 3 });
    expect(parseGnuMeasureEach(`${out}\n!\n`, 1).each[0]?.get('bbb')?.partial).toBe(true);
  });

  it("takes the stamped file's line as a plain file of its root, and its stamp, also as a root of its own", () => {
    const out = [
      'W +', // buildkit/, holding the stamped file
      '=G',
      '0 4096 8 d 8',
      '1 65536 128 f T 8 77 1795790932.8877136250', // snapshots.db met by the walk
      '1 10 8 f',
      '0 65536 128 f T 8 77 1795790932.8877136250', // the same file, walked last on its own
    ].join('\n');
    const { measures, stamp } = parseGnuMeasureEach(out, 1);
    expect(measures[0]).toMatchObject({ apparentBytes: 65546, diskBytes: (8 + 128 + 8) * 512, entries: 3 });
    expect(stamp).toBe('8:77:65536:1795790932.887713625');
    expect(parseGnuMeasureEach('W +\n=G\n0 4096 8 d 8\n', 1).stamp).toBeUndefined();
  });

  it('marks the batch partial on an error or a line it cannot read', () => {
    const r = parseGnuMeasure('W +\n=G\n0 4096 8 d 8\n1 x 8 f\n!\n', 1);
    expect(r[0]).toMatchObject({ partial: true, diskBytes: 4096, entries: 1 });
  });
});

describe('the walk read as it arrives', () => {
  const walks: [string, number][] = [
    [
      [
        'S + +',
        'W +',
        'E +',
        'e aaa',
        'e bbb',
        '=G',
        '0 4096 8 d 8',
        '1 26 8 f',
        '1 4096 8 d C 8',
        '2 5000 16 f 8:21',
        '3 5000 16 f 8:21',
        '1 4096 8 d 49',
        '0 4096 8 d 8',
        '1 300 8 f',
        '!',
        '0 4096 8 d 8',
        '1 7 8 f',
        '0 4096 8 d 8',
        '1 65536 128 f T 8 77 1795790932.8877136250',
      ].join('\n'),
      2,
    ],
    ['W +\n=G\n0 4096 8 d 8\n1 x 8 f\n', 1],
    ['W +\nW +\n=G\n0 4096 8 d 8\n1 10 8 f\n0 4096 8 d 8\n1 20 8 f', 2],
  ];
  it('gives the same figures whatever pieces the reply comes in, a line or a header cut anywhere', () => {
    for (const [out, count] of walks) {
      const whole = parseGnuMeasureEach(out, count);
      for (const step of [1, 2, 5, 13]) {
        const p = new GnuMeasureStream(count);
        const bytes = Buffer.from(out, 'latin1');
        for (let i = 0; i < bytes.length; i += step) p.push(bytes.subarray(i, i + step));
        const got = p.finish();
        expect({ step, got }).toEqual({ step, got: whole });
      }
    }
    // The figures are the ones the whole walk says (not two empty results agreeing).
    expect(parseGnuMeasureEach(walks[2]?.[0] ?? '', 2).measures.map((m) => m.apparentBytes)).toEqual([
      10, 20,
    ]);
  });
  it('still refuses, fed in pieces, a walk that skipped a present root', () => {
    const p = new GnuMeasureStream(2);
    for (const line of ['W +\n', 'W +\n=', 'G\n0 4096 8 d 8\n1 1', '0 8 f\n']) p.push(Buffer.from(line));
    expect(() => p.finish()).toThrow(/covered 1 of 2/);
  });
});

describe('a walk whose output does not add up is an error, never a figure', () => {
  const one = ['W +', 'W +', '=G', '0 4096 8 d 8', '1 10 8 f', '0 4096 8 d 8', '1 20 8 f'];
  it('reads a whole walk', () => {
    expect(parseGnuMeasure(one.join('\n'), 2).map((m) => m.apparentBytes)).toEqual([10, 20]);
  });
  it('refuses fewer status lines than paths asked (a list cut by xargs)', () => {
    expect(() => parseGnuMeasure(one.join('\n'), 3)).toThrow(MeasureOutputError);
  });
  it('refuses a second run of the op after the first (busybox xargs splits every 32 KiB)', () => {
    const split = ['W +', '=G', '0 4096 8 d 8', '1 10 8 f', 'W +', '=G', '0 4096 8 d 8', '1 20 8 f'];
    expect(() => parseGnuMeasure(split.join('\n'), 2)).toThrow(MeasureOutputError);
  });
  it('refuses a walk that skipped a present root', () => {
    expect(() => parseGnuMeasure(one.slice(0, 5).join('\n'), 2)).toThrow(/covered 1 of 2/);
  });
});
