import { closeSync, openSync, readSync } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { StringDecoder } from 'node:string_decoder';

/**
 * Big text in pieces of at most this many bytes, for the explorer's resident memory at scale.
 *
 * Why: glibc's malloc serves a block of 128 kB or more with a mapping of its own, and when such a
 * block is freed it raises its threshold to that block's size (up to 32 MB), after which blocks
 * below it come from its heap, where they fragment and stay. Node allocates through malloc: a
 * Buffer's memory, and a string decoded from more than about 1 MB (an external string). Node's
 * own start (reading the 1.1 MB bundle) sets the threshold near 1.1 MB; before this, layertop's
 * 5 MB reads of the size cache and last scan, its 1-1.5 MB Buffers of each slice of their saves
 * and a 1.7 MB Buffer per rescan hashed on the containerd store raised it to 5.3 MB. Measured on
 * the containerd scale engine (2026-12-05 16:20 UTC, the explorer through two container
 * create/rm rounds, VmHWM): 209-212 MB; with the threshold held at 1.2 MB by glibc's
 * MALLOC_MMAP_THRESHOLD_, 190-192 MB. Pieces well below 1 MB keep it where Node's start left it.
 */
export const PIECE_BYTES = 256 * 1024;

/** The UTF-8 text of `pieces` in order (a character split across two pieces is joined). */
export function decodePieces(pieces: Iterable<Buffer>): string {
  const d = new StringDecoder('utf8');
  let text = '';
  for (const p of pieces) text += d.write(p);
  return text + d.end();
}

/**
 * `length` bytes of an open file from `position`, as pieces of at most PIECE_BYTES; undefined if
 * the file ends sooner (it shrank meanwhile). The pieces are asked for all at once: one after
 * another, each waited for a turn of the thread between two reads, and a busy thread (a warm
 * scan's API answers at scale) stretched a 4.8 MB read from 0.1 s to 0.5 s, so the cache's rest
 * was not in when first needed and was read a second time, synchronously.
 */
export async function readPieces(
  fh: FileHandle,
  position: number,
  length: number,
): Promise<Buffer[] | undefined> {
  const reads: Promise<Buffer | undefined>[] = [];
  for (let at = 0; at < length; at += PIECE_BYTES) {
    const piece = Buffer.allocUnsafe(Math.min(PIECE_BYTES, length - at));
    const from = position + at;
    reads.push(
      (async () => {
        let got = 0;
        while (got < piece.length) {
          const r = await fh.read(piece, got, piece.length - got, from + got);
          if (!r.bytesRead) return undefined;
          got += r.bytesRead;
        }
        return piece;
      })(),
    );
  }
  const pieces = await Promise.all(reads);
  return pieces.every((p) => p !== undefined) ? (pieces as Buffer[]) : undefined;
}

/** A whole file's UTF-8 text, read in pieces (readFileSync(file, 'utf8') in one block). Throws as it does. */
export function readTextFileSync(file: string): string {
  const fd = openSync(file, 'r');
  try {
    const d = new StringDecoder('utf8');
    const piece = Buffer.allocUnsafe(PIECE_BYTES);
    let text = '';
    for (;;) {
      const n = readSync(fd, piece, 0, piece.length, null);
      if (n === 0) break;
      text += d.write(piece.subarray(0, n));
    }
    return text + d.end();
  } finally {
    closeSync(fd);
  }
}

/**
 * Writes `text` through `write` as UTF-8 in pieces of at most PIECE_BYTES / 3 characters (at
 * most PIECE_BYTES bytes), never splitting a surrogate pair.
 */
export async function writeTextInPieces(text: string, write: (b: Buffer) => Promise<void>): Promise<void> {
  const step = Math.floor(PIECE_BYTES / 3);
  for (let i = 0; i < text.length; ) {
    let end = Math.min(text.length, i + step);
    // A high surrogate as the last unit: its pair would be cut in two.
    if (end < text.length && (text.charCodeAt(end - 1) & 0xfc00) === 0xd800) end--;
    await write(Buffer.from(text.slice(i, end), 'utf8'));
    i = end;
  }
}
