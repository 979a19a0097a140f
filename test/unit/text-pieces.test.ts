import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  decodePieces,
  PIECE_BYTES,
  readPieces,
  readTextFileSync,
  writeTextInPieces,
} from '../../source/process/text-pieces.js';

// Text of multi-byte characters: "é" is 2 bytes, "€" 3, "😀" 4 (a surrogate pair in JavaScript);
// the unit is 16 bytes long.
const mixed = (chars: number): string => {
  const unit = 'ab\u00e9c\u20acd\u{1f600}e"\n';
  return unit.repeat(Math.ceil(chars / unit.length)).slice(0, chars);
};

describe('big text in pieces', () => {
  it('decodes pieces cut inside a character as the whole would decode', () => {
    const bytes = Buffer.from(mixed(50_000), 'utf8');
    for (const cut of [1, 2, 3, 5, 4093]) {
      const pieces: Buffer[] = [];
      for (let i = 0; i < bytes.length; i += cut) pieces.push(bytes.subarray(i, i + cut));
      expect(decodePieces(pieces)).toBe(bytes.toString('utf8'));
    }
    expect(decodePieces([])).toBe('');
  });

  it('writes a text as pieces of at most PIECE_BYTES whose bytes are the whole text, no pair cut', async () => {
    const step = Math.floor(PIECE_BYTES / 3);
    // A surrogate pair exactly across the first cut, then a long mixed tail.
    const text = `${'a'.repeat(step - 1)}\u{1f600}${mixed(3 * step)}`;
    const pieces: Buffer[] = [];
    await writeTextInPieces(text, async (b) => {
      pieces.push(Buffer.from(b));
    });
    expect(pieces.length).toBeGreaterThan(3);
    for (const p of pieces) {
      expect(p.length).toBeLessThanOrEqual(PIECE_BYTES);
      // No piece holds half a character: each decodes alone without a replacement character.
      expect(p.toString('utf8')).not.toContain('\ufffd');
    }
    expect(Buffer.concat(pieces).equals(Buffer.from(text, 'utf8'))).toBe(true);
    const none: Buffer[] = [];
    await writeTextInPieces('', async (b) => {
      none.push(b);
    });
    expect(none).toEqual([]);
  });

  it('reads a file in pieces, sync and async, as readFileSync reads it; a file shorter than asked is undefined', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'layertop-pieces-'));
    const file = join(dir, 'big.json');
    // Five bytes first: the 16-byte unit of `mixed` divides PIECE_BYTES, so without them every
    // cut from the file's start would fall between characters.
    writeFileSync(file, `12345${mixed(3 * PIECE_BYTES + 17)}`);
    const whole = readFileSync(file, 'utf8');
    const bytes = readFileSync(file);
    // The fixture does cut a character: decoding each piece alone would differ.
    const naive: string[] = [];
    for (let i = 0; i < bytes.length; i += PIECE_BYTES)
      naive.push(bytes.subarray(i, i + PIECE_BYTES).toString('utf8'));
    expect(naive.join('')).not.toBe(whole);
    expect(readTextFileSync(file)).toBe(whole);
    const size = bytes.length;
    const fh = await open(file, 'r');
    try {
      const pieces = await readPieces(fh, 10, size - 10);
      expect(pieces?.length).toBe(Math.ceil((size - 10) / PIECE_BYTES));
      for (const p of pieces ?? []) expect(p.length).toBeLessThanOrEqual(PIECE_BYTES);
      expect(Buffer.concat(pieces ?? []).equals(readFileSync(file).subarray(10))).toBe(true);
      expect(await readPieces(fh, 10, size)).toBeUndefined();
    } finally {
      await fh.close();
    }
    expect(() => readTextFileSync(join(dir, 'absent'))).toThrow(/ENOENT/);
    // Its 800 kB file is not left in /tmp by a run outside npm test (whose TMPDIR goes at the end).
    rmSync(dir, { recursive: true, force: true });
  });
});
