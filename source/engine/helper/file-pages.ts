// A copied file's bytes for a reader that wants pieces of it by offset (the bbolt reader): in
// memory, or in an unlinked temporary file whose bytes the kernel's page cache holds instead of
// this process. containerd's meta.db is 100 MB at the containerd scale engine, 88 MB of it free
// pages that are never read; held in memory it was a third of the explorer's peak.
import { closeSync, mkdirSync, openSync, readSync, unlinkSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface PageSource {
  readonly length: number;
  /** `length` bytes from `offset`; fewer only past the end of the file. */
  read(offset: number, length: number): Buffer;
  /** Lets go of the copy at once (its owner knows nobody else reads it); reads after it throw. */
  close?(): void;
}

export class BufferPages implements PageSource {
  constructor(private readonly buf: Buffer) {}
  get length(): number {
    return this.buf.length;
  }
  read(offset: number, length: number): Buffer {
    return this.buf.subarray(offset, offset + length);
  }
}

/** The descriptor is closed when its pages are no longer reachable (a remembered copy is replaced,
 *  say); nobody can tell when else: lazily walked buckets read pages at any later time. */
const closer = new FinalizationRegistry<number>((fd) => {
  try {
    closeSync(fd);
  } catch {
    // already closed
  }
});

export class FilePages implements PageSource {
  private closed = false;

  constructor(
    private readonly fd: number,
    readonly length: number,
  ) {
    closer.register(this, fd, this);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    // Unregistered first: the finalizer must never close this number again (it may be reused).
    closer.unregister(this);
    try {
      closeSync(this.fd);
    } catch {
      // already gone
    }
  }

  read(offset: number, length: number): Buffer {
    if (this.closed) throw new Error('layertop: a closed copy was read');
    const n = Math.max(0, Math.min(length, this.length - offset));
    const out = Buffer.allocUnsafe(n);
    const got = readInto(this.fd, out, n, offset);
    return got === n ? out : out.subarray(0, got);
  }
}

/** Reads up to `n` bytes at `position` into the start of `out`; how many came (fewer at the end). */
function readInto(fd: number, out: Buffer, n: number, position: number): number {
  let got = 0;
  while (got < n) {
    const r = readSync(fd, out, got, n - got, position + got);
    if (r === 0) break;
    got += r;
  }
  return got;
}

/** Files this small stay in memory: a temporary file would save nothing worth its system calls. */
export const SPILL_MIN_BYTES = 64 * 1024;

let spills = 0;

/** An unlinked file under `dir` (created only if absent, so no planted link is followed). */
function openTemp(dir: string): number {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const path = join(dir, `.layertop-copy-${process.pid}-${++spills}`);
  const fd = openSync(path, 'wx+', 0o600);
  try {
    unlinkSync(path);
  } catch (err) {
    closeSync(fd);
    throw err;
  }
  return fd;
}

/**
 * A file's `size` bytes as they arrive, kept in an unlinked file under the first of `dirs` that
 * takes one, or in memory when none does or a write fails (a full disk: what layertop is for).
 */
export class PageSink {
  private fd: number | undefined;
  private mem: Buffer | undefined;
  private filled = 0;
  /** Written bytes could not be read back: the copy must be taken again. */
  lost = false;

  constructor(
    readonly size: number,
    dirs: readonly string[] = [],
    /** The write call (a test makes it fail, as a full disk does). */
    private readonly write: typeof writeSync = writeSync,
  ) {
    if (size >= SPILL_MIN_BYTES) {
      for (const dir of dirs) {
        try {
          this.fd = openTemp(dir);
          break;
        } catch {
          // the next place, or memory
        }
      }
    }
    if (this.fd === undefined) this.mem = Buffer.allocUnsafe(size);
  }

  /** Whether the bytes go to a file (for tests and timing). */
  get onDisk(): boolean {
    return this.fd !== undefined;
  }

  get remaining(): number {
    return this.size - this.filled;
  }

  /** Takes what of `chunk` fits; returns how many bytes that was. */
  append(chunk: Buffer): number {
    const n = Math.min(chunk.length, this.size - this.filled);
    if (n <= 0) return 0;
    if (this.fd !== undefined) {
      try {
        let done = 0;
        while (done < n) {
          const w = this.write(this.fd, chunk, done, n - done, this.filled + done);
          if (w <= 0) throw new Error('layertop: a write that wrote nothing');
          done += w;
        }
      } catch {
        this.toMemory();
      }
    }
    if (this.mem) chunk.copy(this.mem, this.filled, 0, n);
    this.filled += n;
    return n;
  }

  /** A write failed: what was written is read back, the rest goes to memory. */
  private toMemory(): void {
    const fd = this.fd as number;
    const mem = Buffer.allocUnsafe(this.size);
    // Not through FilePages: its descriptor is closed by the finalizer, this one here.
    if (readInto(fd, mem, this.filled, 0) < this.filled) this.lost = true;
    this.fd = undefined;
    this.mem = mem;
    this.closeQuietly(fd);
  }

  private closeQuietly(fd: number): void {
    try {
      closeSync(fd);
    } catch {
      // nothing to lose: the file is unlinked
    }
  }

  /** The bytes, once all `size` are in. */
  pages(): PageSource {
    if (this.fd !== undefined) {
      const pages = new FilePages(this.fd, this.size);
      this.fd = undefined;
      return pages;
    }
    return new BufferPages(this.mem ?? Buffer.alloc(0));
  }

  /** Lets go of the bytes (a reply that did not add up). */
  discard(): void {
    if (this.fd !== undefined) this.closeQuietly(this.fd);
    this.fd = undefined;
    this.mem = undefined;
  }
}

/** Where copies go: layertop's cache directory (on disk, where a temporary directory may be RAM), then the temporary directory. */
export function spillDirs(cacheDir: string): string[] {
  return [cacheDir, tmpdir()];
}
