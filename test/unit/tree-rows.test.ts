// The tree's rows in the sort the user chose: an image's containers too, not only its layers.
import { describe, expect, it } from 'vitest';
import { buildRows } from '../../source/tui/tree/tree-rows.js';
import { makeModel, SAMPLE_IMAGES } from '../support/model.js';

describe("an image's containers in the tree", () => {
  const m = makeModel(
    SAMPLE_IMAGES,
    [
      { name: 'r1', diskBytes: 100_000, created: 50 },
      { name: 'r3', diskBytes: 300_000, created: 10 },
      { name: 'r2', diskBytes: 200_000, created: 30 },
    ].map((c) => ({ ...c, imageId: 'aaa1' })),
  );
  const names = (sort: 'size' | 'time', view: 'tree' | 'images') =>
    buildRows(m, new Set(), view, sort)
      .filter((r) => r.kind === 'container')
      .map((r) => m.inputs.containers.find((c) => c.id === r.containerId)?.name);
  it('come biggest first under sort: size, in both views', () => {
    expect(names('size', 'tree')).toEqual(['r3', 'r2', 'r1']);
    expect(names('size', 'images')).toEqual(['r3', 'r2', 'r1']);
  });
  it('come newest first under sort: time', () => {
    expect(names('time', 'tree')).toEqual(['r1', 'r2', 'r3']);
  });
});
