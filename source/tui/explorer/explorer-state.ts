import type { Selection } from '../../model/prune-plan.js';
import { BUILD_CACHE_KEY, type Row, type SortMode, type ViewMode } from '../tree/tree-rows.js';

/** The explorer's UI state: one owner (the reducer in Explorer), handed to components as props. */
export interface ExplorerState {
  cursor: string | undefined;
  collapsed: Set<string>;
  view: ViewMode;
  sort: SortMode;
  focus: 'tree' | 'detail';
  /** Fields scrolled off the top of the details pane (arrows move it while it has the focus). */
  detailScroll: number;
  overlay: 'none' | 'help' | 'search';
  /** Lines scrolled off the top of the help (when it does not fit the screen). */
  helpScroll: number;
  query: string;
  searchIndex: number;
  /** Row keys marked for removal: image:<id>, container:<id>, volume:<name>, build-cache. */
  marks: ReadonlySet<string>;
  /** Why the last key did nothing visible (shown in the footer until the next key). */
  hint?: string | undefined;
  /**
   * The row the last key opened and how many rows there were before: the window scrolls to show
   * what it opened (at the window's foot the new rows would be off screen). Until the next key.
   */
  opened?: { key: string; rowsBefore: number } | undefined;
}

export const initialState: ExplorerState = {
  cursor: undefined,
  collapsed: new Set(),
  view: 'tree',
  sort: 'size',
  focus: 'tree',
  detailScroll: 0,
  overlay: 'none',
  helpScroll: 0,
  query: '',
  searchIndex: 0,
  marks: new Set(),
};

/**
 * The set with `row` opened or closed. Tree rows start open (the set holds the closed ones); the
 * Disk view's categories start closed (a category can hold thousands of layers), so an open one is
 * held as "open:<key>".
 */
function opened(collapsed: ReadonlySet<string>, row: Row, open: boolean): Set<string> {
  const next = new Set(collapsed);
  const closedByDefault = row.kind === 'ledger' || row.kind === 'build-cache';
  const key = closedByDefault ? `open:${row.key}` : row.key;
  if (open === closedByDefault) next.add(key);
  else next.delete(key);
  return next;
}

/** The keys a mark is kept under: the same image marked in either view is one mark. */
export function markKey(row: Row): string | undefined {
  if (row.kind === 'image' && row.imageId) return `image:${row.imageId}`;
  if (row.kind === 'container' && row.containerId) return `container:${row.containerId}`;
  if (row.kind === 'volume' && row.volume) return `volume:${row.volume}`;
  if (row.kind === 'build-cache') return 'build-cache';
  if (row.kind === 'cache-record' && row.recordId) return `cache-record:${row.recordId}`;
  // The Disk view's items go the engine's way: a container's layers and logs with the container,
  // a volume, an image's metadata with the image, BuildKit's with the build cache.
  // The Disk view's build-cache category is the whole cache, as its row in the tree.
  if (row.kind === 'ledger' && row.ledgerKey === 'buildCache') return 'build-cache';
  if (row.kind === 'ledger-item') {
    if (row.containerId) return `container:${row.containerId}`;
    if (row.volume) return `volume:${row.volume}`;
    if (row.imageId) return `image:${row.imageId}`;
    if (row.ledgerKey === 'buildCache') return 'build-cache';
  }
  return undefined;
}

export function selectionOf(marks: ReadonlySet<string>): Selection {
  const pick = (prefix: string) =>
    new Set([...marks].filter((k) => k.startsWith(prefix)).map((k) => k.slice(prefix.length)));
  return {
    images: pick('image:'),
    containers: pick('container:'),
    volumes: pick('volume:'),
    // The whole cache when its row is marked, else the records marked one by one.
    buildCache: marks.has('build-cache') ? true : [...pick('cache-record:')],
  };
}

export type ExplorerEvent =
  | { type: 'move'; delta: number; rows: Row[] }
  | { type: 'jump'; to: 'first' | 'last'; rows: Row[] }
  | { type: 'expand'; rows: Row[] }
  | { type: 'collapse'; rows: Row[] }
  | { type: 'toggle'; rows: Row[] }
  | { type: 'expandAll' }
  /** `keys`: every row that has children, as the fully expanded tree lists them. */
  | { type: 'collapseAll'; keys: string[]; rows: Row[] }
  | { type: 'focusNext' }
  | { type: 'detailScroll'; delta: number; max: number }
  | { type: 'sort' }
  | { type: 'view' }
  | { type: 'overlay'; overlay: ExplorerState['overlay'] }
  | { type: 'helpScroll'; delta: number; max: number }
  | { type: 'query'; query: string }
  | { type: 'searchMove'; delta: number; count: number }
  | { type: 'reveal'; row: Row }
  | { type: 'mark'; rows: Row[] }
  | { type: 'clearMarks' }
  | { type: 'hint'; text: string };

/** Space on a Disk view category other than the build cache: it opens or closes, and says why. */
export const CATEGORY_MARK_HINT =
  'a category is not removed whole: Space on its items marks them (it opened or closed here)';

/** Space on a layer: said, since nothing gets marked. */
export const LAYER_MARK_HINT =
  'a layer alone cannot be removed: Space marks images, containers, volumes and the build cache';

