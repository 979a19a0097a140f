// The cleanup assistant against fresh engines of both backends (fixtures rebuilt for each test):
// the prediction against the measured shrink of the data root, nothing removed beyond the plan,
// running containers, their images and volumes untouched.
import { execFile } from 'node:child_process';
import { linkSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { connectEngine } from '../../source/engine/docker/docker-client.js';
import { resolveEndpoint } from '../../source/engine/docker/endpoint.js';
import { getInfo } from '../../source/engine/docker/inventory.js';
import { runPlan } from '../../source/engine/prune-run.js';
import { scanEngine } from '../../source/engine/scan.js';
import { startHelper } from '../../source/engine/session.js';
import { planItems, planSelection } from '../../source/model/prune-plan.js';
import { build } from '../support/build-cache.js';
import { ENGINE_BIN, layertop, waitFor } from '../support/engines.js';
import { type FreshEngine, freshEngine, objects, shrinkByPath } from '../support/fresh-engine.js';

const tmp = mkdtempSync(join(tmpdir(), 'lt-prune-'));
const engines: FreshEngine[] = [];
const cleanups: (() => void)[] = [];
afterAll(async () => {
  for (const c of cleanups) c();
  for (const e of engines) await e.stop();
  rmSync(tmp, { recursive: true, force: true });
});

interface PlanJson {
  plan: Record<'containers' | 'networks' | 'volumes' | 'images', { id: string; name: string }[]> & {
    buildCache: { id: string } | null;
  };
  predictedFreedBytes: number;
  dockerEstimateBytes: number;
}
interface RunJson extends PlanJson {
  dockerReportedBytes: number;
  measuredFreedBytes: number;
  removed: { kind: string; id: string }[];
  failed: { kind: string; id: string; error: string }[];
}

/** What disappeared from the engine, by kind. */
function gone(before: Record<string, string[]>, after: Record<string, string[]>): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const k of Object.keys(before))
    out[k] = (before[k] ?? []).filter((id) => !after[k]?.includes(id)).sort();
  return out;
}

const within2pc = (predicted: number, measured: number) =>
  expect(Math.abs(predicted - measured)).toBeLessThanOrEqual(0.02 * measured);

// Both stores' engines side by side (each its own fresh engine and data root; nothing is shared);
// the marked selection's test after them (it takes the overlay2 engine's name again).
describe.concurrent.each(['overlay2', 'containerd'] as const)(
  'layertop prune -a on a fresh %s engine',
  (kind) => {
    it('predicts the data root shrink within 2%, removes exactly the plan, keeps what runs', async () => {
      const e = await freshEngine(kind);
      engines.push(e);
      const env = { ...e.env, LAYERTOP_CACHE_DIR: join(tmp, `cache-${kind}`) };
      const running = (await e.docker(['inspect', '-f', '{{.Id}} {{.Image}}', 'lt-running']))
        .trim()
        .split(' ');

      // Without --yes and without a TTY nothing is deleted, and the exit code says so.
      const before = await objects(e);
      const refused = await layertop(['prune', '-a'], { env });
      expect(refused.code).toBe(3);
      expect(refused.stderr).toMatch(/Nothing was deleted/);
      expect(await objects(e)).toEqual(before);

      const dry = await layertop(['prune', '--dry-run', '-a', '--json'], { env });
      expect(dry.code).toBe(0);
      const plan = JSON.parse(dry.stdout) as PlanJson;
      expect(await objects(e)).toEqual(before);
      expect(plan.plan.containers.map((c) => c.name).sort()).toEqual(['lt-created', 'lt-stopped']);
      expect(plan.plan.networks.map((n) => n.name)).toEqual(['lt-unused-net']);
      expect(plan.plan.volumes).toEqual([]);
      expect(plan.plan.images.map((i) => i.id)).not.toContain(running[1]);

      const filesBefore = await e.files();
      const duBefore = await e.du();
      const res = await layertop(['prune', '--yes', '-a', '--json'], { env });
      expect(res.stderr).toBe('');
      expect(res.code).toBe(0);
      const report = JSON.parse(res.stdout) as RunJson;
      const duAfter = await e.du();
      const measured = duBefore - duAfter;
      console.log(
        `${kind}: predicted ${report.predictedFreedBytes} B, Docker reported ${report.dockerReportedBytes} B, ` +
          `measured (du -sx -B1 before - after) ${measured} B; layertop's own measurement ${report.measuredFreedBytes} B; ` +
          `Docker's estimate ${report.dockerEstimateBytes} B`,
      );
      if (Math.abs(report.predictedFreedBytes - measured) > 0.02 * measured)
        console.log(`what changed on disk:\n${shrinkByPath(filesBefore, await e.files()).join('\n')}`);
      within2pc(report.predictedFreedBytes, measured);
      within2pc(report.measuredFreedBytes, measured);
      expect(report.failed).toEqual([]);
      // The run re-planned on a fresh scan: the same items as the dry run.
      const ids = (p: PlanJson) =>
        Object.values(p.plan)
          .flat()
          .filter(Boolean)
          .map((i) => (i as { id: string }).id)
          .sort();
      expect(ids(report)).toEqual(ids(plan));

      // Everything that went was in the plan; everything in the plan went.
      const after = await objects(e);
      const removed = gone(before, after);
      expect(removed.container).toEqual(plan.plan.containers.map((c) => c.id).sort());
      expect(removed.network).toEqual(plan.plan.networks.map((n) => n.id).sort());
      expect(removed.volume).toEqual([]);
      expect(removed.image).toEqual(plan.plan.images.map((i) => i.id).sort());
      // The running container, its image (every tag of it) and its volumes survive.
      expect(after.container).toContain(running[0]);
      expect(after.image).toContain(running[1]);
      expect(
        (await e.docker(['image', 'inspect', '-f', '{{join .RepoTags ","}}', running[1] as string])).trim(),
      ).toMatch(/layertop-test\/app-a:latest/);
      expect(after.volume).toContain('lt-named');
      expect(after.volume?.length).toBe(before.volume?.length);
      await e.stop();
    });
  },
);

