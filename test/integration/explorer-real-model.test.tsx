// The explorer's rows, sizes and markers for a model built from a real scan of the overlay2 engine.
import { render } from 'ink-testing-library';
import { describe, expect, it } from 'vitest';
import { getInfo } from '../../source/engine/docker/inventory.js';
import { HelperSession } from '../../source/engine/helper/helper-session.js';
import { scanEngine } from '../../source/engine/scan.js';
import { Explorer } from '../../source/tui/explorer/Explorer.js';
import { size } from '../../source/tui/format.js';
import { client } from '../support/engines.js';
import { readyData } from '../support/model.js';

describe('Explorer on a real scan (overlay2 engine)', () => {
  it('shows every fixture image where its top layer is, with Docker bytes, disk bytes and sharing', async () => {
    const c = await client('overlay2');
    const info = await getInfo(c);
    const helper = await HelperSession.start(c, { dataRoot: info.DockerRootDir });
    const model = await scanEngine(c, { helper, info }).finally(() => helper.close());
    const data = readyData(model);
    const { lastFrame } = render(
      <Explorer data={data} onQuit={() => {}} size={{ columns: 130, rows: 60 }} />,
    );
    const lines = (lastFrame() ?? '').split('\n');
    const base = lines.find((l) => l.includes('Imported from -') && / S×\d+/.test(l));
    const root = model.graph.layers.get(
      model.graph.roots.find((r) => (model.graph.layers.get(r)?.images.length ?? 0) > 1) ?? '',
    );
    // The debootstrap base is about 199MB (its exact size follows Debian's current packages):
    // the row shows the model's own figures for it.
    expect(root?.size).toBeGreaterThan(150_000_000);
    const esc = (t: string) => t.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    expect(base).toMatch(
      new RegExp(`\\s${esc(size(root?.size))}\\s+${esc(size(root?.diskBytes))} S×${root?.images.length}`),
    );
    // The 50,000-file layer: 50kB to Docker, about 206MB on disk, unique.
    expect(lines.find((l) => l.includes('RUN mkdir -p /many'))).toMatch(/50kB\s+20\dMB U/);
    for (const tag of [
      'layertop-test/app-b:latest',
      'layertop-test/overwrite:latest',
      'layertop-test/edge:latest',
    ]) {
      expect(lines.some((l) => l.includes(`▣ ${tag}`))).toBe(true);
    }
    expect(lines.find((l) => l.includes('◆ lt-running (running)'))).toMatch(/3MB\s+3(\.\d+)?MB RW/);
    expect(lines.find((l) => l.includes('◆ lt-stopped (exited)'))).toMatch(/2MB\s+2(\.\d+)?MB RW/);
  });
});
