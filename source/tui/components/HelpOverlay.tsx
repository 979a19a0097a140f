import { Box, Text } from 'ink';
import { BINDINGS } from '../key-bindings.js';
import type { Theme } from '../theme.js';

/** Drawn from the key-binding table, so it can never disagree with what the keys do. */
export function HelpOverlay(props: { theme: Theme; height: number }) {
  return (
    <Box flexDirection="column" height={props.height} borderStyle="round" paddingX={1}>
      <Text bold color={props.theme.color('accent')}>
        layertop keys (Esc or ? to close)
      </Text>
      {BINDINGS.map((b) => (
        <Text key={b.action} wrap="truncate">
          {b.keys.join(' / ').padEnd(18)}
          {b.help}
        </Text>
      ))}
      <Text color={props.theme.color('dim')} wrap="truncate">
        SIZE is Docker's byte count; DISK is what the files really occupy. S×n: shared by n images, U: unique.
      </Text>
    </Box>
  );
}
