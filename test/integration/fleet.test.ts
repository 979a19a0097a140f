// One layertop over several engines at once: the overlay2 and containerd-store test engines, a
// fresh engine reached over ssh (an sshd this file starts), and a context whose socket nobody
// listens on. Scan, the Prometheus output (checked by promtool), the fleet dry run and its apply,
// and the explorer's fleet rows, each against the engines' own answers.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunReport } from '../../source/engine/prune-run.js';
import type { ScanReport } from '../../source/model/report.js';
import { BIN, ENGINE_BIN, engineHost, layertop, ROOT } from '../support/engines.js';
import { type FreshEngine, freshEngine, importImage } from '../support/fresh-engine.js';
import { type Sshd, startSshd } from '../support/sshd.js';
import { Tmux } from '../support/tmux.js';

const run = promisify(execFile);
const PROMTOOL = join(ROOT, '.cache', 'promtool', 'promtool');
let sshd: Sshd;
let remote: FreshEngine;
let second: FreshEngine;
let config = '';
let env: NodeJS.ProcessEnv = {};
const dead = `unix://${join(tmpdir(), `lt-nobody-${process.pid}.sock`)}`;

/** The engine's own list of image IDs, through the docker CLI. */
async function imageIds(host: string): Promise<string[]> {
  const { stdout } = await run(join(ENGINE_BIN, 'docker'), ['images', '-aq', '--no-trunc'], {
    env: { ...process.env, DOCKER_HOST: host },
  });
  return [...new Set(stdout.split('\n').filter(Boolean))].sort();
}

beforeAll(async () => {
  // Both engines made side by side (two fresh engines of their own).
  const made = async (kind: 'overlay2' | 'containerd') => {
    const e = await freshEngine(kind, 'light');
    await importImage(e, 'lt-fleet/unused:1', 1_500_000);
    await e.docker(['create', '--name', 'lt-fleet-stopped', 'busybox', 'true']);
    return e;
  };
  [remote, second] = await Promise.all([made('overlay2'), made('containerd')]);
  sshd = await startSshd(remote.host);
  config = mkdtempSync(join(tmpdir(), 'lt-fleet-config-'));
  // The contexts, made by the docker CLI itself; "default" (DOCKER_HOST) is the dead socket too,
  // so `--context all` talks to no engine this file did not start.
  const docker = (args: string[]) =>
    run(join(ENGINE_BIN, 'docker'), args, {
      env: { ...process.env, DOCKER_CONFIG: config, DOCKER_HOST: dead },
    });
  for (const [name, host] of [
    ['o2', engineHost('overlay2')],
    ['cd', engineHost('containerd')],
    ['remote', sshd.url],
    ['c2', second.host],
    // The same engine as remote through its socket: under tests only a local test engine's socket
    // may be deleted from (deletion-guard.ts), so the fleet apply goes this way.
    ['rl', remote.host],
    ['dead', dead],
  ] as const)
    await docker(['context', 'create', name, '--docker', `host=${host}`]);
  env = { ...sshd.clientEnv(), DOCKER_CONFIG: config, DOCKER_HOST: dead };
}, 300_000);

afterAll(async () => {
  await sshd?.stop();
  await remote?.stop();
  await second?.stop();
});

