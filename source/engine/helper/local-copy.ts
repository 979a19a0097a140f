// A local helper's engine runs on this very host, so this process (root, as the local helper
// requires) copies a whole file itself, in the kernel: copyFile is copy_file_range/sendfile in
// libuv's pool, and none of the bytes pass through JavaScript. Through the helper's `read` op the
// 100 MB containerd meta.db of the containerd scale engine arrived as 1,600 64 kB Buffers, up
// to 53 MB of them alive at once before V8 collected them: the largest part of the explorer's
// peak through rescans on that store.
import { closeSync, constants, fstatSync, mkdirSync, openSync, unlinkSync } from 'node:fs';
import { copyFile, type FileHandle, open } from 'node:fs/promises';
import { join } from 'node:path';
import { BufferPages, FilePages, type PageSource, SPILL_MIN_BYTES } from './file-pages.js';
import { TornReadError } from './helper-read.js';

let copies = 0;

/** Errors that mean "not readable" (the read op's "-"), not a fault. */
const UNREADABLE = new Set(['ENOENT', 'ENOTDIR', 'ELOOP', 'EACCES', 'EPERM', 'ENXIO']);

/**
 * The file at `path` (absolute, in this process's view: `/proc/<engine pid>/root/...`) as a
 * {@link PageSource}: an unlinked copy under the first of `dirs` that takes one, or in memory
 * when none does (a full disk) or the file is small. Undefined where the `read` op says "-": no
 * such file, not a regular file, a symlink (never followed), a "." or ".." component. A file
 * whose length changed while it was copied is a {@link TornReadError}: read it again.
 */
export async function copyLocalFile(path: string, dirs: readonly string[]): Promise<PageSource | undefined> {
  if (!path.startsWith('/') || /(^|\/)\.\.?(\/|$)/.test(path)) return undefined;
  let src: FileHandle;
  try {
    // Not through a symlink; O_NONBLOCK: a FIFO put in its place must not hold the open for ever.
    src = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (err) {
    if (UNREADABLE.has((err as NodeJS.ErrnoException).code ?? '')) return undefined;
    throw err;
  }
  try {
    const st = await src.stat();
    if (!st.isFile()) return undefined;
    const size = st.size;
    if (size >= SPILL_MIN_BYTES) {
      for (const dir of dirs) {
        const pages = await copyInto(`/proc/self/fd/${src.fd}`, dir, size);
        if (pages) return pages;
      }
    }
    // Small, or no directory took the copy: in memory, read through the open file.
    const buf = Buffer.allocUnsafe(size);
    let got = 0;
    while (got < size) {
      const { bytesRead } = await src.read(buf, got, size - got, got);
      if (bytesRead === 0) break;
      got += bytesRead;
    }
    const more = await src.read(Buffer.alloc(1), 0, 1, size);
    if (got !== size || more.bytesRead !== 0)
      throw new TornReadError(`${path} changed size while it was read`);
    return new BufferPages(buf);
  } finally {
    await src.close();
  }
}

/** The opened file (`from`, its /proc/self/fd link) copied to an unlinked file under `dir`, or undefined when that fails. */
async function copyInto(from: string, dir: string, size: number): Promise<PageSource | undefined> {
  const dest = join(dir, `.layertop-copy-${process.pid}-l${++copies}`);
  // Set once this run may have made the file: a failed copy (a full disk) leaves nothing behind.
  let made = false;
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    // COPYFILE_EXCL: created here, never an existing file or a planted link.
    await copyFile(from, dest, constants.COPYFILE_EXCL).catch((err: NodeJS.ErrnoException) => {
      made = err.code !== 'EEXIST';
      throw err;
    });
    made = true;
    const fd = openSync(dest, 'r');
    unlinkSync(dest);
    made = false;
    const copied = fstatSync(fd).size;
    if (copied !== size) {
      closeSync(fd);
      throw new TornReadError(`the file changed size while it was copied (${size} then ${copied} bytes)`);
    }
    return new FilePages(fd, size);
  } catch (err) {
    if (err instanceof TornReadError) throw err;
    return undefined; // a full disk, an unwritable directory: the next place, or memory
  } finally {
    if (made) {
      try {
        unlinkSync(dest);
      } catch {
        // gone already
      }
    }
  }
}
