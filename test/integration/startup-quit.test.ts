// Quitting at any moment of start-up leaves no helper container behind: not running, not even in
// "Created" (a close() while the engine was still creating it once left one until the next run).
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN, docker, engineHost, helperContainers, waitFor } from '../support/engines.js';
import { Tmux } from '../support/tmux.js';

const DELAYS_MS = [60, 150, 250, 350, 500, 700, 1000];

/** Every container the helper label names, with its state, for a clear failure message. */
async function leftovers(): Promise<string> {
  return (
    await docker('overlay2', [
      'ps',
      '-a',
      '--filter',
      'label=io.layertop.helper',
      '--format',
      '{{.Names}} {{.State}}',
    ])
  ).trim();
}

describe('quitting during start-up', () => {
  it.each(DELAYS_MS)('`scan` interrupted with Ctrl-C after %d ms leaves no helper', async (delay) => {
    const child = spawn(process.execPath, [BIN, 'scan', '--json', '--no-cache'], {
      env: {
        ...process.env,
        DOCKER_HOST: engineHost('overlay2'),
        LAYERTOP_CACHE_DIR: mkdtempSync(join(tmpdir(), 'lt-cache-')),
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    const exited = new Promise<number | string | null>((res) =>
      child.on('close', (code, signal) => res(code ?? signal)),
    );
    await new Promise((r) => setTimeout(r, delay));
    child.kill('SIGINT');
    const code = await exited;
    // 130 when the signal landed, 0 when the scan was already done; killed by the signal itself
    // when it came before Node had even set up its handlers (nothing was created yet then).
    expect([0, 130, 'SIGINT']).toContain(code);
    // Removed by layertop itself before it exited: nothing to wait for.
    expect(await leftovers()).toBe('');
  });

  it.each([
    ['q', 300],
    ['q', 700],
    ['C-c', 250],
    ['C-c', 500],
  ] as const)('the explorer quit with %s after %d ms leaves no helper', async (key, delay) => {
    const cache = mkdtempSync(join(tmpdir(), 'lt-cache-'));
    const t = await Tmux.start(
      `lt-startup-${key}-${delay}`,
      // The pane's shell traps SIGINT (a handler, which its child does not inherit, unlike an
      // ignored signal): a C-c that lands before Node has its handlers kills layertop, as it
      // should, but not the shell, whose pane would end and take the test's tmux server with it.
      // Seen in CI under load (2026-12-06): "no server running". The last command is exec'd, so
      // that the pane shows `sleep` (dash does that itself only where no trap is set).
      `sh -c 'trap : INT; env DOCKER_HOST=${engineHost('overlay2')} LAYERTOP_CACHE_DIR=${cache} ${process.execPath} ${BIN}; exec sleep 30'`,
      120,
      30,
    );
    try {
      await new Promise((r) => setTimeout(r, delay));
      await t.keys(key);
      // The pane's command goes on to `sleep` once layertop has exited (its cleanup done).
      expect(
        await waitFor(async () => (await t.display('#{pane_current_command}')) === 'sleep', 10_000),
      ).toBe(true);
      expect(await leftovers()).toBe('');
      expect(await helperContainers('overlay2')).toEqual([]);
    } finally {
      await t.kill();
    }
  });
});
