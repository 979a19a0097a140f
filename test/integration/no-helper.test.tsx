// Without the helper: Docker's own figures everywhere (table, JSON, explorer, prune preview), and
// every disk figure unknown (null in JSON, "unknown" or "?" on screen), never 0.
import { render } from 'ink-testing-library';
import { beforeAll, describe, expect, it } from 'vitest';
import { getInfo } from '../../source/engine/docker/inventory.js';
import { scanEngine } from '../../source/engine/scan.js';
import type { ScanReport } from '../../source/model/report.js';
import { Explorer } from '../../source/tui/explorer/Explorer.js';
import { size } from '../../source/tui/format.js';
import { expectImageSizesEqualDf } from '../support/df.js';
import { client, type EngineName, engineNames, layertop } from '../support/engines.js';
import { readyData } from '../support/model.js';

const engines = engineNames().filter((n): n is EngineName => n === 'overlay2' || n === 'containerd');

interface Df {
  Images: { Id: string; Size: number; SharedSize: number }[];
  Containers: { Id: string; SizeRw?: number; Labels?: Record<string, string> }[];
  Volumes: { Name: string; UsageData?: { Size: number } }[];
  BuildCache?: { Size: number; Shared: boolean }[];
}

describe.each(engines)('without the helper on the %s engine', (name) => {
  let report: ScanReport;
  let df: Df;
  let table: string;

  beforeAll(async () => {
    const r = await layertop(['scan', '--json', '--no-helper'], { engine: name });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    report = JSON.parse(r.stdout) as ScanReport;
    const t = await layertop(['scan', '--no-helper'], { engine: name });
    expect(t.code).toBe(0);
    table = t.stdout;
    df = (await (await client(name)).docker.df()) as Df;
  });

  it("gives every image Docker's size, shared size and unique size (GET /system/df), to the byte", () => {
    expectImageSizesEqualDf(report, df);
  });

  it("gives every layer Docker's own size from the image history, and the other objects Docker's figures", async () => {
    const c = await client(name);
    for (const img of report.images) {
      const history = (await c.docker.getImage(img.id).history()) as { Size: number }[];
      // The history's layer sizes add up to the image's layers in Docker's own count.
      const layerSum = img.layers.reduce(
        (a, id) => a + (report.layers.find((l) => l.chainId === id)?.size ?? 0),
        0,
      );
      expect({ id: img.id, layers: layerSum }).toEqual({
        id: img.id,
        layers: history.reduce((a, h) => a + h.Size, 0),
      });
    }
    expect(report.layers.some((l) => l.size > 100_000_000)).toBe(true); // the debootstrap base
    for (const ct of report.containers) {
      const d = df.Containers.find((x) => x.Id === ct.id);
      expect(ct.sizeRw).toBe(d?.SizeRw ?? null);
    }
    for (const v of report.volumes)
      expect(v.size).toBe(Math.max(0, df.Volumes.find((x) => x.Name === v.name)?.UsageData?.Size ?? 0));
    const bc = (df.BuildCache ?? []).filter((b) => !b.Shared).reduce((a, b) => a + b.Size, 0);
    expect(report.buildCache.size).toBe(bc);
  });

  it('says every disk figure is unknown: null, never 0, and why', () => {
    expect(report.diskUnknown).toBe('--no-helper');
    for (const i of report.images) expect([i.diskBytes, i.uniqueDiskBytes]).toEqual([null, null]);
    for (const l of report.layers) expect([l.diskBytes, l.measuredSize]).toEqual([null, null]);
    for (const c of report.containers) expect(c.diskBytes).toBeNull();
    for (const v of report.volumes) expect(v.diskBytes).toBeNull();
    expect(report.buildCache.diskBytes).toBeNull();
    expect(report.leftovers.diskBytes).toBeNull();
    expect(report.totals.layersDiskBytes).toBeNull();
    expect(report.totals.containersDiskBytes).toBeNull();
  });

  it('prints "unknown" in every DISK column of the table, and says why in the header', () => {
    expect(table).toMatch(
      /^Disk: unknown\. The disk figures need the helper, which did not run \(--no-helper\)/m,
    );
    const images = table.split('\n\n')[2]?.split('\n') ?? [];
    expect(images.length).toBeGreaterThan(5);
    for (const row of images.slice(1)) expect(row).toMatch(/\sunknown\s+unknown$/);
    expect(table).toMatch(/^Layers: \d+ \(\S+ in Docker's bytes, unknown on disk\)$/m);
    expect(table).not.toMatch(/\b0B\s+0B$/m);
  });

  it('says the prune preview frees an unknown amount of disk, not 0', async () => {
    const r = await layertop(['prune', '--dry-run', '-a', '--no-helper'], { engine: name });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Frees on disk: unknown \(the disk figures need the helper/m);
    expect(r.stdout).not.toMatch(/^Frees on disk: 0/m);
    const j = await layertop(['prune', '--dry-run', '-a', '--no-helper', '--json'], { engine: name });
    const plan = JSON.parse(j.stdout) as {
      predictedFreedBytes: number | null;
      plan: { images: { diskBytes: number | null }[] };
    };
    expect(plan.predictedFreedBytes).toBeNull();
    expect(plan.plan.images.length).toBeGreaterThan(0);
    for (const i of plan.plan.images) expect(i.diskBytes).toBeNull();
  });

  it("shows Docker's sizes in the explorer's rows, and '?' for disk, never 0B", async () => {
    const c = await client(name);
    const info = await getInfo(c);
    const model = await scanEngine(c, { info, noHelperReason: '--no-helper' });
    const data = { ...readyData(model), helper: 'off' as const };
    const { lastFrame } = render(
      <Explorer data={data} onQuit={() => {}} size={{ columns: 160, rows: 80 }} />,
    );
    const lines = (lastFrame() ?? '').split('\n');
    expect(lines[0]).toMatch(/disk unknown \(needs the helper: --no-helper\)\s+helper: off/);
    const rows = lines.filter((l) => /[▸▾ ] [0-9a-f]{12} /.test(l) || /◆ lt-/.test(l));
    expect(rows.length).toBeGreaterThan(10);
    for (const row of rows) expect(row).not.toMatch(/\b0B\b/);
    for (const row of rows) expect(row).toMatch(/\s\?(\s|$)/);
    const base = model.graph.layers.get(
      model.graph.roots.find((r) => (model.graph.layers.get(r)?.images.length ?? 0) > 1) ?? '',
    );
    expect(base?.size).toBeGreaterThan(100_000_000);
    const esc = (t: string) => t.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    const row = (text: string) => lines.find((l) => l.includes(text)) ?? '';
    expect(row(` ${base?.chainId.slice(7, 19)} Imported from -`)).toMatch(
      new RegExp(`\\s${esc(size(base?.size))}\\s+\\? S×`),
    );
    const app = model.report.images.find((i) => i.tags.includes('layertop-test/app-a:latest'));
    expect(row('▣ layertop-test/app-a:latest')).toMatch(new RegExp(`\\s${esc(size(app?.size))}\\s+\\?`));
    expect(lines.find((l) => l.includes('◆ lt-running (running)'))).toMatch(/\dMB\s+\? RW/);
  });
});
