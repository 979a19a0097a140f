// The command line's manners: a reader that leaves early, Node's warnings, conflicting options.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BIN, docker, engineHost, layertop } from '../support/engines.js';
import { freePort } from '../support/net.js';

const dir = mkdtempSync(join(tmpdir(), 'lt-cli-'));

/** The helper containers a layertop process left on the overlay2 engine (IDs, one per line). */
const helpersOf = async (pid: number | undefined) =>
  (
    await docker('overlay2', ['ps', '-aq', '--filter', `label=io.layertop.owner=${hostname()}:${pid}`])
  ).trim();
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the command line', () => {
  it('ends with exit 1 when neither its output nor its report can be written (a full disk), helper removed', async () => {
    // Both on /dev/full: every write fails with ENOSPC. The report of the first failure failed
    // too and reported again, in a loop that starved the event loop: the run never ended, not
    // even on SIGTERM, and its helper stayed (a terminal closing under the explorer did the same).
    const full = () => open('/dev/full', 'w');
    const [out, err] = await Promise.all([full(), full()]);
    const lt = spawn(process.execPath, [BIN, 'files', 'layertop-test/many:latest', '--json'], {
      env: { ...process.env, DOCKER_HOST: engineHost('overlay2') },
      stdio: ['ignore', out.fd, err.fd],
    });
    const code = await new Promise<number | null>((r) => {
      const t = setTimeout(() => {
        lt.kill('SIGKILL');
        r(null);
      }, 30_000);
      lt.on('close', (c) => {
        clearTimeout(t);
        r(c);
      });
    });
    await Promise.all([out.close(), err.close()]);
    expect(code).toBe(1);
    expect(await helpersOf(lt.pid)).toBe('');
  });

  it('ends quietly with exit 0 when its reader goes away (`files IMAGE | head -1`), helper removed', async () => {
    // A real pipe: layertop's stdout is head's stdin, and head leaves after one line of 50,000.
    const head = spawn('head', ['-1'], { stdio: ['pipe', 'pipe', 'ignore'] });
    const lt = spawn(process.execPath, [BIN, 'files', 'layertop-test/many:latest'], {
      env: { ...process.env, DOCKER_HOST: engineHost('overlay2') },
      stdio: ['ignore', head.stdin, 'pipe'],
    });
    head.stdin.destroy();
    let firstLine = '';
    head.stdout.on('data', (d: Buffer) => {
      firstLine += d.toString('utf8');
    });
    let stderr = '';
    lt.stderr?.on('data', (d: Buffer) => {
      stderr += d.toString('utf8');
    });
    const [code, headCode] = await Promise.all([
      new Promise<number | null>((r) => lt.on('close', (c) => r(c))),
      new Promise<number | null>((r) => head.on('close', (c) => r(c))),
    ]);
    expect(headCode).toBe(0);
    expect(firstLine).toMatch(/^layertop-test\/many:latest: layer 1 \(the top of 2; 0 is the bottom\) /);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(await helpersOf(lt.pid)).toBe('');
  });

  it('prints no Node deprecation warning on a tcp:// host (docker-modem uses url.parse)', async () => {
    const port = await freePort();
    const r = await layertop(['scan', '-H', `tcp://127.0.0.1:${port}`]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      `layertop: cannot connect to the Docker engine at tcp://127.0.0.1:${port}: connection refused (is dockerd running?)\n`,
    );
    expect(r.stderr).not.toContain('DeprecationWarning');
  });

  it("refuses --host with --context in docker's words (exit 2), and a --context that does not exist", async () => {
    const both = await layertop(['scan', '-H', engineHost('overlay2'), '--context', 'prod']);
    expect(both.code).toBe(2);
    expect(both.stderr).toBe('layertop: conflicting options: either specify --host or --context, not both\n');
    const missing = await layertop(['scan', '--context', 'nope'], {
      env: { DOCKER_CONFIG: dir, DOCKER_HOST: engineHost('overlay2') },
    });
    expect(missing.code).toBe(1);
    expect(missing.stdout).toBe('');
    expect(missing.stderr).toBe(`layertop: docker context "nope" not found in ${join(dir, 'contexts')}\n`);
  });
});
