// The explorer's fuzzy search: what a query finds, escaped labels, and the same answer on every
// keystroke (its index is built once per model).
import { describe, expect, it } from 'vitest';
import { shortId } from '../../source/model/digest.js';
import { prepareSearch, search, searchIndexReady } from '../../source/tui/search/search.js';
import { base, cacheRecord, common, makeModel, sampleModel } from '../support/model.js';

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

  it('tells layers with the same build command apart: short ID and an image that has it', () => {
    // Two images each with its own layer made by the same command.
    const model = makeModel([
      {
        id: 'aaa1',
        tags: ['shop/a:1'],
        layers: [base, { id: 'x1', size: 1, disk: 4096, cmd: 'COPY f99 /c/99' }],
      },
      {
        id: 'bbb1',
        tags: ['shop/b:1'],
        layers: [common, { id: 'x2', size: 1, disk: 4096, cmd: 'COPY f99 /c/99' }],
      },
    ]);
    const hits = search(model, 'COPY f99').filter((h) => h.row.kind === 'layer');
    expect(hits.map((h) => h.label)).toEqual(['COPY f99 /c/99', 'COPY f99 /c/99']);
    expect(hits.map((h) => h.context?.replace(/^[0-9a-f]{12} · /, '')).sort()).toEqual([
      'shop/a:1',
      'shop/b:1',
    ]);
    expect(hits.every((h) => h.context?.startsWith(shortId(h.row.chainId as string)))).toBe(true);
  });

  it('says what an ID or a name is the ID or name of: an untagged image, a layer with no command, a container, a record', () => {
    const model = makeModel(
      [
        { id: 'da4c1e', tags: [], layers: [base] },
        {
          id: 'aaa1',
          tags: ['shop/a:1', 'shop/a:2'],
          layers: [base, { id: 'e0', size: 1, disk: 4096, cmd: '' }],
        },
      ],
      [{ name: 'worker-7', imageId: 'aaa1', image: 'shop/a:1', state: 'exited' }],
    );
    model.inputs.buildCache = {
      records: 1,
      size: 100,
      items: [cacheRecord('feedc0de1234567890', { description: 'mount / from exec make' })],
    };
    const one = (q: string, kind: string) => {
      const hits = search(model, q).filter((h) => h.row.kind === kind);
      expect(hits.length).toBeGreaterThan(0);
      return hits[0];
    };
    const dangling = one('da4c1e', 'image');
    expect([dangling?.label, dangling?.context]).toEqual(['da4c1e000000', 'untagged (dangling)']);
    expect(one('aaa1000', 'image')?.context).toBe('shop/a:1 +1');
    const top = [...model.graph.layers.values()].find((l) => !l.createdBy);
    const layer = one(shortId(top?.chainId as string), 'layer');
    expect(layer?.context).toBe('(no build command) · shop/a:1');
    const bottom = [...model.graph.layers.values()].find((l) => l.createdBy === 'ADD rootfs.tar /');
    expect(one(shortId(bottom?.chainId as string), 'layer')?.context).toBe('ADD rootfs.tar / · shop/a:1 +1');
    expect(one('worker-7', 'container')?.context).toBe('shop/a:1 (exited)');
    expect(one('feedc0de', 'cache-record')?.context).toBe('mount / from exec make');
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

  it('prepares its index in the background, not in one block, and its warm-up changes no answer', async () => {
    const model = sampleModel();
    const tag = model.inputs.images.flatMap((i) => i.tags)[0] as string;
    const fresh = search(sampleModel(), tag.slice(0, 3)).map((h) => [h.row.key, h.label, h.ranges]);
    prepareSearch(model);
    // Still preparing when the call returns: a search now would have finished it in one block.
    expect(searchIndexReady(model)).toBe(false);
    for (let i = 0; i < 100 && !searchIndexReady(model); i++) await new Promise((r) => setTimeout(r, 10));
    expect(searchIndexReady(model)).toBe(true);
    await new Promise((r) => setTimeout(r, 100)); // the warm-up's searches have run
    expect(search(model, tag.slice(0, 3)).map((h) => [h.row.key, h.label, h.ranges])).toEqual(fresh);
  });
});
