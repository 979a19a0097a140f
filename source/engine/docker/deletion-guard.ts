import { existsSync, realpathSync } from 'node:fs';
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
  // The socket the client dials (the host's path decoded), its symlinks resolved: a host string
  // such as unix:///tmp/eng/..%2F..%2Frun%2Fdocker.sock, or a symlink beside a marker, must not
  // pass for a test engine.
  const socket = endpoint.host.startsWith('unix://') ? endpoint.modem.socketPath : undefined;
  let real: string | undefined;
  try {
    real = socket ? realpathSync(socket) : undefined;
  } catch {
    real = undefined;
  }
  if (real && existsSync(join(dirname(real), TEST_ENGINE_MARKER))) return;
  throw new EngineError(
    `refusing to delete: under tests only a layertop test engine may be changed, and ${endpoint.host} is not one`,
  );
}
