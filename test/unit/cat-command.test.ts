// `layertop cat`'s pure parts: the path as listings name it, and the escaping of a file that goes
// to a terminal part after part (a UTF-8 character cut between two parts is not mangled).
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../source/cli/args.js';
import { catPath, TerminalEscaper } from '../../source/cli/cat-command.js';

describe('catPath', () => {
  it('takes the path relative, as bytes, without empty or "." parts', () => {
    expect(catPath('/etc//./passwd')).toBe('etc/passwd');
    expect(catPath('etc/passwd/')).toBe('etc/passwd');
    // Listings name paths by their bytes (one latin1 char per byte).
    expect(catPath('/é')).toBe(Buffer.from('é', 'utf8').toString('latin1'));
  });

  it('refuses ".." and an empty path', () => {
    expect(() => catPath('/etc/../shadow')).toThrow(UsageError);
    expect(() => catPath('/')).toThrow(UsageError);
  });
});

describe('TerminalEscaper', () => {
  const run = (parts: Buffer[]) => {
    const e = new TerminalEscaper();
    return parts.map((p) => e.push(p)).join('') + e.end();
  };

  it('keeps newlines, escapes control bytes and invalid UTF-8', () => {
    const out = run([Buffer.from('a\x1b[31mred\nline\ttab\xff\n', 'latin1')]);
    expect(out).toBe('a\\e[31mred\nline\\ttab\\xff\n');
    expect(out.replace(/\n/g, '')).not.toMatch(/[\x00-\x1f\x7f]/);
  });

  it('joins a UTF-8 character cut between two parts', () => {
    const b = Buffer.from('x€y', 'utf8');
    for (let cut = 0; cut <= b.length; cut++)
      expect(run([b.subarray(0, cut), b.subarray(cut)]), `cut at ${cut}`).toBe('x€y');
    // A lead byte at the very end stays invalid once the file ends.
    expect(run([Buffer.from([0x61, 0xe2, 0x82])])).toBe('a\\xe2\\x82');
  });
});
