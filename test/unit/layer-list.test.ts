import { describe, expect, it } from 'vitest';
import { entryOf, parseLinks, parseLstat, parseNames } from '../../source/engine/layer-list.js';
import { filePathJson } from '../../source/model/file-path.js';

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

  it('aligns stats with names, knows whiteouts, and refuses a reply whose lines do not line up', () => {
    const out = Buffer.from(
      '+\n-\n+\n+\n=\n2049 11 1 5 8 81a4 0 0\n2049 12 1 0 0 2190 0 0\n2049 13 2 4096 8 41ed 0 0\n',
    );
    const stats = parseLstat(out, 4);
    expect(stats[1]).toBeUndefined();
    expect(entryOf('f', stats[0] as never)).toMatchObject({ type: 'file', size: 5, mode: 0o644, blocks: 8 });
    expect(entryOf('w', stats[2] as never).type).toBe('whiteout');
    expect(entryOf('d', stats[3] as never)).toMatchObject({ type: 'dir', size: 0, mode: 0o755 });
    const device = parseLstat(Buffer.from('+\n=\n2049 14 1 0 0 21b6 1 3\n'), 1);
    expect(entryOf('null', device[0] as never).type).toBe('char');
    expect(() => parseLstat(Buffer.from('+\n+\n=\n2049 11 1 5 8 81a4 0 0\n'), 2)).toThrow(
      /changed while listed/,
    );
  });

  it('reads symlink targets ending in newline+NUL, a newline inside a target included', () => {
    expect(parseLinks(Buffer.from('target.bin\n\0/etc/host\nname\n\0'), 2)).toEqual([
      'target.bin',
      '/etc/host\nname',
    ]);
  });

  it('writes JSON paths losslessly: text when UTF-8, plus base64 bytes when not', () => {
    expect(filePathJson('etc/h\u00c3\u00a9')).toEqual({ path: '/etc/hé' });
    const bad = filePathJson('bad\xff\xfeutf8');
    expect(bad.path).toBe('/bad\ufffd\ufffdutf8');
    expect(Buffer.from(bad.pathBase64 as string, 'base64')).toEqual(
      Buffer.from('/bad\xff\xfeutf8', 'latin1'),
    );
  });
});
