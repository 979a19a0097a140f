import { Text } from 'ink';
import { memo } from 'react';
import { escapeText } from '../../model/escape.js';
import type { ScanModel } from '../../model/report.js';
import { disk, fitCells, shortId, size } from '../format.js';
import { useRenderEpoch } from '../render-epoch.js';
import type { Theme } from '../theme.js';
import type { Row } from './tree-rows.js';

export const SIZE_COL = 9;

export interface RowText {
  marker: string;
  id: string;
  label: string;
  size: string;
  disk: string;
  share: string;
  kind: Row['kind'];
  shared: boolean;
}

/**
 * What one row says. All numbers come from the model (layer graph and report), none is computed here.
 * A disk figure the helper did not measure (no helper) shows as "?", never 0.
 */
export function rowText(model: ScanModel, row: Row): RowText {
  const marker = row.expandable ? (row.expanded ? '▾' : '▸') : ' ';
  if (row.kind === 'layer' && row.chainId) {
    const n = model.graph.layers.get(row.chainId);
    const users = n?.images.length ?? 0;
    return {
      marker,
      id: shortId(row.chainId),
      label: escapeText(n?.createdBy ?? '(no build command)'),
      size: size(n?.size),
      disk: disk(n?.diskBytes),
      share: users > 1 ? `S×${users}` : 'U',
      kind: 'layer',
      shared: users > 1,
    };
  }
  if (row.kind === 'image' && row.imageId) {
    const img = model.report.images.find((i) => i.id === row.imageId);
    const tags = img?.tags.length ? img.tags.map(escapeText).join(', ') : '<none>';
    return {
      marker,
      id: shortId(row.imageId),
      label: `▣ ${tags}`,
      size: size(img?.size),
      disk: disk(img?.diskBytes),
      share: img?.containers ? `C×${img.containers}` : '',
      kind: 'image',
      shared: false,
    };
  }
  if (row.kind === 'volume') {
    const v = model.inputs.volumes.find((x) => x.name === row.volume);
    return {
      marker,
      id: 'volume'.padEnd(12),
      label: `⛁ ${escapeText(row.volume ?? '?')}${v?.anonymous ? ' (anonymous)' : ''}${v?.refCount ? ` used by ${v.refCount}` : ''}`,
      size: size(v?.size),
      disk: disk(v?.diskBytes),
      share: '',
      kind: 'volume',
      shared: false,
    };
  }
  if (row.kind === 'leftovers') {
    const l = model.report.leftovers;
    return {
      marker,
      id: 'leftovers'.padEnd(12),
      label: `⚠ ${l.directories.length} ${l.directories.length === 1 ? 'entry' : 'entries'} nothing references (no prune frees them)`,
      size: '',
      disk: disk(l.diskBytes),
      share: '',
      kind: 'leftovers',
      shared: false,
    };
  }
  if (row.kind === 'ledger' || row.kind === 'ledger-item') return ledgerRowText(model, row, marker);
  if (row.kind === 'cache-record') {
    const r = model.inputs.buildCache.items?.find((x) => x.id === row.recordId);
    const what = r?.description || r?.type || '?';
    return {
      marker,
      id: (row.recordId ?? '').slice(0, 12),
      label: `${row.guide}${r && r.type !== 'regular' ? `[${r.type}] ` : ''}${escapeText(what)}`,
      size: size(r?.size),
      disk: disk(r?.diskBytes),
      // In use: BuildKit keeps it; shared: its layers are an image's (Docker counts it as 0).
      share: r?.inUse ? 'use' : r?.shared ? 'S' : '',
      kind: 'cache-record',
      shared: r?.shared === true,
    };
  }
  if (row.kind === 'build-cache') {
    const b = model.inputs.buildCache;
    return {
      marker,
      id: 'build cache'.padEnd(12),
      label: `⚙ ${b.records} records${b.items?.length && !row.expanded ? ' (→ opens them)' : ''}`,
      size: size(b.size),
      disk: disk(b.diskBytes),
      share: '',
      kind: 'build-cache',
      shared: false,
    };
  }
  const c = model.report.containers.find((x) => x.id === row.containerId);
  return {
    marker,
    id: shortId(row.containerId ?? ''),
    label: `◆ ${escapeText(c?.name ?? '?')} (${escapeText(c?.state ?? '?')})`,
    // Docker's SizeRw; it gives none for some containers (created, never started on overlay2).
    size: c?.sizeRw === null || c?.sizeRw === undefined ? '?' : size(c.sizeRw),
    disk: disk(c?.diskBytes),
    share: 'RW',
    kind: 'container',
    shared: false,
  };
}

