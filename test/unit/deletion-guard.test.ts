import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { assertDeletionAllowed } from '../../source/engine/docker/deletion-guard.js';
import { resolveEndpoint } from '../../source/engine/docker/endpoint.js';

const dir = mkdtempSync(join(tmpdir(), 'lt-guard-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the deletion guard', () => {
  mkdirSync(join(dir, 'test-engine'));
  writeFileSync(join(dir, 'test-engine', 'layertop-test-engine'), '');
  // Stand-ins for the sockets (the guard resolves the path the client dials; it opens nothing).
  writeFileSync(join(dir, 'test-engine', 'docker.sock'), '');
  mkdirSync(join(dir, 'real'));
  writeFileSync(join(dir, 'real', 'docker.sock'), '');
  symlinkSync(join(dir, 'real', 'docker.sock'), join(dir, 'test-engine', 'link.sock'));
  const ep = (host: string) => resolveEndpoint({ host, env: {} });

  it('under tests, refuses every engine but a local socket next to the test-engine marker', () => {
    const env = { VITEST: 'true' };
    expect(() => assertDeletionAllowed(ep(`unix://${dir}/test-engine/docker.sock`), env)).not.toThrow();
    expect(() => assertDeletionAllowed(ep(`unix://${dir}/docker.sock`), env)).toThrow(/refusing to delete/);
    expect(() => assertDeletionAllowed(ep('unix:///var/run/docker.sock'), env)).toThrow(/refusing to delete/);
    expect(() => assertDeletionAllowed(ep('tcp://127.0.0.1:2375'), { LAYERTOP_TEST_MODE: '1' })).toThrow(
      /not one/,
    );
  });

  it('judges the socket the client dials: no encoded climb out of the marked directory, no symlink', () => {
    const env = { VITEST: 'true' };
    // The host string starts in the marked directory; the path it decodes to is real/docker.sock.
    const climb = ep(`unix://${dir}/test-engine/..%2Freal%2Fdocker.sock`);
    expect(climb.modem.socketPath).toBe(`${dir}/test-engine/../real/docker.sock`);
    expect(() => assertDeletionAllowed(climb, env)).toThrow(/refusing to delete/);
    expect(() => assertDeletionAllowed(ep(`unix://${dir}/test-engine/link.sock`), env)).toThrow(
      /refusing to delete/,
    );
    // A socket that is not there is no test engine either.
    expect(() => assertDeletionAllowed(ep(`unix://${dir}/test-engine/gone.sock`), env)).toThrow(
      /refusing to delete/,
    );
  });

  it('outside tests, it stays out of the way', () => {
    expect(() => assertDeletionAllowed(ep('unix:///var/run/docker.sock'), {})).not.toThrow();
  });
});
