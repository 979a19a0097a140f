import type { ApiInfo } from './api-types.js';
import { connectEngine, type EngineClient } from './docker-client.js';
import { type Endpoint, resolveEndpoint } from './endpoint.js';
import { HelperSession, reapStaleHelpers } from './helper-session.js';
import { getInfo } from './inventory.js';

export interface SessionOptions {
  host?: string | undefined;
  context?: string | undefined;
  helperImage?: string | undefined;
  targetPid?: number | undefined;
  noHelper?: boolean | undefined;
  noHostTools?: boolean | undefined;
  onLog?: ((line: string) => void) | undefined;
  onSession?: ((session: HelperSession) => void) | undefined;
}

export interface EngineSession {
  endpoint: Endpoint;
  client: EngineClient;
  info: ApiInfo;
  helper: HelperSession | undefined;
}

/** Connects to the engine (no helper yet): enough for the first frame. */
export async function connect(
  options: SessionOptions,
): Promise<{ endpoint: Endpoint; client: EngineClient; info: ApiInfo }> {
  const endpoint = resolveEndpoint({ host: options.host, context: options.context });
  const client = await connectEngine(endpoint);
  const info = await getInfo(client);
  return { endpoint, client, info };
}

/** Starts the one helper of this run, after clearing helpers whose layertop process is gone. */
export async function startHelper(
  client: EngineClient,
  info: ApiInfo,
  options: SessionOptions,
): Promise<HelperSession> {
  await reapStaleHelpers(client).catch(() => 0);
  return HelperSession.start(client, {
    ...(options.helperImage ? { image: options.helperImage } : {}),
    ...(options.targetPid !== undefined ? { targetPid: options.targetPid } : {}),
    dataRoot: info.DockerRootDir,
    ...(options.noHostTools ? { hostTools: false } : {}),
    ...(options.onLog ? { onLog: options.onLog } : {}),
    ...(options.onSession ? { onSession: options.onSession } : {}),
  });
}
