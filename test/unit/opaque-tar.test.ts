// parseOpaqueTar reads the `gopaque` op's archive (the host's GNU tar, posix format): which
// candidate directories carry trusted.overlay.opaque=y. Archives made here by hand, byte by byte
// as GNU tar writes them (checked against `tar --xattrs --format=posix` output on this machine).
import { describe, expect, it } from 'vitest';
import { parseOpaqueTar } from '../../source/engine/helper/layer-list.js';

function header(name: string, type: string, size: number): Buffer {
  const h = Buffer.alloc(512);
  h.write(name.slice(0, 100), 0, 'latin1');
  h.write('0000755\0', 100, 'latin1');
  h.write('0000000\0', 108, 'latin1');
  h.write('0000000\0', 116, 'latin1');
  h.write(`${size.toString(8).padStart(11, '0')}\0`, 124, 'latin1');
  h.write('15304062754\0', 136, 'latin1');
  h.write(type, 156, 'latin1');
  h.write('ustar\x0000', 257, 'latin1');
  h.fill(0x20, 148, 156);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
  return h;
}

const padded = (b: Buffer) => Buffer.concat([b, Buffer.alloc((512 - (b.length % 512)) % 512)]);

/** One pax record: its length counts itself. */
function record(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  let n = body.length + 1;
  while (String(n).length + body.length !== n) n++;
  return `${n}${body}`;
}

function member(path: string, opts: { opaque?: string; type?: string; paxPath?: boolean } = {}): Buffer {
  const recs = [record('mtime', '1796236780.833432896')];
  if (opts.opaque !== undefined) recs.push(record('SCHILY.xattr.trusted.overlay.opaque', opts.opaque));
  if (opts.paxPath) recs.push(record('path', path));
  const data = Buffer.from(recs.join(''), 'latin1');
  return Buffer.concat([
    header('./PaxHeaders/x', 'x', data.length),
    padded(data),
    header(opts.paxPath ? './long' : path, opts.type ?? '5', 0),
  ]);
}

const archive = (...members: Buffer[]) => Buffer.concat([...members, Buffer.alloc(1024)]);

describe('parseOpaqueTar (the gopaque op)', () => {
  it('says which candidates are opaque: "y" only ("x" is a directory with xwhiteouts, not opaque)', () => {
    const tar = archive(member('./a/b/', { opaque: 'y' }), member('./c/'), member('./d/', { opaque: 'x' }));
    expect(parseOpaqueTar(tar, ['a/b', 'c', 'd'])).toEqual([true, false, false]);
  });

  it('takes the name from the extended header: long names, newlines, escapes, invalid UTF-8', () => {
    const odd = `deep/${'n'.repeat(120)}/new\nline/esc\x1b[31m/bad\xff\xfe`;
    const tar = archive(member(`./${odd}/`, { opaque: 'y', paxPath: true }), member('./e/'));
    expect(parseOpaqueTar(tar, [odd, 'e'])).toEqual([true, false]);
  });

  it('answers nothing unless every member is the candidate asked, in order, and a directory', () => {
    const ok = [member('./a/', { opaque: 'y' }), member('./b/')];
    expect(parseOpaqueTar(archive(...ok), ['a', 'b'])).toEqual([true, false]);
    // A member missing (tar could not stat a candidate and went on), or one too many.
    expect(parseOpaqueTar(archive(ok[0] as Buffer), ['a', 'b'])).toBeUndefined();
    expect(parseOpaqueTar(archive(...ok), ['a'])).toBeUndefined();
    // Another order, another name.
    expect(parseOpaqueTar(archive(...ok), ['b', 'a'])).toBeUndefined();
    expect(parseOpaqueTar(archive(...ok), ['a', 'c'])).toBeUndefined();
    // Not a directory (a symlink where the listing had a directory).
    expect(parseOpaqueTar(archive(member('./a/', { type: '2' })), ['a'])).toBeUndefined();
  });

  it('answers nothing for an archive cut short or a header whose checksum is wrong', () => {
    const whole = archive(member('./a/', { opaque: 'y' }), member('./b/'));
    expect(parseOpaqueTar(whole.subarray(0, whole.length - 1024), ['a', 'b'])).toBeUndefined();
    expect(parseOpaqueTar(whole.subarray(0, 700), ['a', 'b'])).toBeUndefined();
    const bad = Buffer.from(whole);
    bad[1030] = (bad[1030] ?? 0) ^ 1; // a byte of the first member's own header
    expect(parseOpaqueTar(bad, ['a', 'b'])).toBeUndefined();
    expect(parseOpaqueTar(Buffer.alloc(0), [])).toBeUndefined();
  });
});
