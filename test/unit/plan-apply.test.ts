// Applying a reviewed plan: only the file's items, only while they are what the review showed.
import { describe, expect, it } from 'vitest';
import { NO_RECORDS, planApply } from '../../source/model/plan-apply.js';
import { type PlanItem, planItems, planPrune } from '../../source/model/prune-plan.js';
import type { BuildCacheRecord } from '../../source/model/types.js';
import { base, cacheRecord, common, makeModel } from '../support/model.js';

function model() {
  const m = makeModel(
    [
      {
        id: 'aaa1',
        tags: ['shop/a:1'],
        layers: [base, common, { id: 'a1', size: 10, disk: 4096, cmd: 'RUN a' }],
      },
      {
        id: 'bbb1',
        tags: ['shop/b:1', 'shop/b:2'],
        layers: [base, common, { id: 'b1', size: 20, disk: 8192, cmd: 'RUN b' }],
      },
      { id: 'ccc1', tags: ['shop/c:1'], layers: [base, { id: 'c1', size: 30, disk: 12288, cmd: 'RUN c' }] },
    ],
    [
      {
        id: 'old'.padEnd(64, '0'),
        name: 'job',
        imageId: 'ccc1',
        state: 'exited',
        diskBytes: 2000,
        sizeRw: 1500,
      },
    ],
  );
  m.inputs.networks.push({ id: 'n2', name: 'unused', driver: 'bridge', builtin: false, containers: 0 });
  m.inputs.volumes.push({
    name: 'v'.repeat(64),
    size: 7,
    diskBytes: 8192,
    anonymous: true,
    refCount: 0,
    created: 100,
  });
  return m;
}

const d = (s: string) => `sha256:${s.padEnd(64, '0')}`;
const opts = { all: true, volumes: true };
const ids = (items: PlanItem[]) => items.map((i) => `${i.kind}:${i.id}`).sort();

describe('planApply', () => {
  it('applies an unchanged plan whole, with the same predicted bytes', () => {
    const m = model();
    const reviewed = planPrune(m, opts);
    const a = planApply(m, opts, planItems(reviewed));
    expect(ids(planItems(a.plan))).toEqual(ids(planItems(reviewed)));
    expect(a.plan.predictedFreedBytes).toBe(reviewed.predictedFreedBytes);
    expect(a.skipped).toEqual([]);
    expect(a.alreadyRemoved).toEqual([]);
    expect(a.notInFile).toBe(0);
  });

  it('removes only what the file names: an item deleted from the file stays, and is counted', () => {
    const m = model();
    const reviewed = planItems(planPrune(m, opts)).filter((i) => i.id !== d('bbb1'));
    const a = planApply(m, opts, reviewed);
    expect(ids(planItems(a.plan))).not.toContain(`image:${d('bbb1')}`);
    expect(a.notInFile).toBe(1);
  });

  it('leaves alone what changed: a gained tag, a re-created volume, a container now running, and says why', () => {
    const m = model();
    const reviewed = planItems(planPrune(m, opts));
    m.inputs.images.find((i) => i.id === d('aaa1'))?.tags.push('shop/a:unreviewed');
    const vol = m.inputs.volumes.find((v) => v.anonymous);
    if (vol) vol.created = 200;
    const job = m.inputs.containers.find((c) => c.name === 'job');
    if (job) job.state = 'running';
    const a = planApply(m, opts, reviewed);
    const why = Object.fromEntries(a.skipped.map((s) => [`${s.kind}:${s.id}`, s.reason]));
    expect(why[`image:${d('aaa1')}`]).toMatch(/gained shop\/a:unreviewed/);
    expect(why[`volume:${'v'.repeat(64)}`]).toMatch(/created again/);
    expect(why[`container:${'old'.padEnd(64, '0')}`]).toBe('it is running now');
    // The running container keeps its image: the plan's rules no longer select it.
    expect(why[`image:${d('ccc1')}`]).toMatch(/used by job \(running\)/);
    expect(ids(planItems(a.plan))).toEqual([`image:${d('bbb1')}`, 'network:n2']);
  });

  it('says "already removed" for what no longer exists, and keeps the reviewed tags for the removal', () => {
    const m = model();
    const reviewed = planItems(planPrune(m, opts));
    m.inputs.images = m.inputs.images.filter((i) => i.id !== d('aaa1'));
    const b = m.inputs.images.find((i) => i.id === d('bbb1'));
    if (b) b.tags = ['shop/b:1']; // shop/b:2 moved elsewhere after the review
    const a = planApply(m, opts, reviewed);
    expect(a.alreadyRemoved.map((s) => s.id)).toEqual([d('aaa1')]);
    expect(a.plan.images.find((i) => i.id === d('bbb1'))?.refs).toEqual(['shop/b:1', 'shop/b:2']);
  });

  it('leaves alone a build-cache item that names no records, so no record built after the review goes', () => {
    const m = model();
    const record = (id: string, created: number): BuildCacheRecord =>
      cacheRecord(id, { description: `RUN ${id}`, created, lastUsed: created });
    m.inputs.buildCache = { records: 2, size: 200, items: [record('r1', 100), record('r2', 300)] };
    // An older or edited plan file: "the build cache", without which records were reviewed.
    const fromFile: PlanItem = {
      kind: 'build-cache',
      id: 'build-cache',
      name: 'build cache (1 records)',
      diskBytes: 4096,
      dockerBytes: 100,
    };
    const a = planApply(m, opts, [fromFile], 200);
    expect(a.plan.buildCache).toBeNull();
    expect(a.skipped).toEqual([
      { kind: 'build-cache', id: 'build-cache', name: 'build cache (1 records)', reason: NO_RECORDS },
    ]);
    // The same file naming r1: exactly r1 goes, not r2 (built after the plan was made).
    const named = planApply(m, opts, [{ ...fromFile, records: ['r1'] }], 200);
    expect(named.plan.buildCache?.records).toEqual(['r1']);
  });
});
