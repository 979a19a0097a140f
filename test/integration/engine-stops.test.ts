import { execFile, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, ENGINE_BIN, engineHost, ROOT, waitFor } from '../support/engines.js';

const run = promisify(execFile);
// A private engine for this file only: the test stops it while layertop works.
const enginesDir = dirname(dirname(engineHost('overlay2').replace(/^unix:\/\//, '')));
const host = `unix://${enginesDir}/victim/docker.sock`;
const dockerCli = (args: string[]) =>
  run(join(ENGINE_BIN, 'docker'), args, { env: { ...process.env, DOCKER_HOST: host } }).then((r) => r.stdout);
const engines = (args: string[]) =>
  run('bash', [join(ROOT, 'scripts', 'engines.sh'), ...args], {
    env: { ...process.env, LAYERTOP_ENGINES_DIR: enginesDir },
  });

beforeAll(async () => {
  await engines(['start', 'victim']);
  await run(
    'sh',
    [
      '-c',
      `"${ENGINE_BIN}/docker" import -c 'CMD ["sh"]' "${ROOT}/.cache/fixtures/busybox.tar" busybox:latest`,
    ],
    {
      env: { ...process.env, DOCKER_HOST: host },
    },
  );
  await run(
    'sh',
    ['-c', `"${ENGINE_BIN}/docker" import "${ROOT}/.cache/fixtures/debian-minbase.tar" lt/debian`],
    {
      env: { ...process.env, DOCKER_HOST: host },
    },
  );
});

afterAll(async () => {
  await run('sh', ['-c', `kill $(cat "${enginesDir}/victim/docker.pid") 2>/dev/null; true`]);
  await engines(['stop-one', 'victim']).catch(() => undefined);
});

/** Starts a scan of the victim engine and waits until its helper runs. */
async function scanUntilHelperUp() {
  const child = spawn(process.execPath, [BIN, 'scan', '--json', '--no-cache'], {
    env: { ...process.env, DOCKER_HOST: host },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  child.stderr.on('data', (d: Buffer) => {
    err += d.toString();
  });
  const exited = new Promise<number | null>((res) => child.on('close', (c) => res(c)));
  const helperUp = await waitFor(
    async () => (await dockerCli(['ps', '-q', '--filter', 'label=io.layertop.helper'])).trim() !== '',
    20_000,
    10,
  );
  return { exited, stderr: () => err, helperUp };
}

describe('the engine stops mid-scan', () => {
  it('prints one clear line, exits 1, and no helper is left once the engine is back', async () => {
    const { exited, stderr, helperUp } = await scanUntilHelperUp();
    expect(helperUp).toBe(true);
    const pid = Number(readFileSync(`${enginesDir}/victim/docker.pid`, 'utf8'));
    process.kill(pid, 'SIGKILL');
    const code = await exited;
    expect(code).toBe(1);
    expect(stderr()).toMatch(
      /^layertop: .*(lost|closed the connection|cannot connect|stop or restart|went away during the scan)/,
    );
    expect(stderr().trim().split('\n')).toHaveLength(1);

    await engines(['start', 'victim']);
    const clean = await waitFor(
      async () => (await dockerCli(['ps', '-aq', '--filter', 'label=io.layertop.helper'])).trim() === '',
      30_000,
    );
    expect(clean).toBe(true);
  });
});

describe('the engine freezes mid-scan (SIGSTOP: requests hang, nothing errors)', () => {
  it('says so in one line and exits 1 within 30 s; no helper is left once the engine resumes', async () => {
    const { exited, stderr, helperUp } = await scanUntilHelperUp();
    expect(helperUp, stderr()).toBe(true);
    const pid = Number(readFileSync(`${enginesDir}/victim/docker.pid`, 'utf8'));
    const frozenAt = Date.now();
    process.kill(pid, 'SIGSTOP');
    let code: number | null;
    try {
      code = await exited;
    } finally {
      process.kill(pid, 'SIGCONT');
    }
    const seconds = (Date.now() - frozenAt) / 1000;
    console.log(`frozen engine: layertop exited ${code} after ${seconds.toFixed(1)} s: ${stderr().trim()}`);
    expect(seconds).toBeLessThan(30);
    expect(code).toBe(1);
    expect(stderr()).toMatch(/^\r?layertop: the Docker engine at .* is not answering/);
    expect(stderr().trim().split('\n')).toHaveLength(1);
    const clean = await waitFor(
      async () => (await dockerCli(['ps', '-aq', '--filter', 'label=io.layertop.helper'])).trim() === '',
      30_000,
    );
    expect(clean).toBe(true);
  });
});
