// The local helper (--helper-mode local, and auto as root on the engine's host): the same request
// loops as the helper container, run as processes of layertop with the host's sh and tools. It must
// measure and list exactly what the container does, start no container, leave nothing behind, and
// refuse an engine whose data root it cannot prove is that engine's.
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { getInfo } from '../../source/engine/docker/inventory.js';
import { listLayers, resolveFilesTarget } from '../../source/engine/files.js';
import { type HelperSession, LOCAL_TMP_BASE } from '../../source/engine/helper/helper-session.js';
import { startHelper } from '../../source/engine/session.js';
import type { ScanReport } from '../../source/model/report.js';
import {
  BIN,
  client,
  docker,
  type EngineName,
  engineHost,
  engineNames,
  helperContainers,
  layertop,
  waitFor,
} from '../support/engines.js';
import { argvOf, pids, statFields } from '../support/procfs.js';
import { expectSameScan } from '../support/same-scan.js';

const freshCache = () => ({ LAYERTOP_CACHE_DIR: mkdtempSync(join(tmpdir(), 'lt-cache-')) });

/** PIDs of local helper loops on this machine (`sh -c <program> lt local`). */
function localLoops(): number[] {
  return pids().filter((pid) => argvOf(pid)?.join('\0').endsWith('\0lt\0local\0'));
}

/** The local helpers' scratch directories (always in /tmp itself, whatever TMPDIR says). */
const scratchDirs = () => readdirSync(LOCAL_TMP_BASE).filter((n) => n.startsWith('layertop-helper-'));

/** A process's command name (`/proc/<pid>/comm`), or "" once it is gone. */
function commOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return '';
  }
}

/** The live processes of these sessions (each loop leads one: what it starts, GNU timeout's too). */
function inSessions(sessions: ReadonlySet<number>): { pid: number; pgid: number; sid: number }[] {
  const found: { pid: number; pgid: number; sid: number }[] = [];
  for (const pid of pids()) {
    const fields = statFields(pid);
    // A zombie is dead already (its parent, gone too, left it to init to reap).
    if (fields && fields[0] !== 'Z' && sessions.has(Number(fields[3])))
      found.push({ pid, pgid: Number(fields[2]), sid: Number(fields[3]) });
  }
  return found;
}

/** The helper containers created on the engine between two times (seconds): their create events. */
async function helperEvents(engine: EngineName, since: number, until: number): Promise<string[]> {
  const out = await docker(engine, [
    'events',
    '--since',
    String(since),
    '--until',
    String(until),
    '--filter',
    'type=container',
    '--filter',
    'label=io.layertop.helper',
    '--format',
    '{{.Action}}',
  ]);
  // Only creations: another run's helper going away (its destroy) can fall in the window.
  return out.split('\n').filter((a) => a === 'create');
}

const now = () => Math.floor(Date.now() / 1000);

const engines = engineNames().filter((e) => e !== 'containerd-ext');

