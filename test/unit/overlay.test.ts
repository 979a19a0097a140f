import { describe, expect, it } from 'vitest';
import { type LayerEntry, mergeLayers, wastedBytes, wastedFiles } from '../../source/model/overlay.js';

const f = (path: string, size = 1, extra: Partial<LayerEntry> = {}): LayerEntry => ({
  path,
  type: 'file',
  size,
  ...extra,
});
const d = (path: string, extra: Partial<LayerEntry> = {}): LayerEntry => ({
  path,
  type: 'dir',
  size: 4096,
  ...extra,
});
const wh = (path: string): LayerEntry => ({ path, type: 'whiteout', size: 0 });
const view = (layers: LayerEntry[][], top?: number) =>
  [...mergeLayers(layers, top)].map(([p, m]) => `${p}@${m.layer}`).sort();

describe('overlay union', () => {
  it('lets a later entry replace an earlier one and records where each entry comes from', () => {
    const layers = [[d('data'), f('data/a', 300), f('data/b', 5)], [f('data/a', 100)]];
    expect(view(layers)).toEqual(['data/a@1', 'data/b@0', 'data@0']);
    expect(view(layers, 0)).toEqual(['data/a@0', 'data/b@0', 'data@0']);
  });

  it('hides a name and everything under it behind a whiteout', () => {
    const layers = [
      [d('w'), f('w/keep'), f('w/gone'), d('w/sub'), f('w/sub/x')],
      [wh('w/gone'), wh('w/sub')],
    ];
    expect(view(layers)).toEqual(['w/keep@0', 'w@0']);
  });

  it('hides everything below an opaque directory, but not what its own layer puts in it', () => {
    const layers = [
      [d('opq'), f('opq/old'), d('opq/sub'), f('opq/sub/deep')],
      [d('opq', { opaque: true }), f('opq/new')],
    ];
    expect(view(layers)).toEqual(['opq/new@1', 'opq@1']);
  });

  it('replaces a directory by a file (its children go) and a file by a directory', () => {
    const layers = [
      [d('x'), f('x/child'), f('y')],
      [f('x'), d('y'), f('y/inside')],
    ];
    expect(view(layers)).toEqual(['x@1', 'y/inside@1', 'y@1']);
  });

  it('keeps byte names that are not UTF-8 exactly', () => {
    const name = Buffer.from([0x62, 0x61, 0x64, 0xff, 0xfe]).toString('latin1');
    const layers = [[f(name, 1)], [f(`new\nline`, 1)]];
    expect(
      [...mergeLayers(layers).keys()].map((k) => Buffer.from(k, 'latin1').toString('hex')).sort(),
    ).toEqual([Buffer.from(name, 'latin1').toString('hex'), Buffer.from('new\nline').toString('hex')].sort());
  });
});

describe('wasted bytes', () => {
  it('equals the size of an overwritten file, by construction', () => {
    const w = wastedBytes([[d('data'), f('data/file.bin', 300_000)], [f('data/file.bin', 100_000)]]);
    expect(w).toEqual({ perLayer: [300_000, 0], total: 300_000 });
  });

  it('counts deleted files, chmod-only copy-ups and files under an opaque directory', () => {
    const w = wastedBytes([
      [d('w'), f('w/gone', 5), d('links'), f('links/mode.bin', 80_000), d('opq'), f('opq/old', 4)],
      [wh('w/gone'), d('opq', { opaque: true }), f('opq/new', 4)],
      [f('links/mode.bin', 80_000, { mode: 0o600 })],
    ]);
    expect(w.perLayer).toEqual([5 + 80_000 + 4, 0, 0]);
  });

  it('counts a file twice overwritten once per hidden version, and hard-linked names once', () => {
    const w = wastedBytes([
      [f('a', 10), f('h1', 7, { ino: 5, nlink: 2 }), f('h2', 7, { ino: 5, nlink: 2 })],
      [f('a', 20), wh('h1'), wh('h2')],
      [f('a', 30)],
    ]);
    expect(w.perLayer).toEqual([10 + 7, 20, 0]);
    expect(w.total).toBe(37);
  });
});

describe('the wasted files of an image', () => {
  it('sums the hidden copies per path, most bytes first, with the layers that hold them', () => {
    const layers: LayerEntry[][] = [
      [f('a.bin', 1000), f('b', 5), f('c', 7)],
      [f('a.bin', 2000), { path: 'b', type: 'whiteout' as const, size: 0 }],
      [f('a.bin', 3000)],
    ];
    expect(wastedFiles(layers)).toEqual([
      { path: 'a.bin', bytes: 3000, layers: [0, 1] },
      { path: 'b', bytes: 5, layers: [0] },
    ]);
    expect(wastedBytes(layers).total).toBe(3005);
  });
});
