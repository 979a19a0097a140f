import { render } from 'ink-testing-library';
import { describe, expect, it } from 'vitest';
import { makeModel, readyData, sampleModel } from '../../../test/support/model.js';
import type { BuildCacheRecord } from '../../model/types.js';
import type { EngineData } from '../engine-data.js';
import { BINDINGS } from '../key-bindings.js';
import { Explorer } from './Explorer.js';

const tick = (ms = 30) => new Promise((r) => setTimeout(r, ms));

const data = (model = sampleModel()): EngineData => readyData(model);

function screen(model = sampleModel(), size = { columns: 140, rows: 30 }) {
  let quit = 0;
  const r = render(<Explorer data={data(model)} onQuit={() => quit++} size={size} />);
  return { ...r, quits: () => quit };
}

const lines = (frame: string | undefined) => (frame ?? '').split('\n');

describe('Explorer: leftovers', () => {
  it('shows the leftover directories as a row with their disk bytes and details, never markable', async () => {
    const model = sampleModel();
    model.report.leftovers = {
      directories: [
        `/var/lib/docker/overlay2/${'a'.repeat(64)}`,
        `/var/lib/docker/overlay2/${'a'.repeat(64)}-init`,
      ],
      diskBytes: 1_234_000,
      items: [],
    };
    const { lastFrame, stdin } = screen(model, { columns: 220, rows: 30 });
    const row = lines(lastFrame()).find((l) => l.includes('leftovers'));
    expect(row).toMatch(/leftovers\s+⚠ 2 entries nothing references \(no prune frees them\)\s+1\.23MB/);
    stdin.write('G');
    await tick();
    expect(lastFrame()).toMatch(/disk\s+1\.23MB/);
    expect(lastFrame()).toMatch(/if removed\s+no prune removes them/);
    expect(lastFrame()).toMatch(
      /layer-dir\s+overlay2 layer directory that no layer, container or layer-store/,
    );
    expect(lastFrame()).toMatch(/reclaim\s+no prune frees them; run `layertop leftovers`/);
    stdin.write(' ');
    await tick();
    expect(lastFrame()).not.toMatch(/\d+ marked: frees/);
  });

  it('shows no leftovers row when there are none', () => {
    expect(lastFrameOf(sampleModel())).not.toContain('leftovers');
  });
});

const lastFrameOf = (model: ReturnType<typeof sampleModel>) =>
  screen(model, { columns: 220, rows: 30 }).lastFrame();

