import { randomBytes } from 'node:crypto';
import { unlinkSync } from 'node:fs';
import { mkdir, open, rename, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import { stringifyInSlices } from './json-slices.js';
import { writeTextInPieces } from './text-pieces.js';

/** Temporary files being written: removed if the process exits meanwhile (a quit mid-save). */
const writing = new Set<string>();
let exitHook = false;

function writingNow(tmp: string): void {
  writing.add(tmp);
  if (exitHook) return;
  exitHook = true;
  process.once('exit', () => {
    for (const t of writing)
      try {
        unlinkSync(t);
      } catch {
        // already renamed into place, or never made
      }
  });
}

/**
 * Writes `lines`, each as one line of JSON (exactly `JSON.stringify`'s text for plain JSON data),
 * to a temporary file of its own beside `file`, then renames it into place: a reader sees the old
 * file or the new one whole. The text is made in slices of a few ms and each slice goes to the file
 * as it is made (stringifyInSlices' flush), so the thread is never held for the whole (the size
 * cache, 5 MB at scale: one string and one Buffer of it held the explorer's keys 120-170 ms per
 * save). Rejects when it cannot write; the temporary file is then gone.
 */
export async function writeJsonLines(file: string, lines: readonly Record<string, unknown>[]): Promise<void> {
  const tmp = `${file}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    await mkdir(dirname(file), { recursive: true });
    writingNow(tmp);
    const fh = await open(tmp, 'w');
    try {
      // In pieces: one Buffer per slice (1-1.5 MB at scale) raised malloc's threshold (see text-pieces).
      const out = (text: string): Promise<void> =>
        writeTextInPieces(text, async (piece) => {
          let b = piece;
          while (b.length > 0) b = b.subarray((await fh.write(b)).bytesWritten);
        });
      for (const line of lines) {
        await stringifyInSlices(line, 4, out);
        await out('\n');
      }
    } finally {
      await fh.close();
    }
    await rename(tmp, file);
  } catch (err) {
    await unlink(tmp).catch(() => {});
    throw err;
  } finally {
    writing.delete(tmp);
  }
}
