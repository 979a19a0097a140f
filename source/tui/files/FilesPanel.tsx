import type * as Fuzzysort from 'fuzzysort';
import fuzzysort from 'fuzzysort';
import { Box, type Key, Text } from 'ink';
import { escapeBytes, escapeText } from '../../model/escape.js';
import {
  attributeChange,
  buildFileTree,
  type FileItem,
  type FileNode,
  type FileRow,
  fileRows,
  largestRows,
  modeText,
} from '../../model/file-tree.js';
import {
  type DiffStatus,
  type LayerEntry,
  layerDiff,
  mergedList,
  wastedBytes,
  wastedFiles,
} from '../../model/overlay.js';
import { counted } from '../../model/size-text.js';
import { fitCells, size } from '../format.js';
import { actionIn, editedQuery, fitHints, typedText } from '../key-bindings.js';
import type { Theme } from '../theme.js';
import { windowStart } from '../tree/LayerTree.js';
import type { FilesView } from './files-view.js';
import type { FilesAction } from './use-files-view.js';

// Printable ASCII but the backslash is shown as it is (escapeBytes would give it back unchanged):
// no Buffer per name, where a 400,000-file listing's search made one for each.
const PLAIN = /^[\x20-\x5b\x5d-\x7e]*$/;
const shown = (s: string) => (PLAIN.test(s) ? s : escapeBytes(Buffer.from(s, 'latin1')));
const LETTER = { added: 'A', modified: 'M', deleted: 'D', opaque: 'O' } as const;
const STATUS_OF_KEY: Record<string, DiffStatus> = { A: 'added', M: 'modified', D: 'deleted', O: 'opaque' };
const STATUS_ORDER: DiffStatus[] = ['added', 'modified', 'deleted', 'opaque'];

/** The shown statuses in a fixed order: "added+deleted". */
function filterText(filter: ReadonlySet<DiffStatus>, sep: string): string {
  return STATUS_ORDER.filter((st) => filter.has(st)).join(sep);
}
const COLOR = { added: 'unique', modified: 'shared', deleted: 'danger', opaque: 'image' } as const;

/** The rows the pane shows for the current view: from the full listing, or the names alone at first. */
export function viewItems(view: FilesView): { items: FileItem[]; wasted: number; stack: number } {
  const k = view.layer ?? 0;
  if (view.listed) {
    // Every layer of the target is listed: the diff of layer k against those below it, the merged
    // view at k, and wasted bytes as the layers above k hide them (stack: the whole image's).
    const { layers } = view.listed;
    const w = wastedBytes(layers);
    const items: FileItem[] =
      view.mode === 'diff'
        ? withDeletedBytes(
            layerDiff(layers, k).map((d) => ({
              ...d.entry,
              status: d.status,
              layer: k,
              ...(d.below ? { before: { mode: d.below.mode, uid: d.below.uid, gid: d.below.gid } } : {}),
            })),
            layers,
            k,
          )
        : view.mode === 'merged'
          ? mergedList(layers, k).map((m) => ({ ...m.entry, layer: m.layer }))
          : wastedFiles(layers).map((w) => ({
              path: w.path,
              type: 'file' as const,
              size: w.bytes,
              layer: w.layers.at(-1) ?? 0,
              copies: w.layers.length,
            }));
    return { items, wasted: w.perLayer[k] ?? 0, stack: w.total };
  }
  // listNames gives the names without their "./" already.
  // The wasted files need every layer: nothing to show until the listing is in.
  if (view.mode === 'wasted') return { items: [], wasted: 0, stack: 0 };
  const items = (view.names ?? []).map((n) => ({
    path: n,
    type: 'file' as const,
    size: 0,
    layer: k,
  }));
  return { items, wasted: 0, stack: 0 };
}

