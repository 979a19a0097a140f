import { Box, Text } from 'ink';
import { type Binding, PANES, type Pane, SYMBOLS } from '../key-bindings.js';
import type { Theme } from '../theme.js';

/** One column of keys, each with what it does (cut at the column's edge). */
function KeyColumn(props: { bindings: readonly Binding[]; width?: number }) {
  const sizing =
    props.width === undefined ? { flexGrow: 1, flexBasis: 0 } : { width: props.width, flexShrink: 0 };
  return (
    <Box flexDirection="column" {...sizing}>
      {props.bindings.map((b) => (
        <Text key={b.action} wrap="truncate">
          {b.keys.join(' / ').padEnd(14)}
          {b.help}
        </Text>
      ))}
    </Box>
  );
}

/**
 * The keys of the pane help was opened over, and what the symbols mean. Drawn from the key-binding
 * table, so it can never disagree with what the keys do.
 */
export function HelpOverlay(props: { theme: Theme; height: number; width?: number; pane?: Pane }) {
  const { title, bindings } = PANES[props.pane ?? 'tree'];
  const width = props.width ?? 80;
  // Wide enough for the keys whole and the symbols beside them: one column of keys, the symbols
  // one per line to its right (nothing cut, nothing in two columns).
  const keysWidth = 14 + Math.max(...bindings.map((b) => b.help.length)) + 2;
  const symbolsWidth = Math.max(...SYMBOLS.map(([sym, text]) => sym.length + 2 + text.length));
  const beside = width - 4 >= keysWidth + symbolsWidth && bindings.length <= props.height - 3;
  // Otherwise the symbols as one wrapped paragraph under the keys (one line more than the
  // characters need: words wrap whole), and two columns of keys when one does not fit the height.
  const legend = SYMBOLS.map(([sym, text]) => `${sym}: ${text}`).join(' · ');
  const legendLines = Math.ceil(legend.length / Math.max(20, width - 4)) + 1;
  const room = Math.max(1, props.height - 3 - legendLines);
  const perColumn = bindings.length <= room ? bindings.length : Math.ceil(bindings.length / 2);
  const columns = [bindings.slice(0, perColumn), bindings.slice(perColumn)].filter((c) => c.length);
  return (
    <Box flexDirection="column" height={props.height} borderStyle="round" paddingX={1}>
      <Text bold color={props.theme.color('accent')} wrap="truncate">
        layertop keys: {title} (Esc or ? to close)
      </Text>
      {beside ? (
        <Box flexDirection="row">
          <KeyColumn bindings={bindings} width={keysWidth} />
          <Box flexDirection="column" flexGrow={1}>
            {SYMBOLS.map(([sym, text]) => (
              <Text key={sym} color={props.theme.color('dim')} wrap="truncate">
                {sym}: {text}
              </Text>
            ))}
          </Box>
        </Box>
      ) : (
        <>
          <Box flexDirection="row">
            {columns.map((col) => (
              <KeyColumn key={col[0]?.action} bindings={col} />
            ))}
          </Box>
          <Text color={props.theme.color('dim')}>{legend}</Text>
        </>
      )}
    </Box>
  );
}