describe('removing a marked selection (fresh overlay2 engine)', () => {
  it('removes exactly the marked items that can go, keeps the rest, and predicts the shrink', async () => {
    const e = await freshEngine('overlay2');
    engines.push(e);
    // First: under tests, deleting through a socket that is not next to the test-engine marker
    // (the same engine, reached through a hard link of its socket in another directory: a
    // symlink is resolved to the marked one) is refused, and nothing changes.
    const socket = e.host.replace(/^unix:\/\//, '');
    const unmarked = join(dirname(dirname(socket)), `unmarked-${process.pid}`);
    mkdirSync(unmarked, { recursive: true });
    const link = join(unmarked, 'docker.sock');
    linkSync(socket, link);
    cleanups.push(() => rmSync(unmarked, { recursive: true, force: true }));
    const untouched = await objects(e);
    const refused = await layertop(['prune', '--yes', '-a'], {
      env: {
        ...e.env,
        DOCKER_HOST: `unix://${link}`,
        LAYERTOP_TEST_MODE: '1',
        LAYERTOP_CACHE_DIR: join(tmp, 'c3'),
      },
    });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/refusing to delete: under tests only a layertop test engine/);
    expect(await objects(e)).toEqual(untouched);
    rmSync(unmarked, { recursive: true, force: true });

    const client = await connectEngine(resolveEndpoint({ host: e.host }));
    const info = await getInfo(client);
    const helper = await startHelper(client, info, {});
    try {
      const model = await scanEngine(client, { helper, info });
      const byTag = (t: string) => model.inputs.images.find((i) => i.tags.includes(t))?.id as string;
      const byName = (n: string) => model.inputs.containers.find((c) => c.name === n)?.id as string;
      const dangling = model.inputs.images.find((i) => i.tags.length === 0)?.id as string;
      const plan = planSelection(model, {
        containers: new Set([byName('lt-stopped'), byName('lt-running')]),
        images: new Set([
          byTag('layertop-test/app-b:latest'),
          byTag('layertop-test/overwrite:latest'),
          dangling,
        ]),
        volumes: new Set(['lt-unused-vol', 'lt-named']),
        buildCache: false,
      });
      // lt-running runs (stop it first); overwrite's lt-created is not marked; lt-named is in use.
      expect(plan.kept.map((k) => k.name).sort()).toEqual([
        'layertop-test/overwrite:latest',
        'lt-named',
        'lt-running',
      ]);
      // The CLI runs above each had a helper; the engine may still be deleting one (AutoRemove
      // runs after the process exits): its layers going would count as freed. Wait until only ours is left.
      const othersGone = await waitFor(async () => {
        const list = (await client.docker.listContainers({
          all: true,
          filters: { label: ['io.layertop.helper'] },
        })) as { Id: string }[];
        return list.every((c) => c.Id === helper.containerId);
      });
      expect(othersGone).toBe(true);
      const before = await objects(e);
      const filesBefore = await e.files();
      const duBefore = await e.du();
      const report = await runPlan({ client, info, helper, model }, plan);
      const measured = duBefore - (await e.du());
      console.log(`selection: predicted ${report.predictedFreedBytes} B, measured ${measured} B`);
      if (Math.abs((report.predictedFreedBytes ?? 0) - measured) > 0.02 * measured)
        console.log(`what changed on disk:\n${shrinkByPath(filesBefore, await e.files()).join('\n')}`);
      within2pc(report.predictedFreedBytes ?? Number.NaN, measured);
      expect(report.failed).toEqual([]);
      const removed = gone(before, await objects(e));
      expect(removed).toEqual({
        container: [byName('lt-stopped')],
        image: [byTag('layertop-test/app-b:latest'), dangling].sort(),
        volume: ['lt-unused-vol'],
        network: [],
      });
      expect(planItems(plan).length).toBe(4);
    } finally {
      await helper.close();
      await e.stop();
    }
  });
});

