import { Box, Text } from 'ink';
import { BINDINGS } from '../key-bindings.js';
import type { Theme } from '../theme.js';

/** Drawn from the key-binding table, so it can never disagree with what the keys do. */
export function HelpOverlay(props: { theme: Theme; height: number }) {
  // Two columns when one does not fit the terminal's height.
  const room = Math.max(1, props.height - 4);
  const perColumn = BINDINGS.length <= room ? BINDINGS.length : Math.ceil(BINDINGS.length / 2);
  const columns = [BINDINGS.slice(0, perColumn), BINDINGS.slice(perColumn)].filter((c) => c.length);
  return (
    <Box flexDirection="column" height={props.height} borderStyle="round" paddingX={1}>
      <Text bold color={props.theme.color('accent')}>
        layertop keys (Esc or ? to close)
      </Text>
      <Box flexDirection="row">
        {columns.map((col) => (
          <Box key={col[0]?.action} flexDirection="column" flexGrow={1} flexBasis={0}>
            {col.map((b) => (
              <Text key={b.action} wrap="truncate">
                {b.keys.join(' / ').padEnd(14)}
                {b.help}
              </Text>
            ))}
          </Box>
        ))}
      </Box>
      <Text color={props.theme.color('dim')} wrap="truncate">
        SIZE is Docker's byte count; DISK is what the files really occupy. S×n: shared by n images, U: unique.
      </Text>
    </Box>
  );
}
