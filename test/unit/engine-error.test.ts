// The one line a person reads when the engine cannot be reached or is not an engine at all.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import Docker from 'dockerode';
import { describe, expect, it } from 'vitest';
import { describeEngineError } from '../../source/engine/docker/engine-error.js';

describe('describeEngineError', () => {
  it('says a server that answers 404 where the API should be is not a Docker engine', async () => {
    // A plain web server, as a wrong port would reach: dockerode's own error for it.
    const server = createServer((_req, res) => {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('404 page not found');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    try {
      const err = await new Docker({ host: '127.0.0.1', port, protocol: 'http' }).info().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeDefined();
      expect(describeEngineError(err, `tcp://127.0.0.1:${port}`)).toBe(
        `something answers at tcp://127.0.0.1:${port}, but not as a Docker engine (HTTP 404 where the engine's API should be: the wrong port or address?)`,
      );
    } finally {
      server.close();
    }
  });

  it("keeps the engine's own message for a 404 it explains", () => {
    const err = Object.assign(new Error('(HTTP code 404) no such image'), {
      statusCode: 404,
      json: { message: 'No such image: nope:latest' },
    });
    expect(describeEngineError(err, 'unix:///x.sock')).toBe(
      'Docker engine at unix:///x.sock: No such image: nope:latest',
    );
  });
});
