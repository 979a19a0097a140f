// A real sshd on 127.0.0.1 that a test starts (its own host key, authorized key and config), whose
// sessions run `docker system dial-stdio` against the test engine it is given. OpenSSH takes
// ~/.ssh from the passwd entry, not $HOME, so the client side is an `ssh` first on PATH that runs
// the system ssh with `-F` this sshd's ssh_config (key, known_hosts, no agent): layertop runs `ssh`
// from PATH, as the docker CLI does, and everything the config says applies.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { ENGINE_BIN, waitFor } from './engines.js';
import { freePort } from './net.js';
import { argvOf, parentOf, pids } from './procfs.js';

export interface Sshd {
  /** Holds the keys, the configs, the ssh wrapper (bin/ssh). */
  dir: string;
  port: number;
  /** ssh://root@127.0.0.1:<port> */
  url: string;
  /** The host key's known_hosts line (without the host). */
  hostKeyLine: string;
  /** PATH with the wrapper first, and a cache dir of its own: the client side's environment. */
  clientEnv: () => NodeJS.ProcessEnv;
  setKnownHosts: (content: string) => void;
  /** The ssh clients run with this sshd's config (the wrapper execs into them). */
  clientProcesses: () => number[];
  log: () => string;
  stop: () => Promise<void>;
}

function which(cmd: string, fallback: string): string {
  try {
    return execFileSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' }).trim() || fallback;
  } catch {
    return fallback;
  }
}

/** PIDs whose parent chain leads to `root` (sshd's session processes). */
function descendants(root: number): number[] {
  const parent = new Map<number, number>();
  for (const pid of pids()) {
    const p = parentOf(pid);
    if (p !== undefined) parent.set(pid, p);
  }
  const out: number[] = [];
  for (const pid of parent.keys()) {
    let p = parent.get(pid);
    while (p && p !== root && p !== 1) p = parent.get(p);
    if (p === root) out.push(pid);
  }
  return out;
}

export async function startSshd(dockerHost: string): Promise<Sshd> {
  const dir = mkdtempSync(join(tmpdir(), 'lt-ssh-'));
  const keygen = (name: string): string => {
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', name, '-f', join(dir, name)]);
    return readFileSync(join(dir, `${name}.pub`), 'utf8')
      .trim()
      .split(' ')
      .slice(0, 2)
      .join(' ');
  };
  const hostKeyLine = keygen('host_key');
  keygen('client_key');
  keygen('other_host_key');
  writeFileSync(join(dir, 'authorized_keys'), readFileSync(join(dir, 'client_key.pub'), 'utf8'));
  mkdirSync(join(dir, 'docker-config'));
  mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  const port = await freePort();
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
      `SetEnv DOCKER_HOST=${dockerHost} DOCKER_CONFIG=${join(dir, 'docker-config')} PATH=${remotePath.join(':')}`,
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
  writeFileSync(
    join(dir, 'bin', 'ssh'),
    `#!/bin/sh\nexec ${which('ssh', '/usr/bin/ssh')} -F ${join(dir, 'ssh_config')} "$@"\n`,
  );
  chmodSync(join(dir, 'bin', 'ssh'), 0o755);
  const setKnownHosts = (content: string) => writeFileSync(join(dir, 'known_hosts'), content);
  setKnownHosts(`[127.0.0.1]:${port} ${hostKeyLine}\n`);
  let log = '';
  const sshd: ChildProcess = spawn(
    which('sshd', '/usr/sbin/sshd'),
    ['-D', '-e', '-f', join(dir, 'sshd_config')],
    {
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  sshd.stderr?.on('data', (d: Buffer) => {
    log += d.toString('utf8');
  });
  const up = await waitFor(
    async () => log.includes('Server listening') || sshd.exitCode !== null,
    10_000,
    50,
  );
  if (!up || sshd.exitCode !== null) throw new Error(`sshd did not start:\n${log}`);
  const clientProcesses = () => {
    const config = join(dir, 'ssh_config');
    return pids().filter((pid) => argvOf(pid)?.includes(config));
  };
  return {
    dir,
    port,
    url: `ssh://root@127.0.0.1:${port}`,
    hostKeyLine,
    clientEnv: () => ({
      PATH: `${join(dir, 'bin')}${delimiter}${process.env.PATH ?? ''}`,
      LAYERTOP_CACHE_DIR: mkdtempSync(join(dir, 'cache-')),
    }),
    setKnownHosts,
    clientProcesses,
    log: () => log,
    stop: async () => {
      if (sshd.pid) {
        const root = sshd.pid;
        sshd.kill('SIGTERM');
        for (const pid of descendants(root)) {
          try {
            process.kill(pid, 'SIGTERM');
          } catch {
            // gone meanwhile
          }
        }
        if (sshd.exitCode === null) await new Promise((r) => sshd.once('exit', r));
      }
      for (const pid of clientProcesses()) process.kill(pid, 'SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
