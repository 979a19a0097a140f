import { createRequire } from 'node:module';
import type Dockerode from 'dockerode';
import { type Endpoint, modemOptions } from './endpoint.js';
import { describeEngineError, EngineError } from './engine-error.js';

/**
 * The newest Engine API layertop speaks; older engines get their own version. 1.52 is Docker 29:
 * it dropped GraphDriver from image inspect, which layertop never reads (layer paths come from the
 * storage backend, see storage-overlay2.ts and storage-containerd.ts). Tested: 1.45 (Docker 26.1)
 * and 1.51 (Docker 28.5), the engines of scripts/fetch-engine.sh.
 */
export const MAX_API_VERSION = '1.52';

export interface EngineClient {
  docker: Dockerode;
  endpoint: Endpoint;
  /** The API version negotiated for requests. */
  apiVersion: string;
  /** The newest API the engine offers: names the engine's release, whatever was negotiated. */
  engineApiVersion: string;
  serverVersion: string;
}

export function compareApi(a: string, b: string): number {
  const [am = 0, an = 0] = a.split('.').map(Number);
  const [bm = 0, bn = 0] = b.split('.').map(Number);
  return am - bm || an - bn;
}

/**
 * The agent for plain HTTP (a unix socket, tcp without TLS): Node's global agent's settings and an
 * empty server name. Without one, Node works a server name out for every request (`net.isIP` of
 * the host name), whose IPv6 regular expression took 7-14 ms to compile at each launch, on the
 * way to the first answer, and about 1.7 ms a request after; a server name is for TLS, which
 * these connections never use.
 */
async function plainAgent(): Promise<import('node:http').Agent> {
  // Through require, not import(): an ES module facade of node:http reads every export it has,
  // its lazy WebSocket and fetch classes too, which load undici: 41-58 ms of every command's way
  // to its first request (CPU profiles at scale, 2026-12-06). dockerode takes node:http by
  // require anyway.
  const http = createRequire(import.meta.url)('node:http') as typeof import('node:http');
  // The global agent's own options (keep-alive, LIFO, 5 s idle): Node has them, its types do not.
  const global = (http.globalAgent as unknown as { options?: import('node:http').AgentOptions }).options;
  return new http.Agent({ ...global, servername: '' } as import('node:http').AgentOptions);
}

/** A plain agent where the endpoint has no agent of its own (ssh) and no TLS; else undefined. */
export async function plainAgentFor(endpoint: Endpoint): Promise<import('node:http').Agent | undefined> {
  return endpoint.modem.agent || endpoint.modem.protocol === 'https' ? undefined : plainAgent();
}

/**
 * Connects and negotiates the API version like the CLI: min(engine's ApiVersion, ours).
 * dockerode is imported here, lazily, so the CLI's help and the first frame never pay for it.
 */
export async function connectEngine(endpoint: Endpoint, timeoutMs = 10_000): Promise<EngineClient> {
  const { default: Docker } = await import('dockerode');
  let probeTimeout = timeoutMs;
  if (endpoint.ssh) {
    if (!endpoint.modem.agent) {
      const { SshAgent } = await import('./ssh-connection.js');
      endpoint.modem.agent = new SshAgent(endpoint.ssh);
    }
    // ssh gives up on an unreachable host after its ConnectTimeout (30 s) and says why: let it.
    probeTimeout = Math.max(timeoutMs, 40_000);
  }
  const agent = await plainAgentFor(endpoint);
  const options = () => ({ ...modemOptions(endpoint), ...(agent ? { agent } : {}) });
  const probe = new Docker({ ...options(), timeout: probeTimeout });
  let version: { ApiVersion?: string; Version?: string };
  try {
    version = (await probe.version()) as { ApiVersion?: string; Version?: string };
  } catch (err) {
    throw new EngineError(describeEngineError(err, endpoint.host));
  }
  const engineApi = version.ApiVersion ?? '1.41';
  const apiVersion = compareApi(engineApi, MAX_API_VERSION) < 0 ? engineApi : MAX_API_VERSION;
  const docker = new Docker({ ...options(), version: `v${apiVersion}` });
  return {
    docker,
    endpoint,
    apiVersion,
    engineApiVersion: engineApi,
    serverVersion: version.Version ?? 'unknown',
  };
}
