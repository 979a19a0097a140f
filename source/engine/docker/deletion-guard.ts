import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Endpoint } from './endpoint.js';
import { EngineError } from './engine-error.js';

/** The file scripts/engines.sh puts next to each throwaway engine's socket. */
export const TEST_ENGINE_MARKER = 'layertop-test-engine';

/** True when this process runs under the project's tests, benchmarks or demo. */
export function underTest(env: NodeJS.ProcessEnv = process.env): boolean {
  return Boolean(env.VITEST || env.LAYERTOP_TEST_MODE);
}

/**
 * Anything that deletes calls this first. Under tests (vitest, or LAYERTOP_TEST_MODE set by the
 * project's scripts) it refuses unless the engine is a local socket next to the test-engine marker,
 * so no test can ever delete from a real engine, whatever DOCKER_HOST or the docker context say.
 */
export function assertDeletionAllowed(endpoint: Endpoint, env: NodeJS.ProcessEnv = process.env): void {
  if (!underTest(env)) return;
  const socket = endpoint.host.startsWith('unix://') ? endpoint.host.slice('unix://'.length) : undefined;
  if (socket && existsSync(join(dirname(socket), TEST_ENGINE_MARKER))) return;
  throw new EngineError(
    `refusing to delete: under tests only a layertop test engine may be changed, and ${endpoint.host} is not one`,
  );
}
