// Text from the engine (file names, link targets, tags, container names and states, build
// commands, error messages) can hold terminal escapes, newlines and bytes that are not UTF-8. None
// of it may reach the terminal raw: every frame below is drawn from such names and checked for a
// raw ESC, and for a newline cutting a name in two.
import { render } from 'ink-testing-library';
import { describe, expect, it } from 'vitest';
import { makeModel, readyData, SAMPLE_IMAGES } from '../../../test/support/model.js';
import { tick, until } from '../../../test/support/wait.js';
import { FileReadError } from '../../engine/file-read.js';
import type { FilesTarget, ListedLayers } from '../../engine/files.js';
import { applyLayer, type LayerEntry, type MergedEntry } from '../../model/overlay.js';
import { planPrune } from '../../model/prune-plan.js';
import { PrunePanel } from '../cleanup/PrunePanel.js';
import { openPrune } from '../cleanup/prune-flow.js';
import { makeTheme } from '../theme.js';
import { Explorer } from './Explorer.js';

/** A name with an SGR colour sequence, a newline and (as bytes) invalid UTF-8. */
const EVIL = 'ev\x1b[31mil\nname\xff';
/** What it must look like on screen: as a file name (bytes), and as text (from the API's JSON). */
const SHOWN = 'ev\\e[31mil\\nname\\xff';
const SHOWN_TEXT = 'ev\\e[31mil\\nname\xff';

/** No raw ESC anywhere in the frame, and no line that starts with the part after the newline. */
function clean(frame: string | undefined): string {
  const s = frame ?? '';
  expect(s.includes('\x1b')).toBe(false);
  expect(s.split('\n').some((line) => /^\W*name/.test(line))).toBe(false);
  return s;
}

const theme = makeTheme({ NO_COLOR: '1' });

describe('engine text is escaped wherever it is drawn', () => {
  it('the tree and the details: tags, container names and states, build commands', async () => {
    const images = structuredClone(SAMPLE_IMAGES);
    const first = images[0];
    if (first) {
      first.tags = ['shop/ev\x1b[31mil:la\ntest'];
      const top = first.layers[2];
      if (top) first.layers[2] = { ...top, cmd: 'RUN echo "\x1b]0;pwned\x07" \ncurl x' };
    }
    const model = makeModel(images, [
      { name: `c-${EVIL}`, imageId: 'aaa1', image: 'shop/ev\x1b[31mil:la\ntest', state: 'run\x1b[2Jning' },
    ]);
    const data = readyData(model);
    const { lastFrame, stdin } = render(
      <Explorer data={data} onQuit={() => {}} size={{ columns: 160, rows: 40 }} />,
    );
    await until(() => (lastFrame() ?? '').includes('LAYER'));
    let s = clean(lastFrame());
    expect(s).toContain('shop/ev\\e[31mil:la\\ntest');
    expect(s).toContain('RUN echo "\\e]0;pwned\\x07" \\ncurl x');
    // The container's row (and its details): down to it from the top.
    for (let i = 0; i < 12 && !(lastFrame() ?? '').includes('writable'); i++) {
      stdin.write('j');
      await tick();
    }
    expect(lastFrame()).toContain('writable');
    s = clean(lastFrame());
    // Container names are text (the API's JSON), escaped as text.
    expect(s).toContain('c-ev\\e[31mil\\nname');
    expect(s).toContain('run\\e[2Jning');
  });

  it('the files pane: names, link targets, the preview title, a symlink preview, a refusal', async () => {
    const layer: LayerEntry[] = [
      { path: 'd', type: 'dir', size: 0 },
      { path: `d/${EVIL}`, type: 'file', size: 5 },
      { path: 'd/link', type: 'symlink', size: 12, linkTarget: `../${EVIL}` },
      { path: 'd/swapped', type: 'file', size: 5 },
    ];
    const merged = new Map<string, MergedEntry>();
    applyLayer(merged, layer, 0);
    const listed: ListedLayers = { layers: [layer], merged, opaqueKnown: true };
    const target: FilesTarget = {
      kind: 'image',
      id: 'sha256:ccc1',
      name: 'tools/lone:1',
      layers: [{ id: 'l0', label: 'ADD \x1b[31mlone\n/', dir: '/l0' }],
    };
    const data = readyData(makeModel(SAMPLE_IMAGES), {
      filesTarget: async () => target,
      listNames: async () => layer.map((e) => `./${e.path}`),
      listFiles: async () => listed,
      readFile: async (src) => {
        if (src.path === 'd/swapped')
          throw new FileReadError('not-regular', 'not a regular file inside the layer (a symlink?)');
        return { identity: '1 1', size: 5, bytes: Buffer.from('a\x1b[2Jb\n') };
      },
    });
    const r = render(<Explorer data={data} onQuit={() => {}} size={{ columns: 120, rows: 30 }} />);
    const { lastFrame, stdin } = r;
    await until(() => (lastFrame() ?? '').includes('LAYER'));
    stdin.write('/');
    await tick();
    stdin.write('lone');
    await tick();
    stdin.write('\r');
    await tick();
    stdin.write('f');
    await until(() => (lastFrame() ?? '').includes('4 entries'));
    stdin.write('s'); // by name: d/ first
    await tick();
    stdin.write('l'); // open d
    await tick();
    let s = clean(lastFrame());
    expect(s).toContain('ADD \\e[31mlone\\n/');
    expect(s).toContain(SHOWN);
    expect(s).toContain(`link -> ../${SHOWN}`);
    // Sorted by name inside d: the hostile file, link, swapped.
    const open = async (row: number, wait: string) => {
      stdin.write('g');
      await tick();
      for (let i = 0; i < row; i++) {
        stdin.write('j');
        await tick();
      }
      stdin.write('\r');
      await until(() => (lastFrame() ?? '').includes(wait));
      const frame = clean(lastFrame());
      stdin.write('\u001b');
      await tick();
      return frame;
    };
    s = await open(1, '(file, 5 bytes)');
    expect(s).toContain(`/d/${SHOWN} (file, 5 bytes)`);
    expect(s).toContain('a\\e[2Jb');
    s = await open(2, 'symlink ->');
    expect(s).toContain(`symlink -> ../${SHOWN}`);
    s = await open(3, 'cannot be read');
    expect(s).toContain('(cannot be read: not a regular file inside the layer (a symlink?))');
  });

  it('the cleanup panel: a name while it is removed, and a failure message', async () => {
    const model = makeModel(SAMPLE_IMAGES, [
      { name: `job-${EVIL}`, imageId: 'bbb1', image: 'shop/app-b:latest', state: 'exited' },
    ]);
    const flow = openPrune(planPrune(model, { all: true, volumes: false }));
    const running = render(
      <PrunePanel
        flow={{ ...flow, phase: 'running', progress: { done: 1, total: 3, name: `job-${EVIL}` } }}
        width={120}
        height={30}
        theme={theme}
      />,
    );
    let s = clean(running.lastFrame());
    expect(s).toContain(`job-${SHOWN_TEXT}`);
    const failed = render(
      <PrunePanel
        flow={{ ...flow, phase: 'failed', error: `conflict: ${EVIL} is in use` }}
        width={120}
        height={30}
        theme={theme}
      />,
    );
    s = clean(failed.lastFrame());
    expect(s).toContain(`conflict: ${SHOWN_TEXT} is in use`);
  });
});
