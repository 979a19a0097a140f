// The header says where the helper's loops run: "(local)" when no container was started for them.
import { render } from 'ink-testing-library';
import { describe, expect, it } from 'vitest';
import { makeModel, readyData, SAMPLE_IMAGES } from '../../../test/support/model.js';
import { makeTheme } from '../theme.js';
import { StatusBar } from './StatusBar.js';

const theme = makeTheme({ NO_COLOR: '1' });

describe('StatusBar: the helper', () => {
  it('says "(local)" for a ready local helper, and nothing more for a container or a helper not ready', () => {
    const data = readyData(makeModel(SAMPLE_IMAGES));
    const frame = (d: typeof data) =>
      render(<StatusBar data={d} width={200} theme={theme} />).lastFrame() ?? '';
    expect(frame({ ...data, helper: 'ready', helperLocal: true })).toContain('helper: ready (local)');
    const container = frame({ ...data, helper: 'ready', helperLocal: false });
    expect(container).toContain('helper: ready');
    expect(container).not.toContain('(local)');
    expect(frame({ ...data, helper: 'starting', helperLocal: true })).not.toContain('(local)');
  });
});

describe('StatusBar: the totals', () => {
  it("puts the layers' disk bytes beside their count, and the data root's total as on disk", () => {
    const m = makeModel(SAMPLE_IMAGES);
    const frame = (model: typeof m) =>
      render(
        <StatusBar data={readyData(model)} width={200} theme={makeTheme({ NO_COLOR: '1' })} />,
      ).lastFrame() ?? '';
    const layers = m.report.totals.layersDiskBytes ?? 0;
    expect(layers).toBeGreaterThan(0);
    // No ledger yet: the layers' figure, and no "on disk" that could be taken for the data root's.
    const early = frame(m);
    expect(early).toMatch(/5 layers 11[\d.]+MB(?! +[\d.]+[kMG]?B on disk)/);
    expect(early).not.toContain('on disk');
    const withLedger = {
      ...m,
      report: { ...m.report, ledger: { ...(m.report.ledger ?? {}), totalBytes: 388_000_000 } },
    } as typeof m;
    expect(frame(withLedger)).toMatch(/5 layers 11[\d.]+MB {2}388MB on disk/);
    // Narrow: "Docker " gives way, then the layers' own figure; the data root's and the helper's
    // state stay whole.
    const at = (width: number) =>
      render(
        <StatusBar
          data={{ ...readyData(withLedger), helper: 'ready' }}
          width={width}
          theme={makeTheme({ NO_COLOR: '1' })}
        />,
      ).lastFrame() ?? '';
    expect(at(80)).toMatch(
      /^overlay2 · 26\.1\.5 {2}3 images {2}5 layers 11[\d.]+MB {2}388MB on disk {2}helper: ready /,
    );
    // Without the layers' figure beside it the total says whose it is: "5 layers  388MB on disk"
    // read as the layers' bytes.
    expect(at(72)).toMatch(
      /^overlay2 · 26\.1\.5 {2}3 images {2}5 layers {2}data root 388MB {2}helper: ready/,
    );
  });

  it('says "1 image" and "1 layer", not "1 images"', () => {
    const m = makeModel([
      { id: 'one', tags: ['solo:1'], layers: [{ id: 'x', size: 1, disk: 4096, cmd: 'ADD x /' }] },
    ]);
    const f = render(
      <StatusBar data={readyData(m)} width={200} theme={makeTheme({ NO_COLOR: '1' })} />,
    ).lastFrame();
    expect(f).toMatch(/ 1 image {2}1 layer 4\.1kB/);
  });
});

describe('StatusBar: the progress', () => {
  it('draws no bar against a total that can still grow ("120/300+"), and a bar once it is known', () => {
    const data = readyData(makeModel(SAMPLE_IMAGES));
    const frame = (progress: NonNullable<typeof data.progress>) =>
      render(
        <StatusBar data={{ ...data, phase: 'measuring', progress }} width={200} theme={theme} />,
      ).lastFrame() ?? '';
    const growing = frame({ done: 120, total: 300, bytes: 12_000_000, totalKnown: false });
    expect(growing).toMatch(/measuring 120\/300\+ 12MB/);
    expect(growing).not.toMatch(/[█░]/);
    expect(frame({ done: 150, total: 300, bytes: 12_000_000, totalKnown: true })).toMatch(
      /measuring █████░░░░░ 150\/300 12MB/,
    );
  });
});
