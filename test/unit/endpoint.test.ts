import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EndpointError, modemOptions, resolveEndpoint } from '../../source/engine/docker/endpoint.js';
import { describeSshFailure, sshArgs } from '../../source/engine/docker/ssh-connection.js';

const made: string[] = [];
afterAll(() => {
  for (const d of made) rmSync(d, { recursive: true, force: true });
});

function configWithContext(name: string, host: string, current?: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'lt-ctx-'));
  made.push(dir);
  const digest = createHash('sha256').update(name).digest('hex');
  mkdirSync(join(dir, 'contexts', 'meta', digest), { recursive: true });
  writeFileSync(
    join(dir, 'contexts', 'meta', digest, 'meta.json'),
    JSON.stringify({ Name: name, Endpoints: { docker: { Host: host } } }),
  );
  mkdirSync(join(dir, 'contexts', 'tls', digest, 'docker'), { recursive: true });
  writeFileSync(join(dir, 'contexts', 'tls', digest, 'docker', 'cert.pem'), 'CERT');
  writeFileSync(join(dir, 'contexts', 'tls', digest, 'docker', 'key.pem'), 'KEY');
  if (current) writeFileSync(join(dir, 'config.json'), JSON.stringify({ currentContext: current }));
  return dir;
}

describe('resolveEndpoint (the docker CLI order)', () => {
  it('prefers --host over DOCKER_HOST over contexts', () => {
    const env = { DOCKER_HOST: 'unix:///env.sock', DOCKER_CONTEXT: 'x' };
    expect(resolveEndpoint({ host: 'unix:///flag.sock', env }).modem.socketPath).toBe('/flag.sock');
    expect(resolveEndpoint({ env }).modem.socketPath).toBe('/env.sock');
  });

  it('reads the current context from the docker config, with its TLS material', () => {
    const dir = configWithContext('remote', 'tcp://10.1.2.3:2376', 'remote');
    const ep = resolveEndpoint({ env: { DOCKER_CONFIG: dir } });
    expect(ep).toMatchObject({ host: 'tcp://10.1.2.3:2376', source: 'context', context: 'remote' });
    expect(ep.modem).toMatchObject({ host: '10.1.2.3', port: 2376, protocol: 'https' });
    expect(ep.modem.cert?.toString()).toBe('CERT');
  });

  it('lets --context and DOCKER_CONTEXT pick another context, and "default" mean the local socket', () => {
    const dir = configWithContext('ssh-box', 'ssh://me@box:2222', 'default');
    expect(resolveEndpoint({ context: 'ssh-box', env: { DOCKER_CONFIG: dir } }).ssh).toEqual({
      host: 'box',
      port: '2222',
      user: 'me',
    });
    expect(resolveEndpoint({ env: { DOCKER_CONFIG: dir } }).host).toBe('unix:///var/run/docker.sock');
    expect(() => resolveEndpoint({ env: { DOCKER_CONFIG: dir, DOCKER_CONTEXT: 'nope' } })).toThrow(
      EndpointError,
    );
  });

  it('rejects a host it cannot parse with a clear message', () => {
    expect(() => resolveEndpoint({ host: 'npipe:////./pipe/docker' })).toThrow(
      /unsupported docker host scheme/,
    );
  });

  it('lets an explicit --context win over DOCKER_HOST, as docker/cli resolveContextName does', () => {
    const dir = configWithContext('remote', 'tcp://10.1.2.3:2376');
    const env = { DOCKER_CONFIG: dir, DOCKER_HOST: 'unix:///env.sock' };
    expect(resolveEndpoint({ context: 'remote', env })).toMatchObject({
      host: 'tcp://10.1.2.3:2376',
      source: 'context',
    });
    // DOCKER_HOST still beats DOCKER_CONTEXT and the config's current context.
    expect(resolveEndpoint({ env: { ...env, DOCKER_CONTEXT: 'remote' } }).host).toBe('unix:///env.sock');
    // The "default" context is DOCKER_HOST when it is set.
    expect(resolveEndpoint({ context: 'default', env }).host).toBe('unix:///env.sock');
  });

  it("refuses --host with --context in docker/cli's words, and a --context that does not exist", () => {
    const dir = configWithContext('remote', 'tcp://10.1.2.3:2376');
    expect(() =>
      resolveEndpoint({ host: 'unix:///a.sock', context: 'remote', env: { DOCKER_CONFIG: dir } }),
    ).toThrow('conflicting options: either specify --host or --context, not both');
    expect(() => resolveEndpoint({ context: 'nope', env: { DOCKER_CONFIG: dir } })).toThrow(
      /docker context "nope" not found/,
    );
  });
});

