import { describe, expect, it } from 'vitest';
import type { SnapshotInfo } from '../../source/engine/storage/containerd-meta.js';
import { snapshotTargets } from '../../source/engine/storage/storage-containerd.js';

const chain = (c: string) => `sha256:${c.repeat(64)}`;
const snap = (key: string, id: number, kind: number, inodes?: number): SnapshotInfo => ({
  key,
  id,
  kind,
  size: 4096,
  ...(inodes !== undefined ? { inodes } : {}),
});
const dir = '/var/lib/containerd/io.containerd.snapshotter.v1.overlayfs';

describe('the walks foreseen from containerd metadata', () => {
  const map = new Map<string, SnapshotInfo>([
    [chain('a'), snap('moby/1/a', 1, 3, 120)],
    [chain('b'), snap('moby/2/b', 2, 3)],
    // a build-cache view, a committed BuildKit snapshot, a container's writable layer and init layer
    ['buildkit-view-1', snap('moby/3/v', 3, 1)],
    ['kt3x9', snap('moby/4/c', 4, 3)],
    ['f'.repeat(64), snap('moby/5/rw', 5, 2)],
    [`${'f'.repeat(64)}-init`, snap('moby/6/init', 6, 3)],
    // a committed snapshot named by a chain ID no image lists: build cache
    [chain('c'), snap('moby/7/c', 7, 3)],
  ]);

  it('gives image layers as the layout walks them and the other immutable snapshots whole', () => {
    const targets = snapshotTargets(map, dir, new Set([chain('a'), chain('b')]));
    expect(targets).toEqual([
      { dir: `${dir}/snapshots/1`, sub: 'fs', cacheKey: chain('a'), estimate: 120 },
      { dir: `${dir}/snapshots/2`, sub: 'fs', cacheKey: chain('b') },
      { dir: `${dir}/snapshots/3`, cacheKey: 'snapshot:moby/3/v' },
      { dir: `${dir}/snapshots/4`, cacheKey: 'snapshot:moby/4/c' },
      { dir: `${dir}/snapshots/7`, cacheKey: 'snapshot:moby/7/c' },
    ]);
  });

  it('walks no writable layer, no init layer and no directory twice', () => {
    const twice = new Map(map);
    twice.set('another-name', snap('moby/1/a', 1, 3));
    const dirs = snapshotTargets(twice, dir, new Set([chain('a')])).map((t) => t.dir);
    expect(dirs).not.toContain(`${dir}/snapshots/5`);
    expect(dirs).not.toContain(`${dir}/snapshots/6`);
    expect(new Set(dirs).size).toBe(dirs.length);
  });
});
