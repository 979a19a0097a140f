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
});
