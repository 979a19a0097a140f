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

describe('the engine stops mid-scan', () => {
  it('prints one clear line, exits 1, and no helper is left once the engine is back', async () => {
    const child = spawn(process.execPath, [BIN, 'scan', '--json', '--no-cache'], {
      env: { ...process.env, DOCKER_HOST: host },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    const exited = new Promise<number | null>((res) => child.on('close', (c) => res(c)));
    const helperUp = await waitFor(
      async () => (await dockerCli(['ps', '-q', '--filter', 'label=io.layertop.helper'])).trim() !== '',
      20_000,
      10,
    );
    expect(helperUp).toBe(true);
    const pid = Number(readFileSync(`${enginesDir}/victim/docker.pid`, 'utf8'));
    process.kill(pid, 'SIGKILL');
    const code = await exited;
    expect(code).toBe(1);
    expect(stderr).toMatch(/^layertop: .*(lost|closed the connection|cannot connect|stop or restart)/);
    expect(stderr.trim().split('\n')).toHaveLength(1);

    await engines(['start', 'victim']);
    const clean = await waitFor(
      async () => (await dockerCli(['ps', '-aq', '--filter', 'label=io.layertop.helper'])).trim() === '',
      30_000,
    );
    expect(clean).toBe(true);
  });
});
