import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ScanReport } from '../../source/model/report.js';
import {
  BIN,
  docker,
  engineHost,
  GONE_OWNER,
  helperContainers,
  layertop,
  staleHelper,
  waitFor,
} from '../support/engines.js';

// --keep-helper: one helper outlives its run for the next to join, and goes by itself once idle.

/** The kept helpers on the engine, running or not. */
const kept = async () =>
  (await docker('overlay2', ['ps', '-aq', '--filter', 'label=io.layertop.keep'])).split('\n').filter(Boolean);

/** Every image layer's measured bytes, in the report's order. */
const layerBytes = (r: ScanReport) => r.layers.map((l) => [l.chainId, l.diskBytes]);

const freshCache = () => ({ LAYERTOP_CACHE_DIR: mkdtempSync(join(tmpdir(), 'lt-cache-')) });

// The other tests hold that no helper is left: none kept past its test.
afterEach(async () => {
  const ids = await kept();
  if (ids.length) await docker('overlay2', ['rm', '-f', ...ids]);
});

describe('--keep-helper SECONDS', () => {
  it('keeps ONE helper, which the next run joins and measures the same bytes with; it goes once idle', async () => {
    const first = await layertop(['scan', '--json', '--no-cache', '--keep-helper', '10'], {
      engine: 'overlay2',
    });
    expect(first.code).toBe(0);
    const ids = await kept();
    expect(ids).toHaveLength(1);
    // The run's helper is that one: no other is left.
    expect(await helperContainers('overlay2')).toEqual(ids);
    const second = await layertop(['scan', '--json', '--no-cache', '--keep-helper', '10'], {
      engine: 'overlay2',
      env: freshCache(),
    });
    expect(second.code).toBe(0);
    expect(await kept()).toEqual(ids);
    const a = JSON.parse(first.stdout) as ScanReport;
    const b = JSON.parse(second.stdout) as ScanReport;
    expect(a.layers.length).toBeGreaterThan(5); // the fixtures are there
    expect(layerBytes(b)).toEqual(layerBytes(a));
    expect(b.totals.layersDiskBytes).toBe(a.totals.layersDiskBytes);
    // Not before its idle time (10 s after the second run's loops ended), and surely after it.
    const idleFrom = Date.now();
    expect(await waitFor(async () => (await helperContainers('overlay2')).length === 0, 30_000, 250)).toBe(
      true,
    );
    expect(Date.now() - idleFrom).toBeGreaterThanOrEqual(7_000);
  });

  it('is left running by a run without the option (no stale helper to reap), whose own helper goes', async () => {
    expect((await layertop(['scan', '--json', '--keep-helper', '60'], { engine: 'overlay2' })).code).toBe(0);
    const ids = await kept();
    expect(ids).toHaveLength(1);
    const plain = await layertop(['scan', '--json'], { engine: 'overlay2' });
    expect(plain.code).toBe(0);
    expect(await helperContainers('overlay2')).toEqual(ids);
    expect((await docker('overlay2', ['inspect', '-f', '{{.State.Running}}', ids[0] ?? ''])).trim()).toBe(
      'true',
    );
  });

  it('is reaped by the next run when it never ran (its creator killed between the create and the start)', async () => {
    const stale = await staleHelper('overlay2', {
      'io.layertop.keep': '0000000000000000',
      'io.layertop.kept-by': GONE_OWNER,
    });
    expect(await helperContainers('overlay2')).toEqual([stale.slice(0, 12)]);
    expect((await layertop(['scan', '--json'], { engine: 'overlay2' })).code).toBe(0);
    expect(await helperContainers('overlay2')).toEqual([]);
  });

  it('goes once idle after its run was killed with SIGKILL mid-scan (the loops see their input end)', async () => {
    const child = spawn(process.execPath, [BIN, 'scan', '--json', '--no-cache', '--keep-helper', '3'], {
      env: { ...process.env, DOCKER_HOST: engineHost('overlay2'), ...freshCache() },
      stdio: ['ignore', 'ignore', 'ignore'],
    });
    const exited = new Promise((res) => child.on('close', res));
    // Killed once a request loop runs in it (an exec: the keeper alone has none).
    const looping = await waitFor(
      async () => {
        const ids = await kept();
        if (!ids.length) return false;
        // The loops the keeper knows (an exec of ls is none of them: it does not register).
        const lanes = await docker('overlay2', ['exec', ids[0] ?? '', 'ls', '/tmp/lt-keep/lanes']).catch(
          () => '',
        );
        return lanes.split('\n').some((l) => /^\d+$/.test(l));
      },
      20_000,
      20,
    );
    child.kill('SIGKILL');
    await exited;
    expect(looping).toBe(true);
    // Within its idle time (3 s) of the loops' end, or 30 s if the keeper never saw a loop alive
    // (it looks once a second: one that lived less is missed, and a keeper waits 30 s for its first).
    expect(await waitFor(async () => (await helperContainers('overlay2')).length === 0, 60_000, 250)).toBe(
      true,
    );
  });

  it('takes whole seconds only: anything else is a usage error (exit 2), before any engine is asked', async () => {
    const r = await layertop(['scan', '--keep-helper', '1e3']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('layertop: --keep-helper (LAYERTOP_KEEP_HELPER) takes whole seconds, 0 to 86400\n');
    const env = await layertop(['scan'], { env: { LAYERTOP_KEEP_HELPER: '-5' } });
    expect(env.code).toBe(2);
    expect(env.stderr).toBe(r.stderr);
  });
});
