// Every command opens its session through engine/session.ts's openSession; the command line adds
// only that the helper is removed on any exit of the process (the clean-up hooks).
import type { ApiInfo } from '../engine/docker/api-types.js';
import type { EngineClient } from '../engine/docker/docker-client.js';
import type { Endpoint } from '../engine/docker/endpoint.js';
import { openSession as open, type Session } from '../engine/session.js';
import { onCleanup } from '../process/cleanup.js';
import type { CliArgs } from './args.js';

export type CliSession = Session;

export function openSession(
  args: CliArgs & {
    onFrozen?: (message: string) => void;
    beforeCache?: (client: EngineClient, info: ApiInfo) => void;
  },
  /** Checks that must pass before a helper is started (a plan file's engine, say). */
  check?: (conn: { endpoint: Endpoint; info: ApiInfo }) => void,
): Promise<Session> {
  return open({ ...args, onSession: (s) => onCleanup(() => s.close()) }, check);
}
