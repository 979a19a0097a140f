// The files pane's search: fuzzy over a listing of ordinary size, plain text over a huge one.

import type { Key } from 'ink';
import { describe, expect, it } from 'vitest';
import type { FileItem } from '../../source/model/file-tree.js';
import { FUZZY_MAX_NAMES, filesKey, filesModel, searchFiles } from '../../source/tui/files/FilesPanel.js';
import { filesReducer, openFiles } from '../../source/tui/files/files-view.js';

const listing = (n: number) =>
  Array.from({ length: n }, (_, i) => ({
    path: `c/${Math.floor(i / 1000)}/f${i}`,
    size: 1,
    type: 'file',
  })) as unknown as FileItem[];

describe('files search', () => {
  it('matches fuzzily in a listing of ordinary size', () => {
    const items = listing(2_000);
    // "c1f1999": c/1/f1999 by its letters in order, not as one piece of text.
    expect(searchFiles(items, 'c1f1999').map((i) => i.path)).toContain('c/1/f1999');
  });

  it("matches the query's text, any case, in listing order, in a listing beyond the fuzzy limit", () => {
    const items = listing(FUZZY_MAX_NAMES * 2);
    expect(searchFiles(items, 'F3999').map((i) => i.path)).toEqual([
      'c/3/f3999',
      'c/39/f39990',
      'c/39/f39991',
      'c/39/f39992',
      'c/39/f39993',
      'c/39/f39994',
      'c/39/f39995',
      'c/39/f39996',
      'c/39/f39997',
      'c/39/f39998',
      'c/39/f39999',
    ]);
    expect(searchFiles(items, 'c1f1999')).toEqual([]);
    expect(searchFiles(items, 'f')).toHaveLength(200);
  });
});

describe('the files rows while typing a search', () => {
  it('are the rows made before, not made again, until what they come from changes', () => {
    let v = openFiles('img', 'img');
    v = filesReducer(v, { type: 'names', names: ['./a', './b', './b/c'] });
    v = filesReducer(v, { type: 'largest' });
    const rows = filesModel(v).rows;
    expect(rows.length).toBeGreaterThan(0);
    v = filesReducer(v, { type: 'search', on: true });
    v = filesReducer(v, { type: 'query', query: 'b' });
    expect(filesModel(v).rows).toBe(rows);
    v = filesReducer(v, { type: 'largest' });
    const tree = filesModel(v).rows;
    expect(tree).not.toBe(rows);
    v = filesReducer(v, { type: 'toggleDir', path: 'b' });
    expect(filesModel(v).rows).not.toBe(tree);
  });
});

describe('the file preview', () => {
  it('shows the last page whole on End or G, never an empty pane', () => {
    let v = openFiles('img', 'img');
    v = filesReducer(v, {
      type: 'preview',
      preview: {
        path: 'a',
        title: 'a',
        lines: Array.from({ length: 40 }, (_, i) => ({ kind: 'same', text: `l${i}` }) as never),
      },
    });
    const page = 10;
    const key = Object.fromEntries(
      [
        'upArrow',
        'downArrow',
        'leftArrow',
        'rightArrow',
        'pageUp',
        'pageDown',
        'home',
        'end',
        'return',
        'escape',
        'ctrl',
        'shift',
        'tab',
        'backspace',
        'delete',
        'meta',
      ].map((k) => [k, false]),
    ) as unknown as Key;
    for (const [input, k] of [
      ['G', key],
      ['', { ...key, end: true }],
    ] as const) {
      let now = v;
      filesKey(
        now,
        filesModel(now),
        [],
        input,
        k,
        (a) => {
          now = filesReducer(now, a as Parameters<typeof filesReducer>[1]);
        },
        page,
        () => {},
      );
      expect(now.previewScroll).toBe(40 - page);
    }
  });
});
