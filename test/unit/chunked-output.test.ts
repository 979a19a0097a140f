import { describe, expect, it } from 'vitest';
import { ChunkedWriter, writeJsonWithList } from '../../source/cli/chunked-output.js';

describe('chunked output', () => {
  it('writes the JSON of head plus a list byte for byte as JSON.stringify does, in chunks', () => {
    const items = Array.from({ length: 5000 }, (_, i) => ({ path: `dir/file-${i}\n"q"`, size: i }));
    const chunks: string[] = [];
    const w = new ChunkedWriter((t) => chunks.push(t));
    const head = { target: { name: 'x' }, view: 'diff', n: null };
    writeJsonWithList(w, head, 'entries', items, (i) => ({ ...i, even: i.size % 2 === 0 }));
    const whole = `${JSON.stringify({ ...head, entries: items.map((i) => ({ ...i, even: i.size % 2 === 0 })) })}\n`;
    expect(chunks.join('')).toBe(whole);
    expect(chunks.length).toBeGreaterThan(3);
    expect(Math.max(...chunks.map((c) => c.length))).toBeLessThan(70 * 1024);
  });

  it('handles an empty head and an empty list', () => {
    const chunks: string[] = [];
    writeJsonWithList(new ChunkedWriter((t) => chunks.push(t)), {}, 'entries', [], (i) => i);
    expect(chunks.join('')).toBe(`${JSON.stringify({ entries: [] })}\n`);
  });
});
