// BuildKit's prune rules on hand-made records: which records a builder prune removes, in which
// order, under filters and space limits; a size budget; marked records.
import { describe, expect, it } from 'vitest';
import {
  cacheTree,
  childrenFirst,
  deletionOrder,
  keepBytes,
  recordsDiskBytes,
  selectBuilderPrune,
  selectCacheBudget,
  selectRecords,
} from '../../source/model/build-cache.js';
import { type PrunePlan, planChanges } from '../../source/model/prune-plan.js';
import type { BuildCacheRecord } from '../../source/model/types.js';

const rec = (id: string, extra: Partial<BuildCacheRecord> = {}): BuildCacheRecord => ({
  id,
  parents: [],
  type: 'regular',
  description: id,
  inUse: false,
  shared: false,
  size: 100,
  created: 1000,
  lastUsed: 1000,
  usageCount: 1,
  diskBytes: 100,
  ...extra,
});

// base ← mid ← leaf (a chain), a shared image layer, a cache mount in use, a frontend, a context.
const records = [
  rec('base', { lastUsed: 1000, size: 400, diskBytes: 4096 }),
  rec('mid', { parents: ['base'], lastUsed: 2000, size: 300, diskBytes: 8192 }),
  rec('leaf', { parents: ['mid'], lastUsed: 3000, size: 200, diskBytes: 12288 }),
  rec('img', { shared: true, lastUsed: 500, size: 1000, diskBytes: 0 }),
  rec('mount', { type: 'exec.cachemount', inUse: true, lastUsed: 4000, size: 50 }),
  rec('fe', { type: 'frontend', lastUsed: 100, size: 10 }),
  rec('ctx', { type: 'source.local', lastUsed: 2500, size: 20, usageCount: 9 }),
];

describe('builder prune selection (BuildKit rules)', () => {
  it('without --all: children before parents, never in use, shared or frontend records', () => {
    const s = selectBuilderPrune(records, { all: false });
    expect(s.remove).toEqual(['ctx', 'leaf', 'mid', 'base']);
    const why = Object.fromEntries(s.kept.map((k) => [k.id, k.reason]));
    expect(why).toEqual({
      img: 'shared with an image (only with --all)',
      mount: 'in use',
      fe: 'frontend (only with --all)',
    });
  });

  it('with --all: shared and frontend records too; in use never', () => {
    expect(selectBuilderPrune(records, { all: true }).remove.sort()).toEqual(
      ['base', 'ctx', 'fe', 'img', 'leaf', 'mid'].sort(),
    );
  });

  it('until keeps what was used after the cut-off, and a parent whose child stays', () => {
    const s = selectBuilderPrune(records, { all: false, until: 2200 });
    // leaf (3000) stays, so mid and base stay too, though both were last used before.
    expect(s.remove).toEqual([]);
    const why = Object.fromEntries(s.kept.map((k) => [k.id, k.reason]));
    expect(why.leaf).toBe('used after the until filter');
    expect(why.mid).toBe('a record built on it stays');
    expect(why.ctx).toBe('used after the until filter');
  });

  it('id is an unanchored regular expression; type an exact match', () => {
    expect(selectBuilderPrune(records, { all: true, id: 'ea' }).remove).toEqual(['leaf']);
    expect(selectBuilderPrune(records, { all: true, type: 'source.local' }).remove).toEqual(['ctx']);
    expect(() => selectBuilderPrune(records, { all: true, id: '(' })).toThrow(/regular expression/);
  });

  it('a space limit removes one at a time, least recently and least often used first, until under it', () => {
    // Unshared total 400+300+200+50+10+20 = 980; keep 600: remove until the total is below 600.
    const s = selectBuilderPrune(records, { all: false, reservedSpace: 600 });
    // First pass: leaf (used at 3000, once) and ctx (at 2500, 9 times) score alike (3/3 + 2/3 and
    // 2/3 + 3/3): fewer uses first, leaf. Then mid (2/3 + 2/3) before ctx (3/3 + 3/3): 980 → 780 → 480.
    expect(s.remove).toEqual(['leaf', 'mid']);
    // BuildKit before 0.22 (ranks from 1, no added one): the same here.
    expect(selectBuilderPrune(records, { all: false, reservedSpace: 600, ranking: 'plain' }).remove).toEqual([
      'leaf',
      'mid',
    ]);
    expect(s.kept.find((k) => k.id === 'base')?.reason).toBe('the cache is within the space limit');
  });

  it("computes BuildKit 0.25's limit from max-used, min-free and reserved space", () => {
    expect(keepBytes({ all: false, maxUsedSpace: 500 }, 1000)).toBe(500);
    // 300 B short of the free space wanted: keep the total minus that, at least the reserve.
    expect(keepBytes({ all: false, minFreeSpace: 1000, freeBytes: 700 }, 1000)).toBe(700);
    expect(keepBytes({ all: false, minFreeSpace: 1000, freeBytes: 700, maxUsedSpace: 500 }, 1000)).toBe(500);
    expect(keepBytes({ all: false, minFreeSpace: 1000, freeBytes: 5000 }, 1000)).toBe(1000);
    expect(keepBytes({ all: false, minFreeSpace: 1000, freeBytes: 700, reservedSpace: 900 }, 1000)).toBe(900);
  });

  it('orders deletions by the sum of last-use rank and usage-count rank', () => {
    const order = deletionOrder([
      rec('a', { lastUsed: 10, usageCount: 5 }),
      rec('b', { lastUsed: 20, usageCount: 1 }),
      rec('c', { lastUsed: 30, usageCount: 1 }),
    ]);
    // Scaled: a 2/4 + 3/3, b 3/4 + 2/3, c 4/4 + 2/3. Plain: a 1/3 + 2/2, b 2/3 + 1/2, c 3/3 + 1/2.
    expect(order.map((r) => r.id)).toEqual(['b', 'a', 'c']);
    const plain = deletionOrder(
      [
        rec('a', { lastUsed: 10, usageCount: 2 }),
        rec('b', { lastUsed: 20, usageCount: 0 }),
        rec('c', { lastUsed: 30, usageCount: 1 }),
      ],
      'plain',
    );
    // A count of 0 ranks 0: a 1/3 + 2/2, b 2/3 + 0/2, c 3/3 + 1/2.
    expect(plain.map((r) => r.id)).toEqual(['b', 'a', 'c']);
  });
});

