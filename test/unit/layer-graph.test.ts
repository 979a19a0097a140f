import { describe, expect, it } from 'vitest';
import { chainIds } from '../../source/model/chain-id.js';
import { imageSizes } from '../../source/model/image-sizes.js';
import { buildLayerGraph } from '../../source/model/layer-graph.js';
import type { ContainerInput, ImageInput, LayerFacts } from '../../source/model/types.js';

const diff = (c: string) => `sha256:${c.repeat(64)}`;
const image = (id: string, diffs: string[]): ImageInput => ({
  id,
  tags: [`${id}:latest`],
  created: 0,
  diffIds: diffs.map(diff),
  layerCommands: diffs.map((x) => `RUN make ${x}`),
});

// base(1000 B, 4096 disk) <- common(200, 8192) <- a(30, 4096) ; common <- b(50, 12288) ; other base(7)
const images = [image('a', ['0', '1', '2']), image('b', ['0', '1', '3']), image('solo', ['9'])];
const sizes: Record<string, [number, number]> = {
  '0': [1000, 4096],
  '1': [200, 8192],
  '2': [30, 4096],
  '3': [50, 12288],
  '9': [7, 4096],
};
function facts(): Map<string, LayerFacts> {
  const m = new Map<string, LayerFacts>();
  for (const img of images) {
    const chain = chainIds(img.diffIds);
    chain.forEach((c, i) => {
      const key = img.diffIds[i]?.slice(7, 8) ?? '';
      const [size, disk] = sizes[key] ?? [0, 0];
      m.set(c, { chainId: c, size, diskBytes: disk });
    });
  }
  return m;
}

describe('layer graph', () => {
  const containers: ContainerInput[] = [
    { id: 'c1', name: 'web', imageId: 'a', image: 'a', state: 'running', created: 0, volumes: [] },
  ];
  const graph = buildLayerGraph(images, facts(), containers);

  it('holds a layer shared by several images once, with every image that uses it', () => {
    expect(graph.layers.size).toBe(5);
    expect(graph.roots).toHaveLength(2);
    const [base, common, top] = graph.imageChains.get('a') ?? [];
    expect(graph.layers.get(base ?? '')?.images).toEqual(['a', 'b']);
    expect(graph.layers.get(common ?? '')?.children).toHaveLength(2);
    expect(graph.layers.get(top ?? '')?.topOf).toEqual(['a']);
    expect(graph.layers.get(top ?? '')?.containers).toEqual(['c1']);
    expect(graph.layers.get(top ?? '')?.createdBy).toBe('RUN make 2');
  });

  it('sums size, shared and unique as Docker does, and disk bytes beside them', () => {
    const bySize = Object.fromEntries(imageSizes(images, graph, containers).map((s) => [s.id, s]));
    expect(bySize.a).toMatchObject({
      size: 1230,
      sharedSize: 1200,
      uniqueSize: 30,
      diskBytes: 16384,
      uniqueDiskBytes: 4096,
      containers: 1,
    });
    expect(bySize.b).toMatchObject({
      size: 1250,
      sharedSize: 1200,
      uniqueSize: 50,
      uniqueDiskBytes: 12288,
      containers: 0,
    });
    expect(bySize.solo).toMatchObject({
      size: 7,
      sharedSize: 0,
      uniqueSize: 7,
      diskBytes: 4096,
      uniqueDiskBytes: 4096,
    });
  });

  it("counts a content-store blob another image lists too as shared, not as either image's unique disk", () => {
    // The containerd store: a and b list the base layer's blob (shared), each its own config and
    // manifest (unique); solo lists only its own.
    const blob = (digest: string, diskBytes: number) => ({ digest, size: diskBytes, diskBytes });
    const withBlobs = images.map((img) => {
      const own = [blob(`config-${img.id}`, 4096), blob(`manifest-${img.id}`, 4096)];
      const blobs = img.id === 'solo' ? own : [blob('base-layer', 90_000), ...own];
      return { ...img, blobs, contentDiskBytes: blobs.reduce((n, b) => n + b.diskBytes, 0) };
    });
    const bySize = Object.fromEntries(imageSizes(withBlobs, graph, containers).map((s) => [s.id, s]));
    // a: layers 16384 on disk (4096 of them unique), blobs 98192 (8192 unique).
    expect(bySize.a).toMatchObject({ diskBytes: 16384 + 98_192, uniqueDiskBytes: 4096 + 8192 });
    expect(bySize.b).toMatchObject({ diskBytes: 24576 + 98_192, uniqueDiskBytes: 12288 + 8192 });
    expect(bySize.solo).toMatchObject({ diskBytes: 4096 + 8192, uniqueDiskBytes: 4096 + 8192 });
    // solo listed twice (one ID under two tags) is still one image: its blobs stay its own.
    const solo = withBlobs.find((i) => i.id === 'solo') as (typeof withBlobs)[number];
    const twice = imageSizes([...withBlobs, { ...solo, tags: ['solo:v2'] }], graph, containers);
    expect(twice.filter((s) => s.id === 'solo').map((s) => s.uniqueDiskBytes)).toEqual([12288, 12288]);
  });

  it('counts an image listed under two tags once (one ID, one image)', () => {
    const a = images[0] as ImageInput;
    const g = buildLayerGraph([a, { ...a, tags: ['a:v2'] }], facts());
    const chain = g.imageChains.get('a') ?? [];
    expect(chain).toHaveLength(3);
    for (const c of chain) expect(g.layers.get(c)?.images).toEqual(['a']);
    expect(g.layers.get(chain[2] ?? '')?.topOf).toEqual(['a']);
    expect(g.layers.size).toBe(3);
  });
});
