// The explorer as a person reads it, in a real terminal at 160x45 and at 80x24, against the overlay2
// engine (issue 17): sizes with the same text as `scan`, the tree's guide lines, help whole, the
// files pane's mode/owner/time and combined filters, and the footer keeping "? help", "q quit", Esc.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { sizeText } from '../../source/model/size-text.js';
import { BIN, engineHost, helperContainers, layertop } from '../support/engines.js';
import { Tmux } from '../support/tmux.js';

const cache = mkdtempSync(join(tmpdir(), 'lt-tui-sizes-'));
const terms: Tmux[] = [];
afterAll(async () => {
  for (const t of terms) await t.kill();
});

interface ScanJson {
  images: { id: string; tags: string[]; diskBytes: number | null; size: number }[];
}

describe.each([
  [160, 45],
  [80, 24],
])('the explorer at %dx%d (tmux, overlay2 engine)', (columns, rows) => {
  it('reads the same sizes as scan, draws the tree, shows help whole, and lists files with mode, owner and filters', async () => {
    const scan = await layertop(['scan', '--json'], {
      engine: 'overlay2',
      env: { LAYERTOP_CACHE_DIR: cache },
    });
    expect(scan.code).toBe(0);
    const report = JSON.parse(scan.stdout) as ScanJson;
    const appB = report.images.find((i) => i.tags.includes('layertop-test/app-b:latest'));
    expect(appB?.diskBytes).toBeGreaterThan(0);
    const appBDisk = sizeText(appB?.diskBytes ?? Number.NaN);
    // The scan table writes the same text for the same bytes.
    const table = await layertop(['scan'], { engine: 'overlay2', env: { LAYERTOP_CACHE_DIR: cache } });
    expect(table.stdout.split('\n').find((l) => l.startsWith('layertop-test/app-b'))).toContain(appBDisk);

    const cmd = `env DOCKER_HOST=${engineHost('overlay2')} LAYERTOP_CACHE_DIR=${cache} ${process.execPath} ${BIN}; echo "EXIT:$?"; sleep 600`;
    const term = await Tmux.start(`layertop-sizes-${columns}`, cmd, columns, rows);
    terms.push(term);
    try {
      await explore(term, appBDisk, (appB?.id ?? '').slice(7, 19));
    } finally {
      // A failure must not leave this explorer (and its helper) running into the next test.
      await term.kill();
    }
  });

  async function explore(term: Tmux, appBDisk: string, appBShort: string): Promise<void> {
    // Measured, not only the API tree ("disk …" until this run's figures are in): the row read
    // below must be this run's, whenever the search lands.
    await term.waitForText(/ (on disk|data root [\d.]+[kMG]?B) +helper: ready/, 60_000);
    const fits = (s: string) => expect(s.split('\n').every((l) => [...l].length <= columns)).toBe(true);

    // Find app-b by search: its row shows the scan's disk text; the footer keeps help and quit.
    await term.keys('/');
    await term.type('app-b');
    await term.keys('Enter');
    // The details follow the cursor onto app-b (the tree alone shows app-b before the search lands).
    let s = await term.waitForText(/tags\s+layertop-test\/app-b:latest/);
    // By its short ID: at 80 columns the tag may be cut.
    const row = s.split('\n').find((l) => l.includes(`${appBShort} ▣ layertop-test/app-b`)) ?? '';
    expect(row).toMatch(new RegExp(` ${appBDisk.replace('.', '\\.')} +\\S*\\s*$`));
    expect(s).toMatch(/^\? help {2}.* {2}q quit\s*$/m);
    fits(s);
    // Guide lines: app-b is one of several branches below its parent layer.
    expect(s).toMatch(/^[│ ]*[├└]─/m);
    // Sizes never read like pretty-bytes' "209.8 MB": three significant digits, no space.
    expect(s).not.toMatch(/\d \d*(kB|MB|GB)\b/);
    expect(s).not.toMatch(/\d\.\d\d\dMB|\d\d\.\d\dMB|\d\d\d\.\dMB/);

    // What removing it frees, and why (the details, beside the tree where there is room).
    // (app-b: lt-stopped uses it, so the details say that and what removing both frees.)
    if (columns >= 120) expect(s).toMatch(/if removed\s+in use by 1 container\(s\): [\d.]+[kMG]?B with them/);
    // Tab gives the details the focus and says how to go back; Tab again returns.
    await term.keys('Tab');
    await term.waitForText(/Tab back to the tree/);
    await term.keys('Tab');
    await term.waitForText(/^(?![\s\S]*Tab back to the tree)/);
    // Collapse all: only base layers; expand all: the images again.
    await term.keys('-');
    s = await term.waitForText(/^(?![\s\S]*▣ layertop-test)[\s\S]*▸ \S{12} /);
    await term.keys('+');
    await term.waitForText(/▣ layertop-test\/app-b:latest/);

    // Help: every line within the screen, nothing cut; at 80x24 it scrolls and says so.
    await term.keys('?');
    // The whole box, not its first lines: a frame this big reaches the terminal in several writes,
    // and a capture can land between them (a CI run caught the box drawn down to its 8th line).
    s = await term.waitForText(
      rows < 30
        ? /layertop keys: layer tree[\s\S]*lines 1-\d+ of \d+ {2}↑↓ scroll[^\n]*\n╰/
        : /layertop keys: layer tree[\s\S]*A M D O\s+added, modified, deleted, opaque[\s\S]*\n╰/,
    );
    fits(s);
    const box = s.split('\n').filter((l) => l.startsWith('│'));
    expect(box.join('\n')).not.toContain('…');
    if (rows < 30) {
      expect(s).toMatch(/lines 1-\d+ of \d+ {2}↑↓ scroll \(more below\)/);
      await term.keys('PageDown', 'PageDown');
      s = await term.waitForText(/A M D O\s+added, modified, deleted, opaque/);
      expect(s).toMatch(/of (\d+) {2}↑↓ scroll\s*│/);
    } else expect(s).toMatch(/A M D O\s+added, modified, deleted, opaque/);
    await term.keys('Escape');
    await term.waitForText(/^(?![\s\S]*layertop keys)[\s\S]*LAYER\s+SIZE/);

    // Files of app-b's top layer: i shows mode, owner and time; D then A combine.
    await term.keys('f');
    s = await term.waitForText(/· diff · layer \d+/, 30_000);
    s = await term.waitForText(/\d+ entries/, 30_000);
    expect(s).toMatch(/\? help {2}.*Esc close/);
    fits(s);
    await term.keys('i');
    s = await term.waitForText(/[d-][rwx-]{9} \d+:\d+\s+\d{4}-\d\d-\d\d \d\d:\d\d/);
    fits(s);
    await term.keys('D');
    s = await term.waitForText(/showing deleted \(F all\)/);
    await term.keys('A');
    s = await term.waitForText(/showing added\+deleted \(F all\)/);
    expect(s).toMatch(/^│ A /m);
    await term.keys('F');
    await term.waitForText(/A\/M\/D\/O only|\? help {2}Enter/);
    // Every file in one list, largest first.
    await term.keys('L');
    s = await term.waitForText(/largest first · \d+ entries/);
    fits(s);
    await term.keys('L');
    await term.keys('Escape');
    await term.waitForText(/LAYER\s+SIZE/);

    await term.keys('q');
    await term.waitForText(/EXIT:0/);
    expect(await helperContainers('overlay2')).toEqual([]);
  }

  it('says what it waits for when no engine answers, and quits with q', async () => {
    const cmd = `env DOCKER_HOST=unix:///nonexistent/docker.sock LAYERTOP_CACHE_DIR=${cache} ${process.execPath} ${BIN}; echo "EXIT:$?"; sleep 600`;
    const term = await Tmux.start(`layertop-noengine-${columns}`, cmd, columns, rows);
    terms.push(term);
    const s = await term.waitForText(
      /cannot connect to the Docker engine at unix:\/\/\/nonexistent\/docker\.sock/,
    );
    expect(s).toMatch(/^r try again {2}q quit/m);
    expect(s).not.toMatch(/helper: starting/);
    expect(s.split('\n').every((l) => [...l].length <= columns)).toBe(true);
    // An overlay would be invisible here: ? does nothing, q still quits.
    await term.keys('?');
    await term.keys('q');
    await term.waitForText(/EXIT:\d/);
  });
});

