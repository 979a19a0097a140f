import { render } from 'ink-testing-library';
import { describe, expect, it } from 'vitest';
import { readyData, sampleModel } from '../../../test/support/model.js';
import { tick, until } from '../../../test/support/wait.js';
import type { FilesTarget, ListedLayers } from '../../engine/files.js';
import { applyLayer, type LayerEntry, type MergedEntry } from '../../model/overlay.js';
import { Explorer } from './Explorer.js';

const f = (path: string, size: number, extra: Partial<LayerEntry> = {}): LayerEntry => ({
  path,
  type: 'file',
  size,
  ...extra,
});
const d = (path: string, extra: Partial<LayerEntry> = {}): LayerEntry => ({
  path,
  type: 'dir',
  size: 0,
  ...extra,
});

// Three layers: a base, an app layer, and one that edits a config, deletes a file, replaces a dir.
const layers: LayerEntry[][] = [
  [
    d('etc'),
    f('etc/app.conf', 12),
    f('etc/gone', 5),
    d('opt'),
    f('opt/old', 4),
    f('bin\x1b[31mevil\nname', 3),
  ],
  [d('app'), f('app/big.bin', 300_000), f('app/main', 2000)],
  [
    d('etc'),
    f('etc/app.conf', 16),
    { path: 'etc/gone', type: 'whiteout', size: 0 },
    d('opt', { opaque: true }),
    f('opt/new', 9),
    d('app'),
    f('app/big.bin', 100_000),
  ],
];
const files: Record<string, string> = {
  '/l0/etc/app.conf': 'port = 80\nhost = a\n',
  '/l2/etc/app.conf': 'port = 8080\nhost = a\n',
};

function listed(upTo: number): ListedLayers {
  const merged = new Map<string, MergedEntry>();
  const ls = layers.slice(0, upTo + 1);
  for (const [k, l] of ls.entries()) applyLayer(merged, l, k);
  return { layers: ls, merged, opaqueKnown: true };
}

// app-a's own chain: the explorer knows its layers by these IDs.
const chain = sampleModel().graph.imageChains.get(`sha256:${'aaa1'.padEnd(64, '0')}`) ?? [];
const target: FilesTarget = {
  kind: 'image',
  id: 'sha256:aaa1',
  name: 'shop/app-a:latest',
  layers: [0, 1, 2].map((i) => ({ id: chain[i] ?? `l${i}`, label: `RUN step ${i}`, dir: `/l${i}` })),
};

function app(size = { columns: 120, rows: 30 }) {
  const data = readyData(sampleModel(), {
    filesTarget: async () => target,
    listNames: async () => layers[2]?.map((e) => `./${e.path}`) ?? [],
    listFiles: async (_t, upTo) => listed(upTo),
    readHead: async (path) => (files[path] !== undefined ? Buffer.from(files[path] as string) : undefined),
  });
  return render(<Explorer data={data} onQuit={() => {}} size={size} />);
}

/** Lands on app-a by search and opens its files: the top layer's diff. */
async function openPane(size?: { columns: number; rows: number }) {
  const r = app(size);
  r.stdin.write('/');
  await tick();
  r.stdin.write('appa');
  await tick();
  r.stdin.write('\r');
  await tick();
  r.stdin.write('f');
  await until(() => (r.lastFrame() ?? '').includes('7 entries'));
  return r;
}

describe('the files pane (f)', () => {
  it("shows a layer's diff as a tree with A/M/D/O, per-directory totals and the wasted bytes", async () => {
    const { lastFrame, stdin } = await openPane();
    let s = lastFrame() ?? '';
    expect(s).toContain('shop/app-a:latest, shop/app-a:v2 · layer 2/2 · diff RUN step 2');
    // app/big.bin (300 kB) is replaced, etc/gone (5 B) deleted, opt/old (4 B) hidden by an opaque dir.
    expect(s).toMatch(/wasted here 0 B \(layers 0\.\.2: 300 kB\)/);
    expect(s).toMatch(/M\s+▸ app\/\s+100 kB/);
    expect(s).toMatch(/O\s+▸ opt\/\s+9 B/);
    stdin.write('F'); // filter: added
    await tick();
    stdin.write('F'); // modified
    await tick();
    stdin.write('F'); // deleted
    await tick();
    s = lastFrame() ?? '';
    expect(s).toMatch(/F filter: deleted/);
    expect(s).toMatch(/M\s+▸ etc\//);
    expect(s).not.toContain('app/');
    stdin.write('l'); // expand etc
    await tick();
    expect(lastFrame()).toMatch(/D\s+gone/);
  });

  it('toggles the merged view (m): every path with the layer it comes from; escapes hostile names', async () => {
    const { lastFrame, stdin } = await openPane();
    stdin.write('m');
    await tick();
    const s = lastFrame() ?? '';
    expect(s).toMatch(/L0\s+bin\\e\[31mevil\\nname/);
    // A directory comes from the topmost layer that has it; its files from where they are.
    expect(s).toMatch(/L2\s+▸ app\//);
    expect(s).toMatch(/L2\s+▸ opt\//);
    expect(s).not.toContain('\x1b[31mevil');
  });

  it('previews a modified text file as a unified diff against the version below', async () => {
    const { lastFrame, stdin } = await openPane();
    stdin.write('s'); // sort by name: app, etc, opt
    await tick();
    stdin.write('j'); // etc
    await tick();
    stdin.write('l');
    await tick();
    stdin.write('j'); // etc/app.conf
    await tick();
    stdin.write('\r');
    await until(() => (lastFrame() ?? '').includes('@@'));
    const s = lastFrame() ?? '';
    expect(s).toContain('/etc/app.conf (file, 16 bytes)');
    expect(s).toMatch(/-port = 80\s/);
    expect(s).toMatch(/\+port = 8080/);
    expect(s).toMatch(/ host = a/);
  });

  it("shows each layer's wasted bytes in the explorer's details once the image was listed", async () => {
    const { lastFrame, stdin } = await openPane({ columns: 160, rows: 30 });
    stdin.write('\u001b');
    await until(() => (lastFrame() ?? '').includes('LAYER'));
    // The cursor is on app-a's row; the base layer is the first row.
    stdin.write('g');
    await tick();
    // The base's app.conf (12 B) is replaced, etc/gone (5 B) deleted, opt/old (4 B) hidden by an opaque dir.
    expect(lastFrame()).toMatch(/wasted\s+21 B \(files later layers of shop\/app-a:latest/);
  });
});
