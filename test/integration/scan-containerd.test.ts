import { existsSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { getInfo } from '../../source/engine/docker/inventory.js';
import { SizeCache } from '../../source/engine/helper/size-cache.js';
import { scanEngine } from '../../source/engine/scan.js';
import { startHelper } from '../../source/engine/session.js';
import { storageBackend } from '../../source/engine/storage/backend.js';
import { chainIds } from '../../source/model/chain-id.js';
import type { ScanReport } from '../../source/model/report.js';
import { expectImageSizesEqualDf } from '../support/df.js';
import { client, type EngineName, engineNames, helperContainers, layertop, sh } from '../support/engines.js';
import { expectSameScan } from '../support/same-scan.js';

const engines = engineNames().filter((n): n is EngineName => n.startsWith('containerd'));

describe.each(engines)('layertop scan --json on the %s engine (containerd image store)', (name) => {
  let report: ScanReport;
  /** Two more scans with the size cache the first one filled: the second walks only what can change. */
  let warm: ScanReport[];
  let df: { Images: { Id: string; Size: number; SharedSize: number }[] };

  beforeAll(async () => {
    const cacheDir = mkdtempSync(join(tmpdir(), 'lt-cache-'));
    const scan = async () => {
      const r = await layertop(['scan', '--json'], { engine: name, env: { LAYERTOP_CACHE_DIR: cacheDir } });
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      return JSON.parse(r.stdout) as ScanReport;
    };
    report = await scan();
    warm = [await scan(), await scan()];
    df = (await (await client(name)).docker.df()) as typeof df;
  });

  it('gives the same report from a warm size cache as from a cold one, every byte', () => {
    for (const w of warm) expectSameScan(w, report);
  });

  it('says the storage is the containerd store, and finds the containerd root from the engine facts', () => {
    expect(report.engine.storage).toBe('containerd');
    const root =
      name === 'containerd-ext'
        ? join(report.engine.dataRoot, '..', 'containerd-root') // dockerd --containerd=<socket>
        : join(report.engine.dataRoot, 'containerd', 'daemon'); // dockerd's own containerd
    for (const l of report.layers)
      expect(l.path?.startsWith(`${root}/io.containerd.snapshotter.v1.overlayfs/snapshots/`)).toBe(true);
  });

  it('gives every image the size, shared size and unique size of GET /system/df, to the byte', () => {
    expectImageSizesEqualDf(report, df);
  });

  it("maps the running container's writable, init and image layers to the directories its overlay mount uses", () => {
    const running = report.containers.find((c) => c.name === 'lt-running');
    const image = report.images.find((i) => i.id === running?.imageId);
    expect(running && image).toBeTruthy();
    // Independent fact: the kernel's mount table for the container's rootfs.
    const mounts = readFileSync('/proc/self/mounts', 'utf8').split('\n');
    const chainPaths = (image?.layers ?? []).map((c) => report.layers.find((l) => l.chainId === c)?.path);
    const line = mounts.find((m) => m.startsWith('overlay ') && m.includes(`upperdir=${running?.path}/fs,`));
    expect(line).toBeDefined();
    const opts = Object.fromEntries(
      (line?.split(' ')[3] ?? '')
        .split(',')
        .map((o) => [o.slice(0, o.indexOf('=')), o.slice(o.indexOf('=') + 1)]),
    );
    const lower = (opts.lowerdir ?? '').split(':');
    // lowerdir: the init layer, then the image's layers from the top down.
    expect(lower[0]).toBe(`${running?.initPath}/fs`);
    expect(lower.slice(1)).toEqual(chainPaths.map((p) => `${p}/fs`).reverse());
  });

  it('maps image layers to snapshot directories holding the files those layers are known to contain', () => {
    const layerOf = (cmd: RegExp) => report.layers.find((l) => cmd.test(l.createdBy ?? ''));
    expect(existsSync(`${layerOf(/\/many/)?.path}/fs/many/d0/f0`)).toBe(true);
    expect(statSync(`${layerOf(/^RUN head -c 100000/)?.path}/fs/data/file.bin`).size).toBe(100_000);
    expect(statSync(`${layerOf(/^RUN mkdir -p \/data/)?.path}/fs/data/file.bin`).size).toBe(300_000);
    expect(existsSync(`${layerOf(/chmod 600/)?.path}/fs/links/mode.bin`)).toBe(true);
    const base = report.layers.find((l) => l.parent === null && l.size > 100_000_000);
    expect(existsSync(`${base?.path}/fs/etc/debian_version`)).toBe(true);
  });

  it("gives each snapshot's disk bytes as du -s -B1 of its directory", async () => {
    for (const l of report.layers) {
      const du = Number((await sh('du', ['-s', '-B1', l.path ?? '/nonexistent'])).split('\t')[0]);
      expect({ layer: l.chainId, diskBytes: l.diskBytes }).toEqual({ layer: l.chainId, diskBytes: du });
    }
  });

  it('reads every image layer list from the content store as GET /images/{id}/json gives it, and the report has it', async () => {
    const c = await client(name);
    const info = await getInfo(c);
    const helper = await startHelper(c, info, {});
    try {
      const backend = await storageBackend(info, c.engineApiVersion);
      const layers = await backend.imageLayers?.(helper);
      const images = (await c.docker.listImages({ all: true })) as { Id: string }[];
      // Every image of the fixtures (built ones are indexes with an attestation; busybox a manifest).
      expect([...(layers?.keys() ?? [])].sort()).toEqual(images.map((i) => i.Id).sort());
      for (const img of images) {
        const inspect = (await c.docker.getImage(img.Id).inspect()) as { RootFS: { Layers: string[] } };
        expect(layers?.get(img.Id)).toEqual(inspect.RootFS.Layers);
        // The cold scan above took them from there: its image has their chain.
        expect(report.images.find((i) => i.id === img.Id)?.layers).toEqual(chainIds(inspect.RootFS.Layers));
      }
      // Both ways were taken: a top blob that is an index (to its platform's manifest) and one that is a manifest.
      const root =
        name === 'containerd-ext'
          ? join(report.engine.dataRoot, '..', 'containerd-root')
          : join(report.engine.dataRoot, 'containerd', 'daemon');
      const kinds = new Set(
        images.map((i) => {
          const top = readFileSync(
            join(root, 'io.containerd.content.v1.content/blobs/sha256', i.Id.slice(7)),
            'utf8',
          );
          return 'manifests' in JSON.parse(top) ? 'index' : 'manifest';
        }),
      );
      expect([...kinds].sort()).toEqual(['index', 'manifest']);
    } finally {
      await helper.close();
    }
  });

  it('inspects no image on a first scan (every layer list from the content store), and lists every image', async () => {
    const c = await client(name);
    const info = await getInfo(c);
    let inspects = 0;
    const getImage = c.docker.getImage.bind(c.docker);
    c.docker.getImage = (id: string) => {
      const image = getImage(id);
      const inspect = image.inspect.bind(image);
      image.inspect = ((...args: Parameters<typeof inspect>) => {
        inspects++;
        return inspect(...args);
      }) as typeof image.inspect;
      return image;
    };
    const helper = startHelper(c, info, {});
    try {
      const model = await scanEngine(c, { helper, cache: new SizeCache(undefined), info });
      expect(inspects).toBe(0);
      expect(model.report.images.map((i) => i.id).sort()).toEqual(report.images.map((i) => i.id).sort());
      expect(model.report.layers.length).toBe(report.layers.length);
    } finally {
      await (await helper).close();
    }
  });

  it("counts the base layer's blob, which every image built on it lists, as no image's unique disk", () => {
    // debian:bookworm is the base layer alone: what is its own is its manifest and config.
    const debian = report.images.find((i) => i.tags.includes('layertop-test/debian:bookworm'));
    expect(debian?.diskBytes).toBeGreaterThan(100_000_000);
    expect(debian?.uniqueDiskBytes).toBeGreaterThan(0);
    expect(debian?.uniqueDiskBytes).toBeLessThan(64 * 1024);
  });

  it('measures containers on this store too, and leaves no helper', async () => {
    const running = report.containers.find((c) => c.name === 'lt-running');
    expect(running?.diskBytes).toBeGreaterThanOrEqual(3_000_000);
    expect(await helperContainers(name)).toEqual([]);
  });
});
