import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Agent } from 'node:http';
import { homedir } from 'node:os';
import { join } from 'node:path';

/** Connection options in the shape dockerode (docker-modem) takes. */
export interface ModemOptions {
  socketPath?: string;
  host?: string;
  port?: number;
  protocol?: 'http' | 'https';
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
  /** Carries every connection (ssh:// hosts: one `ssh ... docker system dial-stdio` each). */
  agent?: Agent;
}

/** An ssh:// host as the docker CLI reads it: ssh://[user@]host[:port][/socket path]. */
export interface SshTarget {
  user?: string;
  host: string;
  port?: string;
  /** The engine's socket on the remote host, when the URL names one. */
  socketPath?: string;
}

export interface Endpoint {
  /** The host as the docker CLI would print it: unix:///var/run/docker.sock, tcp://h:2376, ssh://u@h. */
  host: string;
  source: 'flag' | 'DOCKER_HOST' | 'context' | 'default';
  context?: string;
  modem: ModemOptions;
  /** ssh:// hosts: what `ssh` is run with; connectEngine puts the agent that runs it in `modem`. */
  ssh?: SshTarget;
}

export interface EndpointInput {
  host?: string | undefined;
  context?: string | undefined;
  env?: NodeJS.ProcessEnv;
}

export const DEFAULT_HOST = 'unix:///var/run/docker.sock';

/** docker/cli's own words when both are given (cli/command/cli.go). */
export const HOST_AND_CONTEXT = 'conflicting options: either specify --host or --context, not both';

/**
 * Resolves the engine the docker CLI would talk to, in the CLI's own order (resolveContextName):
 * --context, --host, DOCKER_HOST, DOCKER_CONTEXT, the config's currentContext, the default socket.
 * The "default" context is --host or DOCKER_HOST or the default socket. --host with --context is
 * refused, as the CLI refuses it. dockerode reads none of this, so it is done here.
 */
export function resolveEndpoint(input: EndpointInput = {}): Endpoint {
  const env = input.env ?? process.env;
  if (input.host && input.context) throw new EndpointError(HOST_AND_CONTEXT);
  const configDir = env.DOCKER_CONFIG || join(homedir(), '.docker');
  let context = input.context;
  if (!context && !input.host && !env.DOCKER_HOST) context = env.DOCKER_CONTEXT || currentContext(configDir);
  if (context && context !== 'default') return fromContext(context, configDir, env);
  if (input.host) return fromHost(input.host, 'flag', env);
  if (env.DOCKER_HOST) return fromHost(env.DOCKER_HOST, 'DOCKER_HOST', env);
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
    case 'ssh:':
      // The system ssh carries the connections (see ssh-connection.ts); the HTTP host is a dummy.
      return {
        host,
        source,
        modem: { protocol: 'http', host: SSH_DUMMY_HOST, port: 80 },
        ssh: sshTarget(url, host),
      };
    default:
      throw new EndpointError(`unsupported docker host scheme "${url.protocol}" in "${host}"`);
  }
}

/**
 * The options docker-modem gets: exactly this endpoint's. docker-modem fills in what an option
 * leaves out from DOCKER_HOST and DOCKER_CERT_PATH of the environment, and a host it finds there
 * wins over a socket path: `--host unix:///x` with DOCKER_HOST=tcp://y (or a unix context, or a
 * fleet target) reached y, and with ssh://y its own ssh transport. Every connection option is
 * therefore named, the ones this endpoint lacks as undefined.
 */
export function modemOptions(endpoint: Endpoint): ModemOptions & Record<string, unknown> {
  return {
    socketPath: undefined,
    host: undefined,
    port: undefined,
    protocol: 'http',
    username: undefined,
    ca: undefined,
    cert: undefined,
    key: undefined,
    pathPrefix: undefined,
    ...endpoint.modem,
  };
}

/** The HTTP host name requests over ssh carry (the docker CLI sends a dummy too). */
export const SSH_DUMMY_HOST = 'api.moby.localhost';

/** docker/cli's ssh.ParseURL rules: no password, query or fragment; a path names the remote socket. */
function sshTarget(url: URL, host: string): SshTarget {
  const bad = (why: string) => new EndpointError(`invalid ssh URL "${host}": ${why}`);
  if (url.password) throw bad('plain-text password is not supported (use a key or an agent)');
  if (!url.hostname) throw bad('hostname is empty');
  if (url.search) throw bad(`query parameters are not allowed: "${url.search.slice(1)}"`);
  if (url.hash) throw bad(`fragments are not allowed: "${url.hash.slice(1)}"`);
  const target: SshTarget = { host: url.hostname.replace(/^\[(.*)\]$/, '$1') };
  if (url.username) target.user = decodeURIComponent(url.username);
  if (url.port) target.port = url.port;
  const path = decodeURIComponent(url.pathname);
  if (path.replace(/\//g, '') !== '') target.socketPath = path;
  return target;
}

export class EndpointError extends Error {
  override name = 'EndpointError';
}
