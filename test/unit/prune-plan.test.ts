import { describe, expect, it } from 'vitest';
import { changesText, planText } from '../../source/cli/prune-text.js';
import { freedIfRemoved } from '../../source/model/freed.js';
import {
  dockerFiguresNote,
  parseFilters,
  parseUntil,
  planChanges,
  planPrune,
  planSelection,
} from '../../source/model/prune-plan.js';
import { freedBytes } from '../../source/model/removal.js';
import { base, common, makeModel } from '../support/model.js';

const d = (s: string) => `sha256:${s.padEnd(64, '0')}`;

function model() {
  const m = makeModel(
    [
      {
        id: 'aaa1',
        tags: ['shop/app-a:latest'],
        layers: [base, common, { id: 'a1', size: 10, disk: 4096, cmd: 'RUN a' }],
      },
      {
        id: 'bbb1',
        tags: ['shop/app-b:latest'],
        layers: [base, common, { id: 'b1', size: 20, disk: 8192, cmd: 'RUN b' }],
      },
      { id: 'ddd1', tags: [], layers: [base, { id: 'd1', size: 30, disk: 12288, cmd: 'RUN d' }] },
    ],
    [
      {
        id: 'run'.padEnd(64, '0'),
        name: 'web',
        imageId: 'aaa1',
        state: 'running',
        diskBytes: 1000,
        sizeRw: 900,
      },
      {
        id: 'old'.padEnd(64, '0'),
        name: 'job',
        imageId: 'bbb1',
        state: 'exited',
        diskBytes: 2000,
        metaDiskBytes: 300,
        sizeRw: 1500,
      },
    ],
  );
  m.inputs.networks.push(
    { id: 'n1', name: 'bridge', driver: 'bridge', builtin: true, containers: 0 },
    { id: 'n2', name: 'unused', driver: 'bridge', builtin: false, containers: 0 },
    { id: 'n3', name: 'busy', driver: 'bridge', builtin: false, containers: 1 },
  );
  m.inputs.volumes.push(
    { name: 'named', size: 5, diskBytes: 4096, anonymous: false, refCount: 0 },
    { name: 'f'.repeat(64), size: 7, diskBytes: 8192, anonymous: true, refCount: 0 },
  );
  m.inputs.buildCache = { records: 3, size: 100, diskBytes: 50_000 };
  return m;
}

