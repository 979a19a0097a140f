// The explorer's fuzzy search: what a query finds, escaped labels, and the same answer on every
// keystroke (its index is built once per model).
import { describe, expect, it } from 'vitest';
import { search } from '../../source/tui/search/search.js';
import { sampleModel } from '../support/model.js';

describe('search', () => {
  it('finds an image by its tag and a layer by its build command, best first, each row once', () => {
    const model = sampleModel();
    const tag = model.inputs.images.flatMap((i) => i.tags)[0] as string;
    const hits = search(model, tag);
    expect(hits[0]?.label).toBe(tag);
    expect(hits[0]?.row.key.startsWith('image:')).toBe(true);
    expect(new Set(hits.map((h) => h.row.key)).size).toBe(hits.length);
    const command = [...model.graph.layers.values()].find((l) => l.createdBy)?.createdBy as string;
    const word = command.split(/\s+/).find((w) => w.length > 3) as string;
    expect(search(model, word).some((h) => h.row.key.startsWith('layer:'))).toBe(true);
  });

  it('answers the same for the same query again, and nothing for a blank one', () => {
    const model = sampleModel();
    const tag = model.inputs.images.flatMap((i) => i.tags)[0] as string;
    const q = tag.slice(0, 4);
    const first = search(model, q).map((h) => [h.row.key, h.label, h.ranges]);
    expect(first.length).toBeGreaterThan(0);
    expect(search(model, q).map((h) => [h.row.key, h.label, h.ranges])).toEqual(first);
    expect(search(model, '   ')).toEqual([]);
  });
});