describe('Explorer: the layer tree', () => {
  it('shows the shared base once with its sharing marker, images where their top layer is, containers under them', () => {
    const { lastFrame } = screen();
    const f = lines(lastFrame());
    const baseRow = f.find((l) => l.includes('ADD rootfs.tar /'));
    expect(baseRow).toMatch(/▾ ba5e00000000 ADD rootfs\.tar \/\s+100MB\s+110MB S×2/);
    expect(f.filter((l) => / ba5e00000000 ADD rootfs/.test(l))).toHaveLength(1);
    expect(f.find((l) => l.includes('RUN make common'))).toMatch(/2MB\s+2\.1MB S×2/);
    expect(f.find((l) => l.includes('RUN build b'))).toMatch(/500kB\s+520kB U/);
    expect(f.find((l) => l.includes('▣ shop/app-a:latest, shop/app-a:v2'))).toMatch(/103MB\s+113MB C×1/);
    expect(f.find((l) => l.includes('◆ web (running)'))).toMatch(/3MB\s+3\.1MB RW/);
    // Guide lines: common's two branches (├─ then └─), the image under app-a's layer, the container
    // under the image; the base's only child (common) stays in its column with no connector.
    const at = (text: string) => f.find((l) => l.includes(text)) ?? '';
    expect(at('RUN make common')).toMatch(/^▾ ef2deb2a0266/);
    expect(at('RUN build a')).toMatch(/^├─▾ 988a8e6f657a/);
    expect(at('▣ shop/app-a:latest')).toMatch(/^│ └─▾ aaa100000000/);
    expect(at('◆ web (running)')).toMatch(/^│ {3}└─ {2}c0ffffffffff/);
    expect(at('RUN build b')).toMatch(/^└─▾ cab968ca0e45/);
    expect(at('▣ shop/app-b:latest')).toMatch(/^ {2}└─ {2}bbb100000000/);
    // the lone image's base sits at the root too
    expect(f.find((l) => l.includes('ADD lone /'))).toMatch(/7kB\s+8\.19kB U/);
  });

  it('moves the cursor with j and shows the selected layer in the details', async () => {
    const { lastFrame, stdin } = screen(sampleModel(), { columns: 220, rows: 30 });
    stdin.write('j');
    await tick();
    const f = lastFrame() ?? '';
    expect(f).toMatch(/command\s+RUN make common/);
    expect(f).toMatch(/shared\s+yes, by 2 images/);
    expect(f).toMatch(/images\s+shop\/app-a:latest, shop\/app-a:v2; shop\/app-b:latest/);
  });

  it('takes keys typed faster than a frame ("jj" in one read) as separate presses', async () => {
    const { lastFrame, stdin } = screen(sampleModel(), { columns: 220, rows: 30 });
    stdin.write('jj');
    await tick();
    // base, common, then app-a's own layer (largest branch first)
    expect(lastFrame()).toMatch(/command\s+RUN build a/);
  });

  it('takes Space and d read in one chunk after the moves to an image as marking it and opening its removal', async () => {
    const { lastFrame, stdin } = screen(sampleModel(), { columns: 160, rows: 30 });
    // base, common, app-a's layer, app-a (the 4th row): moves, mark and d in one read.
    stdin.write('jjj d');
    await tick(60);
    expect(lastFrame()).not.toMatch(/nothing marked/);
    expect(lastFrame()).toMatch(/shop\/app-a:latest/);
    expect(lastFrame()).toMatch(/remove the marked items: preview/);
  });

  it('collapses a layer with h and expands it again with l', async () => {
    const { lastFrame, stdin } = screen();
    stdin.write('h');
    await tick();
    expect(lastFrame()).not.toContain('RUN make common');
    expect(lastFrame()).toContain('▸ ba5e00000000');
    stdin.write('l');
    await tick();
    expect(lastFrame()).toContain('RUN make common');
  });

  it('tells what removing an image frees: only its unique layers', async () => {
    const { lastFrame, stdin } = screen();
    // base, common, app-b's layer, app-b image: the 4th row when sorted by size (app-a's branch first)
    for (let i = 0; i < 20 && !/image id\s+sha256:bbb1/.test(lastFrame() ?? ''); i++) {
      stdin.write('j');
      await tick();
    }
    expect(lastFrame()).toMatch(/if removed\s+520kB freed/);
  });
});

