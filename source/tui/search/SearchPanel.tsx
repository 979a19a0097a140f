import { Box, Text } from 'ink';
import { escapeText } from '../../model/escape.js';
import type { Theme } from '../theme.js';
import type { SearchHit } from './search.js';

/** The longest kind ("cache-record") and a space: every label starts in the same column. */
const KIND_WIDTH = 13;

/**
 * One hit as ONE text node: its kind (padded, so labels line up), then the label with the matched
 * characters highlighted. Nested <Text> are spans of the one node, not layout nodes: a row of
 * boxes cost four layout nodes, and at 38 rows each typed character paid for them (issue 14).
 */
function HitRow(props: { hit: SearchHit; selected: boolean; theme: Theme }) {
  const { hit, theme } = props;
  const parts: { text: string; match: boolean }[] = [];
  let at = 0;
  for (const [s, e] of hit.ranges) {
    if (s > at) parts.push({ text: hit.label.slice(at, s), match: false });
    parts.push({ text: hit.label.slice(s, e), match: true });
    at = e;
  }
  if (at < hit.label.length) parts.push({ text: hit.label.slice(at), match: false });
  return (
    <Text wrap="truncate">
      <Text inverse={props.selected}>{hit.row.kind.padEnd(KIND_WIDTH)}</Text>
      {hit.context ? <Text color={theme.color('dim')}>{`${hit.context}  `}</Text> : null}
      {parts.map((p, i) =>
        p.match ? (
          // biome-ignore lint/suspicious/noArrayIndexKey: parts of one label never reorder
          <Text key={i} bold underline color={theme.color('match')}>
            {p.text}
          </Text>
        ) : (
          p.text
        ),
      )}
    </Text>
  );
}

export function SearchPanel(props: {
  query: string;
  hits: SearchHit[];
  index: number;
  height: number;
  theme: Theme;
}) {
  const { hits, index, theme } = props;
  const room = Math.max(1, props.height - 2);
  const start = Math.max(0, Math.min(index - room + 1, hits.length - room));
  return (
    <Box flexDirection="column" height={props.height}>
      <Text>
        <Text color={theme.color('accent')}>/</Text>
        {escapeText(props.query)}
        <Text inverse> </Text>
        <Text
          color={theme.color('dim')}
        >{`  ${hits.length} match${hits.length === 1 ? '' : 'es'}  (Enter: go, Esc: leave)`}</Text>
      </Text>
      {hits.slice(Math.max(0, start), Math.max(0, start) + room).map((h, i) => (
        <HitRow key={h.row.key} hit={h} selected={Math.max(0, start) + i === index} theme={theme} />
      ))}
    </Box>
  );
}
