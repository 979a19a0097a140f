import { Box, Text } from 'ink';
import { escapeText } from '../../model/escape.js';
import type { Theme } from '../theme.js';
import type { SearchHit } from './search.js';

function Highlighted(props: { hit: SearchHit; theme: Theme }) {
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
      {parts.map((p, i) =>
        p.match ? (
          // biome-ignore lint/suspicious/noArrayIndexKey: parts of one label never reorder
          <Text key={i} bold underline color={theme.color('match')}>
            {p.text}
          </Text>
        ) : (
          // biome-ignore lint/suspicious/noArrayIndexKey: parts of one label never reorder
          <Text key={i}>{p.text}</Text>
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
        <Box key={h.row.key}>
          {/* Fixed and never shrunk: a label cut at the edge must not take a column from it. */}
          <Box width={10} flexShrink={0}>
            <Text inverse={Math.max(0, start) + i === index}>{h.row.kind.padEnd(10)}</Text>
          </Box>
          <Highlighted hit={h} theme={theme} />
        </Box>
      ))}
    </Box>
  );
}
