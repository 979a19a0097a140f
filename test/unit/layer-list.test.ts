import { describe, expect, it } from 'vitest';
import {
  GnuTreeParser,
  parseGnuTree,
  parseGnuTrees,
  parseNames,
  parseRdev,
  parseTree,
} from '../../source/engine/helper/layer-list.js';
import { filePathJson, linkTargetJson } from '../../source/model/file-path.js';

const tok = '0123456789abcdef';

describe('the helper listing parsers', () => {
  it('keeps names as exact bytes: newlines, escapes, invalid UTF-8', () => {
    const raw = Buffer.concat([
      Buffer.from('./a\0./a/new\nline\0./esc\x1b[31m\0./bad'),
      Buffer.from([0xff, 0xfe]),
      Buffer.from('\0'),
    ]);
    const names = parseNames(raw);
    expect(names).toEqual(['a', 'a/new\nline', 'esc\x1b[31m', 'bad\xff\xfe']);
    expect(Buffer.from(names[3] as string, 'latin1')).toEqual(Buffer.from([0x62, 0x61, 0x64, 0xff, 0xfe]));
  });

  it('cuts the tree listing exactly: hostile names, whiteouts, devices, symlink targets', () => {
    const names = ['./d', './d/new\nline', './d/wh', './d/null', "./d/ln -> x'"];
    const stats = [
      '2049 13 2 4096 8 41ed 0 0 0 0 1700000000',
      '2049 11 1 5 8 81a4 0 0 0 0 1700000000',
      '2049 12 1 0 0 2190 0 0 0 0 1700000000',
      '2049 14 1 0 0 21b6 1 3 0 0 1700000000',
      '2049 15 1 5 0 a1ff 0 0 0 0 1700000000',
    ];
    const target = "a\nb'c";
    // busybox: 'NAME' and 'NAME' -> 'TARGET'
    const nameList = Buffer.from(`${names.join('\0')}\0`, 'latin1');
    const reply = Buffer.from(
      names.map((n, i) => `${stats[i]} '${n}'${i === 4 ? ` -> '${target}'` : ''} ${tok}\n`).join(''),
      'latin1',
    );
    // GNU with literal quoting: NAME and NAME -> TARGET
    const gnu = Buffer.from(
      names.map((n, i) => `${stats[i]} ${n}${i === 4 ? ` -> ${target}` : ''} ${tok}\n`).join(''),
      'latin1',
    );
    const tree = (stats: Buffer) => Buffer.concat([nameList, Buffer.from([0]), stats]);
    expect(parseTree(tree(gnu), tok)).toEqual(parseTree(tree(reply), tok));
    const e = parseTree(tree(reply), tok);
    expect(e.map((x) => [x.path, x.type, x.size])).toEqual([
      ['d', 'dir', 0],
      ['d/new\nline', 'file', 5],
      ['d/wh', 'whiteout', 0],
      ['d/null', 'char', 0],
      ["d/ln -> x'", 'symlink', 5],
    ]);
    expect(e[4]?.linkTarget).toBe("a\nb'c");
    expect(e[1]).toMatchObject({ ino: 11, mode: 0o644, blocks: 8, uid: 0, gid: 0, mtime: 1700000000 });
    // The second walk saw something else (the directory changed): refused, to be read again.
    const torn = Buffer.from(`2049 11 1 5 8 81a4 0 0 0 0 1700000000 './b' ${tok}\n`, 'latin1');
    expect(() => parseTree(Buffer.concat([Buffer.from('./a\0\0'), torn]), tok)).toThrow(
      /changed while listed/,
    );
  });

  it("refuses a forged line: a link's target swapped for a longer one between stat's size and its read", () => {
    // stat sized ./a's target as 1 byte, then read the container's new target, which holds a
    // whole line of its own for ./b (a whiteout that would hide b); ./b's real line is gone.
    const names = Buffer.from('./a\0./b\0\0', 'latin1');
    const reply = (guess: string) =>
      Buffer.from(
        `2049 11 1 1 0 a1ff 0 0 0 0 1 './a' -> 'T' ${guess}\n2049 12 1 0 0 2190 0 0 0 0 1 './b' ${tok}\n`,
        'latin1',
      );
    // Had the container known the request's token, the forgery would read as two good lines...
    expect(parseTree(Buffer.concat([names, reply(tok)]), tok).map((e) => [e.path, e.type])).toEqual([
      ['a', 'symlink'],
      ['b', 'whiteout'],
    ]);
    // ...it cannot know it (random per request, never in the container): refused, read again.
    expect(() => parseTree(Buffer.concat([names, reply('1badc0de')]), tok)).toThrow(/changed while listed/);
  });

  it('refuses a walk that went through a directory swapped for a symlink (entries below a non-directory)', () => {
    // busybox find looked at ./d (a directory), the container swapped it for a symlink to the
    // host's /etc, find listed /etc's entries as ./d/...; the stats then see ./d as the symlink.
    const names = Buffer.from('./d\0./d/shadow\0\0', 'latin1');
    const stats = Buffer.from(
      `2049 13 1 4 0 a1ff 0 0 0 0 1 './d' -> '/etc' ${tok}\n2049 14 1 900 8 81a0 0 0 0 0 1 './d/shadow' ${tok}\n`,
    );
    expect(() => parseTree(Buffer.concat([names, stats]), tok)).toThrow(/changed while listed/);
  });

  it('writes JSON paths losslessly: text when UTF-8, plus base64 bytes when not', () => {
    expect(filePathJson('etc/h\u00c3\u00a9')).toEqual({ path: '/etc/hé' });
    const bad = filePathJson('bad\xff\xfeutf8');
    expect(bad.path).toBe('/bad\ufffd\ufffdutf8');
    expect(Buffer.from(bad.pathBase64 as string, 'base64')).toEqual(
      Buffer.from('/bad\xff\xfeutf8', 'latin1'),
    );
  });

  it('writes symbolic link targets the same way (a UTF-8 target read as one char per byte was "cafÃ©")', () => {
    expect(linkTargetJson(undefined)).toEqual({ linkTarget: null });
    expect(linkTargetJson('../lib')).toEqual({ linkTarget: '../lib' });
    expect(linkTargetJson('caf\u00c3\u00a9')).toEqual({ linkTarget: 'caf\u00e9' });
    const bad = linkTargetJson('t\xff\n');
    expect(bad.linkTarget).toBe('t\ufffd\n');
    expect(Buffer.from(bad.linkTargetBase64 as string, 'base64')).toEqual(Buffer.from([0x74, 0xff, 0x0a]));
  });
});

