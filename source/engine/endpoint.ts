import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/** Connection options in the shape dockerode (docker-modem) takes. */
export interface ModemOptions {
  socketPath?: string;
  host?: string;
  port?: number;
  protocol?: 'http' | 'https' | 'ssh';
  username?: string;
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
  sshOptions?: Record<string, unknown>;
}

export interface Endpoint {
  /** The host as the docker CLI would print it: unix:///var/run/docker.sock, tcp://h:2376, ssh://u@h. */
  host: string;
  source: 'flag' | 'DOCKER_HOST' | 'context' | 'default';
  context?: string;
  modem: ModemOptions;
}

export interface EndpointInput {
  host?: string | undefined;
  context?: string | undefined;
  env?: NodeJS.ProcessEnv;
}

export const DEFAULT_HOST = 'unix:///var/run/docker.sock';

/**
 * Resolves the engine the docker CLI would talk to, in the CLI's own order:
 * --host, DOCKER_HOST, --context, DOCKER_CONTEXT, the config's currentContext, the default socket.
 * dockerode reads none of the context machinery, so this does it the way docker/cli does.
 */
export function resolveEndpoint(input: EndpointInput = {}): Endpoint {
  const env = input.env ?? process.env;
  if (input.host) return fromHost(input.host, 'flag', env);
  if (env.DOCKER_HOST) return fromHost(env.DOCKER_HOST, 'DOCKER_HOST', env);
  const configDir = env.DOCKER_CONFIG || join(homedir(), '.docker');
  const context = input.context || env.DOCKER_CONTEXT || currentContext(configDir);
  if (context && context !== 'default') return fromContext(context, configDir, env);
  return fromHost(DEFAULT_HOST, 'default', env);
}

function currentContext(configDir: string): string | undefined {
  try {
    const config = JSON.parse(readFileSync(join(configDir, 'config.json'), 'utf8')) as {
      currentContext?: string;
    };
    return config.currentContext || undefined;
  } catch {
    return undefined;
  }
}

interface ContextMeta {
  Name?: string;
  Endpoints?: { docker?: { Host?: string; SkipTLSVerify?: boolean } };
}

function fromContext(name: string, configDir: string, env: NodeJS.ProcessEnv): Endpoint {
  // docker/cli stores a context under the sha256 of its name.
  const digest = createHash('sha256').update(name).digest('hex');
  let meta: ContextMeta;
  try {
    meta = JSON.parse(
      readFileSync(join(configDir, 'contexts', 'meta', digest, 'meta.json'), 'utf8'),
    ) as ContextMeta;
  } catch {
    throw new EndpointError(`docker context "${name}" not found in ${join(configDir, 'contexts')}`);
  }
  const host = meta.Endpoints?.docker?.Host;
  if (!host) throw new EndpointError(`docker context "${name}" has no docker endpoint`);
  const tlsDir = join(configDir, 'contexts', 'tls', digest, 'docker');
  const ep = fromHost(host, 'context', env, tlsDir);
  ep.context = name;
  return ep;
}

function readOptional(path: string): Buffer | undefined {
  try {
    return readFileSync(path);
  } catch {
    return undefined;
  }
}

function fromHost(
  host: string,
  source: Endpoint['source'],
  env: NodeJS.ProcessEnv,
  tlsDir?: string,
): Endpoint {
  let url: URL;
  try {
    url = new URL(host);
  } catch {
    throw new EndpointError(`cannot parse docker host "${host}" (expected unix://, tcp:// or ssh://)`);
  }
  switch (url.protocol) {
    case 'unix:':
      return { host, source, modem: { socketPath: decodeURIComponent(url.pathname) } };
    case 'tcp:':
    case 'http:':
    case 'https:': {
      const certDir =
        tlsDir ?? (env.DOCKER_TLS_VERIFY ? env.DOCKER_CERT_PATH || join(homedir(), '.docker') : undefined);
      const ca = certDir ? readOptional(join(certDir, 'ca.pem')) : undefined;
      const cert = certDir ? readOptional(join(certDir, 'cert.pem')) : undefined;
      const key = certDir ? readOptional(join(certDir, 'key.pem')) : undefined;
      const tls = url.protocol === 'https:' || Boolean(env.DOCKER_TLS_VERIFY) || Boolean(cert && key);
      const modem: ModemOptions = {
        host: url.hostname,
        port: Number(url.port) || (tls ? 2376 : 2375),
        protocol: tls ? 'https' : 'http',
      };
      if (ca) modem.ca = ca;
      if (cert) modem.cert = cert;
      if (key) modem.key = key;
      return { host, source, modem };
    }
    case 'ssh:': {
      const modem: ModemOptions = { protocol: 'ssh', host: url.hostname, port: Number(url.port) || 22 };
      if (url.username) modem.username = decodeURIComponent(url.username);
      // docker-modem's ssh transport runs `docker system dial-stdio` on the remote, as the CLI does.
      if (env.SSH_AUTH_SOCK) modem.sshOptions = { agent: env.SSH_AUTH_SOCK };
      return { host, source, modem };
    }
    default:
      throw new EndpointError(`unsupported docker host scheme "${url.protocol}" in "${host}"`);
  }
}

export class EndpointError extends Error {
  override name = 'EndpointError';
}
