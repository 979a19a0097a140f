import { render } from 'ink-testing-library';
import { describe, expect, it } from 'vitest';
import { makeModel, readyData, SAMPLE_IMAGES, sampleModel, WEB } from '../../../test/support/model.js';
import { tick, until } from '../../../test/support/wait.js';
import type { RunReport } from '../../engine/prune-run.js';
import type { PlanItem, PrunePlan } from '../../model/prune-plan.js';
import type { ScanModel } from '../../model/report.js';
import { Explorer } from '../explorer/Explorer.js';
import { planLines } from './prune-lines.js';

/** The sample engine plus a stopped job on app-b and build cache: things prune takes. */
function engine(extra: Parameters<typeof makeModel>[1] = []): ScanModel {
  const m = makeModel(SAMPLE_IMAGES, [
    WEB,
    {
      id: 'job'.padEnd(64, '0'),
      name: 'job',
      imageId: 'bbb1',
      image: 'shop/app-b:latest',
      state: 'exited',
      sizeRw: 1_000_000,
      diskBytes: 1_200_000,
      metaDiskBytes: 50_000,
    },
    ...extra,
  ]);
  m.inputs.buildCache = { records: 4, size: 10_000, diskBytes: 400_000, freedDiskBytes: 300_000 };
  return m;
}

/** Types each key in turn, letting the explorer draw after each. */
async function press(stdin: { write: (s: string) => void }, ...keys: string[]): Promise<void> {
  for (const k of keys) {
    stdin.write(k);
    await tick();
  }
}

function app(model: ScanModel, next: () => ScanModel = () => model, size = { columns: 120, rows: 34 }) {
  const runs: PrunePlan[] = [];
  const report: RunReport = {
    predictedFreedBytes: 0,
    dockerEstimateBytes: 1_010_000,
    dockerReportedBytes: 1_234_000,
    measuredFreedBytes: 2_345_000,
    dataRootBytesBefore: 10_000_000,
    dataRootBytesAfter: 7_655_000,
    removed: [],
    alreadyRemoved: [],
    skipped: [],
    failed: [{ kind: 'image', id: 'x', name: 'tools/lone:1', error: 'conflict: in use' }],
  };
  const data = readyData(model, {
    rescanNow: async () => next(),
    runPlan: async (_m, plan, onProgress) => {
      runs.push(plan);
      onProgress({ done: 0, total: 1, item: plan.images[0] ?? (plan.buildCache as never) });
      return { ...report, predictedFreedBytes: plan.predictedFreedBytes };
    },
  });
  const r = render(<Explorer data={data} onQuit={() => {}} size={size} />);
  return { ...r, runs };
}

