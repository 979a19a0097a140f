// A row deep in the tree keeps room for its name: the guides give way, a "…" says so.
import { render } from 'ink-testing-library';
import { describe, expect, it } from 'vitest';
import { makeTheme } from '../../source/tui/theme.js';
import { TreeRow } from '../../source/tui/tree/TreeRow.js';
import type { Row } from '../../source/tui/tree/tree-rows.js';
import { base, common, makeModel } from '../support/model.js';

describe('a row 11 levels down', () => {
  it("shows its image's whole name in the 84 columns a 140-column screen gives the tree", () => {
    const name = 'lt-scale/chain-7:latest';
    const m = makeModel([{ id: 'aaa1', tags: [name], layers: [base, common] }]);
    const img = m.inputs.images[0];
    const row: Row = {
      key: `image:${img?.id}`,
      kind: 'image',
      depth: 12,
      guide: `${'│ '.repeat(11)}└─`,
      expandable: false,
      expanded: false,
      imageId: img?.id,
      ancestors: [],
    };
    const frame =
      render(
        <TreeRow model={m} row={row} width={84} selected={false} theme={makeTheme({ NO_COLOR: '1' })} />,
      ).lastFrame() ?? '';
    expect(frame).toMatch(/^…/);
    expect(frame).toContain(name);
    expect([...frame].length).toBeLessThanOrEqual(84);
  });
});
