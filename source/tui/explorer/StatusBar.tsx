import { Box, Text } from 'ink';
import type { MeasureProgress } from '../../engine/helper/measure.js';
import { escapeText } from '../../model/escape.js';
import { counted } from '../../model/size-text.js';
import type { EngineData } from '../engine-data.js';
import { size } from '../format.js';
import type { Theme } from '../theme.js';

function bar(done: number, total: number, width: number): string {
  const filled = total > 0 ? Math.round((done / total) * width) : 0;
  return `${'█'.repeat(filled)}${'░'.repeat(Math.max(0, width - filled))}`;
}

/**
 * "██░░ 120/300" once the total is known; before, "120/300+" and no bar (the total grows as the
 * scan learns what there is to measure, and a bar drawn against it went back).
 */
export function progressText(p: MeasureProgress): string {
  return p.totalKnown === false
    ? `${p.done}/${p.total}+`
    : `${bar(p.done, p.total, 10)} ${p.done}/${p.total}`;
}

/** "40 s ago", "12 min ago", "3 h ago", "2 days ago". */
export function ago(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86_400) return `${Math.floor(s / 3600)} h ago`;
  const days = Math.floor(s / 86_400);
  return `${days} day${days === 1 ? '' : 's'} ago`;
}

/** What is wrong with the connection or the helper right now, if anything: said first, at once. */
export function faultText(data: Pick<EngineData, 'link' | 'helper'>): string | undefined {
  if (data.link === 'not answering') return 'engine not answering';
  if (data.link === 'lost') return 'engine lost — reconnecting';
  if (data.helper === 'lost') return 'helper lost — restarting';
  return undefined;
}

const HELPER_TEXT: Record<EngineData['helper'], string> = {
  starting: 'helper: starting',
  ready: 'helper: ready',
  lost: 'helper: lost',
  off: 'helper: off',
  failed: 'helper: could not start',
};

/**
 * Engine, backend, faults and recoveries, totals and helper state; a progress bar while the
 * helper measures. Without the helper the disk total says it is unknown, and why.
 */
export function StatusBar(props: { data: EngineData; width: number; theme: Theme }) {
  const { data, theme } = props;
  const m = data.model;
  const e = m?.report.engine;
  const t = m?.report.totals;
  const long = e ? `${e.storage} · Docker ${escapeText(e.version)}` : '';
  const engineText = e
    ? long
    : data.phase === 'error'
      ? 'no engine'
      : data.phase === 'measuring'
        ? 'connected'
        : 'connecting…';
  const fault = faultText(data);
  const coming = data.helper === 'starting' || data.helper === 'ready';
  // The layers' own disk bytes beside their count, and "on disk" for the whole data root (the
  // ledger's total, what du gives it): the layers' figure alone read as the disk's, and a user
  // holding it against du of the data root found 244MB where du said 388MB.
  const root = m?.report.ledger?.totalBytes;
  const rootText = root !== undefined ? `  ${size(root)} on disk` : '';
  const disk =
    t?.layersDiskBytes !== null && t?.layersDiskBytes !== undefined
      ? `${size(t.layersDiskBytes)}${rootText}`
      : coming
        ? 'disk …'
        : `disk unknown (needs the helper${m?.report.diskUnknown ? `: ${escapeText(m.report.diskUnknown)}` : ''})`;
  const counts = t
    ? `  ${counted(t.images, 'image', 'images')}  ${counted(t.layers, 'layer', 'layers')}`
    : '';
  const full = t ? `${counts} ${disk}` : '';
  // Narrow (80 columns): the data root's total stays, the layers' own figure gives way first, and
  // the total is named as the data root's: "14 layers  741MB on disk" read as the layers' bytes.
  const short = t && root !== undefined ? `${counts}  data root ${size(root)}` : full;
  const stale =
    data.staleSince !== undefined
      ? `  last scan ${ago(Date.now() - data.staleSince)} (not refreshed yet)`
      : '';
  const p = data.progress;
  const progress = data.phase === 'measuring' && p ? `  measuring ${progressText(p)} ${size(p.bytes)}` : '';
  // While the engine is away the helper's own state says nothing more.
  // Nor with no engine at all: no helper is starting then.
  // "(local)": no container was started, the loops run as layertop's own processes (README).
  const helper =
    fault || (data.phase === 'error' && !m)
      ? ''
      : `  ${HELPER_TEXT[data.helper]}${data.helper === 'ready' && data.helperLocal ? ' (local)' : ''}`;
  // At 80 columns "Docker " is what gives way, so the helper's state stays whole.
  const restWith = (totals: string) =>
    (fault ? `  ${fault}` : '') + (!fault && data.notice ? `  ${data.notice}` : '') + totals + stale + helper;
  const cells = (text: string) => [...text].length;
  const shortEngine = e ? `${e.storage} · ${escapeText(e.version)}` : engineText;
  // ">=": the host follows, and a cut line ends in "…" in the last column.
  const engine = e && cells(long) + cells(restWith(full)) >= props.width ? shortEngine : engineText;
  const totals = cells(engine) + cells(restWith(full)) >= props.width ? short : full;
  // The host goes last: on a narrow terminal it is what gets cut, never the state.
  return (
    <Box width={props.width}>
      <Text wrap="truncate">
        <Text color={theme.color('accent')}>{engine}</Text>
        {fault ? <Text color={theme.color('danger')}>{`  ${fault}`}</Text> : null}
        {!fault && data.notice ? <Text color={theme.color('unique')}>{`  ${data.notice}`}</Text> : null}
        {totals}
        {stale ? <Text color={theme.color('shared')}>{stale}</Text> : null}
        <Text color={data.helper === 'ready' ? theme.color('unique') : theme.color('shared')}>{helper}</Text>
        <Text color={theme.color('shared')}>{progress}</Text>
        <Text color={theme.color('dim')}>{e ? `  ${escapeText(e.host)}` : ''}</Text>
      </Text>
    </Box>
  );
}
