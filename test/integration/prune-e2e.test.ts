// The cleanup assistant end to end, in a real terminal (tmux 120x34), on a fresh containerd-store
// engine: open the preview, read the total, see a change made meanwhile, confirm, read the report.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { size } from '../../source/tui/format.js';
import { BIN, layertop } from '../support/engines.js';
import { type FreshEngine, freshEngine, objects } from '../support/fresh-engine.js';
import { Tmux } from '../support/tmux.js';

/** A dry run's items as "name disk docker" lines, to tell which figure differs. */
function itemsOf(json: string): string {
  const j = JSON.parse(json) as {
    plan: Record<string, { name: string; diskBytes: number | null; dockerBytes: number }[] | null>;
  };
  return Object.values(j.plan)
    .flatMap((v) => (Array.isArray(v) ? v : v && typeof v === 'object' && 'name' in v ? [v] : []))
    .map((i) => `${i.name} ${i.diskBytes} ${i.dockerBytes}`)
    .join('\n');
}

const tmp = mkdtempSync(join(tmpdir(), 'lt-prune-e2e-'));
let term: Tmux | undefined;
let engine: FreshEngine | undefined;
afterAll(async () => {
  await term?.kill();
  await engine?.stop();
  rmSync(tmp, { recursive: true, force: true });
});

describe('cleanup in the TUI (tmux, fresh containerd engine)', () => {
  it('previews, shows what changed meanwhile, runs only after "yes", reports, and leaves the expected engine', async () => {
    const e = await freshEngine('containerd');
    engine = e;
    const cache = join(tmp, 'cache');
    const dry = await layertop(['prune', '--dry-run', '-a', '--json'], {
      env: { ...e.env, LAYERTOP_CACHE_DIR: cache },
    });
    const predicted = (JSON.parse(dry.stdout) as { predictedFreedBytes: number }).predictedFreedBytes;
    const before = await objects(e);

    term = await Tmux.start(
      'layertop-prune-e2e',
      `env DOCKER_HOST=${e.host} LAYERTOP_CACHE_DIR=${cache} ${process.execPath} ${BIN}; echo "EXIT:$?"; sleep 600`,
      120,
      34,
    );
    await term.waitForText(/helper: ready/, 30_000);
    await term.waitForText(/RUN mkdir -p \/many .*MB/, 30_000);
    // The preview's disk figures are known once the measurement is done (until then they are "?").
    await term.waitForText(/\d+ layers [\d.]+[kMG]?B {2}[\d.]+[kMG]?B on disk/, 60_000);
    await term.keys('p');
    // The preview's total on screen (not just its title: a capture can come between a frame's first
    // and last lines, as in CI run 40): the dry run's figure (the dry run's items and stderr, if not).
    let s = await term.waitForText(/Total: frees \S+ on disk/);
    expect(s, `dry run: ${itemsOf(dry.stdout)}\n${dry.stderr}`).toContain(
      `Total: frees ${size(predicted)} on disk`,
    );
    expect(s).toMatch(/Containers \(2\)/);
    expect(s).toMatch(/lt-stopped \(exited\)/);
    expect(s).toMatch(/image layertop-test\/app-a:latest: used by lt-running \(running\)/);

    // Meanwhile a container starts on an image the preview would remove.
    await e.docker([
      'run',
      '-d',
      '--network=none',
      '--name',
      'late',
      'layertop-test/overwrite:latest',
      'sleep',
      '1000',
    ]);

    // One stray key does nothing; D, "yes" and Enter confirm; layertop checks again first.
    await term.keys('Enter');
    await term.keys('D');
    await term.waitForText(/Type yes and Enter to remove/);
    await term.type('yes');
    await term.keys('Enter');
    s = await term.waitForText(/The engine changed since the preview/, 60_000);
    expect(s).toMatch(/- image layertop-test\/overwrite:latest \(now kept\)/);
    expect(s).toMatch(/Still remove\? Type yes and Enter/);
    expect(await objects(e)).toEqual({ ...before, container: (await objects(e)).container });
    expect((await objects(e)).container).toEqual(expect.arrayContaining(before.container ?? []));

    await term.type('yes');
    await term.keys('Enter');
    s = await term.waitForText(/Cleanup done/, 120_000);
    expect(s).toMatch(/Predicted by layertop\s+\d/);
    expect(s).toMatch(/Reported by Docker\s+\d/);
    expect(s).toMatch(/Measured on disk\s+\d/);
    expect(s).not.toMatch(/failed/);

    // The engine: stopped containers gone, running ones and their images (and the new one) kept.
    // (layertop's own helper still runs while the TUI is open: it is not part of the comparison.)
    const list = async (args: string[]) => (await e.docker(args)).split('\n').filter(Boolean).sort();
    const helpers = await list([
      'ps',
      '-a',
      '--filter',
      'label=io.layertop.helper',
      '--format',
      '{{.Names}}',
    ]);
    const names = (await list(['ps', '-a', '--format', '{{.Names}}'])).filter((n) => !helpers.includes(n));
    expect(names).toEqual(['late', 'lt-running']);
    const tags = (await e.docker(['images', '--format', '{{.Repository}}:{{.Tag}}']))
      .split('\n')
      .filter(Boolean)
      .sort();
    expect(tags).toEqual(['busybox:latest', 'layertop-test/app-a:latest', 'layertop-test/overwrite:latest']);
    expect((await e.docker(['volume', 'ls', '-q'])).split('\n').filter(Boolean).length).toBe(
      before.volume?.length,
    );

    await term.keys('Escape');
    await term.waitForText(/LAYER\s+SIZE\s+DISK/);
    await term.keys('q');
    await term.waitForText(/EXIT:0/);
  });
});
