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
  const left = e
    ? `${escapeText(e.host)}  Docker ${e.version}  ${e.storage}`
    : data.phase === 'error'
      ? 'no engine'
      : 'connecting…';
  const totals = t ? `  ${t.images} images  ${t.layers} layers  ${size(t.layersDiskBytes)} on disk` : '';
  const p = data.progress;
  const progress =
    data.phase === 'measuring' && p
      ? `  measuring ${bar(p.done, p.total, 12)} ${p.done}/${p.total} ${size(p.bytes)}`
      : '';
  return (
    <Box width={props.width}>
      <Text wrap="truncate" color={theme.color('accent')}>
        {left}
        <Text color={undefined}>{totals}</Text>
        <Text color={theme.color('shared')}>{progress}</Text>
        <Text
          color={data.helper === 'ready' ? theme.color('unique') : theme.color('dim')}
        >{`  helper: ${data.helper}`}</Text>
      </Text>
    </Box>
  );
}
