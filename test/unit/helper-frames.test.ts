import { describe, expect, it } from 'vitest';
import {
  BULK_ARGS_MAX,
  DockerDemuxer,
  encodeRequest,
  type HelperReply,
  ReplyParser,
} from '../../source/engine/helper/helper-frames.js';
import {
  ListsReader,
  parseList,
  parseLists,
  parseRead,
  parseStat,
  stampTime,
} from '../../source/engine/helper/helper-read.js';
import { chunkArgs } from '../../source/engine/helper/helper-session.js';

function muxed(type: number, payload: string | Buffer): Buffer {
  const body = Buffer.isBuffer(payload) ? payload : Buffer.from(payload);
  const h = Buffer.alloc(8);
  h[0] = type;
  h.writeUInt32BE(body.length, 4);
  return Buffer.concat([h, body]);
}

const N = 'f00dfeed0123456789abcdef01234567';

describe('helper stream framing', () => {
  it('demuxes stdout and stderr even when headers arrive split across chunks', () => {
    const got: Record<string, string> = {};
    const d = new DockerDemuxer((s, b) => {
      got[s] = (got[s] ?? '') + b.toString();
    });
    const all = Buffer.concat([muxed(1, 'hello'), muxed(2, 'oops'), muxed(1, 'x')]);
    for (let i = 0; i < all.length; i += 3) d.push(all.subarray(i, i + 3));
    expect(got).toEqual({ stdout: 'hellox', stderr: 'oops' });
  });

  it('gives every frame exactly, whatever sizes the chunks come in (frames up to 32 KB)', () => {
    const payloads = [5, 0, 40_000, 1, 32_768, 300, 7].map((n, i) =>
      Buffer.from(Array.from({ length: n }, (_, j) => (i * 31 + j) % 251)),
    );
    const wire = Buffer.concat(payloads.map((p, i) => muxed(i % 3 === 2 ? 2 : 1, p)));
    for (const step of [1, 3, 7, 8, 9, 4096, 32_775, 65_536, wire.length]) {
      const got: Buffer[] = [];
      const d = new DockerDemuxer((_, b) => got.push(Buffer.from(b)));
      for (let i = 0; i < wire.length; i += step) d.push(wire.subarray(i, i + step));
      expect(got.map((b) => b.length)).toEqual(payloads.map((p) => p.length));
      expect(got.every((b, i) => b.equals(payloads[i] as Buffer))).toBe(true);
    }
  });

  it('reassembles replies whose bodies hold newlines, NULs and fake headers', () => {
    const replies: HelperReply[] = [];
    const garbage: string[] = [];
    const p = new ReplyParser(
      (r) => replies.push(r),
      (g) => garbage.push(g),
    );
    const body = Buffer.from('line\nLT1 9 0 3 0\nabc\0\xff', 'latin1');
    const wire = Buffer.concat([
      Buffer.from(`noise\nLT1 7 3 ${body.length} 4\n`),
      body,
      Buffer.from('err!LT1 8 0 0 0\n'),
    ]);
    for (const byte of wire) p.push(Buffer.from([byte]));
    expect(garbage).toEqual(['noise']);
    expect(replies.map((r) => [r.id, r.status])).toEqual([
      [7, 3],
      [8, 0],
    ]);
    expect(replies[0]?.stdout.equals(body)).toBe(true);
    expect(replies[0]?.stderr.toString()).toBe('err!');
  });

  it('ends a streamed reply only at its own nonce, wherever the chunks split it', () => {
    const other = '0123456789abcdef0123456789abcdef';
    // The body holds a fake end of another request, a sized header, NULs and a partial nonce.
    const body = Buffer.from(`a\nLT2 4\n${other} 0 0\nLT1 3 0 1 0\nx${N.slice(0, 20)}\0\xff`, 'latin1');
    const wire = Buffer.concat([
      Buffer.from('LT1 0 0 9 0\nready rawLT2 3\n'),
      body,
      Buffer.from(`${N} 2 4\nerr!LT2 4\n${other} 0 0\n`),
    ]);
    // Every chunk size up to past the nonce's length: a marker split at each of its bytes.
    for (const step of [...Array.from({ length: 70 }, (_, i) => i + 1), wire.length]) {
      const replies: HelperReply[] = [];
      const garbage: string[] = [];
      const p = new ReplyParser(
        (r) => replies.push(r),
        (g) => garbage.push(g),
      );
      p.expect(3, N);
      p.expect(4, other);
      for (let i = 0; i < wire.length; i += step) p.push(wire.subarray(i, i + step));
      expect(garbage).toEqual([]);
      expect(replies.map((r) => [r.id, r.status, r.stdout.length, r.stderr.toString()])).toEqual([
        [0, 0, 9, ''],
        [3, 2, body.length, 'err!'],
        [4, 0, 0, ''],
      ]);
      expect(replies[1]?.stdout.equals(body)).toBe(true);
    }
  });

  it('hands a streamed body to its sink piece by piece, exactly, and the next reply whole', () => {
    const other = '0123456789abcdef0123456789abcdef';
    const body = Buffer.from(`a\nLT2 4\n${other} 0 0\nx${N.slice(0, 31)}\0\xff${'y'.repeat(300)}`, 'latin1');
    const wire = Buffer.concat([
      Buffer.from('LT2 3\n'),
      body,
      Buffer.from(`${N} 0 0\nLT2 4\nnext${other} 1 0\n`),
    ]);
    for (const step of [...Array.from({ length: 70 }, (_, i) => i + 1), wire.length]) {
      const replies: HelperReply[] = [];
      const pieces: Buffer[] = [];
      const p = new ReplyParser(
        (r) => replies.push(r),
        () => {},
      );
      // The sink copies: a piece is a view valid only during the call.
      p.expect(3, N, (c) => pieces.push(Buffer.from(c)));
      p.expect(4, other);
      for (let i = 0; i < wire.length; i += step) p.push(wire.subarray(i, i + step));
      expect(Buffer.concat(pieces).equals(body)).toBe(true);
      expect(replies.map((r) => [r.id, r.status, r.stdout.toString()])).toEqual([
        [3, 0, ''],
        [4, 1, 'next'],
      ]);
    }
  });

  it('sends arguments as data, never as shell text: read one by one when small, copied whole when big', () => {
    const args = ['/a b/$(reboot)\nx', Buffer.from([0x66, 0xff])];
    const small = encodeRequest(5, 'measure:diff', 30, 1234, args, N);
    const nl = small.indexOf(0x0a);
    // No directory repeats: no prefix declared, each argument tagged literal ("=").
    expect(small.subarray(0, nl).toString()).toBe(`5 measure:diff 30 1234 + 2 ${N} 0`);
    expect(small.subarray(nl + 1)).toEqual(
      Buffer.concat([Buffer.from('=/a b/$(reboot)\nx\0'), Buffer.from([0x3d, 0x66, 0xff, 0])]),
    );
    const many = Array.from({ length: 200 }, (_, i) => `/var/lib/docker/overlay2/${'x'.repeat(60)}${i}`);
    const big = encodeRequest(6, 'stat', 30, 1234, many, N);
    const bnl = big.indexOf(0x0a);
    const list = Buffer.from(`${many.join('\n')}\n`);
    // A big list: its length on the line, then its lines, split by the loop's shell.
    expect(big.subarray(0, bnl).toString()).toBe(`6 stat 30 1234 - ${list.length} ${N}`);
    expect(big.subarray(bnl + 1)).toEqual(list);
    // ...but a list with an argument that is empty or holds a newline, and du's (under timeout),
    // go as the plain NUL-separated list for head -c and xargs -0.
    for (const [odd, op] of [
      [[...many, '/a\nb'], 'stat'],
      [[...many, ''], 'stat'],
      [many, 'du'],
    ] as const) {
      const w = encodeRequest(6, op, 30, 1234, odd, N);
      const nul = Buffer.from(`${odd.join('\0')}\0`);
      expect(w.subarray(0, w.indexOf(0x0a)).toString()).toBe(`6 ${op} 30 1234 = ${nul.length} ${N}`);
      expect(w.subarray(w.indexOf(0x0a) + 1)).toEqual(nul);
    }
    expect(encodeRequest(7, 'ping', 1, 0, [], N).toString()).toBe(`7 ping 1 0 + 0 ${N} 0\n`);
    // A loop whose shell cannot read raw arguments (dash) gets every list as lines, or the bulk
    // way; a request without arguments has nothing to read, and runs in the loop's shell there too.
    expect(encodeRequest(8, 'stat', 1, 0, ['/x'], N, false).toString()).toBe(`8 stat 1 0 - 3 ${N}\n/x\n`);
    expect(encodeRequest(8, 'stat', 1, 0, [Buffer.from([0x2f, 0xff])], N, false)).toEqual(
      Buffer.from([...Buffer.from(`8 stat 1 0 - 3 ${N}\n`), 0x2f, 0xff, 0x0a]),
    );
    expect(encodeRequest(8, 'stat', 1, 0, ['/x\ny'], N, false).toString()).toBe(
      `8 stat 1 0 = 5 ${N}\n/x\ny\0`,
    );
    expect(encodeRequest(9, 'ping', 1, 0, [], N, false).toString()).toBe(`9 ping 1 0 + 0 ${N} 0\n`);
    // ...but fread never: the bulk way's `timeout` bounds an open that a FIFO would block.
    expect(encodeRequest(9, 'fread:1', 1, 0, ['/x'], N).toString()).toBe(`9 fread:1 1 0 = 3 ${N}\n/x\0`);
    expect(encodeRequest(9, 'fread:1', 1, 0, [], N).toString()).toBe(`9 fread:1 1 0 = 0 ${N}\n`);
    expect(() => encodeRequest(1, 'rm -rf', 1, 0, [], N)).toThrow(/bad op/);
    // A live root's read (see fread in helper-ops.sh): one ":live" at the end, nothing else.
    expect(encodeRequest(9, 'fread:0+100:live', 1, 0, ['/x'], N).toString()).toBe(
      `9 fread:0+100:live 1 0 = 3 ${N}\n/x\0`,
    );
    expect(() => encodeRequest(1, 'fread:0+100:live:x', 1, 0, [], N)).toThrow(/bad op/);
    expect(() => encodeRequest(1, 'fread:0+100:dead', 1, 0, [], N)).toThrow(/bad op/);
    expect(() => encodeRequest(1, 'read', 1, 0, ['a\0b'], N)).toThrow(/NUL/);
    expect(() => encodeRequest(1, 'ping', 1, 0, [], 'x y')).toThrow(/nonce/);
    // A big list of strings (encoded as one string) says the same as the same list as Buffers,
    // names outside ASCII included, and refuses a NUL anywhere in it.
    const paths = Array.from({ length: 3000 }, (_, i) => `/var/lib/docker/overlay2/${i}-é`);
    expect(encodeRequest(5, 'stat', 30, 0, paths, N)).toEqual(
      encodeRequest(
        5,
        'stat',
        30,
        0,
        paths.map((p) => Buffer.from(p)),
        N,
      ),
    );
    expect(() => encodeRequest(1, 'stat', 1, 0, [...paths, '/x\0y'], N)).toThrow(/NUL/);
  });

  it('declares repeated directories once and tags each argument, as the loop decodes them', () => {
    const id = (c: string) => c.repeat(64);
    const root = '/var/lib/docker';
    const args = [
      ...['a', 'b', 'c'].map((c) => `${root}/containers/${id(c)}`),
      ...['d', 'e'].map((c) => `${root}/image/overlay2/imagedb/metadata/sha256/${id(c)}`),
      `${root}/buildkit`,
      '--',
      Buffer.from([0x2f, 0xff, 0x2f, 0x24]),
    ];
    const wire = encodeRequest(3, 'gmeasure', 30, 1, args, N);
    const nl = wire.indexOf(0x0a);
    expect(wire.subarray(0, nl).toString()).toBe(`3 gmeasure 30 1 + 8 ${N} 2`);
    const fields = wire
      .subarray(nl + 1)
      .toString('latin1')
      .split('\0')
      .slice(0, -1);
    // The longer shared directory saves more: it comes first.
    expect(fields.slice(0, 2)).toEqual([
      `${root}/image/overlay2/imagedb/metadata/sha256/`,
      `${root}/containers/`,
    ]);
    expect(fields[2]).toBe(`1${id('a')}`);
    expect(fields.slice(7)).toEqual([`=${root}/buildkit`, '=--', '=/\xff/$']);
    // What the loop's case statement does: tag 0-7 is that prefix + the rest, "=" the rest.
    const decoded = fields.slice(2).map((f) => {
      const tag = f[0] as string;
      return tag === '=' ? f.slice(1) : `${fields[Number(tag)]}${f.slice(1)}`;
    });
    expect(decoded).toEqual(args.map((a) => (typeof a === 'string' ? a : a.toString('latin1'))));
    // Fewer bytes for the loop to read one by one.
    expect(wire.length - nl - 1).toBeLessThan(args.reduce((n, a) => n + a.length + 1, 0) - 90);
  });

  it('gives a change time one form whichever tool printed it, and finds where a listing ends', () => {
    // stat's %z (busybox and GNU) and GNU find's %C@ for the same instant.
    expect(stampTime('2026-11-27 14:48:52.887713625 +0000')).toBe('1795790932.887713625');
    expect(stampTime('2026-11-27 15:48:52.887713625 +0100')).toBe('1795790932.887713625');
    expect(stampTime('1795790932.8877136250')).toBe('1795790932.887713625');
    expect(stampTime('1795790932')).toBe('1795790932.000000000');
    const buf = Buffer.from('./a\0./b\0\0\0\0\0W +\n=G\n', 'latin1');
    const { lists, end } = parseLists(buf, 2);
    expect(lists.map((l) => l.map((b) => b.toString()))).toEqual([['./a', './b'], []]);
    expect(buf.subarray(end).toString()).toBe('W +\n=G\n');
    // Read as it arrives, in pieces of any size: the same lists, then exactly the rest.
    for (const step of [1, 2, 3, 5, buf.length]) {
      const reader = new ListsReader(2);
      let rest: Buffer | undefined;
      const after: Buffer[] = [];
      for (let i = 0; i < buf.length; i += step) {
        const piece = buf.subarray(i, i + step);
        if (rest) after.push(piece);
        else rest = reader.push(piece);
      }
      expect(reader.lists.map((l) => l.map((b) => b.toString()))).toEqual([['./a', './b'], []]);
      expect(Buffer.concat([rest ?? Buffer.alloc(0), ...after]).toString()).toBe('W +\n=G\n');
    }
    const short = new ListsReader(2);
    expect(short.push(buf.subarray(0, 10))).toBeUndefined();
    // Many lists of names of every length, empty lists among them, cut anywhere: the same lists and
    // the same rest as the whole text parsed at once.
    let seed = 7;
    const rnd = (n: number) => {
      seed = (seed * 48271) % 2147483647; // exact in doubles (Park-Miller)
      return seed % n;
    };
    const want: string[][] = [];
    const parts: string[] = [];
    for (let l = 0; l < 40; l++) {
      const names = Array.from({ length: rnd(6) }, (_, k) => `./${'x'.repeat(rnd(300))}${k}`);
      want.push(names);
      parts.push(...names.map((n) => `${n}\0`), '\0\0');
    }
    const text = Buffer.from(`${parts.join('')}tail\n`, 'latin1');
    const whole = parseLists(text, 40);
    expect(whole.lists.map((l) => l.map((b) => b.toString()))).toEqual(want);
    expect(text.subarray(whole.end).toString()).toBe('tail\n');
    for (let round = 0; round < 20; round++) {
      const reader = new ListsReader(40);
      let rest: Buffer | undefined;
      const after: Buffer[] = [];
      for (let i = 0; i < text.length; ) {
        const step = 1 + rnd(700);
        const piece = text.subarray(i, i + step);
        i += step;
        if (rest) after.push(piece);
        else rest = reader.push(piece);
      }
      expect(reader.lists.map((l) => l.map((b) => b.toString()))).toEqual(want);
      expect(Buffer.concat([rest ?? Buffer.alloc(0), ...after]).toString()).toBe('tail\n');
    }
  });

  it('parses read and list replies, including unreadable files and empty directories', () => {
    const r = parseRead(Buffer.from('3\n+\n-\n+\n=\n4\n0\n=\na\nbc=\n4\n0\n', 'latin1'), 3);
    expect(r.map((b) => b?.toString())).toEqual(['a\nbc', undefined, '']);
    expect(() => parseRead(Buffer.from('1\n+\n=\n4\n=\nabcd=\n5\n'), 1)).toThrow(/changed size/);
    // A long list comes back in several runs of the op, each with its own count.
    const two = parseRead(Buffer.from('1\n+\n=\n2\n=\nhi=\n2\n2\n-\n+\n=\n1\n=\nx=\n1\n'), 3);
    expect(two.map((b) => b?.toString())).toEqual(['hi', undefined, 'x']);
    expect(parseStat(Buffer.from('1\n+\n=\n1 2 1 5 8 81a4 9\n1\n-\n=\n'), 2)[0]?.size).toBe(5);
    // The change time as stat's %z prints it, to the nanosecond: a stamp tells apart two writes in
    // the same second.
    const z = parseStat(Buffer.from('1\n+\n=\n1 2 1 5 8 81a4 2026-11-27 14:48:52.887713625 +0000\n'), 1)[0];
    expect(z).toMatchObject({ size: 5, mode: 0x81a4, ctime: '2026-11-27 14:48:52.887713625 +0000' });
    expect(() => parseStat(Buffer.from('2\n+\n+\n=\n1 2 1 5 8 81a4 9\n'), 2)).toThrow(/changed/);
    const l = parseList(Buffer.from('./a\0./b\n c\0\0\0\0\0', 'latin1'));
    expect(l.map((x) => x.map((b) => b.toString()))).toEqual([['./a', './b\n c'], []]);
  });
});

describe('argument lists and the one-run limit', () => {
  it('refuses a bulk list too long for one run of the op, never splits it silently', () => {
    const paths = Array.from(
      { length: 3000 },
      (_, i) => `/var/lib/docker/overlay2/${String(i).padStart(64, '0')}`,
    );
    expect(() => encodeRequest(1, 'gmeasure', 60, 1, paths, 'a'.repeat(32))).toThrow(/for one run/);
    expect(encodeRequest(1, 'gmeasure', 60, 1, paths.slice(0, 1500), 'a'.repeat(32)).length).toBeLessThan(
      BULK_ARGS_MAX + 200,
    );
  });
  it('cuts per-path lists into runs that each fit, in order', () => {
    const paths = Array.from({ length: 3000 }, (_, i) => `/p/${String(i).padStart(100, '0')}`);
    const chunks = chunkArgs(paths, 50_000);
    expect(chunks.flat()).toEqual(paths);
    for (const c of chunks)
      expect(c.reduce((a, p) => a + Buffer.byteLength(p) + 1, 0)).toBeLessThanOrEqual(50_000);
  });
});