// `docker builder prune -af` leaves in BuildKit's snapshots.db the buckets of the images its
// builds started FROM (named by their records' IDs, each with the image layer's chain ID); they
// hold no layer. Counted as held, a following `layertop prune -a` predicted 348kB and the disk
// gave back 216MB (the fixtures' engine, 2026-12-07).
describe.each(['overlay2', 'containerd'] as const)(
  'layertop prune -a after a builder prune on a fresh %s engine',
  (kind) => {
    it('predicts what the images free (the layers the removed records used are not held), keeps the network of a container it keeps, names the hidden parent Docker deletes with an image', async () => {
      const e = await freshEngine(kind, 'light');
      engines.push(e);
      const env = { ...e.env, LAYERTOP_CACHE_DIR: join(tmp, `cache-bp-${kind}`) };
      await build(e, 'lt-bp/base:latest', 'FROM busybox\nRUN head -c 1000000 /dev/urandom > /base.bin\n', {});
      await build(
        e,
        'lt-bp/child:latest',
        'FROM lt-bp/base:latest\nRUN head -c 300000 /dev/urandom > /child.bin\n',
        {},
      );
      // An image committed from a container of an image whose tag then went: Docker keeps that
      // parent untagged and `docker images` hides it; removing the child deletes it too.
      await build(e, 'lt-bp/parent:latest', 'FROM busybox\nRUN echo p > /p\n', {});
      const parentId = (await e.docker(['image', 'inspect', '-f', '{{.Id}}', 'lt-bp/parent:latest'])).trim();
      await e.docker(['create', '--name', 'lt-bp-c', 'lt-bp/parent:latest', 'true']);
      await e.docker(['commit', 'lt-bp-c', 'lt-bp/committed:latest']);
      await e.docker(['rm', 'lt-bp-c']);
      await e.docker(['rmi', 'lt-bp/parent:latest']);
      await e.docker(['builder', 'prune', '-af']);
      // A container the prune keeps (protected) that never ran: the engine's network list names no
      // user of its network, and Docker's own prune removes such a network (its next start fails).
      await e.docker(['network', 'create', 'lt-bp-net']);
      // A volume named with 64 hex digits, as anonymous ones are, but without Docker's anonymous
      // label: Docker 23+'s prune keeps it (label only), and so must layertop.
      const hexVolume = 'b'.repeat(64);
      await e.docker(['volume', 'create', hexVolume]);
      await e.docker([
        'create',
        '--name',
        'lt-bp-keep',
        '--label',
        'keep=true',
        '--network',
        'lt-bp-net',
        'busybox',
        'true',
      ]);
      await e.settle();
      const filesBefore = await e.files();
      const duBefore = await e.du();
      const res = await layertop(
        ['prune', '--yes', '-a', '--volumes', '--protect', 'label=keep=true', '--json'],
        {
          env,
        },
      );
      expect(res.code, res.stderr).toBe(0);
      const report = JSON.parse(res.stdout) as RunJson & {
        plan: { kept: { name: string; reason: string }[] };
      };
      expect(report.plan.images.map((i) => i.name).sort()).toEqual([
        'lt-bp/base:latest',
        'lt-bp/child:latest',
        'lt-bp/committed:latest',
      ]);
      // The hidden parent, when the engine took it along, is named in the report.
      const parentGone = !(await e.docker(['images', '-aq', '--no-trunc'])).includes(parentId);
      const committed = (report.removed as { name?: string; notes?: string[] }[]).find(
        (r) => r.name === 'lt-bp/committed:latest',
      );
      const named = (committed?.notes ?? []).some((n) =>
        n.startsWith(`the engine also deleted its untagged parent image ${parentId.slice(7, 19)},`),
      );
      console.log(
        `${kind}: the committed image's parent ${parentGone ? 'went with it' : 'stayed'}; notes: ${JSON.stringify(committed?.notes)}`,
      );
      if (kind === 'overlay2') expect(parentGone).toBe(true);
      expect(named).toBe(parentGone);
      expect(report.plan.networks).toEqual([]);
      expect(report.plan.volumes).toEqual([]);
      expect(report.plan.kept).toContainEqual(
        expect.objectContaining({ name: hexVolume, reason: expect.stringMatching(/^named/) }),
      );
      expect((await e.docker(['volume', 'ls', '-q'])).split('\n')).toContain(hexVolume);
      expect(report.plan.kept).toContainEqual(
        expect.objectContaining({ name: 'lt-bp-net', reason: 'used by lt-bp-keep (created)' }),
      );
      expect(
        (await e.docker(['network', 'ls', '--filter', 'name=^lt-bp-net$', '--format', '{{.Name}}'])).trim(),
      ).toBe('lt-bp-net');
      const measured = duBefore - (await e.du());
      console.log(
        `${kind} after builder prune: predicted ${report.predictedFreedBytes} B, measured ${measured} B, layertop measured ${report.measuredFreedBytes} B`,
      );
      if (Math.abs(report.predictedFreedBytes - measured) > 16384)
        console.log(`what changed on disk:\n${shrinkByPath(filesBefore, await e.files()).join('\n')}`);
      // Both images' own layers went (1.3 MB of data)...
      expect(measured).toBeGreaterThan(1_200_000);
      // ...and layertop said so beforehand. Within 256 KiB: the engine's containerd metadata bolt
      // grows by about 104 KiB after the run, the helper container gone (seen on both stores;
      // layertop's own measurement, taken before that, was within 32 KiB of its prediction),
      // where the bug missed the 1 MB base layer (predicted 348,160 B, measured 1,269,760 B).
      expect(Math.abs(report.predictedFreedBytes - measured)).toBeLessThanOrEqual(256 * 1024);
      await e.stop();
    });
  },
);