describe('the cleanup assistant (p)', () => {
  it('previews docker system prune -a: groups with disk and Docker bytes, the total, what is kept and why', async () => {
    const { lastFrame, stdin } = app(engine());
    stdin.write('p');
    await tick();
    const f = lastFrame() ?? '';
    expect(f).toContain('docker system prune -a: preview');
    expect(f).toMatch(/Containers \(1\)\s+1\.25MB\s+1MB/);
    expect(f).toMatch(/job \(exited\)\s+1\.25MB\s+1MB/);
    // app-b's own layer (520kB) and the lone image (8.19kB); the base and common stay for app-a.
    expect(f).toMatch(/Images \(2\)\s+528kB/);
    expect(f).toMatch(/Build cache \(1\)\s+300kB\s+10kB/);
    expect(f).toMatch(/image shop\/app-a:latest, shop\/app-a:v2: used by web \(running\)/);
    expect(f).toMatch(
      /Total: frees 2\.08MB on disk · Docker's estimate 1\.01MB \(the disk gets 1\.07MB more\)/,
    );
    // ? explains; a stray Enter or y does nothing.
    stdin.write('?');
    await tick();
    expect(lastFrame()).toContain('What this is: the exact list');
    stdin.write('y');
    stdin.write('\r');
    await tick();
    expect(lastFrame()).toContain('D remove all of this');
  });

  it('wraps its explanation (?) to the panel: whole at 80 columns, in fewer lines at 200', async () => {
    const explanation = async (columns: number) => {
      const { lastFrame, stdin } = app(engine(), undefined, { columns, rows: 60 });
      await press(stdin, 'p', '?');
      const inside = (lastFrame() ?? '')
        .split('\n')
        .map((l) => l.replace(/^│\s?/, '').replace(/\s*│$/, '').trimEnd());
      const from = inside.findIndex((l) => l.startsWith('What this is'));
      const to = inside.findIndex((l) => l.endsWith('prints no such sum.'));
      return { lines: inside.slice(from, to + 1), from, to };
    };
    const narrow = await explanation(80);
    expect(narrow.from).toBeGreaterThan(-1);
    expect(narrow.to).toBeGreaterThan(narrow.from);
    expect(narrow.lines.every((l) => l.length <= 75 && !l.endsWith('…'))).toBe(true);
    expect(narrow.lines.join(' ')).toContain(
      "DOCKER is Docker's own figure for the same items. Nothing is forced: running containers and their images stay.",
    );
    const wide = await explanation(200);
    expect(wide.lines.length).toBeLessThan(narrow.lines.length);
    expect(wide.lines.some((l) => l.length > 150)).toBe(true);
    expect(wide.lines.join(' ')).toBe(narrow.lines.join(' '));
  });

  it('runs only after D, "yes" and Enter; checks the engine again first; then reports three figures', async () => {
    const model = engine();
    const { lastFrame, stdin, runs } = app(model);
    stdin.write('p');
    await tick();
    stdin.write('D');
    await tick();
    expect(lastFrame()).toMatch(/Type yes and Enter to remove 4 item\(s\)/);
    stdin.write('ye');
    await tick();
    stdin.write('\r');
    await tick();
    expect(runs).toHaveLength(0); // "ye" is not "yes"
    expect(lastFrame()).toMatch(/"ye" is not yes: nothing removed/);
    stdin.write('yes');
    await tick();
    stdin.write('\r');
    await until(() => (lastFrame() ?? '').includes('Cleanup done'));
    expect(runs).toHaveLength(1);
    expect(runs[0]?.images.map((i) => i.name)).toEqual(['shop/app-b:latest', 'tools/lone:1']);
    const f = lastFrame() ?? '';
    expect(f).toContain('Cleanup done');
    expect(f).toMatch(/Predicted by layertop\s+2\.08MB/);
    expect(f).toMatch(/Reported by Docker\s+1\.23MB/);
    // Docker's two figures differ, and the report says why: whole, wrapped to the panel's width
    // (116 columns inside the border at 120, the note indented by 2), not to a fixed narrow one.
    const inside = f.split('\n').map((l) => l.replace(/^│\s*/, '').replace(/\s*│$/, ''));
    const at = inside.findIndex((l) => l.startsWith("(Docker's estimate"));
    const note = at < 0 ? [] : inside.slice(at, at + 2);
    expect(note.every((l) => l.length <= 115)).toBe(true);
    expect(note[0]?.length).toBeGreaterThan(100);
    expect(inside[at + 2]).toMatch(/^Measured on disk/);
    expect(note.join(' ')).toMatch(
      /^\(Docker's estimate before was 1\.01MB: it counts a layer shared by removed images for none of them, and the build cache at its listed size; its report counts each deleted layer once, and what BuildKit says it reclaimed\)/,
    );
    expect(f).toMatch(/Measured on disk\s+2\.35MB/);
    expect(f).toMatch(/image tools\/lone:1: conflict: in use/);
    stdin.write('\u001b');
    await tick();
    expect(lastFrame()).toContain('ADD rootfs.tar /');
  });

  it('shows what changed since the preview and asks again before removing anything', async () => {
    const model = engine();
    // Between the preview and the run, a container starts on the lone image.
    const later = () => engine([{ name: 'late', imageId: 'ccc1', image: 'tools/lone:1', state: 'running' }]);
    const { lastFrame, stdin, runs } = app(model, later);
    await press(stdin, 'p', 'D', 'yes');
    stdin.write('\r');
    await until(() => (lastFrame() ?? '').includes('The engine changed since the preview'));
    expect(runs).toHaveLength(0);
    const f = lastFrame() ?? '';
    expect(f).toContain('The engine changed since the preview:');
    expect(f).toMatch(/- image tools\/lone:1 \(now kept\)/);
    expect(f).toMatch(/Still remove\? Type yes and Enter to remove 3 item\(s\)/);
    stdin.write('yes');
    await tick();
    stdin.write('\r');
    await until(() => (lastFrame() ?? '').includes('Cleanup done'));
    expect(runs.map((p) => p.images.map((i) => i.name))).toEqual([['shop/app-b:latest']]);
  });
});

describe('marking (Space) and removing the marked set (d)', () => {
  it('marks rows, shows what the marked set frees live, and previews exactly that set', async () => {
    const { lastFrame, stdin } = app(engine());
    // Mark by searching: / then the name, Enter lands on the row; Space marks it.
    stdin.write('/');
    await tick();
    stdin.write('appb');
    await tick();
    stdin.write('\r');
    await tick();
    stdin.write(' ');
    await tick();
    let f = lastFrame() ?? '';
    expect(f.split('\n').find((l) => l.includes('▣ shop/app-b:latest'))).toMatch(/✗ bbb100000000/);
    expect(f).toMatch(/◆ job \(exited\)/);
    // app-b is used by the stopped job, which is not marked: it frees nothing yet.
    expect(f).toMatch(/1 marked: frees 0B on disk/);
    stdin.write('/');
    await tick();
    stdin.write('job');
    await tick();
    stdin.write('\r');
    await tick();
    stdin.write(' ');
    await tick();
    f = lastFrame() ?? '';
    expect(f).toMatch(/2 marked: frees 1\.77MB on disk/);
    stdin.write('d');
    await tick();
    f = lastFrame() ?? '';
    expect(f).toContain('remove the marked items: preview');
    expect(f).toMatch(/job \(exited\)\s+1\.25MB/);
    expect(f).toMatch(/shop\/app-b:latest\s+520kB/);
    expect(f).not.toContain('tools/lone:1');
    stdin.write('\u001b');
    await tick();
    stdin.write('u');
    await tick();
    expect(lastFrame()).not.toMatch(/marked: frees/);
  });
});

describe('after the marked set is removed', () => {
  it('shows no marks under the report (they were removed)', async () => {
    const { lastFrame, stdin, runs } = app(engine());
    for (const q of ['appb', 'job']) await press(stdin, '/', q, '\r', ' ');
    expect(lastFrame()).toMatch(/2 marked: frees 1\.77MB on disk/);
    await press(stdin, 'd', 'D', 'yes');
    stdin.write('\r');
    await until(() => (lastFrame() ?? '').includes('Cleanup done'));
    expect(runs).toHaveLength(1);
    await tick();
    expect(lastFrame()).toContain('Cleanup done');
    expect(lastFrame()).not.toMatch(/marked: frees/);
    stdin.write('\u001b');
    await tick();
    expect(lastFrame()).not.toMatch(/marked: frees/);
    expect(lastFrame()).not.toMatch(/✗/);
  });
});

describe('the cleanup preview at 80 columns', () => {
  it('keeps the main action and "Esc close" in its key line', async () => {
    const data = readyData(engine());
    const { lastFrame, stdin } = render(
      <Explorer data={data} onQuit={() => {}} size={{ columns: 80, rows: 24 }} />,
    );
    stdin.write('p');
    await tick();
    const keysLine = (lastFrame() ?? '').split('\n').find((l) => l.includes('D remove all of this')) ?? '';
    expect(keysLine).toMatch(/D remove all of this {2}.* {2}Esc close/);
    expect(keysLine).not.toContain('…');
  });
});

describe('the cleanup preview on a small screen', () => {
  it('says which lines are shown and that more lie below, and scrolls to them', async () => {
    const data = readyData(engine());
    const { lastFrame, stdin } = render(
      <Explorer data={data} onQuit={() => {}} size={{ columns: 60, rows: 12 }} />,
    );
    stdin.write('p');
    await tick();
    const first = lastFrame() ?? '';
    const mark = /lines 1-(\d+) of (\d+) ↓/.exec(first);
    expect(mark).not.toBeNull();
    const [shown, total] = [Number(mark?.[1]), Number(mark?.[2])];
    expect(shown).toBeLessThan(total);
    // The key line has no room for "↑↓ scroll" here: the mark is what tells more is there.
    expect(first).not.toContain('↑↓ scroll');
    for (let i = 0; i < total; i++) stdin.write('\u001b[B');
    await tick();
    expect(lastFrame()).toMatch(new RegExp(`lines \\d+-${total} of ${total} ↑(?!↓)`));
  });
});

describe('paging the cleanup preview', () => {
  it('shows every line by PgDn, one page after the other with none skipped; End and Home go to the ends', async () => {
    const data = readyData(engine());
    const { lastFrame, stdin } = render(
      <Explorer data={data} onQuit={() => {}} size={{ columns: 60, rows: 12 }} />,
    );
    stdin.write('p');
    await tick();
    const range = () => {
      const m = /lines (\d+)-(\d+) of (\d+)/.exec(lastFrame() ?? '');
      return [Number(m?.[1]), Number(m?.[2]), Number(m?.[3])] as const;
    };
    const [, firstLast, total] = range();
    expect(firstLast).toBeLessThan(total);
    let last = firstLast;
    while (last < total) {
      await press(stdin, '\u001b[6~');
      const [from, to] = range();
      // The next page starts right after the last line shown, or overlaps at the end.
      expect(from).toBeLessThanOrEqual(last + 1);
      expect(to).toBeGreaterThan(last);
      last = to;
    }
    await press(stdin, '\u001b[H');
    expect(range()[0]).toBe(1);
    await press(stdin, '\u001b[F');
    expect(range()[1]).toBe(total);
    await press(stdin, 'g');
    expect(range()[0]).toBe(1);
    await press(stdin, 'G');
    expect(range()[1]).toBe(total);
  });
});

describe('the preview subtotals', () => {
  it('count in the Images subtotal the layers only the removed images share', () => {
    const img = (id: string, disk: number): PlanItem => ({
      kind: 'image',
      id,
      name: id,
      diskBytes: disk,
      dockerBytes: 0,
    });
    const plan: PrunePlan = {
      source: 'prune',
      containers: [],
      networks: [],
      volumes: [],
      images: [img('a', 1_000), img('b', 2_000)],
      buildCache: null,
      sharedImageBytes: 5_000_000,
      kept: [],
      predictedFreedBytes: 5_003_000,
      diskUnknown: null,
      dockerEstimateBytes: 0,
    };
    const lines = planLines(plan);
    expect(lines.find((l) => l.text.startsWith('Images'))?.right).toMatch(/^\s*5MB\s/);
    expect(lines.find((l) => l.text.includes('layers shared only by these images'))?.right).toMatch(
      /^\s*5MB/,
    );
  });
});

describe('the cleanup assistant and a lost engine', () => {
  it('opens no preview while the engine is lost, and closes one made before once it is back', async () => {
    const model = engine();
    const base = readyData(model);
    const size = { columns: 120, rows: 34 };
    const { lastFrame, stdin, rerender } = render(<Explorer data={base} onQuit={() => {}} size={size} />);
    await tick();
    stdin.write('p');
    await tick();
    expect(lastFrame()).toContain('docker system prune -a: preview');
    // Lost: the preview stays (D then checks the engine, and says it cannot), p opens nothing new.
    rerender(<Explorer data={{ ...base, link: 'lost' }} onQuit={() => {}} size={size} />);
    await tick();
    expect(lastFrame()).toContain('docker system prune -a: preview');
    // Back: the old preview is closed, and the footer says why.
    rerender(
      <Explorer data={{ ...base, link: 'ok', notice: 'reconnected' }} onQuit={() => {}} size={size} />,
    );
    await tick();
    expect(lastFrame()).not.toContain('docker system prune -a: preview');
    expect(lastFrame()).toMatch(/the engine came back: the cleanup preview made before was closed/);
    rerender(<Explorer data={{ ...base, link: 'lost' }} onQuit={() => {}} size={size} />);
    await tick();
    stdin.write('p');
    await tick();
    expect(lastFrame()).not.toContain('docker system prune -a: preview');
    expect(lastFrame()).toMatch(/the engine is away \(reconnecting\): no cleanup until it answers again/);
  });
});

describe('the cleanup assistant with nothing to remove', () => {
  it('offers no D', async () => {
    const { lastFrame, stdin } = render(
      <Explorer data={readyData(sampleModel())} onQuit={() => {}} size={{ columns: 120, rows: 34 }} />,
    );
    await tick();
    await press(stdin, 'p');
    expect(lastFrame()).toContain('D remove all of this');
    // Dangling images only: the sample has none, and nothing else prune takes.
    await press(stdin, 'a');
    expect(lastFrame()).toContain('docker system prune: preview');
    expect(lastFrame()).not.toContain('D remove all of this');
    expect(lastFrame()).toMatch(/Esc close/);
  });
});
