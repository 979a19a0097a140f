import { render } from 'ink-testing-library';
import { describe, expect, it } from 'vitest';
import { readyData, sampleModel } from '../../../test/support/model.js';
import { tick } from '../../../test/support/wait.js';
import { Explorer } from '../explorer/Explorer.js';
import { PANES, SYMBOLS } from '../key-bindings.js';
import { helpLines, helpWindow, wrap } from './help-lines.js';

/** The text inside the overlay's border, line by line (the border and its padding taken off). */
const inside = (frame: string | undefined) =>
  (frame ?? '')
    .split('\n')
    .filter((l) => l.startsWith('│'))
    .map((l) => l.slice(2, -2).trimEnd())
    .filter((l, i, all) => l !== '' || all.slice(i).some((x) => x !== ''));

describe('help at 80x24', () => {
  it('shows every key and symbol of the tree whole, scrolling with j, nothing cut', async () => {
    const r = render(
      <Explorer data={readyData(sampleModel())} onQuit={() => {}} size={{ columns: 80, rows: 24 }} />,
    );
    await tick();
    r.stdin.write('?');
    await tick();
    const seen: string[] = [];
    let frame = r.lastFrame() ?? '';
    expect(frame).toMatch(/lines 1-\d+ of \d+ {2}↑↓ scroll \(more below\)/);
    for (let i = 0; i < 40 && !/of \d+ {2}↑↓ scroll$/m.test(inside(frame).at(-1) ?? ''); i++) {
      seen.push(...inside(frame));
      r.stdin.write('j');
      await tick();
      frame = r.lastFrame() ?? '';
    }
    seen.push(...inside(frame));
    // The last line says where the view is; the end has no "more below".
    expect(inside(frame).at(-1)).toMatch(/^lines \d+-(\d+) of \1 {2}↑↓ scroll$/);
    const text = seen.join('\n');
    expect(text).not.toContain('…');
    // A description that wraps continues under itself: joined, each is there whole.
    const joined = seen.map((l) => l.trim()).join(' ');
    for (const b of PANES.tree.bindings) {
      expect(text).toContain(b.keys.join(' / '));
      expect(joined).toContain(b.help);
    }
    for (const [sym, what] of SYMBOLS)
      expect(joined).toMatch(new RegExp(`${sym.replace(/[×▣◆]/g, '.')}\\s+${what}`));
    // Any other key says how to leave; Esc closes.
    r.stdin.write('x');
    await tick();
    expect(r.lastFrame()).toContain('help is open: ↑↓ scroll, Esc or ? closes it');
    r.stdin.write('\u001b');
    await tick(60);
    expect(r.lastFrame()).toContain('ADD rootfs.tar /');
  });
});

describe('help lines', () => {
  it('put the symbols beside the keys when both fit whole, else under them', () => {
    const wide = helpLines('tree', 156, 40);
    expect(wide).toHaveLength(PANES.tree.bindings.length);
    expect(wide[0]?.text).toMatch(/^↑ \/ k\s+move up\s+SIZE\s+Docker's bytes$/);
    const narrow = helpLines('tree', 76, 19);
    expect(narrow.length).toBeGreaterThan(PANES.tree.bindings.length + SYMBOLS.length);
    for (const l of narrow) expect(l.text.length).toBeLessThanOrEqual(76);
    expect(narrow.at(-1)).toEqual({ text: 'A M D O        added, modified, deleted, opaque', legend: true });
  });

  it('wrap words whole and cut only a word longer than the line', () => {
    expect(wrap('mark an image, container, volume or the build cache', 20)).toEqual([
      'mark an image,',
      'container, volume or',
      'the build cache',
    ]);
    expect(wrap('abcdefghij', 4)).toEqual(['abcd', 'efgh', 'ij']);
  });

  it('scroll within the lines and say where the view is', () => {
    const lines = Array.from({ length: 10 }, (_, i) => ({ text: `l${i}` }));
    expect(helpWindow(lines, 20, 5)).toEqual({ shown: lines, maxScroll: 0 });
    const w = helpWindow(lines, 4, 99);
    expect(w.shown.map((l) => l.text)).toEqual(['l7', 'l8', 'l9']);
    expect(w.status).toBe('lines 8-10 of 10  ↑↓ scroll');
    expect(w.maxScroll).toBe(7);
  });
});
