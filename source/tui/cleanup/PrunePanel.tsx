import { Box, Text } from 'ink';
import { escapeText } from '../../model/escape.js';
import { planIsEmpty } from '../../model/prune-plan.js';
import { size } from '../format.js';
import { type Action, fitHints, keyHints } from '../key-bindings.js';
import type { Theme } from '../theme.js';
import { CONFIRM_WORD, type PruneFlow } from './prune-flow.js';
import {
  changeLines,
  EXPLAIN,
  fitLines,
  type Line,
  planLines,
  reportLines,
  type Tone,
  totalLine,
} from './prune-lines.js';

const TONE: Record<Tone, Parameters<Theme['color']>[0] | undefined> = {
  plain: undefined,
  heading: 'accent',
  dim: 'dim',
  danger: 'danger',
  good: 'unique',
  warn: 'shared',
};

function LineRow({ line, width, theme }: { line: Line; width: number; theme: Theme }) {
  const right = line.right ?? '';
  const room = Math.max(1, width - right.length - 1);
  // Lines carry names from the engine: escaped (again, which changes nothing) where drawn.
  const shown = escapeText(line.text);
  const text = shown.length > room ? `${shown.slice(0, room - 1)}…` : shown.padEnd(room);
  return (
    <Text wrap="truncate" color={theme.color(TONE[line.tone] ?? 'dim')} bold={line.tone === 'heading'}>
      {text} {right}
    </Text>
  );
}

/** How many lines the scrolling part of the panel holds. */
export function pruneBodyHeight(height: number): number {
  return Math.max(1, height - 5);
}

/** The columns a line of a panel `width` wide holds (inside its border and padding). */
export const panelInner = (width: number): number => width - 4;

/** The panel's scrolling lines at `inner` columns, numbered (the number is the row's key). */
export function pruneLines(flow: PruneFlow, inner: number): (Line & { n: number })[] {
  let lines: Line[];
  if (flow.phase === 'report') lines = reportLines(flow);
  else {
    lines = flow.explain ? [{ text: EXPLAIN, tone: 'dim' as Tone, paragraph: { indent: '' } }] : [];
    if (flow.phase === 'changed') lines.push(...changeLines(flow), { text: '', tone: 'plain' });
    lines.push(...planLines(flow.plan));
  }
  // A line's room is one less than the panel's: LineRow puts a space before the figures.
  return fitLines(lines, inner - 1).map((l, n) => ({ ...l, n }));
}

/** The cleanup assistant: the preview, the confirmation, the run's progress and the report. */
export function PrunePanel(props: { flow: PruneFlow; width: number; height: number; theme: Theme }) {
  const { flow, width, height, theme } = props;
  const inner = panelInner(width);
  const body = pruneBodyHeight(height);
  const lines = pruneLines(flow, inner);
  const visible = lines.slice(flow.scroll, flow.scroll + body);
  const title =
    flow.source === 'prune'
      ? `docker system prune${flow.all ? ' -a' : ''}${flow.volumes ? ' --volumes' : ''}: preview`
      : 'remove the marked items: preview';
  let prompt: React.ReactNode;
  switch (flow.phase) {
    case 'preview':
      prompt = (
        <Text wrap="truncate" color={theme.color('dim')}>
          {previewHints(flow.source, width - 4 /* the border and the padding */, planIsEmpty(flow.plan))}
        </Text>
      );
      break;
    case 'confirm':
    case 'changed':
      prompt = (
        <Text wrap="truncate" color={theme.color('danger')}>
          {flow.refused !== undefined
            ? `"${escapeText(flow.refused)}" is not ${CONFIRM_WORD}: nothing removed. `
            : ''}
          {flow.phase === 'changed' ? 'Still remove? ' : ''}Type {CONFIRM_WORD} and Enter to remove{' '}
          {flow.plan.containers.length +
            flow.plan.networks.length +
            flow.plan.volumes.length +
            flow.plan.images.length +
            (flow.plan.buildCache ? 1 : 0)}{' '}
          item(s), Esc to go back: {flow.typed}█
        </Text>
      );
      break;
    case 'checking':
      prompt = <Text color={theme.color('shared')}>Checking the engine again before removing anything…</Text>;
      break;
    case 'running': {
      const p = flow.progress;
      prompt = (
        <Text wrap="truncate" color={theme.color('shared')}>
          Removing {p ? `${p.done}/${p.total}: ${escapeText(p.name)}` : '…'} (then measuring the disk)
        </Text>
      );
      break;
    }
    case 'report':
      prompt = <Text color={theme.color('dim')}>Esc or Enter: back to the explorer</Text>;
      break;
    case 'failed':
      prompt = (
        <Text wrap="truncate" color={theme.color('danger')}>
          {escapeText(flow.error ?? '')} (Esc to close)
        </Text>
      );
      break;
  }
  return (
    <Box flexDirection="column" width={width} height={height} borderStyle="round" paddingX={1}>
      <Box>
        <Box flexShrink={1}>
          <Text bold color={theme.color('accent')} wrap="truncate">
            {flow.phase === 'report' ? 'Cleanup done' : title}
          </Text>
        </Box>
        {/* Where the visible lines are, whenever some are not: the key hints may have no room to say ↑↓. */}
        {lines.length > body ? (
          <Box flexShrink={0} marginLeft={1}>
            <Text color={theme.color('shared')}>{scrollMark(flow.scroll, body, lines.length)}</Text>
          </Box>
        ) : null}
      </Box>
      <Box flexDirection="column" height={body}>
        {visible.map((line) => (
          <LineRow key={line.n} line={line} width={inner} theme={theme} />
        ))}
      </Box>
      <Text wrap="truncate" bold>
        {flow.phase === 'report'
          ? `Freed ${size(flow.report?.measuredFreedBytes ?? null)} on disk`
          : totalLine(flow.plan)}
      </Text>
      {prompt}
    </Box>
  );
}

/** "lines 1-9 of 21 ↓": which of the panel's lines are shown, and which way the rest lie. */
export function scrollMark(scroll: number, body: number, total: number): string {
  const last = Math.min(total, scroll + body);
  const arrows = `${scroll > 0 ? '↑' : ''}${last < total ? '↓' : ''}`;
  return `lines ${scroll + 1}-${last} of ${total}${arrows ? ` ${arrows}` : ''}`;
}

/** The preview's keys within the panel: the main action first and Esc close last always. */
function previewHints(source: PruneFlow['source'], width: number, empty = false): string {
  // Nothing to remove: no "D remove all of this" (D does nothing then).
  const leaveOut: Action[] = [...(source === 'prune' ? [] : (['toggleAll', 'toggleVolumes'] as const))];
  if (empty) leaveOut.push('confirm');
  const hints = keyHints('cleanup', leaveOut).split('  ');
  const close = hints.filter((h) => h.startsWith('Esc'));
  return fitHints([...hints.filter((h) => !h.startsWith('Esc')), '↑↓ PgDn End scroll', ...close], width);
}
