// The disk ledger (issue 16) against real engines: every byte of the data root in one category,
// adding up exactly to `du -sx -B1` of it; a container's logs and a layer directory nothing
// references each in their own category with the bytes du gives them.
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { connectEngine } from '../../source/engine/docker/docker-client.js';
import { resolveEndpoint } from '../../source/engine/docker/endpoint.js';
import { getInfo } from '../../source/engine/docker/inventory.js';
import { SizeCache } from '../../source/engine/helper/size-cache.js';
import { scanEngine } from '../../source/engine/scan.js';
import { startHelper } from '../../source/engine/session.js';
import type { Ledger } from '../../source/model/ledger.js';
import { engineHost, ROOT } from '../support/engines.js';
import { type FreshEngine, freshEngine, importImage } from '../support/fresh-engine.js';

const run = promisify(execFile);
const du = async (path: string) => Number((await run('du', ['-sx', '-B1', path])).stdout.split('\t')[0]);
const fresh: FreshEngine[] = [];
afterAll(async () => {
  for (const e of fresh) await e.stop();
});

/**
 * A scan with its helper still running, and du of the data root taken before the helper goes;
 * with the ops the helper was asked for, in order.
 */
async function ledgerOf(
  host: string,
  cache?: SizeCache,
): Promise<{ ledger: Ledger; du: number; ops: string[]; dataRoot: number | null }> {
  const client = await connectEngine(resolveEndpoint({ host }));
  const info = await getInfo(client);
  const helper = await startHelper(client, info, {});
  const ops: string[] = [];
  const run = helper.run.bind(helper);
  helper.run = (op, ...rest) => {
    // The image list's check before it is remembered lists the image store's config directory
    // (overlay2-image-list.ts): a listing, but not the ledger's.
    const [args] = rest;
    const ofList = op === 'liststat' && args?.some((a) => String(a).endsWith('/imagedb/content/sha256'));
    ops.push(ofList ? 'liststat (image list)' : op);
    return run(op, ...rest);
  };
  try {
    const model = await scanEngine(client, { helper, info, cache });
    const ledger = model.report.ledger as Ledger;
    return { ledger, du: await du(info.DockerRootDir), ops, dataRoot: model.report.totals.dataRootDiskBytes };
  } finally {
    await helper.close();
  }
}

function checkSums(ledger: Ledger): void {
  const parts = ledger.categories.reduce((a, c) => a + c.bytes, 0) + ledger.unexplainedBytes;
  expect(parts).toBe(ledger.totalBytes);
  for (const c of ledger.categories) expect(c.items.reduce((a, i) => a + i.bytes, 0)).toBe(c.bytes);
  expect(ledger.unexplainedBytes).toBeLessThan(0.005 * ledger.totalBytes);
}

describe.each(['overlay2', 'containerd'] as const)('the disk ledger of the %s engine', (name) => {
  it('adds up to du -sx -B1 of the data root, every category disjoint, unexplained under 0.5%', async () => {
    const { ledger, du: measured, dataRoot } = await ledgerOf(engineHost(name));
    console.log(
      `${name}: ledger ${ledger.totalBytes} B, du ${measured} B; ${ledger.categories.map((c) => `${c.key} ${c.bytes}`).join(', ')}; unexplained ${ledger.unexplainedBytes}`,
    );
    expect(ledger.totalBytes).toBe(measured);
    // scan --json's totals say the same (it was null beside a known ledger).
    expect(dataRoot).toBe(measured);
    // Every top-level entry of the engine's layout has a rule (rootfs/ on the containerd store had none).
    expect(ledger.unexplained.map((i) => i.path)).toEqual([]);
    checkSums(ledger);
    const bytes = (k: string) => ledger.categories.find((c) => c.key === k)?.bytes ?? 0;
    // The fixtures: about 200 MB of Debian in the images, a volume of 100 kB, BuildKit's state.
    expect(bytes('images')).toBeGreaterThan(190_000_000);
    expect(bytes('volumes')).toBeGreaterThanOrEqual(100_000);
    expect(bytes('buildCache')).toBeGreaterThan(0);
    expect(bytes('engine')).toBeGreaterThan(0);
  });
});

describe('the ledger from a warm size cache (overlay2)', () => {
  it("adds up the same when the last ledger's listings and walks ride along with the first walk", async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'lt-ledger-')), 'sizes.json');
    const cold = await ledgerOf(engineHost('overlay2'), new SizeCache(file));
    const warm = await ledgerOf(engineHost('overlay2'), new SizeCache(file));
    // The cold ledger listed the data root's directories itself; the warm one had them from the
    // first walk (no listing request of its own) and still adds up to du, entry by entry.
    expect(cold.ops).toContain('liststat');
    expect(warm.ops).not.toContain('liststat');
    expect(warm.ledger.totalBytes).toBe(warm.du);
    checkSums(warm.ledger);
    // Each container's files and logs, as the cold scan walked them (not this run's helper, new
    // at each run, nor a directory's own blocks, which grow as entries come and go).
    const files = (l: Ledger) => {
      const items = l.categories
        .filter((c) => c.key === 'containers' || c.key === 'logs')
        .flatMap((c) => c.items);
      const helpers = items.filter((i) => i.name === 'layertop helper' && i.id).map((i) => i.id as string);
      return items
        .filter(
          (i) =>
            i.name !== 'layertop helper' &&
            !helpers.some((h) => i.path.includes(h)) &&
            !i.path.endsWith('/.'),
        )
        .map((i) => `${i.path} ${i.bytes} ${i.logDriver ?? ''} ${JSON.stringify(i.logOptions ?? {})}`)
        .sort();
    };
    expect(files(warm.ledger).length).toBeGreaterThan(5);
    expect(files(warm.ledger)).toEqual(files(cold.ledger));
  });
});

