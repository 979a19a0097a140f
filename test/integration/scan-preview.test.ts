// The explorer's first launch: the full scan's preview (the API's lists and the store's own layer
// sizes, scanEngine's onPreview) is what the screen shows before any walk's figure. It must show
// what the API tree showed in its place: every image, every layer at Docker's size, the build
// commands, and no disk figure (unknown, never 0).
import { describe, expect, it } from 'vitest';
import { getInfo } from '../../source/engine/docker/inventory.js';
import { HelperSession } from '../../source/engine/helper/helper-session.js';
import { SizeCache } from '../../source/engine/helper/size-cache.js';
import { scanEngine, scanFromApi } from '../../source/engine/scan.js';
import type { ScanModel } from '../../source/model/report.js';
import { client } from '../support/engines.js';

const layerSizes = (m: ScanModel) => Object.fromEntries(m.report.layers.map((l) => [l.chainId, l.size]));
const layerCommands = (m: ScanModel) =>
  Object.fromEntries(m.report.layers.map((l) => [l.chainId, l.createdBy]));
const imageRows = (m: ScanModel) =>
  m.report.images
    .map((i) => [i.id, i.tags.join(','), i.engineSize])
    .sort((a, b) => String(a[0]).localeCompare(String(b[0])));

describe("the full scan's preview (overlay2 engine)", () => {
  it("comes once, before the scan's model, with Docker's layer sizes and commands as the API gives them and no disk figure", async () => {
    const c = await client('overlay2');
    const info = await getInfo(c);
    // The API tree the preview replaces: sizes and commands from every image's history.
    const api = await scanFromApi(c, info);
    const helper = await HelperSession.start(c, { dataRoot: info.DockerRootDir });
    try {
      const order: string[] = [];
      const previews: (ScanModel | undefined)[] = [];
      const model = await scanEngine(c, {
        helper,
        info,
        cache: new SizeCache(undefined),
        onPreview: (m) => {
          order.push('preview');
          previews.push(m);
        },
        // The first screen's wait says when the engine has listed, and how many (onEngineLists).
        onEngineLists: ({ images }) => order.push(`listed ${images}`),
      });
      order.push('model');
      expect(order).toEqual([`listed ${model.report.images.length}`, 'preview', 'model']);
      expect(model.report.images.length).toBeGreaterThan(5);
      const preview = previews[0];
      if (!preview) throw new Error('the preview said none could be made');
      expect(imageRows(preview)).toEqual(imageRows(api));
      expect(imageRows(preview)).toEqual(imageRows(model));
      expect(Object.keys(layerSizes(preview)).length).toBeGreaterThan(10);
      expect(layerSizes(preview)).toEqual(layerSizes(api));
      expect(layerSizes(preview)).toEqual(layerSizes(model));
      expect(layerCommands(preview)).toEqual(layerCommands(api));
      // Some layer has a size and a command, so the comparisons above compare something.
      expect(Object.values(layerSizes(preview)).some((s) => s > 0)).toBe(true);
      expect(Object.values(layerCommands(preview)).some((s) => typeof s === 'string' && s.length > 0)).toBe(
        true,
      );
      // Nothing measured yet: every disk figure unknown, none 0.
      expect(preview.report.diskUnknown).toBe('not measured yet');
      expect(preview.report.layers.filter((l) => l.diskBytes !== null || l.measuredSize !== null)).toEqual(
        [],
      );
      expect(model.report.diskUnknown).toBeNull();
    } finally {
      await helper.close();
    }
  });
});

describe("the full scan's preview (containerd engine)", () => {
  it('never comes: the store keeps no layer sizes of its own (they come from the walks)', async () => {
    const c = await client('containerd');
    const info = await getInfo(c);
    const helper = await HelperSession.start(c, { dataRoot: info.DockerRootDir });
    try {
      let previews = 0;
      const listed: number[] = [];
      const model = await scanEngine(c, {
        helper,
        info,
        cache: new SizeCache(undefined),
        onPreview: () => {
          previews++;
        },
        onEngineLists: ({ images }) => listed.push(images),
      });
      expect(model.report.layers.length).toBeGreaterThan(10);
      expect(previews).toBe(0);
      // The wait for the engine's image list ends once, with its count, before the tree.
      expect(listed).toEqual([model.report.images.length]);
    } finally {
      await helper.close();
    }
  });
});
