import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
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

  it('outside tests, it stays out of the way', () => {
    expect(() => assertDeletionAllowed(ep('unix:///var/run/docker.sock'), {})).not.toThrow();
  });
});
