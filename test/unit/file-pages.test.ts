// Where a copied file's bytes are kept (PageSink): an unlinked temporary file when a directory
// takes one, memory otherwise or after a failed write; the bytes read back are the bytes sent.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readlinkSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PageSink, SPILL_MIN_BYTES } from '../../source/engine/helper/file-pages.js';
import { OneFileReader } from '../../source/engine/helper/helper-read.js';

const data = randomBytes(3 * SPILL_MIN_BYTES + 123);

/** The copies this process has open: where their descriptors point (an unlinked file says so). */
const openCopies = () =>
  readdirSync('/proc/self/fd')
    .map((fd) => {
      try {
        return readlinkSync(`/proc/self/fd/${fd}`);
      } catch {
        return '';
      }
    })
    .filter((l) => l.includes('.layertop-copy-'));

/** Feeds `buf` in pieces of `step` bytes; returns what was not taken. */
function feed(sink: PageSink, buf: Buffer, step: number): number {
  let left = 0;
  for (let i = 0; i < buf.length; i += step) {
    const piece = buf.subarray(i, i + step);
    left += piece.length - sink.append(piece);
  }
  return left;
}

describe('PageSink', () => {
  it('keeps a big copy in an unlinked file: nothing is left in the directory, every range reads back exact', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lt-pages-'));
    const sink = new PageSink(data.length, [dir]);
    expect(sink.onDisk).toBe(true);
    expect(readdirSync(dir)).toEqual([]);
    // In the directory asked for, and already unlinked.
    expect(openCopies()).toEqual([
      expect.stringMatching(new RegExp(`^${dir}/\\.layertop-copy-\\d+-\\d+ \\(deleted\\)$`)),
    ]);
    expect(feed(sink, Buffer.concat([data, Buffer.from('=\n')]), 7777)).toBe(2);
    const pages = sink.pages();
    expect(pages.length).toBe(data.length);
    expect(pages.read(0, data.length).equals(data)).toBe(true);
    expect(pages.read(4096, 4096).equals(data.subarray(4096, 8192))).toBe(true);
    // Past the end: only what is there.
    expect(pages.read(data.length - 10, 4096).equals(data.subarray(data.length - 10))).toBe(true);
    expect(pages.read(data.length + 1, 10).length).toBe(0);
    // Closed by its owner: the descriptor (and the disk space) goes at once, and a read says so.
    pages.close?.();
    expect(openCopies()).toEqual([]);
    expect(() => pages.read(0, 1)).toThrow(/closed copy/);
  });

  it('keeps a small copy in memory, and a big one when no directory takes a file', () => {
    expect(new PageSink(SPILL_MIN_BYTES - 1, [tmpdir()]).onDisk).toBe(false);
    const notDir = join(mkdtempSync(join(tmpdir(), 'lt-pages-')), 'file');
    writeFileSync(notDir, 'x');
    const sink = new PageSink(data.length, [join(notDir, 'sub')]);
    expect(sink.onDisk).toBe(false);
    feed(sink, data, 1000);
    expect(sink.pages().read(0, data.length).equals(data)).toBe(true);
  });

  it('goes on in memory after a write fails (a full disk), with the bytes written before it read back', () => {
    let written = 0;
    const full = ((fd: number, buf: Buffer, off: number, len: number, pos: number) => {
      if (written + len > SPILL_MIN_BYTES) throw Object.assign(new Error('ENOSPC'), { code: 'ENOSPC' });
      written += len;
      return writeSync(fd, buf, off, len, pos);
    }) as typeof writeSync;
    const sink = new PageSink(data.length, [mkdtempSync(join(tmpdir(), 'lt-pages-'))], full);
    expect(sink.onDisk).toBe(true);
    feed(sink, data, 5000);
    expect(sink.onDisk).toBe(false);
    expect(written).toBeGreaterThan(0);
    expect(sink.pages().read(0, data.length).equals(data)).toBe(true);
  });

  it("takes a `read` reply's body into the file, and refuses one whose sizes disagree", () => {
    const dir = mkdtempSync(join(tmpdir(), 'lt-pages-'));
    const wire = Buffer.concat([
      Buffer.from(`1\n+\n=\n${data.length}\n=\n`),
      data,
      Buffer.from(`=\n${data.length}\n`),
    ]);
    const r = new OneFileReader([dir]);
    for (let i = 0; i < wire.length; i += 65_536) r.push(wire.subarray(i, i + 65_536));
    expect(r.onDisk).toBe(true);
    const got = r.finish();
    expect(got?.read(0, got.length).equals(data)).toBe(true);
    const bad = new OneFileReader([dir]);
    bad.push(Buffer.concat([wire.subarray(0, wire.length - 3), Buffer.from('9\n')]));
    expect(() => bad.finish()).toThrow(/changed size/);
    got?.close?.();
    expect(openCopies().length).toBe(1); // the refused one, until it is discarded
    bad.discard();
    expect(openCopies()).toEqual([]);
    expect(readdirSync(dir)).toEqual([]);
  });
});
