/** An error the CLI prints as one line and exits 1 on. */
export class EngineError extends Error {
  override name = 'EngineError';
}

/** Turns socket and HTTP failures into one line a person can act on. */
export function describeEngineError(err: unknown, host: string): string {
  const e = err as { code?: string; statusCode?: number; message?: string; json?: { message?: string } };
  // ssh's own reason (host key, login, no docker there) with its last stderr lines: keep them all.
  if ((err as Error)?.name === 'SshConnectError')
    return `cannot connect to the Docker engine at ${host}: ${e.message}`;
  switch (e?.code) {
    case 'ENOENT':
      return `cannot connect to the Docker engine at ${host}: no such socket (is dockerd running?)`;
    case 'ECONNREFUSED':
      return `cannot connect to the Docker engine at ${host}: connection refused (is dockerd running?)`;
    case 'EACCES':
    case 'EPERM':
      return `permission denied on ${host}: run as root or add your user to the docker group`;
    case 'ETIMEDOUT':
      return `the Docker engine at ${host} did not answer in time`;
    case 'ECONNRESET':
    case 'EPIPE':
      return `the Docker engine at ${host} closed the connection (did it stop or restart?)`;
    default:
      break;
  }
  if (err instanceof EngineError) return err.message;
  // A 404 with no Docker error in its body: a server, but not Docker's API (a wrong port, a web
  // server, a proxy). dockerode's own line was "(HTTP code 404) unexpected -".
  if (e?.statusCode === 404 && typeof e.json?.message !== 'string')
    return `something answers at ${host}, but not as a Docker engine (HTTP 404 where the engine's API should be: the wrong port or address?)`;
  const msg = e?.json?.message ?? e?.message ?? String(err);
  return `Docker engine at ${host}: ${msg.split('\n')[0]}`;
}