describe('a fleet: three engines and a dead one', () => {
  it('scans each through its own transport; the dead one has its error and the exit says partial', async () => {
    const r = await layertop(['scan', '--json', '--context', 'o2,cd,remote,dead'], { env });
    expect(r.code, r.stderr).toBe(5);
    const out = JSON.parse(r.stdout) as {
      engines: (ScanReport & { context: string; host: string; error?: string })[];
      totals: { engines: number; failed: number; images: number; layersOnSeveralEngines: number };
    };
    expect(out.engines.map((e) => e.context)).toEqual(['o2', 'cd', 'remote', 'dead']);
    expect(out.engines[3]?.error).toMatch(/cannot connect to the Docker engine at .*lt-nobody/);
    expect(out.engines[2]?.host).toBe(sshd.url);
    const hosts = [engineHost('overlay2'), engineHost('containerd'), remote.host];
    for (const [i, host] of hosts.entries()) {
      const e = out.engines[i] as ScanReport;
      expect(e.images.map((img) => img.id).sort(), host).toEqual(await imageIds(host));
    }
    expect(out.totals.engines).toBe(4);
    expect(out.totals.failed).toBe(1);
    expect(out.totals.images).toBe(out.engines.slice(0, 3).reduce((a, e) => a + (e.images?.length ?? 0), 0));
    // Layers (chain IDs) on more than one engine, counted from the engines' own layer lists
    // (busybox's, imported from one tar, is on all three).
    const seen = new Map<string, number>();
    for (const e of out.engines.slice(0, 3))
      for (const l of e.layers) seen.set(l.chainId, (seen.get(l.chainId) ?? 0) + 1);
    const several = [...seen.values()].filter((n) => n > 1).length;
    expect(several).toBeGreaterThanOrEqual(1);
    expect(out.totals.layersOnSeveralEngines).toBe(several);
  }, 300_000);

  it('writes Prometheus metrics for every context that promtool accepts, with each engine’s figures', async () => {
    const r = await layertop(['scan', '--format', 'prometheus', '--context', 'all'], { env });
    expect(r.code, r.stderr).toBe(5);
    expect(existsSync(PROMTOOL)).toBe(true);
    const file = join(config, 'metrics.prom');
    writeFileSync(file, r.stdout);
    const check = await run('sh', ['-c', `"${PROMTOOL}" check metrics < "${file}"`]).then(
      (x) => ({ code: 0, out: x.stdout + x.stderr }),
      (err: { code?: number; stdout?: string; stderr?: string }) => ({
        code: err.code ?? 1,
        out: `${err.stdout}${err.stderr}`,
      }),
    );
    expect(check, check.out).toEqual({ code: 0, out: '' });
    const value = (metric: string, context: string) =>
      Number(
        new RegExp(`^${metric}\\{context="${context}",host="[^"]*"\\} (\\S+)$`, 'm').exec(r.stdout)?.[1],
      );
    expect(value('layertop_scan_success', 'default')).toBe(0);
    expect(value('layertop_scan_success', 'dead')).toBe(0);
    // Why each failed, on stderr: a sample of 0 says nothing more.
    expect(r.stderr).toMatch(/^layertop: dead: \S.*$/m);
    expect(r.stderr).toMatch(/^layertop: default: \S.*$/m);
    expect(value('layertop_scan_success', 'o2')).toBe(1);
    expect(value('layertop_images', 'o2')).toBe((await imageIds(engineHost('overlay2'))).length);
    expect(value('layertop_images', 'remote')).toBe((await imageIds(remote.host)).length);
    // The ledger's categories of an engine add up to its data root, as the HELP line says.
    const categories = [
      ...r.stdout.matchAll(/^layertop_data_root_category_bytes\{context="c2",[^}]*\} (\d+)$/gm),
    ];
    expect(categories.length).toBeGreaterThan(5);
    expect(categories.reduce((a, m) => a + Number(m[1]), 0)).toBe(value('layertop_data_root_bytes', 'c2'));
    expect(r.stdout).toMatch(/^# TYPE layertop_data_root_category_bytes gauge$/m);
    // An engine named by -H is labelled by its host alone as in a fleet: adding an engine to the
    // command renames no series.
    const host = engineHost('overlay2');
    const alone = await layertop(['scan', '--format', 'prometheus', '-H', host], { env });
    const withDead = await layertop(['scan', '--format', 'prometheus', '-H', host, '-H', dead], { env });
    expect(alone.code, alone.stderr).toBe(0);
    expect(withDead.code).toBe(5);
    const labels = (text: string) =>
      [...text.matchAll(/^layertop_scan_success\{(context="[^"]*")/gm)].map((m) => m[1]);
    expect(labels(alone.stdout)).toEqual([`context="${host}"`]);
    expect(labels(withDead.stdout)).toEqual([`context="${host}"`, `context="${dead}"`]);
  }, 300_000);

  it('previews a prune per engine in one plan, as each engine alone would, and applies it engine by engine', async () => {
    const dry = await layertop(['prune', '--dry-run', '-a', '--json', '--context', 'rl,c2,dead'], { env });
    expect(dry.code, dry.stderr).toBe(5);
    const plan = JSON.parse(dry.stdout) as {
      format: string;
      engines: {
        context: string;
        error?: string;
        plan?: { images: { id: string }[]; containers: { id: string }[] };
      }[];
    };
    expect(plan.format).toBe('layertop-fleet-plan/1');
    for (const c of ['rl', 'c2']) {
      const one = await layertop(['prune', '--dry-run', '-a', '--json', '--context', c], { env });
      const alone = JSON.parse(one.stdout) as {
        plan: { images: { id: string }[]; containers: { id: string }[] };
      };
      const part = plan.engines.find((e) => e.context === c);
      expect(part?.plan?.images.map((i) => i.id)).toEqual(alone.plan.images.map((i) => i.id));
      expect(part?.plan?.containers.map((i) => i.id)).toEqual(alone.plan.containers.map((i) => i.id));
      expect(part?.plan?.images.length).toBe(1);
    }
    const file = join(config, 'fleet-plan.json');
    writeFileSync(file, dry.stdout);
    const applied = await layertop(['prune', '--apply', file, '--json'], { env });
    // The dead engine had no plan: said again, so the exit is partial.
    expect(applied.code, applied.stderr).toBe(5);
    const rep = JSON.parse(applied.stdout) as {
      engines: { context: string; report?: RunReport; error?: string }[];
      totals: { predictedFreedBytes: number; measuredFreedBytes: number };
    };
    expect(rep.engines.map((e) => e.context)).toEqual(['rl', 'c2', 'dead']);
    expect(rep.engines[2]?.error).toMatch(/^not planned: cannot connect/);
    for (const e of rep.engines.slice(0, 2) as { context: string; report: RunReport }[]) {
      expect(e.report.removed.map((x) => x.kind).sort()).toEqual(['container', 'image']);
      const { predictedFreedBytes: p, measuredFreedBytes: m } = e.report;
      expect(Math.abs((p ?? 0) - (m ?? 0))).toBeLessThanOrEqual(Math.max(16384, (m ?? 0) * 0.02));
    }
    expect(rep.totals.measuredFreedBytes).toBe(
      rep.engines.reduce((a, e) => a + (e.report?.measuredFreedBytes ?? 0), 0),
    );
    expect(await imageIds(remote.host)).toHaveLength(1); // busybox, the helper's
  }, 300_000);

  it("lists an image's files on each engine, under its name; an engine down says so", async () => {
    const r = await layertop(['files', 'busybox:latest', '--context', 'o2,rl,dead'], { env });
    expect(r.code, r.stderr).toBe(5);
    const parts = r.stdout.split(/^=== /m).filter(Boolean);
    expect(parts.map((p) => p.split('\n')[0])).toEqual(['o2', 'rl', 'dead']);
    // The same busybox (imported from one tar) lists the same files on both engines.
    const body = (p: string | undefined) =>
      (p ?? '')
        .split('\n')
        .slice(1)
        .filter((l) => /bin\/busybox/.test(l));
    expect(body(parts[0]).length).toBeGreaterThan(0);
    expect(body(parts[1])).toEqual(body(parts[0]));
    expect(parts[2]).toMatch(/^dead\nerror: cannot connect to the Docker engine/);
  }, 300_000);

  it('shows the engines as rows in the explorer, opens one, and comes back', async () => {
    // The command with this file's environment (the ssh wrapper first on PATH, the contexts).
    const vars = ['PATH', 'DOCKER_CONFIG', 'DOCKER_HOST', 'LAYERTOP_CACHE_DIR']
      .map((k) => `${k}='${env[k] ?? ''}'`)
      .join(' ');
    const t = await Tmux.start(
      'layertop-fleet',
      `env ${vars} ${process.execPath} ${BIN} --context o2,cd,remote,dead; echo "EXIT:$?"; sleep 600`,
      160,
      30,
    );
    try {
      const o2Images = (await imageIds(engineHost('overlay2'))).length;
      const screen = await t.waitForText(/layertop fleet: 4 engines, 3 scanned, 1 failed/, 180_000);
      expect(screen).toMatch(new RegExp(`o2\\s+ready\\s+${o2Images}\\s+\\d+`));
      expect(screen).toMatch(/remote\s+ready\s+\d+\s+\d+.*ssh:\/\/root@127\.0\.0\.1/);
      expect(screen).toMatch(/dead\s+error/);
      await t.keys('Enter');
      await t.waitForText(/overlay2 · Docker/, 60_000);
      await t.keys('q');
      await t.waitForText(/layertop fleet: 4 engines/, 10_000);
      await t.keys('q');
      await t.waitForText(/EXIT:0/, 20_000);
    } finally {
      await t.kill();
    }
  }, 300_000);
});
