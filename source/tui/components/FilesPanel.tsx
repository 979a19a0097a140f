import fuzzysort from 'fuzzysort';
import { Box, type Key, Text } from 'ink';
import { escapeBytes } from '../../model/escape.js';
import {
  buildFileTree,
  type FileItem,
  type FileNode,
  type FileRow,
  fileRows,
} from '../../model/file-tree.js';
import { layerDiff, sortedView, wastedBytes } from '../../model/overlay.js';
import { fitCells, size } from '../format.js';
import type { FilesAction } from '../hooks/use-files-view.js';
import type { FilesView } from '../state/files-view.js';
import type { Theme } from '../theme.js';
import { windowStart } from './LayerTree.js';

const shown = (s: string) => escapeBytes(Buffer.from(s, 'latin1'));
const LETTER = { added: 'A', modified: 'M', deleted: 'D', opaque: 'O' } as const;
const COLOR = { added: 'unique', modified: 'shared', deleted: 'danger', opaque: 'image' } as const;

/** The rows the pane shows for the current view: from the full listing, or the names alone at first. */
export function viewItems(view: FilesView): { items: FileItem[]; wasted: number; stack: number } {
  const k = view.layer ?? 0;
  if (view.listed) {
    const { layers, merged } = view.listed;
    const w = wastedBytes(layers);
    const items: FileItem[] =
      view.mode === 'diff'
        ? layerDiff(layers, k).map((d) => ({ ...d.entry, status: d.status, layer: k }))
        : sortedView(merged).map((m) => ({ ...m.entry, layer: m.layer }));
    return { items, wasted: w.perLayer[k] ?? 0, stack: w.total };
  }
  const items = (view.names ?? []).map((n) => ({
    path: n.slice(2),
    type: 'file' as const,
    size: 0,
    layer: k,
  }));
  return { items, wasted: 0, stack: 0 };
}

export interface FilesModel {
  root: FileNode;
  rows: FileRow[];
  items: FileItem[];
  wasted: number;
  stack: number;
}

interface Built {
  items: FileItem[];
  wasted: number;
  stack: number;
  root: FileNode;
}

/**
 * The union, the diff and the directory tree depend only on the listing, the mode and the layer:
 * kept per listing, so that moving the cursor through 50,000 entries recomputes none of them.
 */
const built = new WeakMap<object, Map<string, Built>>();
const namesKey = {};

function buildOnce(view: FilesView): Built {
  const owner: object = view.listed ?? view.names ?? namesKey;
  const key = `${view.mode}:${view.layer ?? ''}`;
  let byKey = built.get(owner);
  if (!byKey) {
    byKey = new Map();
    built.set(owner, byKey);
  }
  let b = byKey.get(key);
  if (!b) {
    const v = viewItems(view);
    b = { ...v, root: buildFileTree(v.items) };
    byKey.set(key, b);
  }
  return b;
}

export function filesModel(view: FilesView): FilesModel {
  const { items, wasted, stack, root } = buildOnce(view);
  return { root, rows: fileRows(root, view.expanded, view.sort, view.filter), items, wasted, stack };
}

export function searchFiles(items: readonly FileItem[], query: string): FileItem[] {
  if (!query) return [];
  const keyed = items.map((i) => ({ i, key: shown(i.path) }));
  return fuzzysort.go(query, keyed, { key: 'key', limit: 200 }).map((r) => r.obj.i);
}