describe.each(['overlay2', 'containerd'] as const)(
  'the explorer when its helper cannot start (tmux, %s engine)',
  (engine) => {
    // The first scan asks the API while the helper starts, and takes the helper's start as a
    // promise: when that start fails, the scan still comes, with Docker's sizes, every disk figure
    // unknown with the reason, and the helper's own error on the message line.
    it('shows the tree with Docker sizes, "?" for disk (never 0B), the reason, and quits cleanly', async () => {
      const own = mkdtempSync(join(tmpdir(), 'lt-tui-nohelper-'));
      const cmd = `env DOCKER_HOST=${engineHost(engine)} LAYERTOP_CACHE_DIR=${own} ${process.execPath} ${BIN} --helper-image layertop-test/no-such-image:1; echo "EXIT:$?"; sleep 600`;
      const term = await Tmux.start(`layertop-nohelper-${engine}`, cmd, 140, 40);
      terms.push(term);
      await term.waitForText(/disk unknown \(needs the helper: it could not start\)/, 60_000);
      const shown = await term.waitForText(
        /helper: the helper image "layertop-test\/no-such-image:1" is not on the engine/,
      );
      const row = shown.split('\n').find((l) => l.includes('layertop-test/app-b:latest'));
      // SIZE (Docker's), then DISK: unknown, shown as '?'.
      expect(row).toMatch(/\d+(\.\d+)?[kMG]?B +\? /);
      // No DISK figure is 0B (Docker's own SIZE can be: an empty volume is).
      expect(shown.split('\n').filter((l) => /[\d.]+[kMG]?B +0B( |$)/.test(l))).toEqual([]);
      expect(shown.split('\n').filter((l) => /B +\? /.test(l)).length).toBeGreaterThan(5);
      await term.keys('q');
      await term.waitForText(/EXIT:0/);
      expect(await helperContainers(engine)).toEqual([]);
    });
  },
);