describe.each(engines)('the local helper (%s)', (engine) => {
  it('measures every layer, image and container as the helper container does, and starts no container', async () => {
    // What ran before (another file's helpers) is gone, and its events are in an earlier second.
    expect(await waitFor(async () => (await helperContainers(engine)).length === 0, 30_000, 200)).toBe(true);
    await new Promise((r) => setTimeout(r, 1100));
    const from = now();
    const local = await layertop(['scan', '--json', '--no-cache', '--helper-mode', 'local'], {
      engine,
      env: freshCache(),
    });
    expect(local.stderr).toBe('');
    expect(local.code).toBe(0);
    const mid = now() + 1;
    await new Promise((r) => setTimeout(r, 1100));
    const container = await layertop(['scan', '--json', '--no-cache', '--helper-mode', 'container'], {
      engine,
      env: freshCache(),
    });
    expect(container.code).toBe(0);
    const to = now() + 1;
    // No container came and went for the local run; the container run's did (so this can fail).
    expect(await helperEvents(engine, from, mid)).toEqual([]);
    expect(await helperEvents(engine, mid, to)).toContain('create');
    const a = JSON.parse(local.stdout) as ScanReport;
    const b = JSON.parse(container.stdout) as ScanReport;
    expect(a.layers.length).toBeGreaterThan(5);
    expect(a.layers.every((l) => typeof l.diskBytes === 'number')).toBe(true);
    expectSameScan(a, b);
    // The local run's ledger has no helper container in it; the container run's has its own.
    const helperItems = (r: ScanReport) =>
      (r.ledger?.categories ?? []).flatMap((c) => c.items).filter((i) => i.name === 'layertop helper').length;
    expect(helperItems(a)).toBe(0);
    expect(helperItems(b)).toBeGreaterThan(0);
  });

  it('lists every layer of every image and container as the helper container does', async () => {
    const c = await client(engine);
    const info = await getInfo(c);
    const local = await startHelper(c, info, { helperMode: 'local' });
    const inContainer = await startHelper(c, info, { helperMode: 'container' });
    try {
      expect(local.mode).toBe('local');
      expect(local.containerId).toBeUndefined();
      expect(inContainer.mode).not.toBe('local');
      const targets = [
        ...(await docker(engine, ['images', '--format', '{{.Repository}}:{{.Tag}}']))
          .split('\n')
          .filter((t) => t && !t.includes('<none>')),
        ...(await docker(engine, ['ps', '-aq', '--filter', 'name=lt-'])).split('\n').filter(Boolean),
      ];
      expect(targets.length).toBeGreaterThan(8);
      const listing = async (h: HelperSession, name: string) => {
        const target = await resolveFilesTarget(c, h, info, name);
        const { layers, merged, opaqueKnown } = await listLayers(h, target);
        return { layers, merged: [...merged].sort(([x], [y]) => (x < y ? -1 : 1)), opaqueKnown };
      };
      for (const name of targets) {
        const mine = await listing(local, name);
        expect(mine.opaqueKnown, name).toBe(true);
        expect(mine, name).toEqual(await listing(inContainer, name));
      }
    } finally {
      await local.close();
      await inContainer.close();
    }
  });
});

