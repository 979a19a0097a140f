import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EndpointError, resolveEndpoint } from '../../source/engine/endpoint.js';

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
    expect(resolveEndpoint({ context: 'ssh-box', env: { DOCKER_CONFIG: dir } }).modem).toMatchObject({
      protocol: 'ssh',
      host: 'box',
      port: 2222,
      username: 'me',
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
});
