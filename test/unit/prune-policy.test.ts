// Cleanup policies on hand-made scans: which images --keep-last, --unused-for and --protect leave,
// with the reason shown, and what --cache-budget takes of the build cache.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { policyFileOptions } from '../../source/cli/prune-options.js';
import { planPrune } from '../../source/model/prune-plan.js';
import { keptByKeepLast, repositoryOf } from '../../source/model/prune-policy.js';
import type { BuildCacheRecord } from '../../source/model/types.js';
import { cacheRecord, makeModel } from '../support/model.js';

const d = (s: string) => `sha256:${s.padEnd(64, '0')}`;
const NOW = 100 * 86400;
const layer = (id: string) => ({ id, size: 1000, disk: 4096, cmd: `RUN ${id}` });

/** app:v1..v4 a day apart (v4 newest), a registry-port repository, a labelled one, a dangling one. */
function fleet() {
  const m = makeModel(
    [
      { id: 'a1', tags: ['app:v1'], layers: [layer('l1')], created: NOW - 40 * 86400 },
      { id: 'a2', tags: ['app:v2'], layers: [layer('l2')], created: NOW - 30 * 86400 },
      { id: 'a3', tags: ['app:v3', 'app:stable'], layers: [layer('l3')], created: NOW - 20 * 86400 },
      { id: 'a4', tags: ['app:v4', 'app:latest'], layers: [layer('l4')], created: NOW - 1 * 86400 },
      { id: 'r1', tags: ['reg:5000/tool:1'], layers: [layer('r1')], created: NOW - 50 * 86400 },
      { id: 'k1', tags: ['keep/me:1'], layers: [layer('k1')], created: NOW - 60 * 86400 },
      { id: 'dd', tags: [], layers: [layer('dd')], created: NOW - 1 * 86400 },
    ],
    [{ id: 'c'.repeat(64), name: 'old-job', imageId: 'a1', state: 'exited' }],
  );
  const k1 = m.inputs.images.find((i) => i.id === d('k1'));
  if (k1) k1.labels = { keep: 'yes' };
  // The job container was created 2 days ago from app:v1; it is stopped (prune removes it).
  const job = m.inputs.containers[0];
  if (job) job.created = NOW - 2 * 86400;
  return m;
}

const removed = (plan: ReturnType<typeof planPrune>) => plan.images.map((i) => i.name).sort();
const reason = (plan: ReturnType<typeof planPrune>, name: string) =>
  plan.kept.find((k) => k.name === name)?.reason;

describe('cleanup policies', () => {
  it('--keep-last 2 keeps the images of the 2 newest tags of each repository', () => {
    const plan = planPrune(fleet(), { all: false, volumes: false, policy: { keepLast: 2 } }, NOW);
    // app: latest and v4 (a4, newest) are the two newest tags; v3/stable, v2, v1 go. The dangling
    // image goes as with any prune; tool and keep/me are the newest of their repositories.
    expect(removed(plan)).toEqual(['<none> dd0000000000', 'app:v1', 'app:v2', 'app:v3, app:stable'].sort());
    expect(reason(plan, 'app:v4, app:latest')).toMatch(/among the 2 newest of app/);
    expect(reason(plan, 'reg:5000/tool:1')).toMatch(/among the 2 newest of reg:5000\/tool/);
  });

  it('--unused-for 7d keeps what was created, tagged or run within 7 days (a stopped container counts)', () => {
    const m = fleet();
    const a2 = m.inputs.images.find((i) => i.id === d('a2'));
    if (a2) a2.lastTagged = NOW - 3 * 86400;
    const plan = planPrune(m, { all: false, volumes: false, policy: { unusedFor: 7 * 86400 } }, NOW);
    expect(reason(plan, 'app:v1')).toBe('used 2 days ago (container old-job created)');
    expect(reason(plan, 'app:v2')).toBe('used 3 days ago (tagged)');
    expect(reason(plan, 'app:v4, app:latest')).toBe('used 1 day ago (created)');
    expect(removed(plan)).toEqual(
      ['<none> dd0000000000', 'app:v3, app:stable', 'keep/me:1', 'reg:5000/tool:1'].sort(),
    );
  });

  it('both rules: an image goes only when neither keeps it; --protect keeps a labelled one whatever the rule', () => {
    const plan = planPrune(
      fleet(),
      { all: false, volumes: false, policy: { keepLast: 1, unusedFor: 7 * 86400, protect: ['keep=yes'] } },
      NOW,
    );
    expect(removed(plan)).toEqual(['<none> dd0000000000', 'app:v2', 'app:v3, app:stable'].sort());
    expect(reason(plan, 'keep/me:1')).toBe('protected (label keep=yes)');
  });

  it('--protect keeps containers, volumes and networks with the label too', () => {
    const m = fleet();
    const job = m.inputs.containers[0];
    if (job) job.labels = { keep: 'yes' };
    const vol = (name: string, labels?: Record<string, string>) => ({
      name,
      size: 10,
      anonymous: true,
      refCount: 0,
      labels,
    });
    m.inputs.volumes.push(vol('v-kept', { keep: '' }), vol('v-gone'));
    const net = (id: string, labels?: Record<string, string>) => ({
      id,
      name: id,
      driver: 'bridge',
      builtin: false,
      containers: 0,
      labels,
    });
    m.inputs.networks.push(net('n-kept', { keep: 'x' }), net('n-gone'));
    const plan = planPrune(m, { all: false, volumes: true, policy: { protect: ['keep'] } }, NOW);
    expect(plan.containers).toEqual([]);
    expect(reason(plan, 'old-job')).toBe('protected (label keep)');
    // Its image stays with it.
    expect(reason(plan, 'app:v1')).toMatch(/used by old-job/);
    expect(plan.volumes.map((v) => v.name)).toEqual(['v-gone']);
    expect(reason(plan, 'v-kept')).toBe('protected (label keep)');
    expect(plan.networks.map((n) => n.name)).toEqual(['n-gone']);
    expect(reason(plan, 'n-kept')).toBe('protected (label keep)');
  });

  it('--cache-budget cuts the build cache to the budget, least recently used first', () => {
    const m = fleet();
    const rec = (id: string, lastUsed: number, diskBytes: number): BuildCacheRecord =>
      cacheRecord(id, { size: diskBytes, lastUsed, diskBytes, dirs: [`/data/overlay2/${id}`] });
    m.inputs.buildCache = {
      records: 3,
      size: 7000,
      items: [rec('old', 10, 4000), rec('mid', 20, 2000), rec('new', 30, 1000)],
      unattributedDiskBytes: 0,
    };
    const plan = planPrune(m, { all: false, volumes: false, policy: { cacheBudget: 3000 } }, NOW);
    expect(plan.buildCache?.records).toEqual(['old']);
    expect(plan.buildCache?.diskBytes).toBe(4000);
    expect(plan.kept.filter((k) => k.kind === 'build-cache').map((k) => k.reason)).toEqual([
      'within the build cache budget',
      'within the build cache budget',
    ]);
  });

  it('knows a repository from its tag, a registry port included', () => {
    expect(repositoryOf('reg:5000/team/tool:1.2')).toBe('reg:5000/team/tool');
    expect(repositoryOf('app')).toBe('app');
    expect(keptByKeepLast(fleet().inputs.images, 0).size).toBe(0);
  });
});

