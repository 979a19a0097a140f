import { render } from 'ink-testing-library';
import { describe, expect, it } from 'vitest';
import { readyData, sampleModel } from '../../../test/support/model.js';
import { tick } from '../../../test/support/wait.js';
import { buildScanModel } from '../../model/report.js';
import { Explorer } from '../explorer/Explorer.js';

/** The sample model with a ledger: a chatty container's log, a volume, an orphan layer dir. */
function withLedger() {
  const m = sampleModel();
  const web = m.inputs.containers[0];
  m.inputs.ledger = {
    dataRoot: '/var/lib/docker',
    imageStore: 'graphdriver',
    pieces: [
      {
        path: 'overlay2/ba5e',
        bytes: 110_000_000,
        key: 'images',
        id: 'sha256:ba5e',
        name: 'shop/app-a:latest',
      },
      {
        path: `containers/${web?.id}/${web?.id}-json.log`,
        bytes: 52_000_000,
        key: 'logs',
        id: web?.id,
        name: 'web',
        logDriver: 'json-file',
        logOptions: {},
      },
      { path: 'volumes/data', bytes: 8_000_000, key: 'volumes', name: 'data' },
      { path: `overlay2/${'f'.repeat(64)}`, bytes: 1_000_000 },
      { path: 'network', bytes: 12_288 },
      { path: 'mystery', bytes: 4096 },
    ],
  };
  return buildScanModel(m.inputs);
}

describe('the Disk view (v, v)', () => {
  it('shows every category with its bar and share, opens one, and says how its bytes come back', async () => {
    const r = render(
      <Explorer data={readyData(withLedger())} onQuit={() => {}} size={{ columns: 160, rows: 30 }} />,
    );
    await tick();
    r.stdin.write('v');
    await tick();
    r.stdin.write('v');
    await tick();
    let f = r.lastFrame() ?? '';
    expect(f).toContain('v view: disk');
    // Its own column heads: no layers here, and Docker's SIZE has no meaning for a category.
    expect(f).toMatch(/WHERE THE DATA ROOT GOES\s+DISK SHARE/);
    expect(f).not.toMatch(/LAYER\s+SIZE/);
    // Largest first, ncdu's bar, the bytes and the share of the 171MB data root.
    expect(f).toMatch(/▸ \[###### {4}\] Images \(layers and image metadata\) \(1\)\s+110MB 64%/);
    expect(f).toMatch(/▸ \[### {7}\] Container logs \(1\)\s+52MB 30%/);
    expect(f).toMatch(/▸ \[ {10}\] Leftovers \(nothing references them\) \(1\)\s+1MB 1%/);
    expect(f).toMatch(/Unexplained \(no rule names it\) \(1\)\s+4.1kB/);
    expect(f).toMatch(/data root\s+\/var\/lib\/docker: 171MB, every byte in one category/);
    // To the logs, open them: the item, its driver without a limit, how to cap it.
    r.stdin.write('j');
    await tick();
    r.stdin.write('\r');
    await tick();
    r.stdin.write('j');
    await tick();
    f = r.lastFrame() ?? '';
    expect(f).toMatch(/└─ {2}c0ffffffffff web {2}containers\/c0f+…?\s+52MB/);
    expect(f).toMatch(/path\s+\/var\/lib\/docker\/containers\/c0f+/);
    expect(f).toMatch(/log driver\s+json-file \(no max-size: it grows without limit\)/);
    expect(f).toMatch(/reclaim\s+the file goes with its container/);
    // Space marks the container the log belongs to.
    r.stdin.write(' ');
    await tick();
    expect(r.lastFrame()).toMatch(/1 marked: frees /);
  });

  it('on a category row: Space marks the build cache whole; other categories open, and say their items are marked one by one', async () => {
    const m = withLedger();
    m.inputs.ledger?.pieces.push({ path: 'buildkit', bytes: 2_000_000, key: 'buildCache' });
    m.inputs.buildCache = { records: 4, size: 10_000, diskBytes: 2_000_000, freedDiskBytes: 1_500_000 };
    const r = render(
      <Explorer
        data={readyData(buildScanModel(m.inputs))}
        onQuit={() => {}}
        size={{ columns: 160, rows: 30 }}
      />,
    );
    await tick();
    r.stdin.write('vv');
    await tick();
    // Images, the first row: its details say the bytes come back item by item.
    expect(r.lastFrame()).toMatch(/reclaim\s+item by item \(→ opens them\): remove the images/);
    r.stdin.write(' ');
    await tick();
    expect(r.lastFrame()).toMatch(/a category is not removed whole: Space on its items marks them/);
    expect(r.lastFrame()).not.toMatch(/a layer alone/);
    expect(r.lastFrame()).toMatch(/▾ \[#+ *\] Images/);
    r.stdin.write('h');
    await tick();
    // The build cache's row: marked whole, as its details say.
    const rows = (r.lastFrame() ?? '').split('\n').filter((l) => /^[▸▾] \[/.test(l));
    const at = rows.findIndex((l) => l.includes('Build cache'));
    expect(at).toBeGreaterThan(0);
    r.stdin.write('j'.repeat(at));
    await tick();
    expect(r.lastFrame()).toMatch(/reclaim\s+Space marks the build cache, d removes it/);
    r.stdin.write(' ');
    await tick();
    expect(r.lastFrame()).toMatch(/1 marked: frees 1\.5MB/);
  });

  it('says why it is empty when nothing measured the data root', async () => {
    const r = render(
      <Explorer data={readyData(sampleModel())} onQuit={() => {}} size={{ columns: 120, rows: 30 }} />,
    );
    await tick();
    r.stdin.write('vv');
    await tick();
    expect(r.lastFrame()).toMatch(/The disk view needs this run's own measurements of the data root/);
    r.stdin.write('v');
    await tick();
    expect(r.lastFrame()).toContain('ADD rootfs.tar /');
  });
});