/** Each whiteout of layer k with the bytes it deletes: what the layers below show at its path. */
function withDeletedBytes(items: FileItem[], layers: LayerEntry[][], k: number): FileItem[] {
  if (k === 0 || !items.some((i) => i.type === 'whiteout')) return items;
  const below = buildFileTree(mergedList(layers, k - 1).map((m) => ({ ...m.entry, layer: m.layer })));
  const at = (path: string) => {
    let node: FileNode | undefined = below;
    for (const part of path.split('/')) node = node?.children.get(part);
    return node;
  };
  return items.map((i) => (i.type === 'whiteout' ? { ...i, deletes: at(i.path)?.total ?? 0 } : i));
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

/**
 * The rows last made from each tree, with what they were made from: a typed search character or
 * a cursor move changes none of it (the view keeps those sets while they stand), and the flat list
 * of a 400,000-file layer took about a second to make again at every key.
 */
const rowsMemo = new WeakMap<
  object,
  Pick<FilesView, 'expanded' | 'filter' | 'sort' | 'largest'> & { rows: FilesModel['rows'] }
>();

export function filesModel(view: FilesView): FilesModel {
  const { items, wasted, stack, root } = buildOnce(view);
  const m = rowsMemo.get(root);
  if (
    m &&
    m.largest === view.largest &&
    m.filter === view.filter &&
    (view.largest || (m.expanded === view.expanded && m.sort === view.sort))
  )
    return { root, rows: m.rows, items, wasted, stack };
  const rows = view.largest
    ? largestRows(root, view.filter)
    : fileRows(root, view.expanded, view.sort, view.filter);
  rowsMemo.set(root, {
    expanded: view.expanded,
    filter: view.filter,
    sort: view.sort,
    largest: view.largest,
    rows,
  });
  return { root, rows, items, wasted, stack };
}

/** Above this many names a search matches plain text (case-insensitive), not fuzzily. */
export const FUZZY_MAX_NAMES = 20_000;

/**
 * Each listing's names as shown, made once per listing (not at every typed character): fuzzysort's
 * prepared targets for a listing it searches fuzzily, lower-cased text for a bigger one.
 */
const searchKeys = new WeakMap<
  readonly FileItem[],
  { fuzzy: { i: FileItem; key: Fuzzysort.Prepared }[] } | { lower: string[] }
>();

function keysOf(items: readonly FileItem[]) {
  let k = searchKeys.get(items);
  if (!k) {
    k =
      items.length > FUZZY_MAX_NAMES
        ? { lower: items.map((i) => shown(i.path).toLowerCase()) }
        : { fuzzy: items.map((i) => ({ i, key: fuzzysort.prepare(shown(i.path)) })) };
    searchKeys.set(items, k);
  }
  return k;
}

/** Makes a listing's search keys ahead of the first typed character (see keysOf). */
export function prepareFileSearch(items: readonly FileItem[]): void {
  keysOf(items);
}

/**
 * The names matching `query`, at most 200. Fuzzy over a listing of up to FUZZY_MAX_NAMES names;
 * over a bigger one (a layer of 400,000 files) the names holding the query's text, in listing
 * order: fuzzy matching took 0.6-2.3 s a typed character there, and keys waited behind it.
 */
export function searchFiles(items: readonly FileItem[], query: string): FileItem[] {
  if (!query) return [];
  const keys = keysOf(items);
  if ('fuzzy' in keys) return fuzzysort.go(query, keys.fuzzy, { key: 'key', limit: 200 }).map((r) => r.obj.i);
  const q = query.toLowerCase();
  const out: FileItem[] = [];
  for (let n = 0; n < keys.lower.length && out.length < 200; n++)
    if ((keys.lower[n] as string).includes(q)) out.push(items[n] as FileItem);
  return out;
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
    const max = view.preview.lines.length;
    switch (actionIn('preview', input, key)) {
      case 'close':
        dispatch({ type: 'preview', preview: undefined });
        break;
      case 'down':
        dispatch({ type: 'previewScroll', delta: 1, max });
        break;
      case 'up':
        dispatch({ type: 'previewScroll', delta: -1, max });
        break;
      case 'pageDown':
        dispatch({ type: 'previewScroll', delta: page, max });
        break;
      case 'pageUp':
        dispatch({ type: 'previewScroll', delta: -page, max });
        break;
      case 'home':
        dispatch({ type: 'previewScroll', delta: Number.NEGATIVE_INFINITY, max });
        break;
      case 'end':
        // The last page whole (scrolled to `max` the pane would show nothing).
        dispatch({ type: 'previewScroll', delta: Number.POSITIVE_INFINITY, max: Math.max(0, max - page) });
        break;
    }
    return;
  }
  if (view.searching) {
    const action = actionIn('filesSearch', input, key);
    if (action === 'close') dispatch({ type: 'search', on: false });
    else if (action === 'accept') {
      const hit = hits[view.searchIndex];
      if (hit) dispatch({ type: 'reveal', path: hit.path });
    } else if (action === 'up') dispatch({ type: 'searchMove', delta: -1, count: hits.length });
    else if (action === 'down') dispatch({ type: 'searchMove', delta: 1, count: hits.length });
    else if (editedQuery(action, view.query) !== undefined)
      dispatch({ type: 'query', query: editedQuery(action, view.query) as string });
    else if (!action) {
      const text = typedText(input, key);
      if (text) dispatch({ type: 'query', query: view.query + text });
    }
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
  switch (actionIn('files', input, key)) {
    case 'close':
      dispatch({ type: 'close' });
      break;
    case 'down':
      go(i + 1);
      break;
    case 'up':
      go(i - 1);
      break;
    case 'pageDown':
      go(i + page);
      break;
    case 'pageUp':
      go(i - page);
      break;
    case 'home':
      go(0);
      break;
    case 'end':
      go(rows.length - 1);
      break;
    case 'expand':
      if (row?.expandable)
        dispatch({ type: 'toggleDir', path: row.node.path, open: true, rowsBefore: rows.length });
      break;
    case 'collapse':
      if (row?.expanded) dispatch({ type: 'toggleDir', path: row.node.path, open: false });
      else if (row?.node.path.includes('/'))
        dispatch({ type: 'cursor', path: row.node.path.slice(0, row.node.path.lastIndexOf('/')) });
      break;
    case 'open':
      if (row?.expandable) dispatch({ type: 'toggleDir', path: row.node.path, rowsBefore: rows.length });
      else if (row?.node.item) openPreview(row.node.item);
      break;
    case 'mode':
      dispatch({ type: 'mode' });
      break;
    case 'wastedFiles':
      dispatch({ type: 'wasted' });
      break;
    case 'sort':
      dispatch({ type: 'sort' });
      break;
    case 'filter':
      dispatch({ type: 'filter' });
      break;
    case 'info':
      dispatch({ type: 'info' });
      break;
    case 'largest':
      dispatch({ type: 'largest' });
      break;
    case 'toggleStatus': {
      const status = STATUS_OF_KEY[input];
      if (status) dispatch({ type: 'filter', status });
      break;
    }
    case 'prevLayer':
      dispatch({ type: 'layer', delta: -1 });
      break;
    case 'nextLayer':
      dispatch({ type: 'layer', delta: 1 });
      break;
    case 'search':
      dispatch({ type: 'search', on: true });
      break;
  }
}

function Row(props: {
  row: FileRow;
  merged: boolean;
  width: number;
  selected: boolean;
  theme: Theme;
  /** False while only the names are known: sizes are coming ("…"), not 0 B. */
  sized: boolean;
  /** The listing has allocated blocks: a DISK column beside the apparent size. */
  diskColumn: boolean;
  /** Mode, owner and modification time columns (i). */
  info: boolean;
}) {
  const { row, theme } = props;
  const n = row.node;
  const item = n.item;
  const status = item?.status;
  const letter = status
    ? LETTER[status]
    : item?.copies !== undefined
      ? `×${item.copies}`
      : props.merged && item
        ? `L${item.layer}`
        : ' ';
  const marker = row.expandable ? (row.expanded ? '▾' : '▸') : ' ';
  const dir = row.expandable || item?.type === 'dir';
  const link = item?.linkTarget !== undefined ? ` -> ${shown(item.linkTarget)}` : '';
  const change = item ? attributeChange(item) : '';
  const label = `${'  '.repeat(Math.min(row.depth, 20))}${marker} ${shown(row.label ?? n.name)}${dir ? '/' : ''}${link}${change ? ` (${change})` : ''}`;
  const info = props.info ? infoText(item) : '';
  // A whiteout's figure is what it deletes from below ("−"): it frees nothing in its own layer.
  const bytes = !props.sized
    ? '…'
    : dir
      ? size(n.total)
      : item?.type === 'whiteout'
        ? item.deletes === undefined
          ? ''
          : `−${size(item.deletes)}`
        : size(item?.size);
  const onDisk = !props.diskColumn
    ? ''
    : dir
      ? size(n.disk)
      : item?.blocks === undefined
        ? ''
        : size(item.blocks * 512);
  return (
    <Text inverse={props.selected} wrap="truncate">
      <Text color={status ? theme.color(COLOR[status]) : theme.color('dim')}>{letter.padEnd(4)}</Text>
      {fitCells(label, Math.max(4, props.width - (props.diskColumn ? 27 : 16) - info.length))}
      {info ? <Text color={theme.color('dim')}>{info}</Text> : null}
      {bytes.padStart(11)}
      {props.diskColumn ? <Text color={theme.color('dim')}>{onDisk.padStart(11)}</Text> : null}
    </Text>
  );
}

/** " drwxr-xr-x  0:0        2026-11-30 12:34": mode, owner (numeric: the helper reads no passwd) and mtime (UTC). */
function infoText(item: FileItem | undefined): string {
  if (!item || item.type === 'whiteout') return ' '.repeat(INFO_WIDTH);
  const owner = item.uid === undefined ? '?' : `${item.uid}:${item.gid}`;
  const time =
    item.mtime === undefined ? '?' : new Date(item.mtime * 1000).toISOString().slice(0, 16).replace('T', ' ');
  return ` ${modeText(item.type, item.mode)} ${owner.padEnd(11).slice(0, 11)} ${time.padEnd(16)}`;
}
const INFO_WIDTH = 1 + 10 + 1 + 11 + 1 + 16;

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
    ? view.mode === 'wasted'
      ? `${escapeText(view.label)} · wasted files of the image`
      : // The mode before the place: on an 80-column title a long label leaves room for one.
        `${escapeText(view.label)} · ${view.mode} · ${layerPlace(k, count)}`
    : `${escapeText(view.label)} · opening…`;
  // Text (tags, names, build commands) is escaped as text; file names and link targets as bytes.
  const sub = view.mode === 'wasted' ? '' : layer ? escapeText(layer.label || layer.id) : '';
  const stats = view.listed
    ? view.mode === 'wasted'
      ? `${fm.items.length} paths with hidden copies · ${size(fm.root.total)} wasted (×n: layers holding a copy) · w back`
      : `${view.largest ? 'largest first · ' : ''}${counted(fm.items.length, 'entry', 'entries')} · ${size(fm.root.total)}${fm.root.disk === undefined ? '' : ` (${size(fm.root.disk)} on disk)`} · wasted here ${size(fm.wasted)} (image: ${size(fm.stack)})${view.listed.opaqueKnown ? '' : ' · opaque dirs unknown'}`
    : view.names
      ? `${view.names.length} names · sizes coming…`
      : 'listing…';
  const { body, head: showHead, stats: showStats } = filesPaneLines(height);
  const cursor = Math.max(
    0,
    fm.rows.findIndex((r) => r.node.path === view.cursor),
  );
  let content: React.ReactNode;
  // Every text below is escaped where it is drawn, too (escaping escaped text changes nothing):
  // titles, lines and errors carry names and link targets, which can hold any byte.
  if (view.error) content = <Text color={theme.color('danger')}>{escapeText(view.error)}</Text>;
  else if (view.preview) {
    const lines = view.preview.lines
      .map((l, n) => ({ ...l, n }))
      .slice(view.previewScroll, view.previewScroll + body - 1);
    content = (
      <>
        <Text bold wrap="truncate">
          {escapeText(view.preview.title)}
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
            {escapeText(l.text)}
          </Text>
        ))}
      </>
    );
  } else if (view.searching) {
    content = (
      <>
        <Text wrap="truncate">
          <Text color={theme.color('accent')}>/{escapeText(view.query)}█</Text>
          {/* Over a huge listing the search is plain text (see searchFiles): said, not left to guess. */}
          <Text color={theme.color('dim')}>
            {fm.items.length > FUZZY_MAX_NAMES ? `  text match over ${fm.items.length} names` : ''}
          </Text>
        </Text>
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
            sized={view.listed !== undefined}
            diskColumn={view.listed !== undefined && fm.root.disk !== undefined}
            info={view.info}
          />
        ))}
        {fm.rows.length === 0 && view.listed ? (
          <Text color={theme.color('dim')}>
            No entries{view.filter.size ? ` with status ${filterText(view.filter, ' or ')}` : ''}.
          </Text>
        ) : null}
      </>
    );
  }
  return (
    <Box flexDirection="column" width={width} height={height} borderStyle="round" paddingX={1}>
      {showHead ? (
        <Text bold color={theme.color('accent')} wrap="truncate">
          {head} <Text color={theme.color('dim')}>{sub}</Text>
        </Text>
      ) : null}
      {showStats ? <Text wrap="truncate">{stats}</Text> : null}
      {body ? (
        <Box flexDirection="column" height={body}>
          {content}
        </Box>
      ) : null}
      <Text wrap="truncate" color={theme.color('dim')}>
        {view.preview
          ? '↑↓ scroll  Esc back'
          : fitHints(
              [
                '? help',
                // An active filter hides entries: saying so comes before any key.
                ...(view.filter.size ? [`showing ${filterText(view.filter, '+')} (F all)`] : []),
                'Enter open/preview',
                `m ${view.mode === 'diff' ? 'merged' : 'diff'}`,
                `w ${view.mode === 'wasted' ? 'layer' : 'wasted'}`,
                `s sort: ${view.sort}`,
                `L ${view.largest ? 'tree' : 'largest'}`,
                `i ${view.info ? 'sizes only' : 'mode/owner/time'}`,
                ...(view.filter.size ? [] : ['A/M/D/O only']),
                '[ ] layer',
                '/ search',
                'Esc close',
              ],
              width - 4, // the border and the padding
            )}
      </Text>
    </Box>
  );
}

/**
 * The pane's lines inside its border: the title, the stats, the rows and the key line. Where they
 * do not all fit (a terminal of 8 rows or fewer), the stats go first, then the title: the key line
 * (Esc close) and one row stay. Without this the lines were drawn over each other.
 */
export function filesPaneLines(height: number): { body: number; head: boolean; stats: boolean } {
  const inner = Math.max(0, height - 2);
  const stats = inner >= 4;
  const head = inner >= 3;
  // With room for the key line alone (6 rows), no row: body 0.
  return { body: Math.max(inner >= 2 ? 1 : 0, inner - 1 - Number(head) - Number(stats)), head, stats };
}

export { windowStart };

/**
 * Where a layer sits, numbered as `layertop files --layer N` takes it (0 is the bottom): "layer 2
 * of 3" read as the second of three where it was the top. Short, so that the mode after it stays
 * on an 80-column title: the top's number is the count less one.
 */
export function layerPlace(k: number, count: number): string {
  if (count <= 1) return `layer ${k} (the only one)`;
  if (k === count - 1) return `layer ${k} (top)`;
  return k === 0 ? 'layer 0 (bottom)' : `layer ${k} of 0-${count - 1}`;
}
