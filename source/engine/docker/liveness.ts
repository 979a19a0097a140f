// Is the engine still there? A frozen engine (its process stopped, its host overloaded) errors
// nowhere: requests just hang. So the explorer pings it with a deadline and tells the two faults
// apart: no answer in time, or no connection at all.
import type { EngineClient } from './docker-client.js';

export type Liveness = 'ok' | 'not answering' | 'lost';

/** How long a ping may take before the engine counts as not answering. */
export const PING_DEADLINE_MS = 3_000;

/** One `GET /_ping` with a deadline: 'not answering' when it ran out, 'lost' when it failed. */
export async function pingEngine(client: EngineClient, deadlineMs = PING_DEADLINE_MS): Promise<Liveness> {
  const signal = AbortSignal.timeout(deadlineMs);
  try {
    // dockerode's ping passes an abort signal on to the request; its type declarations omit it.
    const ping = client.docker.ping as unknown as (opts: { abortSignal: AbortSignal }) => Promise<unknown>;
    await ping.call(client.docker, { abortSignal: signal });
    return 'ok';
  } catch {
    return signal.aborted ? 'not answering' : 'lost';
  }
}

/**
 * Removes containers by ID (helpers lost while the engine was away), forgetting each one that is
 * gone; one the engine could not remove yet (removal in progress, engine down) stays for next time.
 */
export async function removeContainers(client: EngineClient, ids: Set<string>): Promise<void> {
  for (const id of [...ids]) {
    try {
      await client.docker.getContainer(id).remove({ force: true });
      ids.delete(id);
    } catch (err) {
      if ((err as { statusCode?: number }).statusCode === 404) ids.delete(id);
    }
  }
}
