// The leftover rules, pure: kinds by path shape, the plan, the re-check before deleting, the
// minimum age as written, and which containerd entries no metadata records.
import { describe, expect, it } from 'vitest';
import { containerdOrphans } from '../../source/engine/storage/containerd-meta.js';
import {
  leftoverKind,
  leftoverPlan,
  parseAge,
  recheckLeftovers,
  selectLeftovers,
} from '../../source/model/leftovers.js';

const root = '/var/lib/docker';
const hex = (c: string) => c.repeat(64);
const A = `${root}/overlay2/${hex('a')}`;
const B = `${root}/overlay2/${hex('b')}`;
const C = `${root}/overlay2/${hex('c')}-init`;
const D = `${root}/overlay2/${hex('f')}`;
const snap = `${root}/containerd/daemon/io.containerd.snapshotter.v1.overlayfs/snapshots/42`;
const blob = `${root}/containerd/daemon/io.containerd.content.v1.content/blobs/sha256/${hex('d')}`;
const record = `${root}/image/overlay2/layerdb/mounts/${hex('e')}`;

describe('leftovers', () => {
  it('knows four shapes and nothing else', () => {
    expect([A, C, record, snap, blob].map(leftoverKind)).toEqual([
      'layer-dir',
      'layer-dir',
      'mount-record',
      'snapshot',
      'blob',
    ]);
    for (const p of [
      `${root}/overlay2/l`,
      `${root}/overlay2/${hex('a')}x`,
      `${root}/overlay2/${'A'.repeat(64)}`,
      `${root}/volumes/${hex('a')}`,
      `${root}/containerd/daemon/io.containerd.snapshotter.v1.overlayfs/snapshots/new-123`,
      `${root}/containerd/daemon/io.containerd.snapshotter.v1.overlayfs/snapshots/0`,
      '/etc',
    ])
      expect(leftoverKind(p)).toBeUndefined();
  });

  it('plans the known shapes largest first; an unknown size makes the total unknown, not smaller', () => {
    const plan = leftoverPlan(root, [
      { path: A, diskBytes: 10 },
      { path: '/etc/passwd', diskBytes: 99 },
      { path: B, diskBytes: 30 },
    ]);
    expect(plan.items.map((i) => i.path)).toEqual([B, A]);
    expect(plan.predictedFreedBytes).toBe(40);
    expect(
      leftoverPlan(root, [
        { path: A, diskBytes: null },
        { path: B, diskBytes: 3 },
      ]).predictedFreedBytes,
    ).toBe(null);
    expect(selectLeftovers(plan, [A]).items.map((i) => i.path)).toEqual([A]);
    expect(selectLeftovers(plan, [A]).predictedFreedBytes).toBe(10);
  });

  it('re-checks: gone from a fresh scan, or built on by a layer that stays, is left alone', () => {
    const K = `${root}/overlay2/${hex('9')}`;
    const plan = leftoverPlan(root, [
      { path: A, diskBytes: 1 },
      { path: B, diskBytes: 2 },
      { path: C, diskBytes: 3 },
      { path: D, diskBytes: 4 },
    ]);
    const check = recheckLeftovers(plan, {
      stillLeftover: new Set([A, B, D]),
      links: new Map([
        [A, 'LINKA'],
        [B, 'LINKB'],
        [D, 'LINKD'],
      ]),
      // B (a leftover) is built on A: A goes after B. K (no leftover) is built on D: D stays.
      // A directory naming its own link does not count.
      lowers: new Map([
        [B, ['LINKA', 'BASE']],
        [A, ['LINKA']],
        [K, ['LINKD']],
      ]),
    });
    expect(check.go.map((i) => [i.path, i.after])).toEqual([
      [B, []],
      [A, [B]],
    ]);
    expect(check.refused.map((r) => [r.path, r.reason])).toEqual([
      [D, `1 layer directory builds on it (its lower file names l/LINKD): ${K}`],
      [C, 'no longer a leftover: the engine names it now, or it is gone'],
    ]);
  });

  it("fails closed: while a layer's or container's directory is not known, no layer directory goes", () => {
    const M = `${root}/image/overlay2/layerdb/mounts/${hex('8')}`;
    const plan = leftoverPlan(root, [
      { path: A, diskBytes: 1 },
      { path: M, diskBytes: 2 },
    ]);
    const check = recheckLeftovers(plan, {
      stillLeftover: new Set([A, M]),
      links: new Map(),
      lowers: new Map(),
      ownersUnknown: `the directory of layer sha256:${hex('7')} could not be read`,
    });
    // The mount record is no directory a layer could own: it still goes.
    expect(check.go.map((i) => i.path)).toEqual([M]);
    expect(check.refused.map((r) => [r.path, r.reason])).toEqual([
      [A, `the directory of layer sha256:${hex('7')} could not be read: it may be that one's`],
    ]);
  });

  it('reads ages as the docker CLI writes durations', () => {
    expect(['0s', '90s', '30m', '2h', '1d', '1h30m', '600'].map(parseAge)).toEqual([
      0, 90, 1800, 7200, 86_400, 5400, 600,
    ]);
    for (const bad of ['', '1w', '-1h', 'h', '1.5h']) expect(parseAge(bad)).toBeUndefined();
  });

  it('containerd: a numbered snapshot directory or a blob no metadata records is a leftover', () => {
    const o = containerdOrphans(
      ['1', '2', '7', 'new-123', 'rm-4'],
      [hex('a'), hex('b'), 'tmp'],
      [1, 2],
      new Set([`sha256:${hex('a')}`]),
    );
    expect(o).toEqual({ snapshots: ['7'], blobs: [hex('b')] });
  });
});
