import { Box, Text } from 'ink';
import { PANES, type Pane } from '../key-bindings.js';
import type { Theme } from '../theme.js';
import { helpLines, helpWindow } from './help-lines.js';

/** The inner rows the overlay has for lines: its height less the border and the title. */
export const helpRows = (height: number) => Math.max(1, height - 3);

/**
 * The keys of the pane help was opened over, and what the symbols mean (help-lines.ts), scrolled
 * to `scroll` when they do not all fit.
 */
export function HelpOverlay(props: {
  theme: Theme;
  height: number;
  width: number;
  pane?: Pane;
  scroll?: number;
}) {
  const pane = props.pane ?? 'tree';
  const inner = Math.max(20, props.width - 4);
  const rows = helpRows(props.height);
  const { shown, status } = helpWindow(helpLines(pane, inner, rows), rows, props.scroll ?? 0);
  return (
    <Box flexDirection="column" width={props.width} height={props.height} borderStyle="round" paddingX={1}>
      <Text bold color={props.theme.color('accent')} wrap="truncate">
        layertop keys: {PANES[pane].title} (Esc or ? to close)
      </Text>
      {shown.map((l, i) => (
        // Lines repeat (blank ones): the position is the identity.
        // biome-ignore lint/suspicious/noArrayIndexKey: a line's place is what it is
        <Text key={i} wrap="truncate" color={l.legend ? props.theme.color('dim') : undefined}>
          {l.text}
        </Text>
      ))}
      {status ? (
        <Text color={props.theme.color('accent')} wrap="truncate">
          {status}
        </Text>
      ) : null}
    </Box>
  );
}
