import { describe, expect, it } from 'vitest';
import { ChunkedWriter } from '../../source/cli/chunked-output.js';
import { jsonSafe, jsonText } from '../../source/cli/json-safe.js';

// A build command or a link target can hold a C1 control (U+009B opens a control sequence on a
// terminal that takes C1 codes) or a bidi override; JSON.stringify writes both raw.
const hostile = {
  createdBy: 'RUN echo \u009b31mred \u202eexe.txt \u200b\u00ad',
  tag: '\u{e0041}x',
  plain: 'café € 😀 "quoted" \\ \n',
};

describe('JSON safe on a terminal', () => {
  it('writes C1 controls and invisible format characters as \\u escapes, and parses back to the same value', () => {
    const text = jsonText(hostile, 2);
    expect(text).not.toMatch(/[\u0080-\u009f\u00ad\u200b\u202e]|\udb40/);
    expect(text).toContain('RUN echo \\u009b31mred \\u202eexe.txt \\u200b\\u00ad');
    expect(text).toContain('"\\udb40\\udc41x"');
    expect(JSON.parse(text)).toEqual(hostile);
    // Letters, symbols and emoji stay as they are.
    expect(text).toContain('café € 😀');
    expect(jsonSafe('{"a":1}')).toBe('{"a":1}');
  });

  it('does the same for chunked output (scan --json, files --json)', () => {
    // Past one 64 KiB chunk: every chunk is made safe, not only the first or the last.
    const many = Array.from({ length: 2000 }, () => hostile);
    let out = '';
    let chunks = 0;
    const w = new ChunkedWriter((t) => {
      out += t;
      chunks++;
    }, true);
    w.write('[');
    many.forEach((h, i) => {
      w.write(`${i ? ',' : ''}${JSON.stringify(h)}`);
    });
    w.write(']');
    w.end();
    expect(chunks).toBeGreaterThan(2);
    expect(out.length).toBeGreaterThan(128 * 1024);
    expect(out).not.toMatch(/[\u0080-\u009f\u00ad\u200b\u202e]|\udb40/);
    expect(JSON.parse(out)).toEqual(many);
    // Plain text output is written as it is (it is escaped for the screen where it is made).
    let text = '';
    const t = new ChunkedWriter((x) => {
      text += x;
    });
    t.write('caf\u00e9\n');
    t.end();
    expect(text).toBe('caf\u00e9\n');
  });
});
