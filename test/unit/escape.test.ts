import { describe, expect, it } from 'vitest';
import { escapeBytes, escapeText } from '../../source/model/escape.js';

describe('escaping for the terminal', () => {
  it('shows newlines, ESC sequences and C1 controls as visible escapes', () => {
    const s = escapeText('new\nline esc\x1b[31mred\x1b]0;title\x07 \x9b');
    expect(s).toBe('new\\nline esc\\e[31mred\\e]0;title\\x07 \\x9b');
    expect(s).not.toMatch(/[\x00-\x1f\x7f-\x9f]/);
  });

  it('keeps valid UTF-8 and shows every invalid byte as \\xNN', () => {
    expect(escapeBytes(Buffer.from('bad\xff\xfeutf8 é', 'latin1'))).toBe('bad\\xff\\xfeutf8 \\xe9');
    expect(escapeBytes(Buffer.from('café ✓', 'utf8'))).toBe('café ✓');
    expect(escapeBytes(Buffer.from([0xc0, 0xaf]))).toBe('\\xc0\\xaf'); // overlong "/"
    expect(escapeBytes(Buffer.from('a\\b'))).toBe('a\\\\b');
  });

  it('leaves quotes and $(...) as plain text: they are data, shown as they are', () => {
    expect(escapeText(`quo"te'single $(touch PWNED) \`id\``)).toBe(`quo"te'single $(touch PWNED) \`id\``);
  });

  it('exposes bidi overrides that would make a name lie', () => {
    expect(escapeText('a\u202eb')).toBe('a\\u{202e}b');
  });

  it('exposes every invisible character a name could hide behind, in text and in bytes, and leaves letters and emoji', () => {
    // Marks (LRM, RLM, ALM), joiners, the word joiner, the soft hyphen, a tag character, the line
    // and paragraph separators, a Hangul filler.
    const hidden = '\u200e\u200f\u061c\u200c\u200d\u2060\u00ad\u{e0041}\u2028\u2029\u3164';
    const shown =
      '\\u{200e}\\u{200f}\\u{61c}\\u{200c}\\u{200d}\\u{2060}\\u{ad}\\u{e0041}\\u{2028}\\u{2029}\\u{3164}';
    expect(escapeText(`a${hidden}b`)).toBe(`a${shown}b`);
    expect(escapeBytes(Buffer.from(`a${hidden}b`))).toBe(`a${shown}b`);
    expect(escapeText('caf\u00e9 \u20ac \u{1f600} \u00a0')).toBe('caf\u00e9 \u20ac \u{1f600} \u00a0');
  });
});
