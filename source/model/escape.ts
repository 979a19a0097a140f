// Text from images (file names, build commands, tags) can hold anything: newlines, terminal escape
// sequences, bytes that are not UTF-8. It is shown escaped, never passed raw to a terminal.

const CONTROL_NAMES: Record<number, string> = { 10: '\\n', 13: '\\r', 9: '\\t', 27: '\\e' };

/**
 * Characters that show as nothing (or move text): Unicode's format characters (Cf: bidi controls,
 * zero-width marks and joiners, the soft hyphen, tag characters), the line and paragraph
 * separators, the Hangul fillers. One class for the screen (escapeText) and JSON (cli/json-safe).
 */
export const INVISIBLE_CLASS = '[\\p{Cf}\\p{Zl}\\p{Zp}\\u115f\\u1160\\u3164\\uffa0]';
const INVISIBLE = new RegExp(`^${INVISIBLE_CLASS}$`, 'u');

function escapeCodePoint(cp: number): string {
  const named = CONTROL_NAMES[cp];
  if (named) return named;
  if (cp < 0x20 || cp === 0x7f || (cp >= 0x80 && cp <= 0x9f)) return `\\x${cp.toString(16).padStart(2, '0')}`;
  // Bidi controls, zero-width and other invisible format characters (Unicode's Cf: marks, joiners,
  // the soft hyphen, tag characters), line and paragraph separators and the Hangul fillers can make
  // text lie about itself: a name that reads as another, or a line that breaks where none is.
  // Every such character lies below U+2070, is U+3164, or lies at U+FEFF or above: most letters
  // (CJK among them) skip the test.
  if (
    cp >= 0xa0 &&
    (cp < 0x2070 || cp === 0x3164 || cp >= 0xfeff) &&
    INVISIBLE.test(String.fromCodePoint(cp))
  )
    return `\\u{${cp.toString(16)}}`;
  return String.fromCodePoint(cp);
}

/** Escapes a string for display: every control character becomes a visible escape. */
export function escapeText(s: string): string {
  let out = '';
  for (const ch of s) out += escapeCodePoint(ch.codePointAt(0) ?? 0);
  return out;
}

/** Escapes raw bytes (a file name): valid UTF-8 shows as text, every other byte as \xNN. */
export function escapeBytes(b: Uint8Array): string {
  let out = '';
  let i = 0;
  while (i < b.length) {
    const c = b[i] as number;
    let len = 0;
    let cp = 0;
    if (c < 0x80) {
      len = 1;
      cp = c;
    } else if (c >= 0xc2 && c <= 0xdf) {
      len = 2;
      cp = c & 0x1f;
    } else if (c >= 0xe0 && c <= 0xef) {
      len = 3;
      cp = c & 0x0f;
    } else if (c >= 0xf0 && c <= 0xf4) {
      len = 4;
      cp = c & 0x07;
    }
    let ok = len > 0 && i + len <= b.length;
    for (let k = 1; ok && k < len; k++) {
      const cc = b[i + k] as number;
      if ((cc & 0xc0) !== 0x80) ok = false;
      else cp = (cp << 6) | (cc & 0x3f);
    }
    // Overlong forms, surrogates and out-of-range values are not valid UTF-8.
    if (
      ok &&
      ((len === 3 && cp < 0x800) ||
        (len === 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
        (cp >= 0xd800 && cp <= 0xdfff))
    ) {
      ok = false;
    }
    if (!ok) {
      out += `\\x${c.toString(16).padStart(2, '0')}`;
      i += 1;
      continue;
    }
    if (c === 0x5c) out += '\\\\';
    else out += escapeCodePoint(cp);
    i += len;
  }
  return out;
}
