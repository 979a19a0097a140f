// Truth at scale (issue 14): on the scale engine (scripts/scale-fixtures.sh: about 1,300 images,
// 3,100 layers, 50 containers, BuildKit's cache, a layer of 400,000 files) every layer's disk
// bytes equal du -s -B1 of its directory, every image's size equals GET /system/df, and a warm
// scan reports exactly what a cold one does. Speed is the bench's business (npm run bench).

import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { connectEngine } from '../../source/engine/docker/docker-client.js';
import { resolveEndpoint } from '../../source/engine/docker/endpoint.js';
import type { ScanReport } from '../../source/model/report.js';
import { type DfImages, expectImageSizesEqualDf } from '../support/df.js';
import { layertop } from '../support/engines.js';
import { expectSameScan } from '../support/same-scan.js';

const run = promisify(execFile);
const host = process.env.LAYERTOP_SCALE_ENGINE;
// CI always builds a scale engine for each engine set (npm test passes it in LAYERTOP_SCALE_ENGINE);
// a developer's `npm test` may leave it out (LAYERTOP_NO_SCALE=1).
if (!host && process.env.CI === 'true')
  throw new Error('LAYERTOP_SCALE_ENGINE is not set: CI must test at scale');

describe.skipIf(!host)('the scale engine', () => {
  const env = () => ({
    DOCKER_HOST: host as string,
    LAYERTOP_CACHE_DIR: mkdtempSync(join(tmpdir(), 'lt-scale-')),
  });

  it('is a test engine of the size the issue asks for', () => {
    expect(
      existsSync(join(dirname((host as string).replace(/^unix:\/\//, '')), 'layertop-test-engine')),
    ).toBe(true);
  });

  it('gives every layer du -s -B1 of its directory, every image /system/df, and the same report warm as cold', async () => {
    const e = env();
    const cold = await layertop(['scan', '--json'], { env: e });
    expect(cold.stderr).toBe('');
    expect(cold.code).toBe(0);
    const report = JSON.parse(cold.stdout) as ScanReport;
    expect(report.images.length).toBeGreaterThanOrEqual(1000);
    expect(report.layers.length).toBeGreaterThanOrEqual(3000);
    expect(report.containers.length).toBe(50);

    // du of every layer directory, one du per directory (hard links count once within it).
    const paths = report.layers.map((l) => l.path as string);
    expect(paths.every(Boolean)).toBe(true);
    const { stdout } = await run(
      'sh',
      ['-c', 'printf "%s\\0" "$@" | xargs -0 -n 1 du -s -B1', 'sh', ...paths],
      {
        maxBuffer: 64 * 1024 * 1024,
      },
    );
    const du = new Map(
      stdout
        .trim()
        .split('\n')
        .map((l) => {
          const [bytes, path] = l.split('\t');
          return [path as string, Number(bytes)];
        }),
    );
    const wrong = report.layers.filter((l) => du.get(l.path as string) !== l.diskBytes);
    expect(wrong.map((l) => [l.path, l.diskBytes, du.get(l.path as string)])).toEqual([]);
    // The 400,000-file layer: 40,000 one-byte files, one 4 KiB block each, and 400 directories
    // (4 KiB each on ext4; none on a tmpfs, where CI keeps the engines).
    const many = report.layers.reduce((a, b) => ((a.diskBytes ?? 0) > (b.diskBytes ?? 0) ? a : b));
    expect(many.diskBytes).toBeGreaterThanOrEqual(40_000 * 4096);

    const client = await connectEngine(resolveEndpoint({ host }));
    expectImageSizesEqualDf(report, (await client.docker.df()) as DfImages);

    // The disk ledger at scale: its categories add up to its total, and next to nothing is unexplained.
    const ledger = report.ledger;
    expect(ledger).not.toBeNull();
    // npm test says which image store this set's scale engine uses (both are tested in CI).
    const store = process.env.LAYERTOP_SCALE_STORE;
    if (store) expect(report.engine.storage === 'overlay2' ? 'overlay2' : 'containerd').toBe(store);
    if (ledger) {
      expect(ledger.categories.reduce((a, c) => a + c.bytes, 0) + ledger.unexplainedBytes).toBe(
        ledger.totalBytes,
      );
      expect(ledger.unexplainedBytes).toBeLessThan(0.005 * ledger.totalBytes);
      console.log(
        `scale ledger: ${ledger.totalBytes} B; ${ledger.categories.map((c) => `${c.key} ${c.bytes}`).join(', ')}; unexplained ${ledger.unexplainedBytes}`,
      );
    }

    // BuildKit's records at scale: every one the engine lists, each with du of its own paths; the
    // records' bytes and what no record owns add up to what a whole builder prune frees; and a
    // space-limited preview over all of them picks records until the limit holds.
    const items = report.buildCache.items ?? [];
    const dfCache =
      ((await client.docker.df()) as { BuildCache?: { ID: string; Shared: boolean; Size: number }[] })
        .BuildCache ?? [];
    expect(items.length).toBeGreaterThanOrEqual(1000);
    expect(items.map((r) => r.id).sort()).toEqual(dfCache.map((r) => r.ID).sort());
    const owned = items.flatMap((r) => r.dirs ?? []);
    const ownedDu = owned.length
      ? new Map(
          (
            await run('sh', ['-c', 'printf "%s\\0" "$@" | xargs -0 -n 1 du -s -B1', 'sh', ...owned], {
              maxBuffer: 64 * 1024 * 1024,
            })
          ).stdout
            .trim()
            .split('\n')
            .map((l) => [l.split('\t')[1] as string, Number(l.split('\t')[0])]),
        )
      : new Map<string, number>();
    const off = items.filter(
      (r) =>
        r.diskBytes !==
        (r.dirs ?? []).reduce((a, d) => a + (ownedDu.get(d) ?? Number.NaN), r.blob?.diskBytes ?? 0),
    );
    expect(off.map((r) => [r.id, r.diskBytes])).toEqual([]);
    expect(items.reduce((a, r) => a + (r.diskBytes ?? 0), report.buildCache.unattributedDiskBytes ?? 0)).toBe(
      report.buildCache.freedDiskBytes,
    );
    const unshared = dfCache.filter((r) => !r.Shared).reduce((a, r) => a + r.Size, 0);
    const limit = Math.floor(unshared / 2);
    const limited = await layertop(
      ['builder', 'prune', '--dry-run', '--json', '--keep-storage', String(limit)],
      {
        env: e,
      },
    );
    expect(limited.code, limited.stderr).toBe(0);
    const picked = new Set(
      (JSON.parse(limited.stdout) as { plan: { buildCache: { records?: string[] } | null } }).plan.buildCache
        ?.records,
    );
    const left = dfCache.filter((r) => !r.Shared && !picked.has(r.ID)).reduce((a, r) => a + r.Size, 0);
    if (unshared > 0) expect(left).toBeLessThan(limit);

    const warm = await layertop(['scan', '--json'], { env: e });
    expect(warm.code).toBe(0);
    expectSameScan(JSON.parse(warm.stdout) as ScanReport, report);
    // The local helper (root on the engine's host, the CLI's default there) cold, on a cache of its
    // own: the same report as the helper container's.
    const local = await layertop(['scan', '--json', '--helper-mode', 'local'], { env: env() });
    expect(local.stderr).toBe('');
    expect(local.code).toBe(0);
    expectSameScan(JSON.parse(local.stdout) as ScanReport, report);
  }, 600_000);
});