describe('Explorer: search, help, views', () => {
  it('finds an image by a fuzzy query and lands on its row', async () => {
    const { lastFrame, stdin } = screen();
    stdin.write('/');
    await tick();
    stdin.write('apb');
    await tick();
    expect(lastFrame()).toMatch(/\/apb .*1 match/);
    expect(lastFrame()).toContain('shop/app-b:latest');
    stdin.write('\r');
    await tick();
    expect(lastFrame()).toMatch(/image id\s+sha256:bbb1/);
    expect(lastFrame()).toMatch(/tags\s+shop\/app-b:latest/);
  });

  it('edits the query as a shell does: Ctrl-w deletes the last word, Ctrl-u all of it', async () => {
    const { lastFrame, stdin } = screen();
    stdin.write('/');
    await tick();
    stdin.write('shop apb');
    await tick();
    expect(lastFrame()).toMatch(/\/shop apb /);
    stdin.write('\u0017');
    await tick();
    expect(lastFrame()).toMatch(/\/shop (?!apb)/);
    stdin.write('\u0015');
    await tick();
    expect(lastFrame()).not.toMatch(/\/shop/);
    stdin.write('apb');
    await tick();
    expect(lastFrame()).toMatch(/\/apb .*1 match/);
  });

  it('takes "/", the query and Enter arriving before any frame as one typed search', async () => {
    // A fast typist or tmux send-keys: every key lands before the first re-render. Before the
    // handler kept its own latest state, "apb" went to the tree ("a", "p": cleanup, ...) instead.
    const { lastFrame, stdin } = screen();
    stdin.write('/');
    stdin.write('a');
    stdin.write('p');
    stdin.write('b');
    stdin.write('\r');
    await tick();
    expect(lastFrame()).toMatch(/image id\s+sha256:bbb1/);
    expect(lastFrame()).toMatch(/tags\s+shop\/app-b:latest/);
  });

  it('takes the query and Enter read as one chunk ("apb\\r", a paste) as the query, then Enter', async () => {
    // Ink hands text read in one go to the handler as one string: the "\r" was once typed into
    // the search, which then matched nothing and Enter never came.
    const { lastFrame, stdin } = screen();
    stdin.write('/');
    await tick();
    stdin.write('apb\r');
    await tick();
    expect(lastFrame()).toMatch(/image id\s+sha256:bbb1/);
    expect(lastFrame()).not.toMatch(/\/apb/);
  });

  it('takes Tab and the key after it read as one chunk ("\\t-") as two keys', async () => {
    const { lastFrame, stdin } = screen(sampleModel(), { columns: 160, rows: 30 });
    stdin.write('\t');
    await tick();
    expect(lastFrame()).toContain('Tab back to the tree');
    // Tab back to the tree, then "-": collapse everything to the base layers.
    stdin.write('\t-');
    await tick();
    expect(lastFrame()).not.toContain('Tab back to the tree');
    expect(lastFrame()).not.toContain('▣ shop/app-a');
    expect(lastFrame()).toMatch(/▸ ba5e00000000 ADD rootfs\.tar/);
  });

  it('opens a help overlay listing every key from the binding table', async () => {
    const { lastFrame, stdin } = screen();
    stdin.write('?');
    await tick();
    const f = lastFrame() ?? '';
    for (const b of BINDINGS) expect(f).toContain(b.keys.join(' / '));
    expect(f).toMatch(/Space\s+mark an image/);
    stdin.write('\u001b');
    await tick(60);
    expect(lastFrame()).toContain('ADD rootfs.tar /');
  });

  it('switches to the per-image view with v: each image with its layers, bottom to top', async () => {
    const { lastFrame, stdin } = screen();
    stdin.write('v');
    await tick();
    const f = lines(lastFrame());
    const a = f.findIndex((l) => l.includes('▣ shop/app-a:latest'));
    expect(f[a + 2]).toContain('ADD rootfs.tar /');
    expect(f[a + 3]).toContain('RUN make common');
    expect(f[a + 4]).toContain('RUN build a');
  });

  it("sorts siblings by time with s: the newest image's base first", async () => {
    const { lastFrame, stdin } = screen();
    const firstRow = () => lines(lastFrame()).find((l) => /^[▾▸ ] \S{12} /.test(l));
    expect(firstRow()).toContain('ADD rootfs.tar /'); // by disk size: the big shared base
    stdin.write('s');
    await tick();
    expect(firstRow()).toContain('ADD lone /'); // by time: tools/lone:1 is the newest image
    expect(lastFrame()).toContain('s sort: time');
  });

  it('quits with q', async () => {
    const s = screen();
    s.stdin.write('q');
    await tick();
    expect(s.quits()).toBe(1);
  });
});

