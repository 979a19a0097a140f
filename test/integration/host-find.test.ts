// Two ways to walk the engine's storage, one set of figures: the engine host's GNU find (one
// process, one lstat per entry) and the helper's own busybox find + stat (the fallback for hosts
// without GNU find, such as Docker Desktop's VM). Every measurement and every layer listing of
// both test engines must come out identical, byte for byte.
import { linkSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getInfo } from '../../source/engine/docker/inventory.js';
import { HelperSession } from '../../source/engine/helper/helper-session.js';
import {
  listLayerDir,
  listLayerDirs,
  listNames,
  probeOpaque,
  probeOpaqueMany,
} from '../../source/engine/helper/layer-list.js';
import { type MeasureTarget, measureDirs } from '../../source/engine/helper/measure.js';
import { scanEngine } from '../../source/engine/scan.js';
import { client, type EngineName, sh } from '../support/engines.js';

describe.each(['overlay2', 'containerd'] as EngineName[])('walking the %s engine', (engine) => {
  let host: HelperSession;
  let busybox: HelperSession;
  let targets: MeasureTarget[];
  let layerDirs: string[];
  let root: string;

  beforeAll(async () => {
    const c = await client(engine);
    const info = await getInfo(c);
    root = info.DockerRootDir;
    host = await HelperSession.start(c, { dataRoot: info.DockerRootDir });
    busybox = await HelperSession.start(c, { dataRoot: info.DockerRootDir, hostTools: false });
    const model = await scanEngine(c, { helper: busybox, info });
    const sub = engine === 'overlay2' ? 'diff' : 'fs';
    layerDirs = model.report.layers.map((l) => l.path).filter((p): p is string => !!p);
    targets = [
      ...layerDirs.map((dir) => ({ dir, sub }) as const),
      ...(model.inputs.measuredDirs ?? []).filter((d) => !layerDirs.includes(d)).map((dir) => ({ dir })),
      { dir: `${info.DockerRootDir}/no-such-dir` },
      { dir: `${info.DockerRootDir}/no-such-layer`, sub },
    ];
  }, 120_000);
  afterAll(async () => {
    await host?.close();
    await busybox?.close();
  });

  it('uses the host find on this Debian host, and busybox when told not to', () => {
    expect([host.hostFind, busybox.hostFind]).toEqual([true, false]);
  });

  it('measures every directory of a scan identically', async () => {
    const a = await measureDirs(host, targets, { engineId: 'x' });
    const b = await measureDirs(busybox, targets, { engineId: 'x' });
    const rows = (m: typeof a) => targets.map((t) => [t.dir, m.get(t.dir)]);
    expect(rows(a)).toEqual(rows(b));
    expect(a.get(`${targets.at(-1)?.dir}`)?.missing).toBe(true);
    expect(targets.length).toBeGreaterThan(30);
  }, 120_000);

  it('measures 340 roots in one request (their status listed in one loop) as in small requests and as busybox does', async () => {
    // The op's quick way is for 256 roots or more without --each or --list (a cold scan's walks
    // at scale): made by hand, as the small engines have fewer layers. Content files of known
    // sizes, a file beside the content (not counted as apparent), hard links, and layers
    // without their content subdirectory.
    const sub: MeasureTarget['sub'] = engine === 'overlay2' ? 'diff' : 'fs';
    const work = mkdtempSync(join(tmpdir(), 'lt-many-roots-'));
    try {
      const made: MeasureTarget[] = [];
      for (let i = 0; i < 300; i++) {
        const d = join(work, `layer-${i}`);
        mkdirSync(join(d, sub, 'etc'), { recursive: true });
        writeFileSync(join(d, sub, 'etc', 'f'), 'x'.repeat(i * 37));
        if (i % 3 === 0) writeFileSync(join(d, 'link'), `L${i}`);
        if (i % 7 === 0) linkSync(join(d, sub, 'etc', 'f'), join(d, sub, 'hard'));
        if (i % 11 === 0) rmSync(join(d, sub), { recursive: true });
        made.push({ dir: d, sub });
      }
      // Directories measured whole (busybox's walk takes directories only).
      for (let i = 0; i < 40; i++) {
        mkdirSync(join(work, `whole-${i}`));
        writeFileSync(join(work, `whole-${i}`, 'f'), 'y'.repeat(i * 1000));
        made.push({ dir: join(work, `whole-${i}`) });
      }
      // What travels: ONE walk with every root (else the op never takes its quick way).
      const walks: number[] = [];
      const request = host.request.bind(host);
      host.request = (op, args = [], ...rest) => {
        if (op.startsWith('gmeasure')) walks.push(args.length);
        return request(op, args, ...rest);
      };
      const one = await measureDirs(host, made, { engineId: 'x', batchSize: 10_000 }).finally(() => {
        host.request = request;
      });
      expect(walks).toEqual([made.length + 1]); // the roots and the "--" before the whole ones
      const small = await measureDirs(host, made, { engineId: 'x', batchSize: 100 });
      const bb = await measureDirs(busybox, made, { engineId: 'x' });
      // The rows that differ, so that a failure shows only them.
      const differ = (a: Map<string, unknown>, b: Map<string, unknown>) =>
        made
          .filter((t) => JSON.stringify(a.get(t.dir)) !== JSON.stringify(b.get(t.dir)))
          .map((t) => [t.dir.slice(work.length + 1), a.get(t.dir), b.get(t.dir)]);
      expect(differ(one, small)).toEqual([]);
      expect(differ(one, bb)).toEqual([]);
      // A layer without its content subdirectory counts as missing, as it always has.
      const missing = made.filter((t) => one.get(t.dir)?.missing).map((t) => t.dir.slice(work.length + 1));
      expect(missing).toEqual(
        made.filter((_, i) => i < 300 && i % 11 === 0).map((t) => t.dir.slice(work.length + 1)),
      );
      // By value: a content file's bytes, a hard-linked one once, a whole file.
      expect(one.get(join(work, 'layer-2'))?.apparentBytes).toBe(74);
      expect(one.get(join(work, 'layer-7'))?.apparentBytes).toBe(259);
      expect(one.get(join(work, 'whole-3'))?.apparentBytes).toBe(3000);
      // One root gone: the op lists them again the old way, leaving it out, and says it is missing.
      const gone: MeasureTarget = { dir: join(work, 'gone'), sub };
      const withGone = await measureDirs(host, [...made.slice(0, 150), gone, ...made.slice(150)], {
        engineId: 'x',
        batchSize: 10_000,
      });
      expect(withGone.get(gone.dir)?.missing).toBe(true);
      expect(differ(withGone, one)).toEqual([]);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  }, 120_000);

  it('measures the entries of a directory walked whole (each container, volume, image) as each by name', async () => {
    const each = [
      `${root}/containers`,
      `${root}/volumes`,
      `${root}/image/overlay2/imagedb/metadata/sha256`,
      `${root}/image/overlay2/layerdb/mounts`,
    ];
    // A container directory that is not there comes back missing, as when named alone.
    const withGone = [...targets, { dir: `${root}/containers/${'0'.repeat(64)}` }];
    const members = withGone.filter((t) => !t.sub && each.includes(t.dir.slice(0, t.dir.lastIndexOf('/'))));
    expect(members.length).toBeGreaterThan(engine === 'overlay2' ? 20 : 6);
    // What travels to the helper: the directories, never the entries' names.
    const sent: (string | Buffer)[] = [];
    const request = host.request.bind(host);
    host.request = (op, args = [], ...rest) => {
      sent.push(...args);
      return request(op, args, ...rest);
    };
    const a = await measureDirs(host, withGone, { engineId: 'x', each }).finally(() => {
      host.request = request;
    });
    // Each such directory once (a big scan's work spreads over several walks, each with its own
    // "--each" list), and none of its entries by name.
    expect(sent.filter((x) => x === '--each').length).toBeGreaterThanOrEqual(1);
    const grouped = each.filter((d) => members.filter((t) => t.dir.startsWith(`${d}/`)).length >= 2);
    expect(grouped.length).toBeGreaterThan(0);
    for (const d of grouped)
      expect({ d, times: sent.filter((x) => x === d).length }).toEqual({ d, times: 1 });
    expect(members.filter((t) => sent.includes(t.dir))).toEqual([]);
    const b = await measureDirs(busybox, withGone, { engineId: 'x' });
    const rows = (m: typeof a) => withGone.map((t) => [t.dir, m.get(t.dir)]);
    expect(rows(a)).toEqual(rows(b));
    expect(a.get(`${root}/containers/${'0'.repeat(64)}`)?.missing).toBe(true);
    // Something was read, and nothing that holds blocks was measured as 0 (du's word on it: an
    // empty directory holds 4,096 bytes on ext4, none on a tmpfs, where CI keeps the engines).
    expect(members.some((t) => (a.get(t.dir)?.diskBytes ?? 0) > 0)).toBe(true);
    for (const t of members.filter((m) => !a.get(m.dir)?.missing && !a.get(m.dir)?.diskBytes)) {
      const du = Number((await sh('du', ['-s', '-x', '-B1', t.dir])).split('\t')[0]);
      expect({ dir: t.dir, du }).toEqual({ dir: t.dir, du: 0 });
    }
  }, 120_000);

  it('walks a list far over the 32 KiB at which busybox xargs starts a new run, in one run, exactly', async () => {
    // 1,500 roots of about 110 bytes (165 KiB): the real layer directories among paths that do
    // not exist. Split in two runs, a walk misread its second half (323 of 3,043 layers read 0).
    const many: MeasureTarget[] = [];
    for (let i = 0; many.length < 1500; i++) {
      const d = layerDirs[i % layerDirs.length] as string;
      many.push(
        i < layerDirs.length ? { dir: d } : { dir: `${root}/no-such/${String(i).padStart(90, 'x')}` },
      );
    }
    for (const h of [host, busybox]) {
      const alone = await measureDirs(h, many.slice(0, layerDirs.length), { engineId: 'x' });
      const all = await measureDirs(h, many, { engineId: 'x', batchSize: 1500 });
      for (const d of layerDirs) expect(all.get(d)).toEqual(alone.get(d));
      expect([...all.values()].filter((m) => m.missing)).toHaveLength(1500 - layerDirs.length);
    }
    // A list too long for one run is refused, never split silently.
    const huge = Array.from({ length: 3000 }, (_, i) => `${root}/no-such/${String(i).padStart(90, 'x')}`);
    await expect(host.run('gmeasure', huge)).rejects.toThrow(/for one run/);
  }, 180_000);

  it('takes a list too long to read byte by byte whole, hostile names as data', async () => {
    const hostile = ['a\nb', '$(touch /tmp/pwned)', 'q\'"', '\x1b[31m', ' lead'];
    const paths = Array.from({ length: 400 }, (_, i) =>
      i % 2 ? root : `${root}/no-such/${hostile[i % hostile.length]}-${i}`,
    );
    for (const h of [host, busybox]) {
      const lines = (await h.run('access', paths)).toString('latin1').trim().split('\n');
      expect(lines).toEqual(paths.map((_, i) => (i % 2 ? '1' : '0')));
    }
  }, 60_000);

  it('lists every layer identically: names, types, sizes, modes, links, whiteouts', async () => {
    const sub = engine === 'overlay2' ? 'diff' : 'fs';
    let whiteouts = 0;
    for (const d of layerDirs) {
      const key = (e: Awaited<ReturnType<typeof listLayerDir>>[number]) =>
        JSON.stringify([e.path, e.type, e.size, e.ino, e.nlink, e.mode, e.blocks, e.linkTarget ?? null]);
      const a = (await listLayerDir(host, `${d}/${sub}`)).map(key).sort();
      const b = (await listLayerDir(busybox, `${d}/${sub}`)).map(key).sort();
      expect({ layer: d, entries: a }).toEqual({ layer: d, entries: b });
      const names = async (h: HelperSession) => (await listNames(h, `${d}/${sub}`)).sort();
      expect(await names(host)).toEqual(await names(busybox));
      whiteouts += a.filter((k) => k.includes('"whiteout"')).length;
    }
    expect(whiteouts).toBeGreaterThan(0);
    // A running container's layer is walked by busybox through a view that follows no symlink
    // (tree:live, names:live): the same entries, through the real helper container.
    for (const d of layerDirs.slice(0, 3)) {
      const key = (e: Awaited<ReturnType<typeof listLayerDir>>[number]) =>
        JSON.stringify([e.path, e.type, e.size, e.ino, e.nlink, e.mode, e.blocks, e.linkTarget ?? null]);
      const a = (await listLayerDir(host, `${d}/${sub}`)).map(key).sort();
      const live = (await listLayerDir(busybox, `${d}/${sub}`, true)).map(key).sort();
      expect({ layer: d, entries: live }).toEqual({ layer: d, entries: a });
      expect((await listNames(busybox, `${d}/${sub}`, true)).sort()).toEqual(
        (await listNames(host, `${d}/${sub}`)).sort(),
      );
    }
  }, 300_000);

  it('lists many layers in one walk exactly as one by one, and probes them in one request alike', async () => {
    const sub = engine === 'overlay2' ? 'diff' : 'fs';
    const dirs = layerDirs.map((d) => `${d}/${sub}`);
    expect(dirs.length).toBeGreaterThan(3);
    const key = (e: Awaited<ReturnType<typeof listLayerDir>>[number]) =>
      JSON.stringify([
        e.path,
        e.type,
        e.size,
        e.ino,
        e.nlink,
        e.mode,
        e.blocks,
        e.mtime,
        e.linkTarget ?? null,
      ]);
    const batched = await listLayerDirs(host, dirs);
    const single = await Promise.all(dirs.map((d) => listLayerDir(host, d)));
    expect(batched.map((l, i) => ({ dir: dirs[i], entries: l.map(key).sort() }))).toEqual(
      single.map((l, i) => ({ dir: dirs[i], entries: l.map(key).sort() })),
    );
    // An empty root between two others keeps its place: nothing of its neighbours moves into it.
    const empty = `${root}/layertop-test-empty-root`;
    await sh('mkdir', ['-p', empty]);
    const around = await listLayerDirs(host, [dirs[0] as string, empty, dirs[1] as string]);
    expect(around.map((l) => l.map(key).sort())).toEqual([
      (single[0] ?? []).map(key).sort(),
      [],
      (single[1] ?? []).map(key).sort(),
    ]);
    await sh('rmdir', [empty]);
    // A root gone before the walk: that layer fails as it does alone.
    await expect(listLayerDirs(host, [dirs[0] as string, `${root}/no-such-layer/${sub}`])).rejects.toThrow();
    // Every directory of each layer asked about at once, against each layer's own probe.
    const asked = batched.map((l, i) => ({
      dir: dirs[i] as string,
      candidates: l.filter((e) => e.type === 'dir').map((e) => e.path),
    }));
    const many = await probeOpaqueMany(host, asked);
    const one = await Promise.all(asked.map((a) => probeOpaque(host, a.dir, a.candidates)));
    // Answered, not unknown (two unknowns would compare equal).
    expect(many.every((x) => x !== undefined)).toBe(true);
    expect(many.map((s) => [...(s ?? ['unknown'])].sort())).toEqual(
      one.map((s) => [...(s ?? ['unknown'])].sort()),
    );
    if (engine === 'overlay2') expect(many.some((s) => (s?.size ?? 0) > 0)).toBe(true);
    // A layer cannot stand in for the probe's marker: a directory holding an entry of the marker's
    // old fixed name is not opaque (with that name the layer's entry hid the marker: "opaque").
    const fake = `${root}/layertop-test-fake-layer`;
    await sh('mkdir', ['-p', `${fake}/etc/.layertop-probe`, `${fake}/usr`]);
    await sh('touch', [`${fake}/usr/.layertop-probe`]);
    const probed = await probeOpaqueMany(host, [{ dir: fake, candidates: ['etc', 'usr'] }]);
    await sh('rm', ['-rf', fake]);
    expect(probed.map((x) => (x ? [...x] : 'unknown'))).toEqual([[]]);
    // A candidate that climbs (or an empty component), a count with a leading 0 (octal to the
    // shell's arithmetic, decimal to test) or more candidates than sent: the whole request is
    // refused (2) before anything is made or mounted, even with a valid group before it, which
    // then has no answer either. Never an answer for a path outside the layer.
    const probe = (args: string[]) =>
      host.request(
        'probes',
        args.map((a) => Buffer.from(a)),
        60_000,
      );
    const [d0, d1] = [dirs[0] as string, dirs[1] as string];
    for (const bad of ['../etc', 'usr/../..', 'a//b', '', '.'])
      for (const args of [
        [d0, '2', 'etc', bad],
        [d0, '1', 'etc', d1, '1', bad],
      ]) {
        const r = await probe(args);
        expect({ bad, args: args.length, status: r.status, out: r.stdout.toString() }).toEqual({
          bad,
          args: args.length,
          status: 2,
          out: '',
        });
      }
    for (const args of [
      [d0, '010', 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', '/etc', '1', 'y'],
      [d0, '1', 'etc', d1, '3', 'etc', 'usr'],
      ['relative', '1', 'etc'],
    ]) {
      const r = await probe(args);
      expect({ args, status: r.status, out: r.stdout.toString() }).toEqual({ args, status: 2, out: '' });
    }
    // The same shapes done right are answered.
    expect((await probe([d0, '1', 'etc', d1, '1', 'usr'])).status).toBe(0);
  }, 300_000);
});