const openedAt = (row: Row, rows: Row[]) => ({ key: row.key, rowsBefore: rows.length });

function indexOf(rows: Row[], key: string | undefined): number {
  const i = rows.findIndex((r) => r.key === key);
  return Math.max(0, i);
}

export function explorerReducer(state: ExplorerState, event: ExplorerEvent): ExplorerState {
  // A hint lasts until the next key.
  if (event.type === 'hint') return { ...state, hint: event.text };
  const fresh =
    state.hint === undefined && state.opened === undefined
      ? state
      : { ...state, hint: undefined, opened: undefined };
  return reduce(fresh, event);
}

function reduce(state: ExplorerState, event: Exclude<ExplorerEvent, { type: 'hint' }>): ExplorerState {
  switch (event.type) {
    case 'move': {
      if (event.rows.length === 0) return state;
      const i = Math.max(0, Math.min(event.rows.length - 1, indexOf(event.rows, state.cursor) + event.delta));
      return { ...state, cursor: event.rows[i]?.key, detailScroll: 0 };
    }
    case 'jump': {
      const row = event.to === 'first' ? event.rows[0] : event.rows.at(-1);
      return { ...state, cursor: row?.key, detailScroll: 0 };
    }
    case 'expand': {
      const row = event.rows[indexOf(event.rows, state.cursor)];
      if (!row?.expandable) return state;
      if (row.expanded) return reduce(state, { type: 'move', delta: 1, rows: event.rows });
      return { ...state, collapsed: opened(state.collapsed, row, true), opened: openedAt(row, event.rows) };
    }
    case 'collapse': {
      const row = event.rows[indexOf(event.rows, state.cursor)];
      if (!row) return state;
      if (row.expandable && row.expanded) return { ...state, collapsed: opened(state.collapsed, row, false) };
      const parent = row.ancestors.at(-1);
      return parent ? { ...state, cursor: parent } : state;
    }
    case 'expandAll':
      return { ...state, collapsed: new Set() };
    case 'collapseAll': {
      // The cursor goes to the top row it was under, which stays on screen.
      const row = event.rows[indexOf(event.rows, state.cursor)];
      return {
        ...state,
        collapsed: new Set(event.keys),
        cursor: row?.ancestors[0] ?? row?.key,
        detailScroll: 0,
      };
    }
    case 'toggle': {
      const row = event.rows[indexOf(event.rows, state.cursor)];
      if (!row?.expandable) return state;
      return {
        ...state,
        collapsed: opened(state.collapsed, row, !row.expanded),
        ...(row.expanded ? {} : { opened: openedAt(row, event.rows) }),
      };
    }
    case 'focusNext':
      return { ...state, focus: state.focus === 'tree' ? 'detail' : 'tree', detailScroll: 0 };
    case 'detailScroll':
      // max: the last field can be the top one, no further (see DetailPane's detailFields).
      return { ...state, detailScroll: Math.max(0, Math.min(event.max, state.detailScroll + event.delta)) };
    case 'sort':
      return { ...state, sort: state.sort === 'size' ? 'time' : 'size' };
    case 'view':
      // layer tree → per image → disk (the ledger) → layer tree.
      return { ...state, view: state.view === 'tree' ? 'images' : state.view === 'images' ? 'disk' : 'tree' };
    case 'helpScroll':
      return { ...state, helpScroll: Math.max(0, Math.min(event.max, state.helpScroll + event.delta)) };
    case 'overlay':
      return {
        ...state,
        overlay: event.overlay,
        helpScroll: 0,
        ...(event.overlay === 'search' ? { query: '', searchIndex: 0 } : {}),
      };
    case 'query':
      return { ...state, query: event.query, searchIndex: 0 };
    case 'searchMove':
      return {
        ...state,
        searchIndex: Math.max(0, Math.min(Math.max(0, event.count - 1), state.searchIndex + event.delta)),
      };
    case 'mark': {
      // Space on a layer row expands or collapses it, as Enter does: a layer alone is not removable.
      const row = event.rows[indexOf(event.rows, state.cursor)];
      if (!row) return state;
      const key = markKey(row);
      if (!key)
        return {
          ...reduce(state, { type: 'toggle', rows: event.rows }),
          hint: row.kind === 'ledger' ? CATEGORY_MARK_HINT : LAYER_MARK_HINT,
        };
      const marks = new Set(state.marks);
      if (marks.has(key)) marks.delete(key);
      else marks.add(key);
      // Mark and move on, as in a file manager.
      return reduce({ ...state, marks }, { type: 'move', delta: 1, rows: event.rows });
    }
    case 'clearMarks':
      // Nothing marked: the same state (nothing to render again; the explorer also clears marks
      // as a selection's removal reports, when the user may have unmarked them already).
      return state.marks.size ? { ...state, marks: new Set() } : state;
    case 'reveal': {
      // Land on a search hit: expand every row above it, leave search.
      const collapsed = new Set(state.collapsed);
      for (const a of event.row.ancestors) {
        collapsed.delete(a);
        // Rows closed until opened (the build cache's) are opened.
        if (a === BUILD_CACHE_KEY) collapsed.add(`open:${a}`);
      }
      return { ...state, collapsed, cursor: event.row.key, overlay: 'none', query: '', detailScroll: 0 };
    }
  }
}
