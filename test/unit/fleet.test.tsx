// Several engines: the command line's targets, the Prometheus text, and the fleet view's rows.
import { render } from 'ink-testing-library';
import { describe, expect, it } from 'vitest';
import { parseCli } from '../../source/cli/args.js';
import { labelValue, prometheusText } from '../../source/cli/prometheus.js';
import { eachLimited, fleetTargets } from '../../source/engine/fleet.js';
import { FleetView } from '../../source/tui/fleet/FleetView.js';
import { acrossEngines, fleetRows } from '../../source/tui/fleet/fleet-rows.js';
import { makeModel, sampleModel } from '../support/model.js';

const tick = (ms = 30) => new Promise((r) => setTimeout(r, ms));

describe('fleet targets on the command line', () => {
  it('takes repeated -H, repeated -c and comma lists, in order, each once', () => {
    const a = parseCli(['scan', '-c', 'prod,ci', '-c', 'edge', '-H', 'ssh://me@box']);
    expect(a.fleet).toEqual([
      { host: 'ssh://me@box' },
      { context: 'prod' },
      { context: 'ci' },
      { context: 'edge' },
    ]);
    expect(a.host).toBeUndefined();
    expect(fleetTargets([...a.fleet, { context: 'ci' }], false)).toHaveLength(4);
    expect(parseCli(['scan', '--context', 'all']).allContexts).toBe(true);
    expect(
      parseCli(['scan', '-H', 'unix:///a.sock', '-H', 'unix:///b.sock', '--parallel', '2']).parallel,
    ).toBe(2);
  });

  it('keeps one engine as before, and refuses what a fleet cannot do', () => {
    expect(parseCli(['scan', '-c', 'prod']).fleet).toEqual([]);
    // One -H with one --context is refused as the docker CLI refuses it; more make a fleet.
    expect(() => parseCli(['scan', '-H', 'x', '-c', 'y'])).toThrow(/conflicting options/);
    expect(parseCli(['scan', '-H', 'x', '-c', 'y,z']).fleet).toHaveLength(3);
    expect(() => parseCli(['cat', 'img', '/etc/os-release', '-c', 'a,b'])).toThrow(
      /several engines work with/,
    );
    expect(() => parseCli(['prune', '-c', 'a,b', '--yes'])).toThrow(/previews \(--dry-run\) or applies/);
    expect(() => parseCli(['scan', '--format', 'xml'])).toThrow(/table, json or prometheus/);
  });

  it('runs at most N engines at once, results in order', async () => {
    let running = 0;
    let most = 0;
    const out = await eachLimited([5, 1, 3, 2, 4], 2, async (n) => {
      running++;
      most = Math.max(most, running);
      await new Promise((r) => setTimeout(r, n * 5));
      running--;
      return n * 10;
    });
    expect(out).toEqual([50, 10, 30, 20, 40]);
    expect(most).toBe(2);
  });
});

describe('scan --format prometheus', () => {
  it('writes HELP and TYPE once per metric, a sample per engine, labels escaped', () => {
    const text = prometheusText([
      {
        context: 'prod "eu"',
        host: 'ssh://me@box\\1',
        ok: true,
        durationSeconds: 1.23456,
        ledger: {
          dataRoot: '/var/lib/docker',
          totalBytes: 1000,
          categories: [
            { key: 'images', label: 'Images', bytes: 600, items: [] },
            { key: 'buildCache', label: 'Build cache', bytes: 300, items: [] },
          ],
          unexplainedBytes: 100,
          unexplained: [],
        } as never,
        reclaimableBytes: 700,
        dockerReclaimableBytes: 50,
        images: 3,
        layers: 5,
        containers: 1,
        buildCacheRecords: 2,
      },
      { context: 'down', host: 'unix:///nobody.sock', ok: false, durationSeconds: 0.01 },
    ]);
    const lines = text.trim().split('\n');
    expect(lines.filter((l) => l === '# TYPE layertop_scan_success gauge')).toHaveLength(1);
    expect(lines).toContain('layertop_scan_success{context="prod \\"eu\\"",host="ssh://me@box\\\\1"} 1');
    expect(lines).toContain('layertop_scan_success{context="down",host="unix:///nobody.sock"} 0');
    expect(lines).toContain(
      'layertop_data_root_category_bytes{context="prod \\"eu\\"",host="ssh://me@box\\\\1",category="unexplained"} 100',
    );
    expect(lines).toContain(
      'layertop_reclaimable_bytes{context="prod \\"eu\\"",host="ssh://me@box\\\\1",rule="prune_all"} 700',
    );
    expect(lines.filter((l) => l.startsWith('layertop_images{'))).toHaveLength(1);
    expect(lines).toContain('layertop_scan_duration_seconds{context="down",host="unix:///nobody.sock"} 0.01');
    expect(labelValue('a\nb')).toBe('a\\nb');
  });
});