describe('prune plan (docker system prune -a)', () => {
  it("keeps a network any container left after the removal is attached to, stopped or running (the engine's list counts neither)", () => {
    const m = model();
    m.inputs.networks.push(
      { id: 'n4', name: 'shop_default', driver: 'bridge', builtin: false, containers: 0 },
      { id: 'n5', name: 'jobs', driver: 'bridge', builtin: false, containers: 0 },
      { id: 'n6', name: 'ingress', driver: 'overlay', builtin: true, containers: 0 },
    );
    const [web, job] = m.inputs.containers;
    if (!web || !job) throw new Error('fixture');
    web.networks = ['shop_default'];
    job.networks = ['jobs'];
    m.inputs.containers.push({
      id: 'kpt'.padEnd(64, '0'),
      name: 'db',
      imageId: 'bbb1',
      image: 'shop/app-b:latest',
      state: 'created',
      created: 1,
      labels: { keep: 'true' },
      volumes: [],
      networks: ['shop_default', 'jobs'],
    });
    // The job goes; db stays (protected): both networks it is on stay, each saying who uses it.
    const p = planPrune(m, { all: true, volumes: false, policy: { protect: ['keep=true'] } });
    expect(p.containers.map((c) => c.name)).toEqual(['job']);
    expect(p.networks.map((n) => n.name)).toEqual(['unused']);
    expect(p.kept.filter((k) => k.kind === 'network').map((k) => [k.name, k.reason])).toEqual([
      ['busy', 'used by 1 container'],
      ['shop_default', 'used by web (running), db (created)'],
      ['jobs', 'used by db (created)'],
    ]);
    // A container created with a network's ID names it so until it runs; one whose settings the
    // engine did not give may be on any network: both keep theirs.
    const db = m.inputs.containers.at(-1);
    if (!db) throw new Error('fixture');
    db.networks = ['n5'];
    expect(planPrune(m, { all: true, volumes: false, policy: { protect: ['keep=true'] } }).networks).toEqual([
      expect.objectContaining({ name: 'unused' }),
    ]);
    db.networks = undefined;
    const unknown = planPrune(m, { all: true, volumes: false, policy: { protect: ['keep=true'] } });
    expect(unknown.networks).toEqual([]);
    expect(unknown.kept.find((k) => k.name === 'unused')?.reason).toBe(
      'the engine did not say which networks db is on',
    );
    // Without db, the job's network goes with the job; the running web's stays.
    m.inputs.containers.pop();
    const q = planPrune(m, { all: true, volumes: false });
    expect(q.networks.map((n) => n.name)).toEqual(['unused', 'jobs']);
    // A marked selection: the same rule (the network of a container outside the set stays).
    const s = planSelection(m, {
      containers: new Set(),
      images: new Set(),
      volumes: new Set(),
      networks: new Set(['n4', 'n5']),
      buildCache: false,
    });
    expect(s.networks).toEqual([]);
    expect(s.kept.map((k) => [k.name, k.reason])).toEqual([
      ['shop_default', 'used by web (running)'],
      ['jobs', 'used by job (exited)'],
    ]);
  });

  it('removes stopped containers first, so their images become unused; keeps what a running container uses', () => {
    const p = planPrune(model(), { all: true, volumes: false });
    expect(p.containers.map((c) => c.name)).toEqual(['job']);
    expect(p.images.map((i) => i.id)).toEqual([d('bbb1'), d('ddd1')]);
    expect(p.kept.map((k) => [k.id, k.reason])).toEqual([
      ['n3', 'used by 1 container'],
      [d('aaa1'), 'used by web (running)'],
    ]);
    expect(p.networks.map((n) => n.name)).toEqual(['unused']);
    expect(p.volumes).toEqual([]);
    expect(p.buildCache?.diskBytes).toBe(50_000);
    // Images are removed tag by tag; an untagged one by its ID.
    expect(p.images.map((i) => i.refs)).toEqual([['shop/app-b:latest'], [d('ddd1')]]);
  });

  it('predicts the disk bytes that come back: unique layers only, the container with its logs, build cache', () => {
    const p = planPrune(model(), { all: true, volumes: false });
    // app-b's own layer (8192) and the dangling image's (12288); base and common stay for app-a.
    expect(p.predictedFreedBytes).toBe(8192 + 12288 + 2000 + 300 + 50_000);
    expect(p.dockerEstimateBytes).toBe(1500 + 100);
  });

  it('takes only anonymous unused volumes with --volumes, only dangling images without -a', () => {
    const p = planPrune(model(), { all: false, volumes: true });
    expect(p.volumes.map((v) => v.name)).toEqual(['f'.repeat(64)]);
    expect(p.images.map((i) => i.id)).toEqual([d('ddd1')]);
    // Each volume left says why.
    expect(p.kept.filter((k) => k.kind === 'volume').map((k) => [k.name, k.reason])).toEqual([
      ['named', 'named (docker system prune --volumes removes anonymous volumes only)'],
    ]);
    // An anonymous volume a container that stays uses: kept, and by whom.
    const m = model();
    const web = m.inputs.containers.find((c) => c.name === 'web');
    if (web) web.volumes = ['f'.repeat(64)];
    const q = planPrune(m, { all: false, volumes: true });
    expect(q.volumes).toEqual([]);
    expect(q.kept.find((k) => k.id === 'f'.repeat(64))?.reason).toBe('used by web');
    // Without --volumes no volume is in question: none is listed as kept.
    expect(planPrune(model(), { all: false, volumes: false }).kept.some((k) => k.kind === 'volume')).toBe(
      false,
    );
  });

  it('honours until and label filters as Docker does (build cache ignores labels)', () => {
    const m = model();
    for (const c of m.inputs.containers) c.labels = { team: 'x' };
    const p = planPrune(m, { all: true, volumes: false, filters: { notLabel: ['team=x'] } });
    expect(p.containers).toEqual([]);
    expect(p.buildCache).not.toBeNull();
    const q = planPrune(m, { all: true, volumes: false, filters: { until: 0 } });
    expect(q.images).toEqual([]);
    expect(q.buildCache).toBeNull();
    expect(q.kept.find((k) => k.kind === 'build-cache')?.reason).toBe('an until filter is set');
  });

  it('counts a content-store blob shared by two images once, and only when both go', () => {
    const m = model();
    const [a, b, dd] = m.inputs.images;
    if (!a || !b || !dd) throw new Error('fixture');
    a.blobs = [{ digest: 'base-blob', diskBytes: 1000 }];
    b.blobs = [
      { digest: 'base-blob', diskBytes: 1000 },
      { digest: 'b-blob', diskBytes: 10 },
    ];
    dd.blobs = [{ digest: 'base-blob', diskBytes: 1000 }];
    const job = 'old'.padEnd(64, '0');
    // app-b goes with its stopped container; the base blob stays for app-a, which web still runs.
    expect(freedIfRemoved(m, { images: [b.id], containers: [job] })).toBe(2000 + 300 + 8192 + 10);
    expect(freedIfRemoved(m, { images: [b.id, dd.id], containers: [job] })).toBe(
      2000 + 300 + 8192 + 12288 + 10,
    );
    // An image a surviving container uses cannot go (Docker refuses without force).
    expect(freedIfRemoved(m, { images: [b.id], containers: [] })).toBe(0);
  });

  it('frees a layer several removed images share once, and none that an image staying still uses', () => {
    const m = model();
    const [a, b, dd] = m.inputs.images;
    if (!a || !b || !dd) throw new Error('fixture');
    const both = ['run'.padEnd(64, '0'), 'old'.padEnd(64, '0')];
    const all = freedBytes(m, {
      images: new Set([a.id, b.id, dd.id]),
      containers: new Set(both),
      volumes: new Set(),
      buildCache: false,
    });
    // base (all three) and common (a, b): once each, on the shared line.
    expect(all?.sharedByRemovedImages).toBe(base.disk + common.disk);
    expect(Object.fromEntries(all?.images ?? [])).toEqual({ [a.id]: 4096, [b.id]: 8192, [dd.id]: 12288 });
    expect(all?.total).toBe(1000 + 2000 + 300 + base.disk + common.disk + 4096 + 8192 + 12288);
    // a stays: base and common stay with it; b and dd free their own layers only.
    const some = freedBytes(m, {
      images: new Set([b.id, dd.id]),
      containers: new Set(both),
      volumes: new Set(),
      buildCache: false,
    });
    expect(some?.sharedByRemovedImages).toBe(0);
    expect(some?.total).toBe(1000 + 2000 + 300 + 8192 + 12288);
  });

  it('attributes each freed byte once: to the one image that holds it, or to the shared line', () => {
    const m = model();
    const p = planPrune(m, { all: true, volumes: true });
    const byName = Object.fromEntries(p.images.map((i) => [i.name, i.diskBytes]));
    expect(byName).toEqual({ 'shop/app-b:latest': 8192, '<none> ddd100000000': 12288 });
    expect(p.containers.map((c) => c.diskBytes)).toEqual([2300]);
    expect(p.volumes.map((v) => [v.name, v.diskBytes])).toEqual([['f'.repeat(64), 8192]]);
    const sum =
      [...p.containers, ...p.images, ...p.volumes].reduce((a, i) => a + (i.diskBytes ?? Number.NaN), 0) +
      (p.buildCache?.diskBytes ?? 0) +
      (p.sharedImageBytes ?? Number.NaN);
    expect(sum).toBe(p.predictedFreedBytes);
    // Removing both app images but keeping web's container keeps everything of app-a.
    const all = planSelection(m, {
      containers: new Set(),
      images: new Set([d('bbb1'), d('ddd1')]),
      volumes: new Set(),
      buildCache: false,
    });
    expect(all.sharedImageBytes).toBe(0);
  });

  it("counts layer and image metadata with what it belongs to, and keeps the helper's image", () => {
    const m = model();
    const b = m.inputs.images[1];
    if (!b) throw new Error('fixture');
    b.metaDiskBytes = 4096;
    const top = m.graph.imageChains.get(b.id)?.at(-1) as string;
    const fact = m.inputs.layerFacts.get(top);
    if (fact) fact.metaDiskBytes = 20_480;
    m.inputs.reservedImages = { [d('ddd1')]: "used by layertop's helper (running)" };
    const p = planPrune(m, { all: true, volumes: false });
    expect(p.images.map((i) => [i.name, i.diskBytes])).toEqual([['shop/app-b:latest', 8192 + 4096 + 20_480]]);
    expect(p.kept.find((k) => k.id === d('ddd1'))?.reason).toBe("used by layertop's helper (running)");
  });

  it('a marked selection never takes a running container, nor an image or volume something else still uses', () => {
    const m = model();
    const web = m.inputs.containers.find((c) => c.name === 'web');
    if (web) web.volumes = ['named'];
    const p = planSelection(m, {
      containers: new Set([web?.id as string]),
      images: new Set([d('aaa1'), d('ddd1')]),
      volumes: new Set(['named']),
      buildCache: true,
    });
    expect(p.containers).toEqual([]);
    expect(p.images.map((i) => i.id)).toEqual([d('ddd1')]);
    expect(p.volumes).toEqual([]);
    expect(p.kept.map((k) => [k.kind, k.reason])).toEqual([
      ['container', 'running: stop it first'],
      ['image', 'used by web (running)'],
      ['volume', 'used by web'],
    ]);
    expect(p.predictedFreedBytes).toBe(12288 + 50_000);
  });

  it("says what Docker's estimate adds up, a figure docker system df does not print", () => {
    expect(planText(planPrune(model(), { all: true, volumes: false }))).toMatch(
      /^Docker's estimate: .*\n {2}\(Docker's estimate: the sum of the first table's DOCKER'S SIZE column: .*the build cache's size as `docker system df` counts it, where a record shared with images counts 0/m,
    );
  });

  it('shows a volume made again under the previewed name as a change to confirm again', () => {
    const m = model();
    const anon = 'f'.repeat(64);
    const vol = m.inputs.volumes.find((v) => v.name === anon);
    if (!vol) throw new Error('no volume');
    vol.created = 1_000;
    const opts = { all: true, volumes: true } as const;
    const seen = planPrune(m, opts);
    expect(seen.volumes.map((v) => v.name)).toEqual([anon]);
    expect(planChanges(seen, planPrune(m, opts))).toBeNull();
    vol.created = 2_000;
    const change = planChanges(seen, planPrune(m, opts));
    expect(change?.changed.map((c) => c.after.name)).toEqual([anon]);
    expect(change && changesText(change)).toContain(
      `~ volume ${anon} (created again since the preview: another volume; still removed;`,
    );
  });

  it('shows what changed between the preview and the run', () => {
    const m = model();
    const seen = planPrune(m, { all: true, volumes: false });
    expect(planChanges(seen, planPrune(m, { all: true, volumes: false }))).toBeNull();
    // A container started on the dangling image after the preview keeps that image; a created
    // (never started) one would be pruned itself, and the image with it, as Docker does.
    m.inputs.containers.push({
      id: 'new'.padEnd(64, '0'),
      name: 'late',
      imageId: d('ddd1'),
      image: '',
      state: 'running',
      created: 0,
      volumes: [],
      networks: [],
    });
    const now = planPrune(m, { all: true, volumes: false });
    const change = planChanges(seen, now);
    expect(change?.added).toEqual([]);
    expect(now.kept.find((k) => k.id === d('ddd1'))?.reason).toBe('used by late (running)');
    expect(change?.dropped.map((i) => i.id)).toEqual([d('ddd1')]);
    expect(change?.bytesDelta).toBe(-12288);
  });

  it('shows an image that gained a tag after the preview as still removed, not as kept', () => {
    const seen = planPrune(model(), { all: true, volumes: false });
    const img = seen.images[0];
    expect(img).toBeDefined();
    const now = structuredClone(seen);
    const moved = now.images[0] as NonNullable<typeof img>;
    moved.refs = [...(moved.refs ?? []), 'trial/host:1'];
    moved.name = `${moved.name}, trial/host:1`;
    const change = planChanges(seen, now);
    expect(change?.added).toEqual([]);
    expect(change?.dropped).toEqual([]);
    expect(change?.changed.map((c) => [c.before.name, c.after.name])).toEqual([[img?.name, moved.name]]);
    // What the CLI prints before asking again.
    const text = changesText(change as NonNullable<typeof change>);
    expect(text).toContain(`  ~ image ${moved.name} (was ${img?.name}; still removed;`);
    expect(text).not.toContain('now kept');
  });

  it("parses Docker's filters: durations, Unix times, dates, labels", () => {
    expect(parseUntil('24h', 100_000)).toBe(100_000 - 86_400);
    expect(parseUntil('1h30m', 10_000)).toBe(10_000 - 5400);
    expect(parseUntil('1700000000', 0)).toBe(1_700_000_000);
    expect(parseUntil('2024-01-02T00:00:00Z', 0)).toBe(1_704_153_600);
    expect(parseFilters(['label=a=b', 'label!=keep', 'until=10m'], 1000)).toEqual({
      label: ['a=b'],
      notLabel: ['keep'],
      until: 400,
    });
    expect(() => parseFilters(['dangling=true'], 0)).toThrow(/invalid filter/);
    expect(() => parseFilters(['until=1h', 'until=2h'], 0)).toThrow(/more than one until/);
    expect(() => parseUntil('yesterday-ish', 0)).toThrow(/invalid until/);
  });

  it('a layer the build cache holds comes back only when the build cache goes too', () => {
    const m = model();
    const b = m.inputs.images[1];
    if (!b) throw new Error('fixture');
    const top = m.graph.imageChains.get(b.id)?.at(-1) as string;
    m.inputs.buildCacheLayers = new Set([top]);
    const marks = {
      containers: new Set(['old'.padEnd(64, '0')]),
      images: new Set([b.id]),
      volumes: new Set<string>(),
    };
    expect(planSelection(m, { ...marks, buildCache: false }).predictedFreedBytes).toBe(2300);
    expect(planSelection(m, { ...marks, buildCache: true }).predictedFreedBytes).toBe(2300 + 8192 + 50_000);
  });
});

describe("Docker's own two figures, when they differ", () => {
  const mb = (n: number) => `${(n / 1e6).toFixed(2)}MB`;
  it('says why the estimate is below the report: a layer only removed images share counts for none', () => {
    expect(dockerFiguresNote(30e6, 444e6, mb)).toMatch(
      /^Docker's estimate before was 30\.00MB: it counts a layer shared by removed images for none of them/,
    );
  });

  it('says why it is above: the whole preview against what was removed, content several images list counted for each', () => {
    const note = dockerFiguresNote(1060e6, 423e6, mb) ?? '';
    expect(note).toMatch(
      /^Docker's estimate before was 1060\.00MB: it adds up the whole preview, each image's size less/,
    );
    expect(note).toContain("counts a base layer's compressed blob once for every image that lists it");
    expect(note).toContain('its report counts only what was removed');
    expect(note).not.toContain('for none of them');
    expect(dockerFiguresNote(5, 5, mb)).toBeUndefined();
  });
});