/** Keys of the files pane; returns false when the pane should close. */
export function filesKey(
  view: FilesView,
  fm: FilesModel,
  hits: FileItem[],
  input: string,
  key: Key,
  dispatch: (a: FilesAction) => void,
  page: number,
  openPreview: (item: FileItem) => void,
): void {
  if (view.preview) {
    if (key.escape || input === 'q' || key.leftArrow) dispatch({ type: 'preview', preview: undefined });
    else if (key.downArrow || input === 'j')
      dispatch({ type: 'previewScroll', delta: 1, max: view.preview.lines.length });
    else if (key.upArrow || input === 'k')
      dispatch({ type: 'previewScroll', delta: -1, max: view.preview.lines.length });
    else if (key.pageDown) dispatch({ type: 'previewScroll', delta: page, max: view.preview.lines.length });
    else if (key.pageUp) dispatch({ type: 'previewScroll', delta: -page, max: view.preview.lines.length });
    return;
  }
  if (view.searching) {
    if (key.escape) dispatch({ type: 'search', on: false });
    else if (key.return) {
      const hit = hits[view.searchIndex];
      if (hit) dispatch({ type: 'reveal', path: hit.path });
    } else if (key.upArrow) dispatch({ type: 'searchMove', delta: -1, count: hits.length });
    else if (key.downArrow) dispatch({ type: 'searchMove', delta: 1, count: hits.length });
    else if (key.backspace || key.delete) dispatch({ type: 'query', query: view.query.slice(0, -1) });
    else if (input && !key.ctrl && !key.meta) dispatch({ type: 'query', query: view.query + input });
    return;
  }
  const { rows } = fm;
  const i = Math.max(
    0,
    rows.findIndex((r) => r.node.path === view.cursor),
  );
  const row = rows[i];
  const go = (to: number) => {
    const r = rows[Math.max(0, Math.min(rows.length - 1, to))];
    if (r) dispatch({ type: 'cursor', path: r.node.path });
  };
  if (key.escape || input === 'q') dispatch({ type: 'close' });
  else if (key.downArrow || input === 'j') go(i + 1);
  else if (key.upArrow || input === 'k') go(i - 1);
  else if (key.pageDown) go(i + page);
  else if (key.pageUp) go(i - page);
  else if (key.home || input === 'g') go(0);
  else if (key.end || input === 'G') go(rows.length - 1);
  else if ((key.rightArrow || input === 'l') && row?.expandable)
    dispatch({ type: 'toggleDir', path: row.node.path, open: true });
  else if (key.leftArrow || input === 'h') {
    if (row?.expanded) dispatch({ type: 'toggleDir', path: row.node.path, open: false });
    else if (row?.node.path.includes('/'))
      dispatch({ type: 'cursor', path: row.node.path.slice(0, row.node.path.lastIndexOf('/')) });
  } else if (key.return && row) {
    if (row.expandable) dispatch({ type: 'toggleDir', path: row.node.path });
    else if (row.node.item) openPreview(row.node.item);
  } else if (input === 'm') dispatch({ type: 'mode' });
  else if (input === 's') dispatch({ type: 'sort' });
  else if (input === 'F') dispatch({ type: 'filter' });
  else if (input === '[') dispatch({ type: 'layer', delta: -1 });
  else if (input === ']') dispatch({ type: 'layer', delta: 1 });
  else if (input === '/') dispatch({ type: 'search', on: true });
}

function Row(props: { row: FileRow; merged: boolean; width: number; selected: boolean; theme: Theme }) {
  const { row, theme } = props;
  const n = row.node;
  const item = n.item;
  const status = item?.status;
  const letter = status ? LETTER[status] : props.merged && item ? `L${item.layer}` : ' ';
  const marker = row.expandable ? (row.expanded ? '▾' : '▸') : ' ';
  const dir = row.expandable || item?.type === 'dir';
  const link = item?.linkTarget !== undefined ? ` -> ${shown(item.linkTarget)}` : '';
  const label = `${'  '.repeat(Math.min(row.depth, 20))}${marker} ${shown(n.name)}${dir ? '/' : ''}${link}`;
  const bytes = dir ? size(n.total) : item?.type === 'whiteout' ? '' : size(item?.size);
  return (
    <Text inverse={props.selected} wrap="truncate">
      <Text color={status ? theme.color(COLOR[status]) : theme.color('dim')}>{letter.padEnd(4)}</Text>
      {fitCells(label, Math.max(4, props.width - 16))}
      {bytes.padStart(11)}
    </Text>
  );
}

