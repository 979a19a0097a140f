// The size cache's keys for facts about one engine: a scan's and a `files` run's reads of the
// same layer store meet under the same key.
import type { ApiInfo } from './docker/api-types.js';
import type { EngineClient } from './docker/docker-client.js';

/** Whose facts a size cache holds: the engine's ID and data root (another engine's never match). */
export function engineKeyOf(client: EngineClient, info: ApiInfo): string {
  return `${info.ID ?? client.endpoint.host}|${info.DockerRootDir}`;
}

/** The size cache's key of one fact about this engine (`kind`: layers, commands, ...). */
export const factKeyOf = (engineId: string, kind: string, id: string) => `${engineId}|${kind}|${id}`;