describe('the build cache budget and marked records', () => {
  it('a budget removes least recently used leaves until the measured bytes fit', () => {
    // Disk: base 4096, mid 8192, leaf 12288, ctx 100, fe 100, mount 100 (in use), img 0.
    const s = selectCacheBudget(records, 12_500);
    // 24,876 → fe, img (frees 0), ctx → 24,676 → leaf → 12,388: within 12,500.
    expect(s.remove).toEqual(['fe', 'img', 'ctx', 'leaf']);
    expect(recordsDiskBytes(records, new Set(s.remove), 0)).toBe(12_488);
  });

  it('marked records go children first; a parent whose child is not marked stays', () => {
    expect(selectRecords(records, ['base', 'mid', 'leaf']).remove).toEqual(['leaf', 'mid', 'base']);
    const s = selectRecords(records, ['base', 'mid', 'mount']);
    expect(s.remove).toEqual([]);
    expect([...s.kept].sort((a, b) => (a.id < b.id ? -1 : 1))).toEqual([
      { id: 'base', reason: 'a record built on it stays' },
      { id: 'mid', reason: 'a record built on it stays' },
      { id: 'mount', reason: 'in use' },
    ]);
  });

  it('counts what no record owns only when every record goes, and unknown bytes as unknown', () => {
    expect(recordsDiskBytes(records, new Set(records.map((r) => r.id)), 777)).toBe(
      records.reduce((a, r) => a + (r.diskBytes ?? 0), 777),
    );
    const { diskBytes: _, ...unmeasured } = rec('x');
    expect(recordsDiskBytes([unmeasured], new Set(['x']), 0)).toBeNull();
  });

  it('lists the records as a tree, each child under its parent', () => {
    const rows = cacheTree(records).map((r) => `${'-'.repeat(r.depth)}${r.record.id}`);
    expect(rows.indexOf('-mid')).toBe(rows.indexOf('base') + 1);
    expect(rows.indexOf('--leaf')).toBe(rows.indexOf('-mid') + 1);
    expect(rows).toHaveLength(records.length);
  });
});

describe('removal order and changes', () => {
  it('puts every record after all its children, one with two parents too', () => {
    const kids = new Map([
      ['a', ['c']],
      ['b', ['c']],
      ['c', ['d']],
    ]);
    const order = childrenFirst(new Set(['a', 'b', 'c', 'd']), kids);
    const at = (id: string) => order.indexOf(id);
    expect(at('d')).toBeLessThan(at('c'));
    expect(at('c')).toBeLessThan(at('a'));
    expect(at('c')).toBeLessThan(at('b'));
  });

  it("leaves the whole cache's bytes unknown when what no record owns was not measured", () => {
    expect(recordsDiskBytes(records, new Set(records.map((r) => r.id)), undefined)).toBeNull();
    expect(recordsDiskBytes(records, new Set(['leaf']), undefined)).toBe(12288);
  });

  it('sees another set of build-cache records as a change of the plan (never run unseen)', () => {
    const item = (ids: string[]) => ({
      kind: 'build-cache' as const,
      id: 'build-cache',
      name: 'build cache',
      diskBytes: 1,
      dockerBytes: 1,
      records: ids,
    });
    const plan = (ids: string[]): PrunePlan => ({
      source: 'prune',
      containers: [],
      networks: [],
      volumes: [],
      images: [],
      buildCache: item(ids),
      sharedImageBytes: 0,
      kept: [],
      predictedFreedBytes: 1,
      diskUnknown: null,
      dockerEstimateBytes: 1,
    });
    expect(planChanges(plan(['a', 'b']), plan(['b', 'a']))).toBeNull();
    const change = planChanges(plan(['a', 'b']), plan(['a', 'b', 'c']));
    // The same build cache with another set of records: one change, not an item added and one kept.
    expect(change?.changed.map((c) => [c.before.records, c.after.records])).toEqual([
      [
        ['a', 'b'],
        ['a', 'b', 'c'],
      ],
    ]);
    expect([change?.added, change?.dropped]).toEqual([[], []]);
  });
});
