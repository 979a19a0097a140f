// What `scan --json` says of the build cache's records: an unknown figure is null, never left out
// (a reader testing `=== null` must not miss it) and never 0.
import { describe, expect, it } from 'vitest';
import { buildScanModel } from '../../source/model/report.js';
import { cacheRecord as record, sampleModel } from '../support/model.js';

function inputs() {
  const i = sampleModel().inputs;
  i.buildCache = {
    records: 2,
    size: 200,
    diskBytes: 8192,
    freedDiskBytes: 8192,
    unattributedDiskBytes: 0,
    // One measured; one BuildKit's metadata did not have when the scan read it.
    items: [record('measured', { dirs: ['/d/1'], diskBytes: 8192 }), record('unread', {})],
  };
  return i;
}

const json = (i: ReturnType<typeof inputs>) =>
  JSON.parse(JSON.stringify(buildScanModel(i).report)) as {
    buildCache: Record<string, unknown> & { items: Record<string, unknown>[] };
  };

describe('scan --json: the build cache', () => {
  it("gives a record's unknown bytes and directories as null beside a measured one's", () => {
    const { buildCache } = json(inputs());
    expect(buildCache.items.map((r) => [r.id, r.dirs, r.diskBytes])).toEqual([
      ['measured', ['/d/1'], 8192],
      ['unread', null, null],
    ]);
    expect(buildCache).toMatchObject({ diskBytes: 8192, freedDiskBytes: 8192, unattributedDiskBytes: 0 });
  });

  it('gives every disk figure as null when no helper measured', () => {
    const i = inputs();
    i.diskUnknown = '--no-helper';
    const { buildCache } = json(i);
    expect(buildCache.items.map((r) => r.diskBytes)).toEqual([null, null]);
    expect([buildCache.diskBytes, buildCache.freedDiskBytes, buildCache.unattributedDiskBytes]).toEqual([
      null,
      null,
      null,
    ]);
    expect(buildCache.size).toBe(200);
  });
});
