// A local helper's file copied by layertop itself (copyLocalFile): the bytes read back are the
// file's, the copy is unlinked where it was made, and whatever the `read` op refuses (a symlink,
// a FIFO, a directory, a missing file, a ".." path) is refused here too, without blocking.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readlinkSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SPILL_MIN_BYTES } from '../../source/engine/helper/file-pages.js';
import { TornReadError } from '../../source/engine/helper/helper-read.js';
import { copyLocalFile } from '../../source/engine/helper/local-copy.js';

const data = randomBytes(5 * SPILL_MIN_BYTES + 321);

/** Where this process's open copies point (an unlinked file says " (deleted)"). */
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

function fixture() {
  const src = mkdtempSync(join(tmpdir(), 'lt-lcopy-src-'));
  const spill = join(mkdtempSync(join(tmpdir(), 'lt-lcopy-')), 'spill');
  writeFileSync(join(src, 'meta.db'), data);
  return { src, spill };
}

describe('copyLocalFile', () => {
  it('copies a big file into an unlinked file under the first directory that takes it; every range reads back exact', async () => {
    const { src, spill } = fixture();
    const pages = await copyLocalFile(join(src, 'meta.db'), [spill]);
    expect(pages?.length).toBe(data.length);
    expect(pages?.read(0, data.length).equals(data)).toBe(true);
    expect(pages?.read(4096, 100).equals(data.subarray(4096, 4196))).toBe(true);
    // Nothing left by name in the directory; the copy is there, unlinked.
    expect(readdirSync(spill)).toEqual([]);
    expect(openCopies()).toEqual([
      expect.stringMatching(new RegExp(`^${spill}/\\.layertop-copy-\\d+-l\\d+ \\(deleted\\)$`)),
    ]);
    pages?.close?.();
    expect(openCopies()).toEqual([]);
  });

  it('keeps a small file in memory, and a big one when no directory takes a copy', async () => {
    const { src, spill } = fixture();
    writeFileSync(join(src, 'small'), 'tiny bolt');
    const small = await copyLocalFile(join(src, 'small'), [spill]);
    expect(small?.read(0, 100).toString()).toBe('tiny bolt');
    expect(openCopies()).toEqual([]);
    const notDir = join(src, 'meta.db'); // a file: no directory can be made under it
    const big = await copyLocalFile(join(src, 'meta.db'), [join(notDir, 'sub')]);
    expect(openCopies()).toEqual([]);
    expect(big?.length).toBe(data.length);
    expect(big?.read(0, data.length).equals(data)).toBe(true);
  });

  it('refuses what the read op refuses: a symlink, a directory, a FIFO (at once), a missing file, a ".." path', async () => {
    const { src, spill } = fixture();
    symlinkSync(join(src, 'meta.db'), join(src, 'link'));
    mkdirSync(join(src, 'dir'));
    execFileSync('mkfifo', [join(src, 'fifo')]);
    expect(await copyLocalFile(join(src, 'link'), [spill])).toBeUndefined();
    expect(await copyLocalFile(join(src, 'dir'), [spill])).toBeUndefined();
    expect(await copyLocalFile(join(src, 'fifo'), [spill])).toBeUndefined();
    expect(await copyLocalFile(join(src, 'absent'), [spill])).toBeUndefined();
    expect(await copyLocalFile(`${src}/dir/../meta.db`, [spill])).toBeUndefined();
    expect(await copyLocalFile('relative/meta.db', [spill])).toBeUndefined();
    expect(openCopies()).toEqual([]);
    expect(readdirSync(join(spill, '..'))).toEqual([]);
  });

  it('says a file whose length is not its stated size is torn (read it again), never short', async () => {
    // /proc files state size 0 and hold more.
    await expect(copyLocalFile('/proc/self/status', [tmpdir()])).rejects.toBeInstanceOf(TornReadError);
  });
});