describe('the policy file', () => {
  const file = (content: string) => {
    const path = join(mkdtempSync(join(tmpdir(), 'lt-policy-')), 'policy.json');
    writeFileSync(path, content);
    return path;
  };

  it('reads the same rules as the flags', () => {
    const o = policyFileOptions(
      file(
        '{"keepLast": 3, "unusedFor": "30d", "protect": ["label=keep"], "cacheBudget": "10g", "volumes": true}',
      ),
      NOW,
    );
    expect(o.policy).toEqual({
      keepLast: 3,
      unusedFor: 30 * 86400,
      protect: ['keep'],
      cacheBudget: 10 * 1024 ** 3,
    });
    expect(o.volumes).toBe(true);
  });

  it('refuses a misspelt rule, a bad value or -a beside image rules, naming the file', () => {
    expect(() => policyFileOptions(file('{"keepLst": 3}'))).toThrow(/policy\.json: unknown rule "keepLst"/);
    expect(() => policyFileOptions(file('{"unusedFor": "a month"}'))).toThrow(/unusedFor is a duration/);
    expect(() => policyFileOptions(file('{"all": true, "keepLast": 1}'))).toThrow(
      /"all" would remove them all/,
    );
    expect(() => policyFileOptions(file('not json'))).toThrow(/not a policy file/);
  });
});

describe('a scan without the tag times', () => {
  it('refuses to decide --keep-last or --unused-for by them (an image tagged just now is not unused)', () => {
    const m = fleet();
    m.inputs.tagTimesUnknown = true;
    expect(() => planPrune(m, { all: false, volumes: false, policy: { unusedFor: 86400 } }, NOW)).toThrow(
      /tag time/,
    );
    expect(() => planPrune(m, { all: false, volumes: false, policy: { keepLast: 1 } }, NOW)).toThrow(
      /tag time/,
    );
    // Rules that do not look at them still plan.
    const plan = planPrune(m, { all: true, volumes: false, policy: { protect: ['keep=yes'] } }, NOW);
    expect(removed(plan)).toEqual(
      [
        '<none> dd0000000000',
        'app:v1',
        'app:v2',
        'app:v3, app:stable',
        'app:v4, app:latest',
        'reg:5000/tool:1',
      ].sort(),
    );
    expect(reason(plan, 'keep/me:1')).toBe('protected (label keep=yes)');
  });
});

describe('a policy file that is not JSON', () => {
  it('says so in one line with the text quoted whole (newlines escaped, no quote left open)', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'lt-pol-')), 'p.json');
    writeFileSync(file, 'nope\n');
    expect(() => policyFileOptions(file)).toThrow(
      `${file}: not a policy file (Unexpected token 'o', "nope\\n" is not valid JSON)`,
    );
  });
});