/** ncdu's bar: the row's share of the data root in 10 cells. */
function bar(part: number, total: number): string {
  const n = total > 0 ? Math.round((10 * part) / total) : 0;
  return `[${'#'.repeat(n)}${' '.repeat(10 - n)}]`;
}

/** A Disk view row: a ledger category with its bar and share, or one of its items. */
function ledgerRowText(model: ScanModel, row: Row, marker: string): RowText {
  const l = model.report.ledger;
  const total = l?.totalBytes ?? 0;
  const group =
    row.ledgerKey === 'unexplained'
      ? {
          label: 'Unexplained (no rule names it)',
          bytes: l?.unexplainedBytes ?? 0,
          items: l?.unexplained ?? [],
        }
      : l?.categories.find((c) => c.key === row.ledgerKey);
  const pct = (n: number) => (total ? `${Math.round((100 * n) / total)}%` : '');
  if (row.kind === 'ledger') {
    return {
      marker,
      id: bar(group?.bytes ?? 0, total),
      label: `${group?.label ?? row.ledgerKey ?? '?'} (${group?.items.length ?? 0})`,
      size: '',
      disk: size(group?.bytes ?? 0),
      share: pct(group?.bytes ?? 0),
      kind: row.kind,
      shared: false,
    };
  }
  const item = group?.items.find((i) => i.path === row.ledgerPath);
  const name = item?.name ? `${escapeText(item.name)}  ` : '';
  return {
    marker,
    id: item?.id ? shortId(item.id) : ''.padEnd(12),
    label: `${name}${escapeText(item?.path ?? row.ledgerPath ?? '?')}`,
    size: '',
    disk: size(item?.bytes ?? 0),
    share: '',
    kind: row.kind,
    shared: false,
  };
}

/**
 * Memoized: while the scan measures, every progress update re-renders the explorer; an unchanged
 * row (every prop the same: model, row, width, selection, mark, theme) is then skipped, not rebuilt.
 */
export const TreeRow = memo(function TreeRow(props: {
  model: ScanModel;
  row: Row;
  width: number;
  selected: boolean;
  /** Marked for removal (Space). */
  marked?: boolean;
  theme: Theme;
}) {
  useRenderEpoch();
  const { model, row, width, selected, theme } = props;
  const t = rowText(model, row);
  // Deep rows keep their last guides and a '…' says some are left out: at most a sixth of the row
  // (12 levels on a wide tree, 7 in the 84 columns a 140-column screen gives it), so a branch 11
  // levels down still shows its image's name ("lt-scale/chai…" was all a user saw).
  const room = Math.max(6, Math.min(24, 2 * Math.floor(width / 12)));
  const indent = row.guide.length > room ? `…${row.guide.slice(-(room - 1))}` : row.guide;
  const fixed = indent.length + 2 + 12 + 1 + 1 + SIZE_COL * 2 + 6;
  const marker = props.marked ? '✗' : t.marker;
  const label = fitCells(t.label, Math.max(4, width - fixed));
  const color =
    t.kind === 'image' ? theme.color('image') : t.kind === 'container' ? theme.color('container') : undefined;
  return (
    <Text inverse={selected} wrap="truncate">
      <Text color={theme.color('dim')}>{indent}</Text>
      <Text color={props.marked ? theme.color('danger') : undefined}>{marker}</Text>{' '}
      <Text color={theme.color('dim')}>{t.id}</Text> <Text color={color}>{label}</Text>
      {t.size.padStart(SIZE_COL)}
      {t.disk.padStart(SIZE_COL)}{' '}
      <Text color={t.shared ? theme.color('shared') : theme.color('unique')}>{t.share.padEnd(5)}</Text>
    </Text>
  );
});