/** The files of one layer: diff (A/M/D/O) or merged view, as a directory tree. */
export function FilesPanel(props: {
  view: FilesView;
  fm: FilesModel;
  hits: FileItem[];
  width: number;
  height: number;
  theme: Theme;
  start: number;
}) {
  const { view, fm, theme, width, height } = props;
  const k = view.layer ?? 0;
  const layer = view.target?.layers[k];
  const count = view.target?.layers.length ?? 0;
  const head = view.target
    ? `${shown(view.label)} · layer ${k}/${count - 1} · ${view.mode}`
    : `${shown(view.label)} · opening…`;
  const sub = layer ? shown(layer.label || layer.id) : '';
  const stats = view.listed
    ? `${fm.items.length} entries · ${size(fm.root.total)} · wasted here ${size(fm.wasted)} (layers 0..${k}: ${size(fm.stack)})${view.listed.opaqueKnown ? '' : ' · opaque dirs unknown'}`
    : view.names
      ? `${view.names.length} names · sizes coming…`
      : 'listing…';
  const body = Math.max(1, height - 5);
  const cursor = Math.max(
    0,
    fm.rows.findIndex((r) => r.node.path === view.cursor),
  );
  let content: React.ReactNode;
  if (view.error) content = <Text color={theme.color('danger')}>{view.error}</Text>;
  else if (view.preview) {
    const lines = view.preview.lines
      .map((l, n) => ({ ...l, n }))
      .slice(view.previewScroll, view.previewScroll + body - 1);
    content = (
      <>
        <Text bold wrap="truncate">
          {view.preview.title}
        </Text>
        {lines.map((l) => (
          <Text
            key={l.n}
            wrap="truncate"
            color={
              l.kind === '+'
                ? theme.color('unique')
                : l.kind === '-'
                  ? theme.color('danger')
                  : l.kind === '@'
                    ? theme.color('accent')
                    : undefined
            }
          >
            {l.kind === ' ' ? ' ' : l.kind === '@' ? '' : l.kind}
            {l.text}
          </Text>
        ))}
      </>
    );
  } else if (view.searching) {
    content = (
      <>
        <Text color={theme.color('accent')}>/{view.query}█</Text>
        {props.hits.slice(0, body - 1).map((h, i) => (
          <Text key={h.path} inverse={i === view.searchIndex} wrap="truncate">
            {(h.status ? LETTER[h.status] : ' ').padEnd(2)}/{shown(h.path)}
          </Text>
        ))}
      </>
    );
  } else {
    const visible = fm.rows.slice(props.start, props.start + body);
    content = (
      <>
        {visible.map((r, i) => (
          <Row
            key={r.node.path}
            row={r}
            merged={view.mode === 'merged'}
            width={width - 4}
            selected={props.start + i === cursor}
            theme={theme}
          />
        ))}
        {fm.rows.length === 0 && view.listed ? (
          <Text color={theme.color('dim')}>
            No entries{view.filter !== 'all' ? ` with status ${view.filter}` : ''}.
          </Text>
        ) : null}
      </>
    );
  }
  return (
    <Box flexDirection="column" width={width} height={height} borderStyle="round" paddingX={1}>
      <Text bold color={theme.color('accent')} wrap="truncate">
        {head} <Text color={theme.color('dim')}>{sub}</Text>
      </Text>
      <Text wrap="truncate">{stats}</Text>
      <Box flexDirection="column" height={body}>
        {content}
      </Box>
      <Text wrap="truncate" color={theme.color('dim')}>
        {view.preview
          ? '↑↓ scroll  Esc back'
          : `Enter open/preview  m ${view.mode === 'diff' ? 'merged' : 'diff'}  s sort: ${view.sort}  F filter: ${view.filter}  [ ] layer  / search  Esc close`}
      </Text>
    </Box>
  );
}

export { windowStart };
