import { Box, Text } from 'ink';
import { escapeText } from '../../model/escape.js';
import type { EngineData } from '../data-context.js';
import { size } from '../format.js';
import type { Theme } from '../theme.js';

function bar(done: number, total: number, width: number): string {
  const filled = total > 0 ? Math.round((done / total) * width) : 0;
  return `${'█'.repeat(filled)}${'░'.repeat(Math.max(0, width - filled))}`;
}

/** Engine, backend, totals and helper state; a progress bar while the helper measures. */
export function StatusBar(props: { data: EngineData; width: number; theme: Theme }) {
  const { data, theme } = props;
  const m = data.model;
  const e = m?.report.engine;
  const t = m?.report.totals;
  const engine = e
    ? `${e.storage} · Docker ${e.version}`
    : data.phase === 'error'
      ? 'no engine'
      : 'connecting…';
  const totals = t ? `  ${t.images} images  ${t.layers} layers  ${size(t.layersDiskBytes)} on disk` : '';
  const p = data.progress;
  const progress =
    data.phase === 'measuring' && p
      ? `  measuring ${bar(p.done, p.total, 10)} ${p.done}/${p.total} ${size(p.bytes)}`
      : '';
  // The host goes last: on a narrow terminal it is what gets cut, never the state.
  return (
    <Box width={props.width}>
      <Text wrap="truncate">
        <Text color={theme.color('accent')}>{engine}</Text>
        {totals}
        <Text
          color={data.helper === 'ready' ? theme.color('unique') : theme.color('shared')}
        >{`  helper: ${data.helper}`}</Text>
        <Text color={theme.color('shared')}>{progress}</Text>
        <Text color={theme.color('dim')}>{e ? `  ${escapeText(e.host)}` : ''}</Text>
      </Text>
    </Box>
  );
}