describe('Explorer: hostile text and big trees', () => {
  it('shows control characters in tags and commands as escapes, never raw', () => {
    const model = makeModel([
      {
        id: 'bad',
        tags: ['evil/\u001b[31mred\u001b]0;title\u0007:la\ntest'],
        layers: [{ id: 'x', size: 1, disk: 4096, cmd: 'RUN printf "\u001b[2J" > $(touch PWNED)' }],
      },
    ]);
    const f = screen(model).lastFrame() ?? '';
    expect(f).toContain('evil/\\e[31mred\\e]0;title\\x07:la\\ntest');
    expect(f).toContain('RUN printf "\\e[2J" > $(touch PWNED)');
    expect(f.replace(/\u001b\[[0-9;]*m/g, '')).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f]/);
  });

  it('renders only the visible window of a 5,000-layer tree, and End reaches the last row', async () => {
    const layers = Array.from({ length: 5000 }, (_, i) => ({
      // Padded: the model pads IDs to 64 characters with zeros, and l1 would collide with l10.
      id: `l${String(i).padStart(4, '0')}x`,
      size: i,
      // Image k's chain holds k+1 blocks a layer: the size sort puts img0's chain, the smallest, last.
      disk: 4096 * (1 + Math.floor(i / 100)),
      cmd: `RUN step ${i}`,
    }));
    const images = Array.from({ length: 50 }, (_, k) => ({
      id: `i${k}`,
      tags: [`big/img${k}:1`],
      layers: layers.slice(k * 100, k * 100 + 100),
    }));
    const { lastFrame, stdin } = screen(makeModel(images), { columns: 100, rows: 24 });
    expect(lines(lastFrame()).length).toBeLessThanOrEqual(24);
    const first = lastFrame() ?? '';
    expect(first).toContain('5000 layers');
    expect(first).not.toContain('big/img');
    const atEnd = (f: string) => {
      const tree = lines(f).slice(0, lines(f).indexOf(' Details'));
      expect(tree.at(-1)).toMatch(/^└─ +i0000\S* ▣ big\/img0:1 /);
      expect(f).toMatch(/\n tags +big\/img0:1\n/);
    };
    stdin.write('G');
    await tick(100);
    atEnd(lastFrame() ?? '');
    stdin.write('g');
    await tick(100);
    expect(lastFrame()).toBe(first);
    stdin.write('\u001b[F');
    await tick(100);
    atEnd(lastFrame() ?? '');
  });
});