describe('the host find listing parser', () => {
  it('cuts records at NULs: hostile names and targets exact, types and modes from letters', () => {
    const bad = Buffer.from([0x62, 0xff, 0x0a, 0x1b]); // "b", invalid UTF-8, newline, ESC
    const reply = Buffer.concat([
      Buffer.from('2049 13 2 4096 8 755 d 0 0 1700000000.25\0d\0\0'),
      Buffer.from('2049 14 1 5 8 4755 f 1000 50 1700000001.9\0d/'),
      bad,
      Buffer.from('\0\0'),
      Buffer.from("2049 15 1 5 0 777 l 0 0 1\0d/ln -> x'\0a\nb'c\0"),
      Buffer.from('2049 16 1 0 0 0 c 0 0 1\0d/wh\0\0'),
    ]);
    const e = parseGnuTree(reply);
    expect(e.map((x) => [x.path, x.type, x.size, x.mode])).toEqual([
      ['d', 'dir', 0, 0o755],
      [`d/${bad.toString('latin1')}`, 'file', 5, 0o4755],
      ["d/ln -> x'", 'symlink', 5, 0o777],
      ['d/wh', 'char', 0, 0],
    ]);
    expect(e[2]?.linkTarget).toBe("a\nb'c");
    // Owner and modification time (whole seconds).
    expect(e[1]).toMatchObject({ uid: 1000, gid: 50, mtime: 1700000001 });
    expect(Buffer.from(e[1]?.path ?? '', 'latin1').subarray(2)).toEqual(bad);
  });

  it('splits one walk of several roots at each root (the only empty name), and refuses a root missing', () => {
    const root = '2049 10 3 4096 8 755 d 0 0 1\0\0\0';
    const reply = Buffer.from(
      `${root}2049 11 1 3 8 644 f 0 0 1\0a\0\0${root}${root}2049 12 1 0 0 755 d 0 0 1\0b\0\0`,
    );
    expect(parseGnuTrees(reply, 3).map((g) => g.map((e) => e.path))).toEqual([['a'], [], ['b']]);
    expect(() => parseGnuTrees(reply, 4)).toThrow(/went/);
    expect(() => parseGnuTrees(reply, 2)).toThrow(/went/);
    // Entries before any root's own line cannot be placed.
    expect(() => parseGnuTrees(Buffer.from('2049 11 1 3 8 644 f 0 0 1\0a\0\0'), 1)).toThrow(/malformed/);
  });

  it('parses a walk fed in pieces of any size exactly as whole', () => {
    const reply = Buffer.concat([
      Buffer.from('2049 13 2 4096 8 755 d 0 0 1700000000.25\0d\0\0'),
      Buffer.from('2049 14 1 5 8 4755 f 1000 50 1700000001.9\0d/\xff\n\x1b\0\0', 'latin1'),
      Buffer.from("2049 15 1 5 0 777 l 0 0 1\0d/ln\0a\nb'c\0"),
      Buffer.from('66 16 1 0 0 0 c 0 0 1\0d/wh\0\0'),
    ]);
    const whole = parseGnuTree(reply);
    expect(whole.map((e) => (e as { dev?: string }).dev)).toEqual(['2049', '2049', '2049', '66']);
    for (const step of [1, 3, 17]) {
      const p = new GnuTreeParser();
      for (let i = 0; i < reply.length; i += step) p.push(reply.subarray(i, i + step));
      expect(p.finish()).toEqual(whole);
    }
    const cut = new GnuTreeParser();
    cut.push(reply.subarray(0, reply.length - 3));
    expect(() => cut.finish()).toThrow(/malformed/);
    // A field that is not a number is refused, never read as one.
    expect(() => parseGnuTree(Buffer.from('2049 1x 2 4096 8 755 d 0 0 1\0d\0\0'))).toThrow(/malformed/);
    expect(() => parseGnuTree(Buffer.from('2049 13 2 4096 8 758 d 0 0 1\0d\0\0'))).toThrow(/malformed/);
  });

  it('refuses a record cut short', () => {
    expect(() => parseGnuTree(Buffer.from('2049 13 2 4096 8 755 d 0 0 1\0d\0'))).toThrow(/malformed/);
    expect(() => parseGnuTree(Buffer.from('2049 13 2 4096 8 755 d\0d\0\0'))).toThrow(/malformed/);
    expect(() => parseGnuTree(Buffer.from('2049 13 2 4096 8 755 q\0d\0\0'))).toThrow(/malformed/);
  });

  it('reads device numbers per run, gone paths as undefined, and refuses a short reply', () => {
    expect(parseRdev(Buffer.from('3\n+\n-\n+\n=\n2180 0 0\n61b0 1 3\n'), 3)).toEqual([
      [0, 0],
      undefined,
      [1, 3],
    ]);
    expect(parseRdev(Buffer.from('1\n+\n=\n2000 0 0\n1\n+\n=\n21a4 ff 1\n'), 2)).toEqual([
      [0, 0],
      [255, 1],
    ]);
    expect(() => parseRdev(Buffer.from('2\n+\n+\n=\n2180 0 0\n'), 2)).toThrow();
  });

  it('refuses a device that stat found to be something else (swapped after the test), not a whiteout', () => {
    // A regular file (8xxx) or a symlink (axxx) has "device" 0 0: it must not read as a whiteout.
    expect(() => parseRdev(Buffer.from('1\n+\n=\n81a4 0 0\n'), 1)).toThrow(/changed/);
    expect(() => parseRdev(Buffer.from('1\n+\n=\na1ff 0 0\n'), 1)).toThrow(/changed/);
  });
});
