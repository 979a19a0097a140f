// The explorer sees faults and recovers by itself (tmux 160x45), on a private engine it may break:
// the helper killed, the engine restarted, the engine frozen (SIGSTOP) and thawed; and with a local
// helper (root on the engine host), its loops killed and the engine restarted.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, ENGINE_BIN, engineHost, ROOT, waitFor } from '../support/engines.js';
import { argvOf, parentOf, pids } from '../support/procfs.js';
import { Tmux } from '../support/tmux.js';

const run = promisify(execFile);
const enginesDir = dirname(dirname(engineHost('overlay2').replace(/^unix:\/\//, '')));
const host = `unix://${enginesDir}/victim/docker.sock`;
const env = { ...process.env, DOCKER_HOST: host, LAYERTOP_ENGINES_DIR: enginesDir };
const dockerCli = async (args: string[]) => (await run(join(ENGINE_BIN, 'docker'), args, { env })).stdout;
const engines = (args: string[]) => run('bash', [join(ROOT, 'scripts', 'engines.sh'), ...args], { env });
const dockerdPid = () => Number(readFileSync(`${enginesDir}/victim/docker.pid`, 'utf8'));
const helpers = async (all = true) =>
  (
    await dockerCli([
      'ps',
      ...(all ? ['-a'] : []),
      '-q',
      '--no-trunc',
      '--filter',
      'label=io.layertop.helper',
    ])
  )
    .split('\n')
    .filter(Boolean);
/**
 * The local helper loops (`/bin/sh -c PROGRAM lt local`) of the layertop in this tmux pane: their
 * parent is layertop, whose parent is the pane's shell (loops of other runs do not count).
 */
function localLoops(panePid: number): number[] {
  return pids().filter((pid) => {
    const argv = argvOf(pid);
    if (argv?.[0] !== '/bin/sh' || argv[1] !== '-c' || argv[3] !== 'lt' || argv[4] !== 'local') return false;
    const parent = parentOf(pid);
    return parent !== undefined && parentOf(parent) === panePid;
  });
}
/** The one line that is the explorer's header. */
const header = (screen: string) => screen.split('\n')[0] ?? '';

let term: Tmux | undefined;
let frozen: number | undefined;

beforeAll(async () => {
  await engines(['start', 'victim']);
  await run(
    'sh',
    [
      '-c',
      `"${ENGINE_BIN}/docker" import -c 'CMD ["sh"]' "${ROOT}/.cache/fixtures/busybox.tar" busybox:latest && ` +
        `"${ENGINE_BIN}/docker" import "${ROOT}/.cache/fixtures/debian-minbase.tar" lt/debian`,
    ],
    { env },
  );
});

afterAll(async () => {
  if (frozen) {
    try {
      process.kill(frozen, 'SIGCONT');
    } catch {
      // already gone
    }
  }
  await term?.kill();
  await run('sh', ['-c', `kill $(cat "${enginesDir}/victim/docker.pid") 2>/dev/null; true`]);
  await engines(['stop-one', 'victim']).catch(() => undefined);
});

describe('the explorer when the helper or the engine goes away (victim engine, tmux 160x45)', () => {
  it('says so in the header at once, and reconnects, re-subscribes and rescans by itself', async () => {
    const cache = mkdtempSync(join(tmpdir(), 'lt-recovery-cache-'));
    const cmd = `env DOCKER_HOST=${host} LAYERTOP_CACHE_DIR=${cache} ${process.execPath} ${BIN}; echo "EXIT:$?"; sleep 600`;
    term = await Tmux.start('layertop-recovery', cmd, 160, 45);
    await term.waitForText(/helper: ready/, 30_000);
    await term.waitForText(/▣ lt\/debian:latest/);
    const [first] = await helpers(false);
    expect(first).toBeDefined();

    // 1. The helper's container is killed: "helper lost", then a new helper, ready.
    await dockerCli(['rm', '-f', first as string]);
    let s = await term.waitForText(/helper lost — restarting/, 10_000);
    s = await term.waitForText(/helper restarted.*helper: ready/, 30_000);
    const second = await helpers();
    expect(second).toHaveLength(1);
    expect(second[0]).not.toBe(first);

    // 2. The engine is killed and started again: "engine lost", then "reconnected", a new helper,
    // no old helper left, and engine events flow again.
    process.kill(dockerdPid(), 'SIGKILL');
    s = await term.waitForText(/engine lost — reconnecting/, 10_000);
    expect(header(s)).not.toMatch(/helper: ready/);
    await engines(['start', 'victim']);
    s = await term.waitForText(/reconnected/, 30_000);
    await term.waitForText(/helper: ready/, 30_000);
    const third = await helpers();
    expect(third).toHaveLength(1);
    expect(third[0]).not.toBe(second[0]);
    await dockerCli(['tag', 'lt/debian', 'lt/after-restart:1']);
    await term.waitForText(/lt\/after-restart:1/, 15_000);

    // 3. The engine freezes (SIGSTOP: requests hang, nothing errors): "not answering" within 15 s;
    // thawed, everything recovers.
    const pid = dockerdPid();
    const stoppedAt = Date.now();
    process.kill(pid, 'SIGSTOP');
    frozen = pid;
    s = await term.waitForText(/engine not answering/, 15_000);
    expect(Date.now() - stoppedAt).toBeLessThan(15_000);
    process.kill(pid, 'SIGCONT');
    frozen = undefined;
    s = await term.waitForText(/reconnected.*helper: ready/, 20_000);
    expect(await helpers()).toEqual(third);
    await dockerCli(['tag', 'lt/debian', 'lt/after-freeze:1']);
    await term.waitForText(/lt\/after-freeze:1/, 15_000);

    // Quit: no helper left on the engine.
    await term.keys('q');
    await term.waitForText(/EXIT:0/);
    expect(await waitFor(async () => (await helpers()).length === 0, 15_000)).toBe(true);
  });

  // Root on the engine's host (the CLI's default there): the loops are layertop's own processes,
  // and the explorer recovers from their loss and the engine's as it does with a container.
  it('with a local helper: loops killed, then the engine restarted, it recovers by itself with new loops each time', async () => {
    const cache = mkdtempSync(join(tmpdir(), 'lt-recovery-cache-'));
    await term?.kill();
    const cmd = `env DOCKER_HOST=${host} LAYERTOP_CACHE_DIR=${cache} LAYERTOP_HELPER_MODE=local ${process.execPath} ${BIN}; echo "EXIT:$?"; sleep 600`;
    term = await Tmux.start('layertop-recovery-local', cmd, 160, 45);
    const pane = Number(
      (
        await run('tmux', ['display-message', '-p', '-t', 'layertop-recovery-local', '#{pane_pid}'])
      ).stdout.trim(),
    );
    const loops = () => localLoops(pane);
    await term.waitForText(/helper: ready \(local\)/, 30_000);
    // The first test's tags sort before it: the row shows it cut short.
    await term.waitForText(/▣ .*lt\/debian:la/);
    const first = loops();
    expect(first.length).toBeGreaterThan(0);

    // 1. The loops are killed: "helper lost", then new loops, ready.
    for (const pid of first) process.kill(pid, 'SIGKILL');
    await term.waitForText(/helper lost — restarting/, 10_000);
    await term.waitForText(/helper restarted.*helper: ready \(local\)/, 30_000);
    const second = loops();
    expect(second.length).toBeGreaterThan(0);
    expect(second.filter((p) => first.includes(p))).toEqual([]);

    // 2. The engine is killed and started again: its loops go with it (they read through the old
    // process's root), then new ones, and engine events flow again.
    process.kill(dockerdPid(), 'SIGKILL');
    const s = await term.waitForText(/engine lost — reconnecting/, 10_000);
    expect(header(s)).not.toMatch(/helper: ready/);
    await engines(['start', 'victim']);
    await term.waitForText(/reconnected/, 30_000);
    await term.waitForText(/helper: ready \(local\)/, 30_000);
    const third = loops();
    expect(third.length).toBeGreaterThan(0);
    expect(third.filter((p) => second.includes(p))).toEqual([]);
    await dockerCli(['tag', 'lt/debian', 'lt/after-local-restart:1']);
    await term.waitForText(/lt\/after-local-restart:1/, 15_000);
    expect(await helpers()).toEqual([]);

    // Quit: no loop left.
    await term.keys('q');
    await term.waitForText(/EXIT:0/);
    expect(await waitFor(async () => loops().length === 0, 15_000)).toBe(true);
    expect(await helpers()).toEqual([]);
  });
});
