// Reading an image's layer list from the overlay2 image store's config files (storage-overlay2.ts):
// a config is taken only when its bytes are the image (their digest is its ID); anything else is
// left to the engine's inspect.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { HelperSession } from '../../source/engine/helper/helper-session.js';
import { SizeCache } from '../../source/engine/helper/size-cache.js';
import { commandsOfConfig, readCommands } from '../../source/engine/image-facts.js';
import type { StorageLayout } from '../../source/engine/storage/storage-layout.js';
import { overlay2Foreseen, overlay2ImageLayers } from '../../source/engine/storage/storage-overlay2.js';
import type { ImageInput } from '../../source/model/types.js';

const d = (c: string) => `sha256:${c.repeat(64)}`;
const idOf = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const config = (diffIds: unknown, type = 'layers') =>
  Buffer.from(JSON.stringify({ architecture: 'amd64', rootfs: { type, diff_ids: diffIds } }));

/** A helper whose readFiles answers from files by name under the image store's content directory. */
const helperOf = (files: Map<string, Buffer>, asked: string[][] = []) =>
  ({
    readFiles: async (paths: readonly string[]) => {
      asked.push([...paths]);
      return paths.map((p) => files.get(p.slice(p.lastIndexOf('/') + 1)));
    },
  }) as unknown as HelperSession;

describe('overlay2ImageLayers', () => {
  const good = config([d('1'), d('2')]);
  const single = config([d('3')]);

  it("gives each image its config's diff IDs, read in one request from the image store", async () => {
    const files = new Map([
      [idOf(good).slice(7), good],
      [idOf(single).slice(7), single],
    ]);
    const asked: string[][] = [];
    const out = await overlay2ImageLayers(helperOf(files, asked), '/var/lib/docker', [
      idOf(good),
      idOf(single),
    ]);
    expect([...out]).toEqual([
      [idOf(good), [d('1'), d('2')]],
      [idOf(single), [d('3')]],
    ]);
    expect(asked).toEqual([
      [
        `/var/lib/docker/image/overlay2/imagedb/content/sha256/${idOf(good).slice(7)}`,
        `/var/lib/docker/image/overlay2/imagedb/content/sha256/${idOf(single).slice(7)}`,
      ],
    ]);
  });

  it('leaves out a config that is not the image (another digest), unreadable, not JSON or not a layer list', async () => {
    const tampered = config([d('9')]);
    const notJson = Buffer.from('{"rootfs":');
    const otherType = config([d('1')], 'tar');
    const badId = config([d('1'), 'sha256:../../etc']);
    const files = new Map([
      // A file whose bytes hash to something else than the name it is read under.
      [idOf(good).slice(7), tampered],
      [idOf(notJson).slice(7), notJson],
      [idOf(otherType).slice(7), otherType],
      [idOf(badId).slice(7), badId],
    ]);
    const missing = idOf(single);
    const ids = [idOf(good), idOf(notJson), idOf(otherType), idOf(badId), missing, 'sha256:../x'];
    const asked: string[][] = [];
    const out = await overlay2ImageLayers(helperOf(files, asked), '/var/lib/docker', ids);
    expect([...out]).toEqual([]);
    // An ID that is not a digest is never made into a path to read.
    expect(asked.flat().filter((p) => p.includes('..'))).toEqual([]);
    expect(asked.flat()).toHaveLength(5);
  });
});

