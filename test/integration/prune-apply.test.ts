// Exact deletes under races, on fresh light engines of both backends: a tag moved between the
// plan and the delete, a tag added, a plan applied from a file, two prunes at once, a plan made
// for another engine. Nothing may be removed that the preview did not show, by ID.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compareApi, connectEngine } from '../../source/engine/docker/docker-client.js';
import { resolveEndpoint } from '../../source/engine/docker/endpoint.js';
import { getInfo } from '../../source/engine/docker/inventory.js';
import { runPlan } from '../../source/engine/prune-run.js';
import { scanEngine } from '../../source/engine/scan.js';
import { planPrune } from '../../source/model/prune-plan.js';
import { layertop } from '../support/engines.js';
import { type FreshEngine, freshEngine, importImage } from '../support/fresh-engine.js';

const tmp = mkdtempSync(join(tmpdir(), 'lt-apply-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

interface Result {
  kind: string;
  id: string;
  name: string;
  reason?: string;
  error?: string;
  notes?: string[];
}
interface RunJson {
  removed: Result[];
  alreadyRemoved: Result[];
  skipped: Result[];
  failed: Result[];
}

// Each store with the helper in a container (every user but root on the engine's host) and as
// local processes (root there: the CLI's default). Without the helper container, its image is
// unused, so prune -a (Docker's and the plan's) removes it too: the plan says so, and it goes.
describe.each([
  ['overlay2', 'container'],
  ['overlay2', 'local'],
  ['containerd', 'container'],
  ['containerd', 'local'],
] as const)('exact deletes on a fresh %s engine, helper %s', (kind, mode) => {
  let e: FreshEngine;
  let env: NodeJS.ProcessEnv;
  /** The helper image's ID when no helper container uses it (local mode), else nothing. */
  let unusedHelper: string[] = [];
  const imageIds = async () =>
    new Set((await e.docker(['images', '-aq', '--no-trunc'])).split('\n').filter(Boolean));
  const idOf = async (ref: string) => (await e.docker(['image', 'inspect', '-f', '{{.Id}}', ref])).trim();

  beforeAll(async () => {
    e = await freshEngine(kind, 'light');
    env = { ...e.env, LAYERTOP_CACHE_DIR: join(tmp, `cache-${kind}-${mode}`), LAYERTOP_HELPER_MODE: mode };
    unusedHelper = mode === 'local' ? [await idOf('busybox:latest')] : [];
  });
  afterAll(async () => {
    await e?.stop();
  });

  it('applies a reviewed plan file exactly: by image ID, moved tags and unreviewed tags left alone', async () => {
    const a = await importImage(e, 'lt/a:1');
    const b = await importImage(e, 'lt/b:1');
    await e.docker(['tag', b, 'lt/b:2']);
    const c = await importImage(e, 'lt/c:1');
    const d = await importImage(e, 'lt/d:1');
    const created = (await e.docker(['create', '--network=none', 'lt/d:1', 'true'])).trim();

    const dry = await layertop(['prune', '--dry-run', '-a', '--json'], { env });
    expect(dry.stderr).toBe('');
    expect(dry.code).toBe(0);
    const planFile = join(tmp, `plan-${kind}-${mode}.json`);
    writeFileSync(planFile, dry.stdout);
    const plan = JSON.parse(dry.stdout) as {
      format: string;
      engine: { id: string };
      plan: { images: { id: string; refs: string[] }[]; containers: { id: string }[] };
    };
    expect(plan.format).toBe('layertop-prune-plan/1');
    expect(plan.plan.images.map((i) => i.id).sort()).toEqual([a, b, c, d, ...unusedHelper].sort());
    expect(plan.plan.containers.map((i) => i.id)).toEqual([created]);

    // After the review: lt/a:1 and lt/b:2 move to new images, lt/c gains a tag nobody reviewed.
    const n1 = await importImage(e, 'lt/a:1');
    const n2 = await importImage(e, 'lt/b:2');
    await e.docker(['tag', c, 'lt/c:unreviewed']);

    // Docker 26.1's containerd store drops an image whose only tag moved; overlay2, and the
    // containerd store of Docker 28.5, keep it as a dangling image.
    const api = (await e.docker(['version', '--format', '{{.Server.APIVersion}}'])).trim();
    const keepsDangling = kind === 'overlay2' || compareApi(api, '1.45') > 0;
    const beforeApply = await imageIds();
    expect(beforeApply.has(a)).toBe(keepsDangling);
    // A plan applies only to the engine it was made for.
    const other = JSON.parse(dry.stdout) as { engine: { id: string } };
    other.engine.id = 'ANOTHER:ENGINE';
    const otherFile = join(tmp, `other-${kind}-${mode}.json`);
    writeFileSync(otherFile, JSON.stringify(other));
    const refused = await layertop(['prune', '--apply', otherFile], { env });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/plan was made for the engine .*nothing was deleted/);
    expect(await imageIds()).toEqual(beforeApply);

    const res = await layertop(['prune', '--apply', planFile, '--json'], { env });
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    const report = JSON.parse(res.stdout) as RunJson;
    expect(report.failed).toEqual([]);
    // Removed by the IDs the review showed; the images the tags now name are untouched.
    const gone = [...(keepsDangling ? [a, b, created, d] : [b, created, d]), ...unusedHelper];
    expect(report.removed.map((r) => r.id).sort()).toEqual(gone.sort());
    expect(report.alreadyRemoved.map((r) => r.id)).toEqual(keepsDangling ? [] : [a]);
    expect(report.skipped.map((r) => [r.id, r.reason])).toEqual([
      [c, expect.stringMatching(/gained lt\/c:unreviewed/)],
    ]);
    const left = await imageIds();
    for (const gone of [a, b, d, ...unusedHelper]) expect(left.has(gone)).toBe(false);
    for (const kept of [c, n1, n2]) expect(left.has(kept)).toBe(true);
    expect(await idOf('lt/a:1')).toBe(n1);
    expect(await idOf('lt/b:2')).toBe(n2);
    expect(await idOf('lt/c:unreviewed')).toBe(c);
    const notes = report.removed.flatMap((r) => r.notes ?? []).join('\n');
    if (keepsDangling)
      expect(notes).toContain(
        `tag lt/a:1 now names image ${n1.replace('sha256:', '').slice(0, 12)}: left alone`,
      );
    expect(notes).toContain(
      `tag lt/b:2 now names image ${n2.replace('sha256:', '').slice(0, 12)}: left alone`,
    );

    // Applying the same file again: everything is already removed or still left alone.
    const again = await layertop(['prune', '--apply', planFile, '--json'], { env });
    expect(again.code).toBe(0);
    const twice = JSON.parse(again.stdout) as RunJson;
    expect(twice.removed).toEqual([]);
    expect(twice.failed).toEqual([]);
    expect(twice.alreadyRemoved.map((r) => r.id).sort()).toEqual([a, b, created, d, ...unusedHelper].sort());
    await e.docker(['rmi', 'lt/a:1', 'lt/b:2', 'lt/c:1', 'lt/c:unreviewed']);
  });

  // The library path without a helper: once per store is enough.
  if (mode === 'container')
    it('a tag moved after the plan and before the delete: the planned image goes by ID, the new one stays', async () => {
      const a = await importImage(e, 'lt/race:1');
      const client = await connectEngine(resolveEndpoint({ host: e.host }));
      const info = await getInfo(client);
      const model = await scanEngine(client, { info });
      const plan = planPrune(model, { all: true, volumes: false });
      expect(plan.images.map((i) => i.id)).toContain(a);
      // This run has no helper to keep its image: only the image under test goes.
      plan.images = plan.images.filter((i) => i.id === a);
      plan.containers = [];
      plan.networks = [];
      plan.buildCache = null;
      const moved = await importImage(e, 'lt/race:1');
      const report = await runPlan({ client, info, helper: undefined, model }, plan);
      expect(report.failed).toEqual([]);
      expect(report.skipped).toEqual([]);
      // Removed by ID (overlay2), or gone with its tag already (Docker 26's containerd store).
      expect([...report.removed, ...report.alreadyRemoved].map((r) => r.id)).toContain(a);
      const left = await imageIds();
      expect(left.has(a)).toBe(false);
      expect(left.has(moved)).toBe(true);
      expect(await idOf('lt/race:1')).toBe(moved);
      await e.docker(['rmi', 'lt/race:1']);
    });

  if (mode === 'container')
    it('a container made from the image after the plan: the delete fails, says why and which tags it took off', async () => {
      const a = await importImage(e, 'lt/used:1');
      await e.docker(['tag', a, 'lt/used:2']);
      const client = await connectEngine(resolveEndpoint({ host: e.host }));
      const info = await getInfo(client);
      const model = await scanEngine(client, { info });
      const plan = planPrune(model, { all: true, volumes: false });
      plan.images = plan.images.filter((i) => i.id === a);
      expect(plan.images.map((i) => i.refs?.slice().sort())).toEqual([['lt/used:1', 'lt/used:2']]);
      plan.containers = [];
      plan.networks = [];
      plan.buildCache = null;
      const user = (await e.docker(['create', '--network=none', a, 'true'])).trim();
      const report = await runPlan({ client, info, helper: undefined, model }, plan);
      expect(report.removed).toEqual([]);
      expect(report.failed.map((r) => r.id)).toEqual([a]);
      expect(report.failed[0]?.error).toMatch(/conflict|in use|being used/i);
      // All but one tag go first (Docker removes an image by ID only with one tag left): the
      // report names the one that went, and the image stays with the other.
      const left = (await e.docker(['image', 'inspect', '-f', '{{json .RepoTags}}', a])).trim();
      const kept = JSON.parse(left) as string[];
      expect(kept).toHaveLength(1);
      const went = ['lt/used:1', 'lt/used:2'].filter((t) => !kept.includes(t));
      expect(report.failed[0]?.notes).toEqual([`untagged ${went[0]} before the failure`]);
      await e.docker(['rm', user]);
      await e.docker(['rmi', kept[0] as string]);
    });

  // Whether the two overlap is the scheduler's: when they do, what one finds gone must be what the
  // other removed (and it says "already removed", not failed); when not, the second plans none.
  it('two prunes at once: every item removed once, what one finds already removed the other removed, no failure', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 6; i++) ids.push(await importImage(e, `lt/twice:${i}`, 20_000));
    const [one, two] = await Promise.all([
      layertop(['prune', '--yes', '-a', '--json'], { env }),
      layertop(['prune', '--yes', '-a', '--json'], { env }),
    ]);
    for (const r of [one, two]) {
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
    }
    const reports = [one, two].map((r) => JSON.parse(r.stdout) as RunJson);
    for (const r of reports) expect(r.failed).toEqual([]);
    const removed = reports.flatMap((r) => r.removed.map((x) => x.id)).filter((id) => ids.includes(id));
    expect(removed.sort()).toEqual([...ids].sort());
    const ours = (xs: Result[]) => xs.map((x) => x.id).filter((id) => ids.includes(id));
    const [a, b] = reports as [RunJson, RunJson];
    for (const [r, other] of [
      [a, b],
      [b, a],
    ] as const)
      for (const id of ours(r.alreadyRemoved)) expect(ours(other.removed)).toContain(id);
    const left = await imageIds();
    for (const id of ids) expect(left.has(id)).toBe(false);
  });

  it('refuses a file that is not a plan before connecting, and deletes nothing', async () => {
    const junk = join(tmp, 'junk.json');
    writeFileSync(junk, '{"plan": {}}');
    const before = await imageIds();
    const r = await layertop(['prune', '--apply', junk], { env });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/is not a layertop plan/);
    expect(await imageIds()).toEqual(before);
    expect(readFileSync(junk, 'utf8')).toBe('{"plan": {}}');
  });
});