describe('the fleet view', () => {
  const lone = () =>
    makeModel([
      {
        id: 'ccc1',
        tags: ['tools/lone:1'],
        layers: [{ id: 'l0', size: 7_000, disk: 8_192, cmd: 'ADD lone /' }],
      },
    ]);

  it('shows each engine with its totals, the layers it shares, an engine that failed with why; Enter opens a scanned one', async () => {
    const engines = [
      { label: 'prod', host: 'ssh://me@prod', phase: 'ready' as const, model: sampleModel() },
      { label: 'ci', host: 'unix:///ci.sock', phase: 'ready' as const, model: lone() },
      {
        label: 'gone',
        host: 'unix:///gone.sock',
        phase: 'error' as const,
        error: 'cannot connect: no such socket',
      },
    ];
    const across = acrossEngines([engines[0]?.model, engines[1]?.model].filter((m) => m !== undefined));
    const rows = fleetRows(engines, across);
    // The lone layer is on both engines; prod has 5 layers, ci 1.
    expect(rows.map((r) => [r.label, r.images, r.layers, r.sharedLayers])).toEqual([
      ['prod', 3, 5, 1],
      ['ci', 1, 1, 1],
      ['gone', null, null, 0],
    ]);
    const opened: number[] = [];
    const { lastFrame, stdin } = render(
      <FleetView
        engines={engines}
        across={across}
        onOpen={(i) => opened.push(i)}
        onRescan={() => {}}
        onQuit={() => {}}
        size={{ columns: 120, rows: 20 }}
      />,
    );
    expect(lastFrame()).toMatch(/layertop fleet: 3 engines, 2 scanned, 1 failed/);
    expect(lastFrame()).toMatch(/prod\s+ready\s+3\s+5\s+\S+\s+\S+\s+1\s+ssh:\/\/me@prod/);
    expect(lastFrame()).toMatch(/gone\s+error\s+…\s+…/);
    expect(lastFrame()).toMatch(/1 layers are on several engines \(16\.4kB across them\)/);
    stdin.write('j');
    await tick();
    stdin.write('\r');
    await tick();
    stdin.write('j');
    await tick();
    expect(lastFrame()).toContain('error: cannot connect: no such socket');
    stdin.write('\r');
    await tick();
    expect(opened).toEqual([1]);
    // Keys read in one chunk act in turn: "k" then Enter opens the row "k" reached (ci), and
    // "kk\r" the first (prod).
    stdin.write('k\r');
    await tick();
    expect(opened).toEqual([1, 1]);
    stdin.write('kk\r');
    await tick();
    expect(opened).toEqual([1, 1, 0]);
  });

  it('keeps the end of a long engine name, where two hosts differ', () => {
    const engines = ['overlay2', 'containerd'].map((k) => ({
      label: `unix:///tmp/lt-trial/${k}/docker.sock`,
      host: `unix:///tmp/lt-trial/${k}/docker.sock`,
      phase: 'ready' as const,
      model: lone(),
    }));
    const { lastFrame } = render(
      <FleetView
        engines={engines}
        across={acrossEngines(engines.map((e) => e.model))}
        onOpen={() => {}}
        onRescan={() => {}}
        onQuit={() => {}}
        size={{ columns: 80, rows: 20 }}
      />,
    );
    const cells = (lastFrame() ?? '')
      .split('\n')
      .filter((l) => l.includes('ready'))
      .map((l) => l.slice(0, 18));
    expect(cells).toEqual(['…rlay2/docker.sock', '…inerd/docker.sock']);
  });
});
