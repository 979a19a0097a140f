import { describe, expect, it } from 'vitest';
import { ChunkedWriter } from '../../source/cli/chunked-output.js';
import { writeReportJson } from '../../source/cli/json-stream.js';

const written = (value: unknown) => {
  let out = '';
  const w = new ChunkedWriter((t) => {
    out += t;
  });
  writeReportJson(w, value);
  w.end();
  return out;
};

/** Park-Miller: the same inputs on every run. */
function rng(seed: number) {
  let s = seed;
  return (n: number) => {
    s = (s * 16807) % 2147483647;
    return s % n;
  };
}

function randomValue(next: (n: number) => number, depth: number): unknown {
  const kind = next(depth > 5 ? 6 : 9);
  switch (kind) {
    case 0:
      return null;
    case 1:
      return next(2) === 0;
    case 2:
      return next(1_000_000) - 500_000 + (next(2) ? 0.5 : 0);
    case 3:
      return ['', 'a', 'with "quotes"', 'line\nbreak', '\u001b[31m', 'é ü', '\\'][next(7)];
    case 4:
      return undefined;
    case 5:
      return Number.NaN;
    case 6:
    case 7:
      return Array.from({ length: next(5) }, () => randomValue(next, depth + 1));
    default:
      return Object.fromEntries(
        Array.from({ length: next(5) }, (_, i) => [
          `k${i}${next(2) ? '"' : ''}`,
          randomValue(next, depth + 1),
        ]),
      );
  }
}

/** What JSON.stringify makes of a value, as text (the JSON both must mean). */
const same = (text: string, value: unknown) =>
  expect(JSON.stringify(JSON.parse(text))).toBe(JSON.stringify(value));

describe('writeReportJson', () => {
  it('lays a report out as JSON.stringify(value, null, 2) down to its items, each item on one line', () => {
    const report = {
      engine: { version: '26.1.5', unknown: undefined },
      images: [
        {
          id: 'sha256:a',
          tags: ['a:1', 'b:2'],
          layers: [],
          nested: { deep: { deeper: { deepest: [1, { x: 'y' }] } } },
        },
        { id: 'sha256:b', tags: [], size: 0 },
      ],
      empty: {},
      list: [undefined, null, () => 1, 'text\twith\ttabs'],
      fn: () => 2,
      when: new Date(0),
      ledger: { categories: [{ key: 'logs', items: [{ path: 'a\nb', bytes: 4096 }] }] },
    };
    expect(written(report)).toBe(
      [
        '{',
        '  "engine": {',
        '    "version": "26.1.5"',
        '  },',
        '  "images": [',
        '    {"id":"sha256:a","tags":["a:1","b:2"],"layers":[],"nested":{"deep":{"deeper":{"deepest":[1,{"x":"y"}]}}}},',
        '    {"id":"sha256:b","tags":[],"size":0}',
        '  ],',
        '  "empty": {},',
        '  "list": [',
        '    null,',
        '    null,',
        '    null,',
        '    "text\\twith\\ttabs"',
        '  ],',
        '  "when": "1970-01-01T00:00:00.000Z",',
        '  "ledger": {',
        '    "categories": [',
        '      {',
        '        "key": "logs",',
        '        "items": [',
        '          {"path":"a\\nb","bytes":4096}',
        '        ]',
        '      }',
        '    ]',
        '  }',
        '}',
      ].join('\n'),
    );
    same(written(report), report);
    for (const v of [null, 1, 'x', [], {}, [[]], [{}], { a: [] }, { a: undefined }]) {
      expect(written(v)).toBe(JSON.stringify(v, null, 2));
      same(written(v), v);
    }
    // A hole in an array, and a value whose toJSON gives nothing (left out).
    // biome-ignore lint/suspicious/noSparseArray: the hole is what is tested
    const odd = { holes: [1, , 3], gone: { toJSON: () => undefined }, kept: { toJSON: () => ({ a: [1] }) } };
    expect(written(odd)).toBe('{\n  "holes": [\n    1,\n    null,\n    3\n  ],\n  "kept": {"a":[1]}\n}');
  });

  it('means what JSON.stringify makes of 300 random documents, large enough to be written in many chunks', () => {
    const next = rng(12345);
    for (let round = 0; round < 300; round++) {
      const doc = {
        items: Array.from({ length: 1 + next(400) }, () => randomValue(next, 1)),
        other: randomValue(next, 0),
      };
      const text = written(doc);
      same(text, doc);
      // Each object in the list is one line of its own, compact, unless it holds a list of
      // objects (then that list's objects are).
      const lines = new Set(text.split('\n').map((l) => l.trim().replace(/,$/, '')));
      const holdsItems = (o: object) =>
        Object.values(o).some(
          (x) => Array.isArray(x) && x.length > 0 && typeof x[0] === 'object' && x[0] !== null,
        );
      for (const item of doc.items)
        if (item && typeof item === 'object' && !Array.isArray(item) && !holdsItems(item))
          expect(lines).toContain(JSON.stringify(item));
    }
  });
});