describe('the ledger on a fresh overlay2 engine: logs and a leftover layer directory', () => {
  it('shows a container that logged MBs under logs, and an unreferenced overlay2 directory under leftovers', async () => {
    const e = await freshEngine('overlay2', 'light');
    fresh.push(e);
    const id = (
      await e.docker([
        'run',
        '-d',
        '--network=none',
        '--name',
        'chatty',
        '--log-opt',
        'max-size=50m',
        'busybox:latest',
        'sh',
        '-c',
        'i=0; while [ $i -lt 40000 ]; do echo "line $i of a log that fills the disk, as logs do"; i=$((i+1)); done',
      ])
    ).trim();
    await e.docker(['wait', id]);
    // A layer directory nothing refers to (a removal interrupted half-way leaves such).
    const orphan = join(e.dataRoot, 'overlay2', 'f'.repeat(64));
    mkdirSync(join(orphan, 'diff'), { recursive: true });
    writeFileSync(join(orphan, 'diff', 'big.bin'), Buffer.alloc(1_000_000, 7));
    await e.settle();
    const { ledger, du: measured } = await ledgerOf(e.host);
    expect(ledger.totalBytes).toBe(measured);
    checkSums(ledger);
    const logs = ledger.categories.find((c) => c.key === 'logs');
    const log = join(e.dataRoot, 'containers', id, `${id}-json.log`);
    expect(logs?.items).toContainEqual(
      expect.objectContaining({
        id,
        name: 'chatty',
        path: `containers/${id}/${id}-json.log`,
        bytes: await du(log),
        logDriver: 'json-file',
        logOptions: { 'max-size': '50m' },
      }),
    );
    expect(await du(log)).toBeGreaterThan(2_000_000);
    const leftovers = ledger.categories.find((c) => c.key === 'leftovers');
    expect(leftovers?.items).toContainEqual(
      expect.objectContaining({ path: `overlay2/${'f'.repeat(64)}`, bytes: await du(orphan) }),
    );
    await e.stop();
  });
});

describe('the ledger of an engine switched between the image stores', () => {
  it("shows the images of the store left behind as the other store's, with the bytes du gives them, both ways", async () => {
    const e = await freshEngine('overlay2', 'light', 'switch');
    fresh.push(e);
    await importImage(e, 'left/behind:1', 3_000_000);
    const before = await ledgerOf(e.host);
    checkSums(before.ledger);
    const by = (l: Ledger, k: string) => l.categories.find((c) => c.key === k);
    // Before any switch the other store is only the empty scaffold the engine's containerd makes for
    // its content store and snapshotter.
    expect(by(before.ledger, 'otherStore')?.bytes).toBeLessThan(100_000);
    const scaffold = by(before.ledger, 'otherStore')?.bytes ?? 0;
    expect(by(before.ledger, 'images')?.bytes).toBeGreaterThan(3_000_000);

    // Under the containerd store the overlay2 images are gone from the API, not from the disk.
    await e.restart('containerd');
    await e.docker(['import', '-c', 'CMD ["sh"]', `${ROOT}/.cache/fixtures/busybox.tar`, 'busybox:latest']);
    expect(await e.docker(['images', '-q', 'left/behind:1'])).toBe('');
    await e.settle();
    const switched = await ledgerOf(e.host);
    expect(switched.ledger.totalBytes).toBe(switched.du);
    checkSums(switched.ledger);
    const other = by(switched.ledger, 'otherStore');
    const graph = (await du(join(e.dataRoot, 'overlay2'))) + (await du(join(e.dataRoot, 'image')));
    expect(other?.bytes).toBe(graph);
    expect(other?.items.map((i) => i.path).sort()).toEqual(['image', 'overlay2']);
    expect(graph).toBeGreaterThan(3_000_000);

    // And back: the containerd store's content and snapshots are then the other store's.
    await e.restart('overlay2');
    await e.settle();
    const back = await ledgerOf(e.host);
    expect(back.ledger.totalBytes).toBe(back.du);
    checkSums(back.ledger);
    const otherBack = by(back.ledger, 'otherStore');
    // busybox, imported under the containerd store: its blob and its snapshot, about 2 MB each.
    expect((otherBack?.bytes ?? 0) - scaffold).toBeGreaterThan(2_000_000);
    expect(otherBack?.items.every((i) => /io\.containerd\.(content|snapshotter)\.v1\./.test(i.path))).toBe(
      true,
    );
    await e.stop();
  });
});