describe('Explorer: the last scan of an earlier run', () => {
  it('shows it at once, says how old it is, and opens no cleanup on it', async () => {
    const model = sampleModel();
    const stale: EngineData = { ...data(model), phase: 'connecting', staleSince: Date.now() - 12 * 60_000 };
    const { lastFrame, stdin, rerender } = render(
      <Explorer data={stale} onQuit={() => {}} size={{ columns: 160, rows: 30 }} />,
    );
    expect(lastFrame()).toMatch(/last scan 12 min ago \(not refreshed yet\)/);
    expect(lastFrame()).toMatch(/shop\/app-a/);
    stdin.write('p');
    await tick();
    expect(lastFrame()).not.toMatch(/docker system prune -a: preview/);
    expect(lastFrame()).toMatch(/the cleanup waits for this run's own scan/);
    // This run's own scan replaces it: the mark goes, the cleanup opens.
    rerender(<Explorer data={data(model)} onQuit={() => {}} size={{ columns: 160, rows: 30 }} />);
    await tick();
    expect(lastFrame()).not.toMatch(/last scan/);
    stdin.write('p');
    await tick();
    expect(lastFrame()).toMatch(/docker system prune -a: preview/);
  });
});

describe('Explorer: no engine', () => {
  it('says why and what to do, no helper state, and q quits whatever was pressed before', async () => {
    let quits = 0;
    let retries = 0;
    const none: EngineData = {
      ...data(),
      model: undefined,
      phase: 'error',
      helper: 'starting',
      message: 'cannot connect to the Docker engine at unix:///nope.sock (is it running?)',
      refresh: () => retries++,
    };
    const { lastFrame, stdin } = render(
      <Explorer data={none} onQuit={() => quits++} size={{ columns: 100, rows: 20 }} />,
    );
    expect(lastFrame()).toMatch(/cannot connect to the Docker engine at unix:\/\/\/nope\.sock/);
    expect(lastFrame()).toMatch(/r try again {2}q quit/);
    expect(lastFrame()).not.toMatch(/helper: starting/);
    stdin.write('?');
    await tick();
    stdin.write('/');
    await tick();
    stdin.write('r');
    await tick();
    expect(retries).toBe(1);
    stdin.write('q');
    await tick();
    expect(quits).toBe(1);
  });
});

describe('Explorer: the footer at 80 columns', () => {
  it('keeps "? help" and "q quit" whole, and drops what does not fit between them', () => {
    const { lastFrame } = render(
      <Explorer data={data()} onQuit={() => {}} size={{ columns: 80, rows: 24 }} />,
    );
    const footer = lines(lastFrame()).findLast((l) => l.trim() !== '') ?? '';
    expect(footer).toMatch(/^\? help {2}.* {2}q quit$/);
    expect([...footer].length).toBeLessThanOrEqual(80);
    expect(footer).not.toContain('…');
  });
});

describe('Explorer: every key gives visible feedback', () => {
  it('says why Space on a layer marks nothing and d with nothing marked opens nothing, until the next key', async () => {
    const { lastFrame, stdin } = screen(sampleModel(), { columns: 160, rows: 30 });
    // The cursor starts on the base layer.
    stdin.write(' ');
    await tick();
    expect(lastFrame()).toMatch(/a layer alone cannot be removed: Space marks images, containers, volumes/);
    stdin.write('k');
    await tick();
    expect(lastFrame()).not.toMatch(/a layer alone cannot be removed/);
    stdin.write('d');
    await tick();
    expect(lastFrame()).toMatch(/nothing marked: Space marks the row under the cursor, then d/);
  });

  it('says back an answer that is not "yes" at the confirmation, and removes nothing', async () => {
    const { lastFrame, stdin } = screen(sampleModel(), { columns: 160, rows: 30 });
    stdin.write('p');
    await tick();
    stdin.write('D');
    await tick();
    stdin.write('no');
    await tick();
    stdin.write('\r');
    await tick();
    expect(lastFrame()).toMatch(/"no" is not yes: nothing removed\. Type yes and Enter to remove/);
    stdin.write('y');
    await tick();
    expect(lastFrame()).not.toMatch(/is not yes/);
  });
});

describe('Explorer: Tab gives the details the focus', () => {
  it('then the arrows scroll the details, not the tree, and long values show whole', async () => {
    const { lastFrame, stdin } = screen(sampleModel(), { columns: 140, rows: 24 });
    const field = (f: string | undefined, name: string) =>
      lines(f).find((l) => l.includes(`${name}  `)) ?? '';
    expect(field(lastFrame(), 'chain id')).toMatch(/sha256:ba5e0+…$/); // cut at this width
    stdin.write('\t');
    await tick();
    expect(lastFrame()).toMatch(/Details {2}↑↓ scroll {2}Tab back to the tree/);
    expect(field(lastFrame(), 'chain id')).not.toContain('…'); // wrapped: whole
    stdin.write('j');
    await tick();
    // The first field scrolled away, the next is on top; the tree's cursor did not move.
    expect(field(lastFrame(), 'chain id')).toBe('');
    expect(lines(lastFrame()).findIndex((l) => l.includes('diff id  '))).toBe(2);
    // Past the last field it stops: one ↑ after many ↓ shows the field before the last.
    for (let i = 0; i < 30; i++) stdin.write('j');
    await tick();
    stdin.write('k');
    await tick();
    const afterTitle = lines(lastFrame()).findIndex((l) => /Details {2}↑↓ scroll/.test(l)) + 1;
    expect(lines(lastFrame())[afterTitle]).toMatch(/containers\s+web/);
    stdin.write('\t');
    await tick();
    expect(lastFrame()).not.toMatch(/↑↓ scroll/);
    expect(field(lastFrame(), 'command')).toMatch(/command\s+ADD rootfs\.tar \//);
  });

  it('then at 80x24 a value wrapped past the pane is cut at its edge, never drawn over the title or the next field', async () => {
    const long = `RUN ${Array.from({ length: 12 }, (_, i) => `step${i} && echo ${'x'.repeat(20)}`).join(' && ')}`;
    const model = makeModel([
      { id: 'w1', tags: ['wide/cmd:1'], layers: [{ id: 'w', size: 50_000, disk: 205_000_000, cmd: long }] },
    ]);
    const { lastFrame, stdin } = screen(model, { columns: 80, rows: 24 });
    stdin.write('\t');
    await tick();
    const ls = lines(lastFrame());
    const title = ls.findIndex((l) => l.startsWith(' Details  ↑↓ scroll  Tab back to the tree'));
    expect(title).toBeGreaterThan(0);
    // A value too long for the line goes whole onto the next ones.
    expect(ls.slice(title + 1, title + 3).join('|')).toMatch(/^ chain id *\| sha256:w0+$/);
    expect(ls.slice(title + 3, title + 5).join('|')).toMatch(/^ diff id *\| sha256:w0+$/);
    // The command's first line, then the pane's edge: its wrapped rest and the fields below are cut.
    expect(ls[title + 6]).toMatch(/^ command +RUN step0 && echo x+ /);
    expect(ls.filter((l) => l.startsWith(' size '))).toEqual([]);
    // The pane ends above the footer: the command's wrapped lines are cut, not spilled.
    expect(ls.filter((l) => l !== '').at(-1)).toMatch(/^\? help/);
    expect(ls.findIndex((l) => l.startsWith('? help'))).toBe(title + 7);
    expect(ls.filter((l) => /step11/.test(l))).toEqual([]);
  });

  it('then Home/End (g/G) go to the first and last field, and the tree cursor stays', async () => {
    const { lastFrame, stdin } = screen(sampleModel(), { columns: 140, rows: 24 });
    const afterTitle = () =>
      lines(lastFrame())[lines(lastFrame()).findIndex((l) => /Details {2}↑↓ scroll/.test(l)) + 1];
    stdin.write('\t');
    await tick();
    stdin.write('G');
    await tick();
    expect(afterTitle()).toMatch(/wasted\s+press f to list/);
    // Still the base layer's details: G did not take the tree's cursor to its last row.
    expect(lastFrame()).not.toMatch(/image id\s/);
    stdin.write('g');
    await tick();
    expect(afterTitle()).toMatch(/chain id\s+sha256:ba5e/);
  });
});

describe('Explorer: search results', () => {
  it('start every label in the same column, also the ones cut at the edge', async () => {
    const model = makeModel([
      {
        id: 'long1',
        tags: [`shop/${'very-long-name-'.repeat(8)}:latest`],
        layers: [{ id: 'l1', size: 1, disk: 4096, cmd: 'RUN x' }],
      },
      { id: 'short1', tags: ['shop/s:1'], layers: [{ id: 'l2', size: 1, disk: 4096, cmd: 'RUN y' }] },
    ]);
    const { lastFrame, stdin } = screen(model, { columns: 60, rows: 20 });
    stdin.write('/');
    await tick();
    stdin.write('shop');
    await tick();
    const hits = lines(lastFrame()).filter((l) => /^image\s/.test(l));
    expect(hits.length).toBe(2);
    for (const l of hits) expect(l.indexOf('shop/')).toBe(13);
  });
});

describe('Explorer: what holds the bytes', () => {
  it("says when the build cache holds an image's own layer, and what removing both frees", async () => {
    const model = sampleModel();
    const appB = [...model.graph.layers.values()].find(
      (n) => n.images.length === 1 && n.images[0]?.startsWith('sha256:bbb1'),
    );
    model.inputs.buildCacheLayers = new Set([appB?.chainId ?? '']);
    model.inputs.buildCache = { records: 2, size: 1000, diskBytes: 600_000, freedDiskBytes: 600_000 };
    const { lastFrame, stdin } = screen(model, { columns: 220, rows: 30 });
    stdin.write('/');
    await tick();
    stdin.write('shop/app-b');
    await tick();
    stdin.write('\r');
    await tick();
    // The figure with the build cache comes first, before the line can be cut.
    expect(lastFrame()).toMatch(/if removed\s+0B freed; 1\.12MB with the build cache \(it holds 1 of its /);
    // Whole with the focus on the details: app-b's layer and the cache's 600kB come back together.
    stdin.write('\t');
    await tick();
    expect((lastFrame() ?? '').replace(/\s+/g, ' ')).toMatch(
      /1\.12MB with the build cache \(it holds 1 of its layers, 520kB\)/,
    );
    // Marked, the footer says so too.
    stdin.write('\t');
    await tick();
    stdin.write(' ');
    await tick();
    expect(lastFrame()).toMatch(
      /1 marked: frees 0B on disk \(the build cache holds 520kB more of them: mark it too\)/,
    );
  });
});

describe('Explorer: collapse and expand everything', () => {
  it('- leaves the base layers, + opens the whole tree again', async () => {
    const { lastFrame, stdin } = screen(sampleModel(), { columns: 160, rows: 30 });
    stdin.write('j');
    stdin.write('j');
    await tick();
    stdin.write('-');
    await tick();
    let s = lastFrame() ?? '';
    expect(s).toMatch(/^▸ ba5e00000000 ADD rootfs\.tar/m);
    expect(s).toMatch(/^▸ l00000000000 ADD lone/m);
    expect(s).not.toMatch(/RUN build a/);
    // The cursor went to the base it was under: its details show.
    expect(s).toMatch(/command\s+ADD rootfs\.tar \//);
    stdin.write('+');
    await tick();
    s = lastFrame() ?? '';
    expect(s).toMatch(/RUN build a/);
    expect(s).toMatch(/tools\/lone:1/);
  });
});

describe('Explorer: the build cache, record by record', () => {
  const withRecords = () => {
    const model = sampleModel();
    const rec = (id: string, extra: Partial<BuildCacheRecord>): BuildCacheRecord => ({
      id,
      parents: [],
      type: 'regular',
      description: '',
      inUse: false,
      shared: false,
      size: 0,
      created: 1_700_000_000,
      lastUsed: 1_700_000_100,
      usageCount: 1,
      dirs: [`/data/overlay2/${id}`],
      ...extra,
    });
    model.inputs.buildCache = {
      records: 3,
      size: 3_000_000,
      diskBytes: 5_500_000,
      freedDiskBytes: 5_000_000,
      unattributedDiskBytes: 0,
      items: [
        rec('basebasebasebasebasebase1', { description: 'FROM busybox', shared: true, diskBytes: 0 }),
        rec('mountmountmountmountmount', {
          type: 'exec.cachemount',
          description: 'cached mount /root/.cache from exec go build',
          size: 2_000_000,
          diskBytes: 4_000_000,
        }),
        rec('runrunrunrunrunrunrunrun1', {
          parents: ['basebasebasebasebasebase1'],
          description: 'mount / from exec /bin/sh -c make',
          size: 1_000_000,
          diskBytes: 1_000_000,
        }),
      ],
    };
    return model;
  };

  it('opens the cache onto its records as a tree, with their steps, sizes and details; Space marks one', async () => {
    const { lastFrame, stdin } = screen(withRecords(), { columns: 200, rows: 30 });
    stdin.write('G');
    await tick();
    expect(lastFrame()).toMatch(/build cache\s+⚙ 3 records \(→ opens them\)\s+3MB\s+5\.5MB/);
    expect(lastFrame()).not.toContain('go build');
    stdin.write('l');
    await tick();
    const f = lines(lastFrame());
    // Largest on disk first; the child one level under its parent.
    const mount = f.findIndex((l) =>
      /mountmountmo\s+\[exec\.cachemount\] cached mount \/root\/\.cache from exec go build\s+2MB\s+4MB/.test(
        l,
      ),
    );
    const base = f.findIndex((l) => /basebasebase\s+FROM busybox\s+0B\s+0B\s+S/.test(l));
    const run = f.findIndex((l) =>
      /runrunrunrun\s+ {2}mount \/ from exec \/bin\/sh -c make\s+1MB\s+1MB/.test(l),
    );
    expect(mount).toBeGreaterThan(-1);
    expect(base).toBeGreaterThan(mount);
    expect(run).toBe(base + 1);
    // On the run record: its details, then Space marks it and the footer says what comes back.
    stdin.write('G');
    await tick();
    expect(lastFrame()).toMatch(/step\s+mount \/ from exec \/bin\/sh -c make/);
    expect(lastFrame()).toMatch(/if removed\s+1MB freed/);
    stdin.write(' ');
    await tick();
    expect(lastFrame()).toMatch(/1 marked: frees 1MB on disk/);
  });

  it('opened at the foot of a short window, scrolls to show the records it opened, its own row still on screen', async () => {
    const { lastFrame, stdin } = screen(withRecords(), { columns: 200, rows: 14 });
    stdin.write('G');
    await tick();
    expect(lastFrame()).toMatch(/build cache\s+⚙ 3 records/);
    for (const key of ['l', '\r']) {
      if (key === '\r') {
        stdin.write('h');
        await tick();
        expect(lastFrame()).not.toContain('FROM busybox');
      }
      stdin.write(key);
      await tick();
      const f = lines(lastFrame());
      expect(f.some((l) => /build cache\s+⚙ 3 records/.test(l))).toBe(true);
      expect(f.some((l) => /mountmountmo\s+\[exec\.cachemount\]/.test(l))).toBe(true);
      expect(f.some((l) => /basebasebase\s+FROM busybox/.test(l))).toBe(true);
      expect(f.some((l) => /runrunrunrun\s+ {2}mount \/ from exec/.test(l))).toBe(true);
    }
    // The next key leaves the window where it is: k moves the cursor up without scrolling.
    const before = lines(lastFrame()).findIndex((l) => /build cache\s+⚙ 3 records/.test(l));
    stdin.write('k');
    await tick();
    expect(lines(lastFrame()).findIndex((l) => /build cache\s+⚙ 3 records/.test(l))).toBe(before);
  });

  it('finds a record by its build step', async () => {
    const { lastFrame, stdin } = screen(withRecords(), { columns: 200, rows: 30 });
    stdin.write('/');
    await tick();
    stdin.write('go build');
    await tick();
    stdin.write('\r');
    await tick();
    expect(lastFrame()).toMatch(/record\s+mountmountmountmountmount/);
  });
});

describe('Explorer: before its first tree', () => {
  it('says it is connecting, then, once connected and scanning, what it waits for: the image list, then the measuring', () => {
    const size = { columns: 200, rows: 20 };
    const connecting: EngineData = { ...data(), model: undefined, phase: 'connecting' };
    const { lastFrame, rerender } = render(<Explorer data={connecting} onQuit={() => {}} size={size} />);
    expect(lastFrame()).toMatch(/Connecting to the Docker engine…/);
    expect(lastFrame()).toMatch(/connecting…/);
    rerender(<Explorer data={{ ...connecting, phase: 'measuring' }} onQuit={() => {}} size={size} />);
    expect(lastFrame()).toMatch(/Connected\. Listing the engine’s images, measuring its storage meanwhile…/);
    expect(lastFrame()).not.toMatch(/Connecting to the Docker engine|connecting…|The engine holds/);
    const measured = { done: 6713, total: 6713, bytes: 345_000_000 };
    rerender(
      <Explorer
        data={{ ...connecting, phase: 'measuring', progress: measured }}
        onQuit={() => {}}
        size={size}
      />,
    );
    expect(lastFrame()).toMatch(
      /Connected\. Waiting for the list of the engine’s images; its storage measured meanwhile \(345MB so far\)…/,
    );
    rerender(
      <Explorer
        data={{ ...connecting, phase: 'measuring', progress: measured, listed: 1322 }}
        onQuit={() => {}}
        size={size}
      />,
    );
    expect(lastFrame()).toMatch(/Connected\. The engine holds 1,322 images; measuring what they hold…/);
    expect(lastFrame()).not.toMatch(/Listing the engine|Waiting for/);
    // Nothing failed: nothing to try again.
    expect(lastFrame()).toMatch(/\nq quit/);
    expect(lastFrame()).not.toMatch(/try again/);
    // Without a helper nothing is measured, and the screen does not say it is.
    rerender(
      <Explorer data={{ ...connecting, phase: 'measuring', helper: 'off' }} onQuit={() => {}} size={size} />,
    );
    expect(lastFrame()).toMatch(/Connected\. Listing the engine’s images… \(a large engine’s list of images/);
    rerender(
      <Explorer
        data={{ ...connecting, phase: 'measuring', helper: 'off', listed: 1 }}
        onQuit={() => {}}
        size={size}
      />,
    );
    expect(lastFrame()).toMatch(/Connected\. The engine holds 1 image; reading their layers…/);
    expect(lastFrame()).not.toMatch(/measur/);
  });
});

describe('Explorer on a short terminal', () => {
  it('gives the tree most of the lines at 80x24, the details a third', () => {
    const { lastFrame } = screen(sampleModel(), { columns: 80, rows: 24 });
    const at = lines(lastFrame()).findIndex((l) => l.startsWith(' Details'));
    // The header, the column titles and the tree's rows above the details: 15 of 24 lines (9 lines of
    // details left the tree 12).
    expect(at).toBe(15);
    const rest = lines(lastFrame()).slice(at);
    expect(rest.length).toBeLessThanOrEqual(24 - 15);
  });
});
