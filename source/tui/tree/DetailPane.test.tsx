import { render } from 'ink-testing-library';
import { describe, expect, it } from 'vitest';
import { readyData, sampleModel } from '../../../test/support/model.js';
import { tick } from '../../../test/support/wait.js';
import { buildScanModel, NOT_MEASURED_YET } from '../../model/report.js';
import { Explorer } from '../explorer/Explorer.js';

/** The sample model as a tree shown before the walks (the API's, or a scan's preview) or without a helper. */
function unmeasured(why: string) {
  const m = sampleModel();
  for (const [chainId, f] of m.inputs.layerFacts) m.inputs.layerFacts.set(chainId, { chainId, size: f.size });
  m.inputs.diskUnknown = why;
  return buildScanModel(m.inputs);
}

describe('the details of a layer whose directory is not known', () => {
  it('say it is not measured yet while the first scan runs, not that there is no helper', async () => {
    const r = render(
      <Explorer
        data={readyData(unmeasured(NOT_MEASURED_YET))}
        onQuit={() => {}}
        size={{ columns: 120, rows: 40 }}
      />,
    );
    await tick();
    const f = r.lastFrame() ?? '';
    expect(f).toMatch(/directory\s+unknown \(not measured yet\)/);
    expect(f).not.toContain('no helper');
  });
  it('say there is no helper when none measures', async () => {
    const r = render(
      <Explorer
        data={readyData(unmeasured('--no-helper'))}
        onQuit={() => {}}
        size={{ columns: 120, rows: 40 }}
      />,
    );
    await tick();
    expect(r.lastFrame() ?? '').toMatch(/directory\s+unknown \(no helper\)/);
  });
});
