// The explorer's first launch: the API tree first, then the full scan with the same size cache.
// The full scan takes the layer lists the API tree inspected instead of inspecting every image
// again, and must report exactly what a scan on its own reports.
import { describe, expect, it } from 'vitest';
import { getInfo } from '../../source/engine/docker/inventory.js';
import { HelperSession } from '../../source/engine/helper/helper-session.js';
import type { MeasureProgress } from '../../source/engine/helper/measure.js';
import { SizeCache } from '../../source/engine/helper/size-cache.js';
import { scanEngine, scanFromApi } from '../../source/engine/scan.js';
import { client } from '../support/engines.js';
import { expectSameScan } from '../support/same-scan.js';

describe('the full scan after the API tree (overlay2 engine)', () => {
  it('uses the layer lists the API tree inspected and reports every byte as a scan on its own', async () => {
    const c = await client('overlay2');
    const info = await getInfo(c);
    const cache = new SizeCache(undefined);
    const tree = await scanFromApi(c, info, cache);
    expect(tree.inputs.images.length).toBeGreaterThan(5);
    const helper = await HelperSession.start(c, { dataRoot: info.DockerRootDir });
    try {
      const after = await scanEngine(c, { helper, info, cache });
      // The reference inspects every image (asked for tag times, which only an inspect gives).
      const alone = await scanEngine(c, { helper, info, cache: new SizeCache(undefined), tagTimes: true });
      // A first scan with no cache inspects nothing either: it reads the image store's configs,
      // each once (their build commands are taken from that read too).
      const reads: string[] = [];
      const readFiles = helper.readFiles.bind(helper);
      helper.readFiles = (paths) => {
        reads.push(...paths);
        return readFiles(paths);
      };
      const first = await scanEngine(c, { helper, info, cache: new SizeCache(undefined) }).finally(() => {
        helper.readFiles = readFiles;
      });
      const configReads = reads.filter((p) => p.includes('/image/overlay2/imagedb/content/sha256/'));
      expect(configReads.length).toBeGreaterThanOrEqual(first.inputs.images.length);
      expect(new Set(configReads).size).toBe(configReads.length);
      // No image was inspected again: not one tag time is known...
      for (const s of [after, first]) {
        expect(s.inputs.tagTimesUnknown).toBe(true);
        expect(s.inputs.images.filter((i) => i.lastTagged !== undefined)).toEqual([]);
      }
      expect(alone.inputs.tagTimesUnknown).toBeFalsy();
      expect(alone.inputs.images.filter((i) => i.lastTagged !== undefined).length).toBeGreaterThan(5);
      // ...and every image has the layers the engine gives it.
      for (const s of [after, first]) {
        expect(s.inputs.images.map((i) => [i.id, i.diffIds])).toEqual(
          alone.inputs.images.map((i) => [i.id, i.diffIds]),
        );
        expectSameScan(s.report, alone.report);
      }
    } finally {
      await helper.close();
    }
  });

  it("reports its progress as a total that may grow ('+') until the last walks are asked, then a fixed one reached", async () => {
    const c = await client('overlay2');
    const info = await getInfo(c);
    const helper = await HelperSession.start(c, { dataRoot: info.DockerRootDir });
    const seen: MeasureProgress[] = [];
    try {
      await scanEngine(c, { helper, info, cache: new SizeCache(undefined), onProgress: (p) => seen.push(p) });
    } finally {
      await helper.close();
    }
    const known = seen.findIndex((p) => p.totalKnown);
    expect(seen.slice(0, Math.max(0, known)).some((p) => p.totalKnown === false && p.total > 0)).toBe(true);
    expect(known).toBeGreaterThan(0);
    expect(seen.slice(known).every((p) => p.totalKnown)).toBe(true);
    // Once known, the total never moves, and the walks reach it.
    const total = seen[known]?.total ?? 0;
    expect(total).toBeGreaterThan(10);
    expect(new Set(seen.slice(known).map((p) => p.total))).toEqual(new Set([total]));
    expect(seen.at(-1)?.done).toBe(total);
  });
});