// The classic builder makes each image a child of the one it starts FROM, and the engine refuses
// to delete an image another is made on. Removing such an image with two tags untagged one of
// them first, then failed: a tag lost for nothing.
describe('removing an image another is made on (classic builder, fresh overlay2 engine)', () => {
  it('fails it before touching its tags, and says why', async () => {
    const e = await freshEngine('overlay2', 'light');
    engines.push(e);
    const env = { ...e.env, LAYERTOP_CACHE_DIR: join(tmp, 'cache-classic') };
    const ctx = mkdtempSync(join(tmp, 'classic-'));
    const classic = async (tag: string, dockerfile: string) => {
      writeFileSync(join(ctx, 'Dockerfile'), dockerfile);
      await promisify(execFile)(
        join(ENGINE_BIN, 'docker'),
        ['build', '-q', '--network=none', '-t', tag, ctx],
        {
          env: { ...e.env, DOCKER_BUILDKIT: '0' },
        },
      );
    };
    await classic('lt-cb/a:1', 'FROM busybox\nRUN echo a > /a\n');
    await e.docker(['tag', 'lt-cb/a:1', 'lt-cb/a:2']);
    await classic('lt-cb/c:1', 'FROM lt-cb/a:1\nLABEL keep=true\nRUN echo c > /c\n');
    const res = await layertop(['prune', '--yes', '-a', '--protect', 'label=keep=true', '--json'], { env });
    // A removal failed: exit 4, the report says which and why.
    expect(res.code, res.stderr).toBe(4);
    const report = JSON.parse(res.stdout) as RunJson & { failed: { name: string; error: string }[] };
    expect(report.failed).toEqual([
      expect.objectContaining({
        name: 'lt-cb/a:1, lt-cb/a:2',
        error: expect.stringMatching(
          /^image [0-9a-f]{12} is made on it \(by the classic builder or docker commit\)/,
        ),
      }),
    ]);
    // Both tags are still there.
    expect((await e.docker(['image', 'inspect', '-f', '{{join .RepoTags ","}}', 'lt-cb/a:1'])).trim()).toBe(
      'lt-cb/a:1,lt-cb/a:2',
    );
    await e.stop();
  });
});
