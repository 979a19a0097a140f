import { render } from 'ink-testing-library';
import { describe, expect, it } from 'vitest';
import { makeModel, readyData, SAMPLE_IMAGES, sampleModel } from '../../../test/support/model.js';
import { tick, until } from '../../../test/support/wait.js';
import { FileReadError } from '../../engine/file-read.js';
import type { FilesTarget, ListedLayers } from '../../engine/files.js';
import { shortId } from '../../model/digest.js';
import { applyLayer, type LayerEntry, type MergedEntry } from '../../model/overlay.js';
import { Explorer } from '../explorer/Explorer.js';
import { PANES } from '../key-bindings.js';
import { layerPlace } from './FilesPanel.js';

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
    f('etc/app.conf', 12, { mode: 0o644, uid: 0, gid: 0, mtime: 1_700_000_000 }),
    f('etc/gone', 5),
    d('opt'),
    f('opt/old', 4),
    f('bin\x1b[31mevil\nname', 3),
  ],
  [d('app'), f('app/big.bin', 300_000), f('app/main', 2000)],
  [
    d('etc'),
    // Edited, made private and given to the app's user: the pane says what changed beside the bytes.
    f('etc/app.conf', 16, { mode: 0o600, uid: 1000, gid: 1000, mtime: 1_764_547_200 }),
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
  id: `sha256:${'aaa1'.padEnd(64, '0')}`,
  name: 'shop/app-a:latest',
  layers: [0, 1, 2].map((i) => ({ id: chain[i] ?? `l${i}`, label: `RUN step ${i}`, dir: `/l${i}` })),
};

function app(
  size = { columns: 120, rows: 30 },
  listing: Promise<void> = Promise.resolve(),
  withBlocks = false,
) {
  const data = readyData(sampleModel(), {
    filesTarget: async () => target,
    // As engine/helper/layer-list.ts's listNames gives them: relative, without "./".
    listNames: async () => layers[2]?.map((e) => e.path) ?? [],
    listFiles: async (_t, upTo) => {
      await listing;
      const l = listed(upTo);
      if (!withBlocks) return l;
      // Allocated blocks as ext4 gives them: whole 4kB blocks, a directory one block, a whiteout none.
      const blocks = (e: LayerEntry) =>
        e.type === 'whiteout' ? 0 : e.type === 'dir' ? 8 : Math.ceil(e.size / 4096) * 8;
      return { ...l, layers: l.layers.map((es) => es.map((e) => ({ ...e, blocks: blocks(e) }))) };
    },
    readFile: async (src) => {
      const text = files[`${src.root}/${src.path}`];
      if (text === undefined) throw new FileReadError('missing', 'no such file in the layer');
      return { identity: '1 1', size: text.length, bytes: Buffer.from(text) };
    },
  });
  return render(<Explorer data={data} onQuit={() => {}} size={size} />);
}

/** Lands on app-a by search and opens its files: the top layer's diff. */
async function openPane(size?: { columns: number; rows: number }) {
  const r = app(size);
  await openFilesOfAppA(r);
  await until(() => (r.lastFrame() ?? '').includes('7 entries'));
  return r;
}

async function openFilesOfAppA(r: ReturnType<typeof app>) {
  r.stdin.write('/');
  await tick();
  r.stdin.write('appa');
  await tick();
  r.stdin.write('\r');
  await tick();
  r.stdin.write('f');
}

