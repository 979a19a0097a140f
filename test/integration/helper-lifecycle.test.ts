import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { getInfo } from '../../source/engine/docker/inventory.js';
import { HelperSession } from '../../source/engine/helper/helper-session.js';
import type { ScanReport } from '../../source/model/report.js';
import {
  BIN,
  client,
  docker,
  engineHost,
  GONE_OWNER,
  helperContainers,
  layertop,
  staleHelper,
  waitFor,
} from '../support/engines.js';
import { steadyLedger } from '../support/same-scan.js';

const freshCache = () => ({ LAYERTOP_CACHE_DIR: mkdtempSync(join(tmpdir(), 'lt-cache-')) });

/** Starts a scan that measures everything, and signals it once its helper exists. */
async function killMidScan(signal: NodeJS.Signals): Promise<{ code: number | null; helperSeen: boolean }> {
  const child = spawn(process.execPath, [BIN, 'scan', '--json', '--no-cache'], {
    env: { ...process.env, DOCKER_HOST: engineHost('overlay2'), ...freshCache() },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const exited = new Promise<number | null>((res) => child.on('close', (code) => res(code)));
  // Running, not only created: a process killed between the create and the start leaves a
  // container that never ran (the next start's reaper removes that one, another test).
  const helperSeen = await waitFor(
    async () =>
      (
        await docker('overlay2', [
          'ps',
          '-q',
          '--filter',
          'label=io.layertop.helper',
          '--filter',
          'status=running',
        ])
      ).trim().length > 0,
    20_000,
    20,
  );
  child.kill(signal);
  return { code: await exited, helperSeen };
}

describe('the engine process the helper enters', () => {
  it('is never a process in a container that calls itself dockerd and names the data root', async () => {
    const c = await client('overlay2');
    const info = await getInfo(c);
    const root = info.DockerRootDir;
    // A script named dockerd (its process is called so) that names the data root, made to exist
    // in the container: what a hostile container with the host's PIDs can show the helper.
    const script = `printf '#!/bin/sh\\nsleep 120\\n' > /dockerd && chmod +x /dockerd && mkdir -p ${root} && exec /dockerd --data-root=${root}`;
    const id = (
      await docker('overlay2', ['run', '-d', '--pid=host', '--network=none', 'busybox', 'sh', '-c', script])
    ).trim();
    try {
      const pid = Number((await docker('overlay2', ['inspect', '-f', '{{.State.Pid}}', id])).trim());
      expect(
        await waitFor(async () => readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'dockerd', 10_000),
      ).toBe(true);
      expect(readFileSync(`/proc/${pid}/cmdline`, 'utf8')).toContain(`--data-root=${root}`);
      const h = await HelperSession.start(c, { dataRoot: root });
      try {
        expect(h.processes.map((p) => p.pid)).not.toContain(pid);
        expect(h.hostPid).not.toBe(pid);
        // The engine's own dockerd is still found.
        expect(h.processes.some((p) => p.comm === 'dockerd')).toBe(true);
      } finally {
        await h.close();
      }
    } finally {
      await docker('overlay2', ['rm', '-f', id]);
    }
  });
});

describe('the helper session', () => {
  it.each([
    ['SIGTERM', 143],
    ['SIGINT', 130],
  ] as const)('is removed when layertop gets %s mid-scan (exit %d)', async (signal, code) => {
    const r = await killMidScan(signal);
    expect(r.helperSeen).toBe(true);
    expect(r.code).toBe(code);
    expect(await helperContainers('overlay2')).toEqual([]);
  });

  it('goes away by itself when layertop is killed with SIGKILL (stdin closes, AutoRemove)', async () => {
    const r = await killMidScan('SIGKILL');
    expect(r.helperSeen).toBe(true);
    const gone = await waitFor(async () => (await helperContainers('overlay2')).length === 0, 30_000);
    // What a helper that stayed is doing, for the failure's message.
    const left = gone
      ? ''
      : await docker('overlay2', [
          'ps',
          '-a',
          '--filter',
          'label=io.layertop.helper',
          '--format',
          '{{.ID}} {{.Status}} {{.Labels}}',
        ]);
    expect({ gone, left }).toEqual({ gone: true, left: '' });
  });

  it('is removed when layertop dies of an uncaught error mid-scan (exit 1, one line)', async () => {
    const r = await layertop(['scan', '--json', '--no-cache'], {
      engine: 'overlay2',
      env: { ...freshCache(), LAYERTOP_TEST_CRASH: 'during-scan' },
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      'layertop: internal error: deliberate crash (LAYERTOP_TEST_CRASH) (LAYERTOP_DEBUG=1 shows where)\n',
    );
    expect(await helperContainers('overlay2')).toEqual([]);
  });

  it('removes at start a helper whose layertop process is gone', async () => {
    const stale = await staleHelper('overlay2', { 'io.layertop.owner': GONE_OWNER });
    expect(await helperContainers('overlay2')).toEqual([stale.slice(0, 12)]);
    const r = await layertop(['scan', '--json'], { engine: 'overlay2' });
    expect(r.code).toBe(0);
    expect(await helperContainers('overlay2')).toEqual([]);
  });

  it('works where the engine refuses --privileged, with the capability fallback', async () => {
    // On this project's machines --privileged cannot start (see ../shared/engine-facts.md).
    const refused = await docker('overlay2', [
      'run',
      '--rm',
      '--network=none',
      '--privileged',
      'busybox',
      'true',
    ]).then(
      () => false,
      () => true,
    );
    const c = await client('overlay2');
    const info = await getInfo(c);
    const helper = await HelperSession.start(c, { dataRoot: info.DockerRootDir });
    try {
      expect(helper.mode).toBe(refused ? 'capabilities' : 'privileged');
      expect((await helper.run('access', [info.DockerRootDir])).toString()).toBe('1\n');
      expect(helper.hostPid).toBeGreaterThan(1);
    } finally {
      await helper.close();
    }
    expect(await helperContainers('overlay2')).toEqual([]);
  });

  it("gives the same measurements walking with the host's GNU find or the helper's own tools, busybox or GNU", async () => {
    const env = freshCache();
    const scan = (extra: string[]) =>
      layertop(['scan', '--json', '--no-cache', ...extra], { engine: 'overlay2', env });
    const runs = [
      await scan([]),
      await scan(['--no-host-tools']),
      // Debian's sh is dash: no `read -d`, so the loop takes its base64 path for every request.
      await scan(['--helper-image', 'layertop-test/debian:bookworm']),
      await scan(['--no-host-tools', '--helper-image', 'layertop-test/debian:bookworm']),
    ];
    expect(runs.map((r) => r.code)).toEqual([0, 0, 0, 0]);
    const pick = (s: string) => {
      const r = JSON.parse(s) as ScanReport;
      return {
        layers: r.layers.map((l) => [l.chainId, l.measuredSize, l.diskBytes]).sort(),
        containers: r.containers.map((c) => [c.name, c.diskBytes]).sort(),
        volumes: r.volumes.map((v) => [v.name, v.diskBytes]).sort(),
        images: r.images.map((i) => [i.id, i.diskBytes, i.uniqueDiskBytes]).sort(),
        // The ledger too: busybox's walk skips a path that is a file, so its files are stat'ed.
        ledger: steadyLedger(r),
      };
    };
    const [host, busybox, gnuImageHost, gnuImage] = runs.map((r) => pick(r.stdout));
    expect(busybox).toEqual(host);
    expect(gnuImageHost).toEqual(host);
    expect(gnuImage).toEqual(host);
    expect(host?.layers.every(([, m, d]) => typeof m === 'number' && typeof d === 'number')).toBe(true);
  });
});

describe('reading files that another process deletes meanwhile (a second prune)', () => {
  it('gives each file whole or as absent, never an error and never a wrong byte', async () => {
    // On the test machine's disk, which the helper sees as the host's: 2,000 files of distinct
    // content, deleted one by one (an rm each: spread over the reads) while they are read.
    const dir = mkdtempSync(join(tmpdir(), 'lt-vanish-'));
    mkdirSync(join(dir, 'f'));
    const paths: string[] = [];
    for (let i = 0; i < 2000; i++) {
      const p = join(dir, 'f', String(i));
      writeFileSync(p, `${i}:`.repeat(200 + (i % 50)));
      paths.push(p);
    }
    const c = await client('overlay2');
    const info = await getInfo(c);
    const helper = await HelperSession.start(c, { dataRoot: info.DockerRootDir });
    try {
      const deleter = spawn('sh', ['-c', `cd '${dir}/f' && for i in $(seq 1999 -1 0); do rm -f "$i"; done`]);
      const done = new Promise<void>((res) => deleter.on('close', () => res()));
      let finished = false;
      void done.then(() => {
        finished = true;
      });
      let rounds = 0;
      let absent = 0;
      let whole = 0;
      while (!finished || rounds === 0) {
        const got = await helper.readFiles(paths);
        got.forEach((buf, i) => {
          if (buf === undefined) absent++;
          else {
            whole++;
            expect(buf.toString()).toBe(`${i}:`.repeat(200 + (i % 50)));
          }
        });
        rounds++;
      }
      await done;
      expect(await helper.readFiles(paths)).toEqual(paths.map(() => undefined));
      expect(absent).toBeGreaterThan(0);
      // Read whole too, or "never a wrong byte" held of nothing.
      expect(whole).toBeGreaterThan(0);
    } finally {
      await helper.close();
    }
  });
});

describe('bad input: one clear line on stderr, exit 1, no helper left', () => {
  it('no engine at the socket', async () => {
    const r = await layertop(['scan'], { env: { DOCKER_HOST: 'unix:///nonexistent/docker.sock' } });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /^layertop: cannot connect to the Docker engine at unix:\/\/\/nonexistent\/docker.sock: no such socket/,
    );
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('a path that is not an engine socket', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'lt-')), 'not-a-socket');
    writeFileSync(file, '');
    const r = await layertop(['scan'], { env: { DOCKER_HOST: `unix://${file}` } });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^layertop: cannot connect to the Docker engine at unix:\/\/.*not-a-socket/);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('permission denied on the socket', async () => {
    const r = await layertop(['scan'], {
      engine: 'overlay2',
      uid: 65534,
      env: { HOME: '/tmp', ...freshCache() },
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /^layertop: permission denied on unix:\/\/.*: run as root or add your user to the docker group\n$/,
    );
  });

  it('a helper image that is missing and cannot be pulled', async () => {
    const r = await layertop(['scan', '--helper-image', 'layertop-test/no-such-image:1'], {
      engine: 'overlay2',
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /the helper image "layertop-test\/no-such-image:1" is not on the engine and could not be pulled/,
    );
    expect(r.stderr).toMatch(/--helper-image NAME/);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(await helperContainers('overlay2')).toEqual([]);
  });

  it('a usage error exits 2', async () => {
    const r = await layertop(['frobnicate']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('layertop: unknown command "frobnicate" (try layertop --help)\n');
  });
});
