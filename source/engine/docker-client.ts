import type Dockerode from 'dockerode';
import type { Endpoint } from './endpoint.js';
import { describeEngineError, EngineError } from './engine-error.js';

/** The newest Engine API layertop speaks; older engines get their own version. */
export const MAX_API_VERSION = '1.47';

export interface EngineClient {
  docker: Dockerode;
  endpoint: Endpoint;
  apiVersion: string;
  serverVersion: string;
}

function compareApi(a: string, b: string): number {
  const [am = 0, an = 0] = a.split('.').map(Number);
  const [bm = 0, bn = 0] = b.split('.').map(Number);
  return am - bm || an - bn;
}

/**
 * Connects and negotiates the API version like the CLI: min(engine's ApiVersion, ours).
 * dockerode is imported here, lazily, so the CLI's help and the first frame never pay for it.
 */
export async function connectEngine(endpoint: Endpoint, timeoutMs = 10_000): Promise<EngineClient> {
  const { default: Docker } = await import('dockerode');
  const probe = new Docker({ ...endpoint.modem, timeout: timeoutMs });
  let version: { ApiVersion?: string; Version?: string };
  try {
    version = (await probe.version()) as { ApiVersion?: string; Version?: string };
  } catch (err) {
    throw new EngineError(describeEngineError(err, endpoint.host));
  }
  const engineApi = version.ApiVersion ?? '1.41';
  const apiVersion = compareApi(engineApi, MAX_API_VERSION) < 0 ? engineApi : MAX_API_VERSION;
  const docker = new Docker({ ...endpoint.modem, version: `v${apiVersion}` });
  return { docker, endpoint, apiVersion, serverVersion: version.Version ?? 'unknown' };
}
