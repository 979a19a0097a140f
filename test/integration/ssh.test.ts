// ssh:// against a real sshd on 127.0.0.1 that this file starts (test/support/sshd.ts: its own
// host key, authorized key and config), whose sessions run `docker system dial-stdio` against the
// overlay2 test engine; layertop runs `ssh` from PATH, as the docker CLI does.
import { mkdtempSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectEngine } from '../../source/engine/docker/docker-client.js';
import { resolveEndpoint } from '../../source/engine/docker/endpoint.js';
import { liveSshProcesses, SshAgent } from '../../source/engine/docker/ssh-connection.js';
import type { ScanReport } from '../../source/model/report.js';
import { client, engineHost, layertop, waitFor } from '../support/engines.js';
import { type Sshd, startSshd } from '../support/sshd.js';

let sshd: Sshd;
let dir = '';
let port = 0;
let sshUrl = '';
let hostKeyLine = '';
const clientEnv = (): NodeJS.ProcessEnv => sshd.clientEnv();
const clientProcesses = (): number[] => sshd.clientProcesses();
const setKnownHosts = (content: string): void => sshd.setKnownHosts(content);

beforeAll(async () => {
  sshd = await startSshd(engineHost('overlay2'));
  ({ dir, port, url: sshUrl, hostKeyLine } = sshd);
});

afterAll(async () => {
  await sshd?.stop();
});

/** Runs layertop with the test's ssh first on PATH, and checks that it left no ssh behind. */
async function viaSsh(args: string[]) {
  const started = Date.now();
  const r = await layertop([...args, '-H', sshUrl], { env: clientEnv() });
  const ms = Date.now() - started;
  const left = (await waitFor(async () => clientProcesses().length === 0, 3_000, 50))
    ? []
    : clientProcesses();
  return { ...r, ms, left };
}

describe('ssh:// through the system ssh and `docker system dial-stdio`', () => {
  it('scans over ssh with the same figures as over the unix socket (API, helper attach and exec)', async () => {
    const ssh = await viaSsh(['scan', '--json', '--no-cache']);
    expect(ssh.stderr).toBe('');
    expect(ssh.code).toBe(0);
    expect(ssh.left).toEqual([]);
    const local = await layertop(['scan', '--json', '--no-cache'], {
      engine: 'overlay2',
      env: { LAYERTOP_CACHE_DIR: mkdtempSync(join(dir, 'cache-')) },
    });
    expect(local.code).toBe(0);
    const a = JSON.parse(ssh.stdout) as ScanReport;
    const b = JSON.parse(local.stdout) as ScanReport;
    expect(a.engine.host).toBe(sshUrl);
    expect(a.engine.dataRoot).toBe(b.engine.dataRoot);
    expect(a.layers.length).toBeGreaterThan(5);
    expect(a.layers.every((l) => (l.diskBytes ?? 0) > 0)).toBe(true);
    expect(a.images).toEqual(b.images);
    expect(a.layers).toEqual(b.layers);
    // Each HTTP connection is one ssh login: far fewer than the API calls (idle ones are reused).
    const logins = sshd.log().split('Accepted publickey').length - 1;
    expect(logins).toBeGreaterThan(0);
    expect(logins).toBeLessThan(12);
  });

  it("lists a layer's files over ssh exactly as over the unix socket (helper streams)", async () => {
    for (const args of [
      ['files', 'layertop-test/app-a:latest', '--merged', '--json'],
      ['files', 'layertop-test/many:latest', '--json'],
    ]) {
      const ssh = await viaSsh(args);
      expect(ssh.stderr).toBe('');
      expect(ssh.code).toBe(0);
      expect(ssh.left).toEqual([]);
      const local = await layertop(args, { engine: 'overlay2' });
      expect(local.code).toBe(0);
      // (Compared whole but reported short: the 50,000-file listing is 9 MB.)
      expect(ssh.stdout.length).toBe(local.stdout.length);
      expect(ssh.stdout === local.stdout).toBe(true);
    }
  });

  it('carries /events (a dial stream) and closes every ssh it started', async () => {
    const endpoint = resolveEndpoint({ host: sshUrl, env: {} });
    const agent = new SshAgent(endpoint.ssh ?? { host: '' }, join(dir, 'bin', 'ssh'));
    endpoint.modem.agent = agent;
    const remote = await connectEngine(endpoint);
    const events = (await remote.docker.getEvents({
      filters: { type: ['container'], event: ['exec_die'] },
    })) as NodeJS.ReadableStream & { destroy(): void };
    const seen = new Promise<Record<string, unknown>>((res) => {
      events.on('data', (d: Buffer) => res(JSON.parse(d.toString('utf8').split('\n')[0] ?? '{}')));
    });
    // Something happens on the engine (over the unix socket): an exec in the running fixture.
    const local = await client('overlay2');
    const exec = await local.docker.getContainer('lt-running').exec({ Cmd: ['true'] });
    await exec.start({ Detach: true });
    const event = await seen;
    expect(event).toMatchObject({ Type: 'container', Action: expect.stringMatching(/^exec_die/) });
    events.destroy();
    agent.destroy();
    expect(await waitFor(async () => liveSshProcesses() === 0, 5_000, 50)).toBe(true);
    expect(await waitFor(async () => clientProcesses().length === 0, 3_000, 50)).toBe(true);
  });

  it('refuses a host whose key differs from known_hosts, naming the host key, exit 1, at once', async () => {
    const other = readFileSync(join(dir, 'other_host_key.pub'), 'utf8').split(' ').slice(0, 2).join(' ');
    setKnownHosts(`[127.0.0.1]:${port} ${other}\n`);
    try {
      const r = await viaSsh(['scan', '--json']);
      expect(r.code).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(
        new RegExp(
          `^layertop: cannot connect to the Docker engine at ${sshUrl}: the host key for \\[127\\.0\\.0\\.1\\]:${port} changed`,
        ),
      );
      expect(r.stderr).toContain('ssh: Host key verification failed.');
      expect(r.stderr).not.toContain('DeprecationWarning');
      expect(r.ms).toBeLessThan(20_000);
      expect(r.left).toEqual([]);
    } finally {
      setKnownHosts(`[127.0.0.1]:${port} ${hostKeyLine}\n`);
    }
  });

  it('refuses a host whose key is not known at all (BatchMode: ssh never asks)', async () => {
    setKnownHosts('');
    try {
      const r = await viaSsh(['files', 'layertop-test/app-a:latest']);
      expect(r.code).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(
        new RegExp(
          `^layertop: cannot connect to the Docker engine at ${sshUrl}: the host key for \\[127\\.0\\.0\\.1\\]:${port} is not known`,
        ),
      );
      expect(r.stderr).toContain('BatchMode');
      expect(r.ms).toBeLessThan(20_000);
      expect(r.left).toEqual([]);
    } finally {
      setKnownHosts(`[127.0.0.1]:${port} ${hostKeyLine}\n`);
    }
  });
});
