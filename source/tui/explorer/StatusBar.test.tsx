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