describe('the files pane on a terminal of 8 rows or fewer', () => {
  it('keeps its key line and a row, each on a line of its own, dropping the stats and then the title', async () => {
    // 9 rows for contrast: the last height with everything.
    for (const rows of [9, 8, 7, 6]) {
      const r = app({ columns: 60, rows });
      await openFilesOfAppA(r);
      await until(() => (r.lastFrame() ?? '').includes('Esc close'));
      // A row shows where there is room for one (7 and 8 rows; at 6 only the key line fits).
      if (rows > 6) await until(() => /▸ app\//.test(r.lastFrame() ?? ''));
      const lines = (r.lastFrame() ?? '').split('\n');
      // The stats go first (below 9 rows), then the title (below 8).
      expect({ rows, stats: lines.some((l) => l.startsWith('│ 7 entries · ')) }).toEqual({
        rows,
        stats: rows >= 9,
      });
      expect({ rows, title: lines.some((l) => l.includes(' · layer 2 (top)')) }).toEqual({
        rows,
        title: rows >= 8,
      });
      const keys = lines.filter((l) => l.includes('Esc close'));
      // One key line inside the border, drawn over nothing (it was drawn over a size column).
      expect(keys.filter((l) => l.startsWith('│'))).toHaveLength(1);
      expect(keys.find((l) => l.startsWith('│'))).toMatch(/^│ \? help .*Esc close\s*│$/);
      // The border closes on a line of its own.
      expect(lines.find((l) => l.startsWith('╰'))).toMatch(/^╰─+╯$/);
      r.unmount();
    }
  });
});

describe('the files pane (f)', () => {
  it('names a layer opened from the tree first, and the tagged image it is listed through', async () => {
    const r = app();
    await until(() => (r.lastFrame() ?? '').includes('LAYER'));
    // The first row is the base layer every image shares.
    r.stdin.write('f');
    await until(() => (r.lastFrame() ?? '').includes(' · layer '));
    expect(r.lastFrame()).toMatch(new RegExp(`layer ${shortId(chain[0] ?? '')} in shop/app-\\w:latest`));
  });

  it('takes f read in one chunk after moves ("jjf") as f on the row the moves reached', async () => {
    const r = app();
    await until(() => (r.lastFrame() ?? '').includes('LAYER'));
    // base, common, then app-a's own layer.
    r.stdin.write('jjf');
    await until(() => (r.lastFrame() ?? '').includes(' · layer '));
    expect(r.lastFrame()).toMatch(new RegExp(`layer ${shortId(chain[2] ?? '')} in shop/app-a:latest`));
  });

  it('takes a collapse, a move and f read in one chunk ("hjf") as the moves over the rows the collapse left', async () => {
    const r = app();
    await until(() => (r.lastFrame() ?? '').includes('LAYER'));
    // h folds the base layer (and everything on it): j then reaches the next base, tools/lone's.
    r.stdin.write('hjf');
    await until(() => (r.lastFrame() ?? '').includes(' · layer '));
    expect(r.lastFrame()).toMatch(/layer \w{12} in tools\/lone:1/);
  });

  it("shows a layer's diff as a tree with A/M/D/O, per-directory totals and the wasted bytes", async () => {
    const { lastFrame, stdin } = await openPane();
    let s = lastFrame() ?? '';
    expect(s).toContain('shop/app-a:latest, shop/app-a:v2 · diff · layer 2 (top) RUN step 2');
    // app/big.bin (300kB) is replaced, etc/gone (5B) deleted, opt/old (4B) hidden by an opaque dir.
    // The top layer hides nothing of its own; the image wastes 300kB.
    expect(s).toMatch(/wasted here 0B \(image: 300kB\)/);
    expect(s).toMatch(/M\s+▸ app\/\s+100kB/);
    expect(s).toMatch(/O\s+▸ opt\/\s+9B/);
    stdin.write('D'); // only deletions
    await tick();
    s = lastFrame() ?? '';
    expect(s).toMatch(/showing deleted \(F all\)/);
    expect(s).toMatch(/M\s+▸ etc\//);
    expect(s).not.toContain('app/');
    expect(s).not.toContain('opt/');
    stdin.write('O'); // and opaque directories: the two combine
    await tick();
    s = lastFrame() ?? '';
    expect(s).toMatch(/showing deleted\+opaque \(F all\)/);
    expect(s).toMatch(/O\s+▸ opt\//);
    expect(s).not.toContain('app/');
    stdin.write('O'); // off again
    await tick();
    expect(lastFrame()).not.toContain('opt/');
    stdin.write('l'); // expand etc
    await tick();
    // A deletion shows what it deletes from below (etc/gone: 5B in layer 0).
    expect(lastFrame()).toMatch(/D\s+gone\s+−5B/);
  });

  it("opens help with ? over the files pane: that pane's keys from the table and the symbols; Esc goes back", async () => {
    const { lastFrame, stdin } = await openPane({ columns: 160, rows: 45 });
    stdin.write('?');
    await tick();
    const s = lastFrame() ?? '';
    expect(s).toContain('layertop keys: files');
    for (const b of PANES.files.bindings) expect(s).toContain(b.keys.join(' / '));
    expect(s).toMatch(/\[\s+the layer below/);
    expect(s).toMatch(/A M D O\s+added, modified, deleted, opaque/);
    expect(s).not.toContain('fuzzy search: images, tags');
    stdin.write('\u001b');
    await tick(60);
    expect(lastFrame()).toContain('shop/app-a:latest, shop/app-a:v2 · diff · layer 2 (top) RUN step 2');
  });

  it('takes q closing the pane and the tree search typed right after, before any frame, as such', async () => {
    // Before the handler read the pane's latest state, "/" and the query went to the closed pane.
    const { lastFrame, stdin } = await openPane();
    stdin.write('q');
    stdin.write('/');
    stdin.write('a');
    stdin.write('p');
    stdin.write('b');
    await tick();
    expect(lastFrame()).toMatch(/\/apb .*1 match/);
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
    // The base's app.conf (12B) is replaced, etc/gone (5B) deleted, opt/old (4B) hidden by an opaque dir.
    expect(lastFrame()).toMatch(/wasted\s+21B \(files later layers of shop\/app-a:latest/);
  });
});

describe('the files pane at 80 columns', () => {
  it('keeps "? help" and "Esc close" in its key line', async () => {
    const { lastFrame } = await openPane({ columns: 80, rows: 24 });
    const keysLine = (lastFrame() ?? '').split('\n').find((l) => l.includes('Enter open/preview')) ?? '';
    expect(keysLine).toMatch(/\? help {2}Enter open\/preview.* {2}Esc close/);
    expect(keysLine).not.toContain('…');
  });
});

describe('the files pane while the layer is listed', () => {
  it('shows the names whole at once, with sizes coming ("…"), never 0B', async () => {
    let done = () => {};
    const r = app({ columns: 120, rows: 30 }, new Promise<void>((res) => (done = res)));
    await openFilesOfAppA(r);
    await until(() => (r.lastFrame() ?? '').includes('names · sizes coming'));
    const s = r.lastFrame() ?? '';
    expect(s).toMatch(/ etc\/\s+…/);
    expect(s).toMatch(/ app\/\s+…/);
    expect(s).not.toMatch(/ (c|t)\/\s/); // "etc" cut to "c" (the names were cut twice)
    expect(s).not.toMatch(/\s0B/);
    done();
    await until(() => (r.lastFrame() ?? '').includes('7 entries'));
  });
});

describe('the files pane: mode, owner and time (i)', () => {
  it('says what a copy-up changed in mode and owner, and shows mode, owner and time with i', async () => {
    const { lastFrame, stdin } = await openPane({ columns: 140, rows: 30 });
    stdin.write('/');
    await tick();
    stdin.write('app.conf');
    await tick();
    stdin.write('\r');
    await until(() => (lastFrame() ?? '').includes('app.conf'));
    const row = () => (lastFrame() ?? '').split('\n').find((l) => l.includes('app.conf')) ?? '';
    expect(row()).toMatch(/M\s+app\.conf \(mode 644→600, owner 0:0→1000:1000\)\s+16B/);
    stdin.write('i');
    await tick();
    expect(row()).toMatch(/app\.conf .*-rw------- 1000:1000\s+2025-12-01 00:00\s+16B/);
    expect(lastFrame()).toMatch(/i sizes only/);
    stdin.write('i');
    await tick();
    expect(row()).not.toContain('-rw-------');
  });
});

describe('the files pane: largest files (L)', () => {
  it('lists every file of the layer by its whole path, largest first, and goes back to the tree', async () => {
    const { lastFrame, stdin } = await openPane();
    stdin.write('L');
    await tick();
    const s = lastFrame() ?? '';
    expect(s).toMatch(/largest first · 7 entries/);
    const order = ['app/big.bin', 'etc/app.conf', 'opt/new', 'etc/gone'].map((p) => s.indexOf(` ${p}`));
    expect(order.every((i) => i > 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    expect(s).toMatch(/M\s+app\/big\.bin\s+100kB/);
    expect(s).not.toMatch(/▸ app\//);
    stdin.write('L');
    await tick();
    expect(lastFrame()).toMatch(/M\s+▸ app\/\s+100kB/);
  });
});

describe('the files pane with allocated blocks', () => {
  it("shows a DISK column beside the size, per file and per directory, and the layer's disk bytes", async () => {
    const r = app({ columns: 120, rows: 30 }, Promise.resolve(), true);
    await openFilesOfAppA(r);
    await until(() => (r.lastFrame() ?? '').includes('7 entries'));
    const s = r.lastFrame() ?? '';
    // app/ in layer 2: the directory (4kB) and big.bin (100kB: 25 blocks of 4kB).
    expect(s).toMatch(/M\s+▸ app\/\s+100kB\s+106kB/);
    // Every entry's blocks: 3 directories and app.conf and opt/new (4kB each), big.bin (102kB).
    expect(s).toContain('7 entries · 100kB (123kB on disk)');
  });
});

describe('the files pane: wasted bytes per layer', () => {
  it('gives each layer what the layers above it hide of it (layer 1 lost big.bin to layer 2)', async () => {
    const { lastFrame, stdin } = await openPane();
    stdin.write('[');
    await until(() => (lastFrame() ?? '').includes('layer 1 of 0-2'));
    expect(lastFrame()).toMatch(/wasted here 300kB \(image: 300kB\)/);
    stdin.write('[');
    await until(() => (lastFrame() ?? '').includes('layer 0 (bottom)'));
    // etc/app.conf (12B, replaced), etc/gone (5B, deleted), opt/old (4B, under an opaque dir).
    expect(lastFrame()).toMatch(/wasted here 21B \(image: 300kB\)/);
  });
});

describe('wasted bytes learnt in the files pane, in the details', () => {
  it('name the image they were counted in only while it still has the layer', async () => {
    const r = await openPane({ columns: 160, rows: 30 });
    r.stdin.write('\u001b');
    await until(() => (r.lastFrame() ?? '').includes('LAYER'));
    r.stdin.write('g'); // the base layer
    await tick();
    expect((r.lastFrame() ?? '').replace(/\s+/g, ' ')).toMatch(
      /wasted 21B \(files later layers of shop\/app-a/,
    );
    // app-a is removed (a prune elsewhere): the next scan has no app-a.
    const without = makeModel(SAMPLE_IMAGES.filter((i) => i.id !== 'aaa1'));
    r.rerender(<Explorer data={readyData(without)} onQuit={() => {}} size={{ columns: 160, rows: 30 }} />);
    await tick();
    const s = (r.lastFrame() ?? '').replace(/\s+/g, ' ');
    expect(s).not.toMatch(/app-a/);
    expect(s).toMatch(/wasted press f to list the files and count it/);
  });
});

describe("the files pane: the image's wasted files (w)", () => {
  it('lists every path with hidden copies, most bytes first, and goes back with w', async () => {
    const { lastFrame, stdin } = await openPane();
    stdin.write('w');
    await until(() => (lastFrame() ?? '').includes('wasted files of the image'));
    let s = lastFrame() ?? '';
    expect(s).toMatch(/4 paths with hidden copies · 300kB wasted/);
    const rows = s.split('\n').filter((l) => /▸ (app|etc|opt)\//.test(l));
    expect(rows.map((l) => /▸ (\w+)\//.exec(l)?.[1])).toEqual(['app', 'etc', 'opt']);
    expect(rows[0]).toMatch(/app\/\s+300kB/);
    stdin.write('l'); // open app/
    await tick();
    expect(lastFrame()).toMatch(/×1\s+big\.bin\s+300kB/);
    stdin.write('w');
    await until(() => (lastFrame() ?? '').includes('diff · layer 2 (top)'));
    s = lastFrame() ?? '';
    expect(s).toMatch(/wasted here 0B \(image: 300kB\)/);
  });
});

describe('the wasted files before the listing is in', () => {
  it("shows nothing under their heading until every layer is listed (not the layer's names), and F leaves them alone", async () => {
    let done = () => {};
    const r = app({ columns: 120, rows: 30 }, new Promise<void>((res) => (done = res)));
    await openFilesOfAppA(r);
    await until(() => (r.lastFrame() ?? '').includes('names · sizes coming'));
    r.stdin.write('w');
    await until(() => (r.lastFrame() ?? '').includes('wasted files of the image'));
    expect(r.lastFrame()).not.toMatch(/▸ (app|etc|opt)\//);
    done();
    await until(() => (r.lastFrame() ?? '').includes('paths with hidden copies'));
    r.stdin.write('F');
    await tick();
    expect(r.lastFrame()).toMatch(/▸ app\/\s+300kB/);
  });
});

describe("the files pane's title", () => {
  it('opening the directory at the foot of a short pane scrolls its entries into view, the directory still on screen', async () => {
    const { lastFrame, stdin } = await openPane({ columns: 120, rows: 10 });
    stdin.write('G');
    await tick();
    expect(lastFrame()).toMatch(/O\s+▸ opt\//);
    expect(lastFrame()).not.toContain('new');
    stdin.write('\r');
    await tick();
    expect(lastFrame()).toMatch(/O\s+▾ opt\//);
    expect(lastFrame()).toMatch(/A\s+new\s+9B/);
  });

  it('says where a layer sits, numbered as files --layer takes it', () => {
    expect([0, 1, 2].map((k) => layerPlace(k, 3))).toEqual([
      'layer 0 (bottom)',
      'layer 1 of 0-2',
      'layer 2 (top)',
    ]);
    expect(layerPlace(0, 1)).toBe('layer 0 (the only one)');
  });
});
