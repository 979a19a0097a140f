// ssh:// against a real sshd on 127.0.0.1 that this file starts (its own host key, authorized key
// and config), whose sessions run `docker system dial-stdio` against the overlay2 test engine.
// OpenSSH takes ~/.ssh from the passwd entry, not $HOME, so the client side is an `ssh` first on
// PATH that runs the system ssh with `-F` this file's ssh_config (key, known_hosts, no agent):
// layertop runs `ssh` from PATH, as the docker CLI does, and everything the config says applies.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectEngine } from '../../source/engine/docker/docker-client.js';
import { resolveEndpoint } from '../../source/engine/docker/endpoint.js';
import { liveSshProcesses, SshAgent } from '../../source/engine/docker/ssh-connection.js';
import type { ScanReport } from '../../source/model/report.js';
import { client, ENGINE_BIN, engineHost, layertop, waitFor } from '../support/engines.js';
import { freePort } from '../support/net.js';

const dir = mkdtempSync(join(tmpdir(), 'lt-ssh-'));
let port = 0;
let sshd: ChildProcess | undefined;
let sshdLog = '';
let sshUrl = '';
let hostKeyLine = '';
const clientEnv = (): NodeJS.ProcessEnv => ({
  PATH: `${join(dir, 'bin')}${delimiter}${process.env.PATH ?? ''}`,
  LAYERTOP_CACHE_DIR: mkdtempSync(join(dir, 'cache-')),
});

function which(cmd: string, fallback: string): string {
  try {
    return execFileSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' }).trim() || fallback;
  } catch {
    return fallback;
  }
}

function keygen(name: string): string {
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', name, '-f', join(dir, name)]);
  return readFileSync(join(dir, `${name}.pub`), 'utf8')
    .trim()
    .split(' ')
    .slice(0, 2)
    .join(' ');
}

/** PIDs whose parent chain leads to `root` (sshd's session processes). */
function descendants(root: number): number[] {
  const parent = new Map<number, number>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      parent.set(Number(name), ppid);
    } catch {
      // gone meanwhile
    }
  }
  const out: number[] = [];
  for (const pid of parent.keys()) {
    let p = parent.get(pid);
    while (p && p !== root && p !== 1) p = parent.get(p);
    if (p === root) out.push(pid);
  }
  return out;
}

/** The ssh clients that layertop ran with this file's config (the wrapper execs into them). */
function clientProcesses(): number[] {
  const config = join(dir, 'ssh_config');
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const argv = readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0');
      if (argv.includes(config)) out.push(Number(name));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

function setKnownHosts(content: string): void {
  writeFileSync(join(dir, 'known_hosts'), content);
}

beforeAll(async () => {
  const sshdBin = which('sshd', '/usr/sbin/sshd');
  const sshBin = which('ssh', '/usr/bin/ssh');
  hostKeyLine = keygen('host_key');
  keygen('client_key');
  keygen('other_host_key');
  writeFileSync(join(dir, 'authorized_keys'), `${readFileSync(join(dir, 'client_key.pub'), 'utf8')}`);
  mkdirSync(join(dir, 'docker-config'));
  mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  port = await freePort();
  const remotePath = [
    ENGINE_BIN,
    '/usr/local/sbin',
    '/usr/local/bin',
    '/usr/sbin',
    '/usr/bin',
    '/sbin',
    '/bin',
  ];
  writeFileSync(
    join(dir, 'sshd_config'),
    [
      `Port ${port}`,
      'ListenAddress 127.0.0.1',
      `HostKey ${join(dir, 'host_key')}`,
      `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
      `PidFile ${join(dir, 'sshd.pid')}`,
      'PermitRootLogin prohibit-password',
      'PubkeyAuthentication yes',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'UsePAM no',
      'StrictModes no',
      `SetEnv DOCKER_HOST=${engineHost('overlay2')} DOCKER_CONFIG=${join(dir, 'docker-config')} PATH=${remotePath.join(':')}`,
      '',
    ].join('\n'),
  );
  writeFileSync(
    join(dir, 'ssh_config'),
    [
      'Host *',
      `  IdentityFile ${join(dir, 'client_key')}`,
      '  IdentitiesOnly yes',
      '  IdentityAgent none',
      `  UserKnownHostsFile ${join(dir, 'known_hosts')}`,
      '  GlobalKnownHostsFile /dev/null',
      '',
    ].join('\n'),
  );
  mkdirSync(join(dir, 'bin'));
  writeFileSync(join(dir, 'bin', 'ssh'), `#!/bin/sh\nexec ${sshBin} -F ${join(dir, 'ssh_config')} "$@"\n`);
  chmodSync(join(dir, 'bin', 'ssh'), 0o755);
  setKnownHosts(`[127.0.0.1]:${port} ${hostKeyLine}\n`);
  sshUrl = `ssh://root@127.0.0.1:${port}`;

  sshd = spawn(sshdBin, ['-D', '-e', '-f', join(dir, 'sshd_config')], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  sshd.stderr?.on('data', (d: Buffer) => {
    sshdLog += d.toString('utf8');
  });
  const up = await waitFor(
    async () => sshdLog.includes('Server listening') || sshd?.exitCode !== null,
    10_000,
    50,
  );
  if (!up || sshd.exitCode !== null) throw new Error(`sshd did not start:\n${sshdLog}`);
});

afterAll(async () => {
  if (sshd?.pid) {
    const root = sshd.pid;
    sshd.kill('SIGTERM');
    for (const pid of descendants(root)) {
      try {
        process.kill(pid, 'SIGTERM');
      } catch {
        // gone meanwhile
      }
    }
    if (sshd.exitCode === null) await new Promise((r) => sshd?.once('exit', r));
  }
  for (const pid of clientProcesses()) process.kill(pid, 'SIGTERM');
  rmSync(dir, { recursive: true, force: true });
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
    const logins = sshdLog.split('Accepted publickey').length - 1;
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
