import { Box, Text } from 'ink';
import { memo } from 'react';
import type { ScanModel } from '../../model/report.js';
import { markKey } from '../explorer/explorer-state.js';
import { useRenderEpoch } from '../render-epoch.js';
import type { Theme } from '../theme.js';
import { SIZE_COL, TreeRow } from './TreeRow.js';
import type { Row } from './tree-rows.js';

/** The first visible row: keeps the cursor inside the window, scrolling as little as possible. */
export function windowStart(cursor: number, count: number, height: number, previous = 0): number {
  if (count <= height) return 0;
  let start = Math.min(previous, count - height);
  if (cursor < start) start = cursor;
  if (cursor >= start + height) start = cursor - height + 1;
  return Math.max(0, start);
}

/**
 * The first visible row once the row at `cursor` has opened onto the rows up to `last`: as many
 * of them as fit come into view, the cursor's row staying on screen (its first line at most).
 */
export function revealStart(start: number, cursor: number, last: number, height: number): number {
  if (last < start + height) return start;
  return Math.max(start, Math.min(cursor, last - height + 1));
}

/** A virtualized list: only the rows inside the window are rendered, whatever the tree's size. */
export const LayerTree = memo(function LayerTree(props: {
  model: ScanModel;
  rows: Row[];
  cursor: number;
  start: number;
  height: number;
  width: number;
  theme: Theme;
  focused: boolean;
  marks?: ReadonlySet<string>;
  /** The Disk view's rows are the data root's categories and their items: no layer, no SIZE. */
  disk?: boolean;
}) {
  useRenderEpoch();
  const { model, rows, cursor, start, height, width, theme } = props;
  const visible = rows.slice(start, start + Math.max(1, height - 1));
  const first = props.disk ? 'WHERE THE DATA ROOT GOES' : 'LAYER';
  const header = `${first.padEnd(Math.max(0, width - 2 * SIZE_COL - 7))}${(props.disk ? '' : 'SIZE').padStart(SIZE_COL)}${'DISK'.padStart(SIZE_COL)} SHARE`;
  return (
    <Box flexDirection="column" width={width} height={height}>
      <Text bold color={props.focused ? theme.color('accent') : undefined} wrap="truncate">
        {header}
      </Text>
      {visible.map((row, i) => (
        <TreeRow
          key={row.key}
          model={model}
          row={row}
          width={width}
          selected={start + i === cursor}
          marked={props.marks?.has(markKey(row) ?? '') ?? false}
          theme={theme}
        />
      ))}
      {rows.length === 0 ? <Text color={theme.color('dim')}>No images on this engine.</Text> : null}
    </Box>
  );
});