describe('the local helper: its processes and its refusals', () => {
  const engine: EngineName = 'overlay2';

  it('leaves no process and no scratch directory, also when stopped mid-scan (SIGTERM) or killed (SIGKILL)', async () => {
    const before = scratchDirs();
    expect(localLoops()).toEqual([]);
    const done = await layertop(['files', 'layertop-test/app-a:latest', '--helper-mode', 'local'], {
      engine,
    });
    expect(done.code).toBe(0);
    expect(done.stdout).toContain('app/a.bin');
    expect(localLoops()).toEqual([]);
    expect(scratchDirs()).toEqual(before);
    for (const signal of ['SIGTERM', 'SIGKILL'] as const) {
      const child = spawn(process.execPath, [BIN, 'scan', '--json', '--no-cache', '--helper-mode', 'local'], {
        env: { ...process.env, ...freshCache(), DOCKER_HOST: engineHost(engine) },
        stdio: 'ignore',
      });
      const exited = new Promise((r) => child.on('exit', r));
      // Stopped mid-walk: a walk's program runs in a loop's session (find, or stat of a list).
      // The test below holds a process group of a request's own (GNU timeout makes one) to the
      // same end.
      const sessions = new Set<number>();
      const busy = await waitFor(
        async () => {
          for (const p of localLoops()) sessions.add(p);
          return inSessions(sessions).some((p) => ['find', 'stat'].includes(commOf(p.pid)));
        },
        20_000,
        2,
      );
      expect(busy, signal).toBe(true);
      child.kill(signal);
      await exited;
      // SIGTERM: layertop ends every process of the loops' sessions before it exits; SIGKILL: each
      // loop ends when its request does (a walk dies at its next write to nobody), its input gone.
      expect(
        await waitFor(
          async () => inSessions(sessions).length === 0,
          signal === 'SIGTERM' ? 1_000 : 30_000,
          50,
        ),
        signal,
      ).toBe(true);
      expect(await waitFor(async () => scratchDirs().length === before.length, 5_000, 100), signal).toBe(
        true,
      );
    }
    // The CLI's default (auto) as root beside the engine: the local helper, no container.
    const from = now() - 1;
    const auto = await layertop(['scan', '--json'], {
      engine,
      env: { ...freshCache(), LAYERTOP_HELPER_MODE: '' },
    });
    expect(auto.code).toBe(0);
    const to = now() + 1;
    expect(await helperEvents(engine, from, to)).toEqual([]);
    // ... and it did measure: no container event because a helper ran without one, not because none ran.
    const measured = JSON.parse(auto.stdout) as {
      diskUnknown: string | null;
      totals: { layersDiskBytes: number | null };
    };
    expect(measured.diskUnknown).toBeNull();
    expect(measured.totals.layersDiskBytes).toBeGreaterThan(0);
  });

  it('ends every process a request started when it is closed, also those in a process group of their own', async () => {
    const c = await client(engine);
    const h = await startHelper(c, await getInfo(c), { helperMode: 'local' });
    const sessions = new Set<number>();
    let running: Promise<unknown> | undefined;
    try {
      // A request that runs for seconds and writes nothing meanwhile (a walk that only prints its
      // total at the end; nothing ends it but a kill): du of /usr, three times, which the bulk way
      // runs under GNU timeout, in a process group of its own.
      running = h.request('du', ['/usr', '/usr', '/usr'], 600_000).catch(() => undefined);
      const started = await waitFor(
        async () => {
          for (const p of localLoops()) sessions.add(p);
          return inSessions(sessions).some((p) => p.pgid !== p.sid);
        },
        10_000,
        2,
      );
      expect(started).toBe(true);
    } finally {
      await h.close();
    }
    // close() kills before it returns: nothing of the loops' sessions is left a moment later.
    expect(await waitFor(async () => inSessions(sessions).length === 0, 1_000, 50)).toBe(true);
    await running;
  });

  it('does not measure an engine it cannot prove it sees: auto falls back to the container, local says why', async () => {
    const c = await client(engine);
    const info = await getInfo(c);
    const other = { ...info, ID: 'not-this-engine' };
    const auto = await startHelper(c, other, { helperMode: 'auto' });
    try {
      expect(auto.mode).not.toBe('local');
      expect(auto.containerId).toMatch(/^[0-9a-f]{64}$/);
    } finally {
      await auto.close();
    }
    await expect(startHelper(c, other, { helperMode: 'local' })).rejects.toThrow(
      `the local helper found no engine-id not-this-engine in ${info.DockerRootDir}`,
    );
    expect(localLoops()).toEqual([]);
  });

  it("is lost when the engine's process goes, as a helper container is (the explorer then starts another)", async () => {
    const c = await client(engine);
    const info = await getInfo(c);
    // A process of this host's mount namespace stands in for dockerd: it sees the data root.
    const stand = spawn('sleep', ['120'], { stdio: 'ignore' });
    let lost = 0;
    const h = await startHelper(c, info, {
      helperMode: 'local',
      targetPid: stand.pid ?? 0,
      onLost: () => {
        lost++;
      },
    });
    try {
      expect(h.hostPid).toBe(stand.pid);
      expect((await h.run('access', [info.DockerRootDir])).toString().trim()).toBe('1');
      expect(localLoops().length).toBeGreaterThan(0);
      stand.kill('SIGKILL');
      expect(await waitFor(async () => h.state === 'lost', 5_000, 50)).toBe(true);
      expect(lost).toBe(1);
      await expect(h.run('access', [info.DockerRootDir])).rejects.toThrow('the helper session is lost');
      expect(await waitFor(async () => localLoops().length === 0, 5_000, 50)).toBe(true);
    } finally {
      stand.kill('SIGKILL');
      await h.close();
    }
  });

  it('is a usage error with what asks for a container, or a mode it does not know', async () => {
    for (const [args, message] of [
      [
        ['--keep-helper', '10'],
        '--keep-helper keeps a helper container: it does not go with --helper-mode local',
      ],
      [
        ['--helper-image', 'busybox'],
        '--helper-image names a container image: it does not go with --helper-mode local',
      ],
    ] as const) {
      const r = await layertop(['scan', '--helper-mode', 'local', ...args], { engine });
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(message);
    }
    const bad = await layertop(['scan'], { engine, env: { LAYERTOP_HELPER_MODE: 'nearby' } });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--helper-mode (LAYERTOP_HELPER_MODE) is auto, local or container');
  });
});