describe("the engine client's connection: this endpoint's, whatever the environment says", () => {
  it.each(['tcp://203.0.113.9:2375', 'ssh://someone@203.0.113.9', 'unix:///elsewhere.sock'])(
    'a unix socket stays that socket with DOCKER_HOST=%s (docker-modem takes a host from it over the socket)',
    async (other) => {
      const { default: Docker } = await import('dockerode');
      const saved = process.env.DOCKER_HOST;
      process.env.DOCKER_HOST = other;
      try {
        const endpoint = resolveEndpoint({ host: 'unix:///run/test-engine.sock', env: {} });
        const modem = new Docker(modemOptions(endpoint)).modem as unknown as Record<string, unknown>;
        expect(modem.socketPath).toBe('/run/test-engine.sock');
        expect(modem.host).toBeUndefined();
        expect(modem.protocol).toBe('http');
        // Without the override docker-modem would have gone elsewhere: the test can fail.
        const raw = new Docker(endpoint.modem).modem as unknown as Record<string, unknown>;
        if (!other.startsWith('unix:')) expect(raw.host).toBe('203.0.113.9');
      } finally {
        if (saved === undefined) delete process.env.DOCKER_HOST;
        else process.env.DOCKER_HOST = saved;
      }
    },
  );
});

describe('ssh:// hosts (the system ssh, as docker/cli runs it)', () => {
  it('reads the URL as docker/cli does and sends HTTP to a dummy host through an agent', () => {
    const ep = resolveEndpoint({ host: 'ssh://me@box.example:2222', env: {} });
    expect(ep.ssh).toEqual({ user: 'me', host: 'box.example', port: '2222' });
    expect(ep.modem).toMatchObject({ protocol: 'http' });
    expect(ep.modem.socketPath).toBeUndefined();
    expect(resolveEndpoint({ host: 'ssh://[::1]/run/my%20docker.sock', env: {} }).ssh).toEqual({
      host: '::1',
      socketPath: '/run/my docker.sock',
    });
    expect(() => resolveEndpoint({ host: 'ssh://me:secret@box', env: {} })).toThrow(/password/);
    expect(() => resolveEndpoint({ host: 'ssh://box?x=1', env: {} })).toThrow(/query/);
    expect(() => resolveEndpoint({ host: 'ssh://box#frag', env: {} })).toThrow(/fragment/);
  });

  it("runs ssh with the CLI's arguments, never prompting (BatchMode)", () => {
    expect(sshArgs({ user: 'me', host: 'box', port: '2222' })).toEqual([
      '-l',
      'me',
      '-p',
      '2222',
      '-o',
      'ConnectTimeout=30',
      '-o',
      'BatchMode=yes',
      '-T',
      '--',
      'box',
      'docker system dial-stdio',
    ]);
    expect(sshArgs({ host: 'box', socketPath: "/run/it's.sock" }).slice(-3)).toEqual([
      '--',
      'box',
      `docker '--host=unix:///run/it'\\''s.sock' system dial-stdio`,
    ]);
  });

  it("says which host key was refused, with ssh's own last lines", () => {
    const target = { user: 'root', host: '127.0.0.1', port: '2222' };
    const changed = describeSshFailure(
      target,
      255,
      null,
      '@@@@@@@@@@@\n@    WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!     @\n@@@@@@@@@@@\n' +
        'Host key for [127.0.0.1]:2222 has changed and you have requested strict checking.\n' +
        'Host key verification failed.\n',
    );
    expect(changed).toMatch(/^the host key for \[127\.0\.0\.1\]:2222 changed/);
    expect(changed).toContain('\n  ssh: Host key verification failed.');
    expect(changed).not.toContain('@@@');
    expect(describeSshFailure(target, 255, null, 'Host key verification failed.\r\n')).toMatch(
      /^the host key for \[127\.0\.0\.1\]:2222 is not known .*BatchMode/,
    );
    expect(describeSshFailure(target, 255, null, 'root@127.0.0.1: Permission denied (publickey).')).toMatch(
      /could not log in as root@127\.0\.0\.1:2222/,
    );
    expect(describeSshFailure(target, 127, null, 'bash: line 1: docker: command not found')).toMatch(
      /no `docker` on its PATH/,
    );
  });
});
