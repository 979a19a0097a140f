// One lane's request/reply stream on hand-made bytes: a reply read by a sink, and a sink that
// refuses what it reads, which fails its request without breaking the lane for the next one.
import { Duplex } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { PageSource } from '../../source/engine/helper/file-pages.js';
import { HelperLane } from '../../source/engine/helper/helper-lane.js';
import { OneFileReader } from '../../source/engine/helper/helper-read.js';

const bytes = (p: PageSource | undefined) => p?.read(0, p.length);

/** A fake attached stream: what the lane writes is handed to `answer`, which pushes replies. */
function fakeStream(answer: (request: Buffer, push: (frame: Buffer) => void) => void): Duplex {
  const d = new Duplex({
    read() {},
    write(chunk: Buffer, _enc, done) {
      answer(chunk, (frame) => {
        // Docker's attach framing: stdout, 3 zero bytes, the length.
        const head = Buffer.alloc(8);
        head[0] = 1;
        head.writeUInt32BE(frame.length, 4);
        d.push(Buffer.concat([head, frame]));
      });
      done();
    },
  });
  return d;
}

describe('a helper lane', () => {
  it('hands a streamed reply to its sink, fails a request whose sink throws, and still answers the next', async () => {
    const file = Buffer.from('0123456789'.repeat(1000));
    const stream = fakeStream((req, push) => {
      const [id, op, , , , , nonce] = req.toString('latin1').split('\n')[0]?.split(' ') ?? [];
      const body =
        op === 'read'
          ? Buffer.concat([
              Buffer.from(`1\n+\n=\n${file.length}\n=\n`),
              file,
              Buffer.from(`=\n${file.length}\n`),
            ])
          : Buffer.from('junk');
      const wire = Buffer.concat([Buffer.from(`LT2 ${id}\n`), body, Buffer.from(`${nonce} 0 0\n`)]);
      // In small pieces, as a socket may deliver them.
      for (let i = 0; i < wire.length; i += 777) push(wire.subarray(i, i + 777));
    });
    const lane = new HelperLane(stream, () => {});
    const ready = Buffer.from('LT1 0 0 9 0\nready raw');
    const head = Buffer.alloc(8);
    head[0] = 1;
    head.writeUInt32BE(ready.length, 4);
    stream.push(Buffer.concat([head, ready]));
    await lane.ready;
    const reader = new OneFileReader();
    const ok = await lane.request('read', ['/f'], 5_000, 0, (c) => reader.push(c));
    expect(ok.status).toBe(0);
    expect(bytes(reader.finish())?.equals(file)).toBe(true);
    const refused = lane.request('stat', ['/f'], 5_000, 0, () => {
      throw new Error('not what I expected');
    });
    await expect(refused).rejects.toThrow('not what I expected');
    const again = new OneFileReader();
    await lane.request('read', ['/f'], 5_000, 0, (c) => again.push(c));
    expect(again.finish()?.length).toBe(file.length);
    lane.close();
  });

  it('reads one file in pieces of any size, and refuses a reply whose sizes disagree', () => {
    const file = Buffer.from('abc\n=\n1\n');
    const wire = Buffer.concat([
      Buffer.from(`1\n+\n=\n${file.length}\n=\n`),
      file,
      Buffer.from(`=\n${file.length}\n`),
    ]);
    for (const step of [1, 2, 5, wire.length]) {
      const r = new OneFileReader();
      for (let i = 0; i < wire.length; i += step) r.push(wire.subarray(i, i + step));
      expect(bytes(r.finish())?.toString()).toBe(file.toString());
    }
    const gone = new OneFileReader();
    gone.push(Buffer.from('1\n-\n=\n=\n=\n'));
    expect(gone.finish()).toBeUndefined();
    const changed = new OneFileReader();
    changed.push(Buffer.concat([Buffer.from(`1\n+\n=\n${file.length}\n=\n`), file, Buffer.from('=\n99\n')]));
    expect(() => changed.finish()).toThrow(/changed size/);
    const short = new OneFileReader();
    short.push(Buffer.from(`1\n+\n=\n${file.length}\n=\nab`));
    expect(() => short.finish()).toThrow(/ended early/);
  });
});