describe('build commands from the configs read for the layer lists', () => {
  const built = Buffer.from(
    JSON.stringify({
      rootfs: { type: 'layers', diff_ids: [d('1'), d('2')] },
      history: [
        { created_by: '/bin/sh -c #(nop) ADD file:abc in / ' },
        { created_by: '/bin/sh -c #(nop)  CMD ["sh"]', empty_layer: true },
        { created_by: 'COPY f0 /c/0 # buildkit' },
      ],
    }),
  );
  const imported = config([d('3')]);
  const layout = {
    imageConfigPath: (id: string) => `/var/lib/docker/image/overlay2/imagedb/content/sha256/${id.slice(7)}`,
  } as unknown as StorageLayout;
  const image = (b: Buffer, layers: number) =>
    ({
      id: idOf(b),
      diffIds: Array.from({ length: layers }, (_, i) => d(String(i + 1))),
      layerCommands: [],
    }) as unknown as ImageInput;
  const files = new Map([
    [idOf(built).slice(7), built],
    [idOf(imported).slice(7), imported],
  ]);
  const key = (id: string) => `e|/r|commands|${id}`;

  it('hands each config it takes to onConfig; readCommands then reads none again, and remembers only listed images', async () => {
    const parsed = new Map<string, (string | undefined)[]>();
    const handed: [string, number][] = [];
    const unlisted = config([d('4')]);
    const all = new Map([...files, [idOf(unlisted).slice(7), unlisted]]);
    await overlay2ImageLayers(
      helperOf(all),
      '/var/lib/docker',
      [idOf(built), idOf(imported), idOf(unlisted), idOf(Buffer.from('x'))],
      (id, cfg, n) => {
        handed.push([id, n]);
        const commands = commandsOfConfig(cfg, n);
        if (commands) parsed.set(id, commands);
      },
    );
    expect(handed).toEqual([
      [idOf(built), 2],
      [idOf(imported), 1],
      [idOf(unlisted), 1],
    ]);
    const asked: string[][] = [];
    const cache = new SizeCache(undefined);
    const images = [image(built, 2), image(imported, 1)];
    await readCommands(helperOf(all, asked), images, layout, cache, key, parsed);
    expect(asked).toEqual([]);
    // Remembered for the images listed, not for one the engine does not list.
    expect(cache.fact(key(idOf(built)), Array.isArray)).toEqual(['ADD file:abc in /', 'COPY f0 /c/0']);
    expect(cache.fact(key(idOf(unlisted)), Array.isArray)).toBeUndefined();
    // The same commands as readCommands reads from the files itself, with nothing at hand.
    const fresh = [image(built, 2), image(imported, 1)];
    const freshAsked: string[][] = [];
    await readCommands(helperOf(all, freshAsked), fresh, layout, new SizeCache(undefined), key);
    expect(freshAsked.flat()).toHaveLength(2);
    expect(images.map((i) => i.layerCommands)).toEqual(fresh.map((i) => i.layerCommands));
    expect(images[0]?.layerCommands).toEqual(['ADD file:abc in /', 'COPY f0 /c/0']);
    // A list of another length than the image's layers is not taken: the config is read.
    const odd = [image(built, 3)];
    const oddAsked: string[][] = [];
    await readCommands(helperOf(all, oddAsked), odd, layout, new SizeCache(undefined), key, parsed);
    expect(oddAsked.flat()).toHaveLength(1);
  });
});

describe('overlay2Foreseen', () => {
  const chain = (c: string) => `sha256:${c.repeat(64)}`;
  const read = {
    facts: new Map([
      [chain('a'), { cacheId: 'a'.repeat(64), size: 10, work: 7 }],
      [chain('b'), { cacheId: 'nwssfb2aalveb28mf5ge2oeyx', size: null, work: null }],
    ]),
    mounts: new Map(),
  };

  it("names each layer as the layout does: its diff by chain ID, and its layer store's directory", () => {
    expect(overlay2Foreseen('/d', read)).toEqual([
      { dir: `/d/overlay2/${'a'.repeat(64)}`, sub: 'diff', cacheKey: chain('a'), estimate: 7 },
      { dir: `/d/image/overlay2/layerdb/sha256/${'a'.repeat(64)}`, cacheKey: `layerdb:${chain('a')}` },
      { dir: '/d/overlay2/nwssfb2aalveb28mf5ge2oeyx', sub: 'diff', cacheKey: chain('b') },
      { dir: `/d/image/overlay2/layerdb/sha256/${'b'.repeat(64)}`, cacheKey: `layerdb:${chain('b')}` },
    ]);
  });

  it("foresees only the images' layers when they are known (a layer only BuildKit holds is walked whole later)", () => {
    expect(overlay2Foreseen('/d', read, new Set([chain('b')]))?.map((t) => t.cacheKey)).toEqual([
      chain('b'),
      `layerdb:${chain('b')}`,
    ]);
    expect(overlay2Foreseen('/d', { facts: new Map(), mounts: new Map() })).toBeUndefined();
    // No image layer known (none, or the configs unreadable: the scan then passes an empty set).
    expect(overlay2Foreseen('/d', read, new Set())).toEqual([]);
  });
});
