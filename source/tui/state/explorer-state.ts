import type { Row, SortMode, ViewMode } from './tree-rows.js';

/** The explorer's UI state: one owner (the reducer), exposed to components through a context. */
export interface ExplorerState {
  cursor: string | undefined;
  collapsed: Set<string>;
  view: ViewMode;
  sort: SortMode;
  focus: 'tree' | 'detail';
  overlay: 'none' | 'help' | 'search';
  query: string;
  searchIndex: number;
}

export const initialState: ExplorerState = {
  cursor: undefined,
  collapsed: new Set(),
  view: 'tree',
  sort: 'size',
  focus: 'tree',
  overlay: 'none',
  query: '',
  searchIndex: 0,
};

export type ExplorerEvent =
  | { type: 'move'; delta: number; rows: Row[] }
  | { type: 'jump'; to: 'first' | 'last'; rows: Row[] }
  | { type: 'expand'; rows: Row[] }
  | { type: 'collapse'; rows: Row[] }
  | { type: 'toggle'; rows: Row[] }
  | { type: 'focusNext' }
  | { type: 'sort' }
  | { type: 'view' }
  | { type: 'overlay'; overlay: ExplorerState['overlay'] }
  | { type: 'query'; query: string }
  | { type: 'searchMove'; delta: number; count: number }
  | { type: 'reveal'; row: Row };

function indexOf(rows: Row[], key: string | undefined): number {
  const i = rows.findIndex((r) => r.key === key);
  return Math.max(0, i);
}

export function explorerReducer(state: ExplorerState, event: ExplorerEvent): ExplorerState {
  switch (event.type) {
    case 'move': {
      if (event.rows.length === 0) return state;
      const i = Math.max(0, Math.min(event.rows.length - 1, indexOf(event.rows, state.cursor) + event.delta));
      return { ...state, cursor: event.rows[i]?.key };
    }
    case 'jump': {
      const row = event.to === 'first' ? event.rows[0] : event.rows.at(-1);
      return { ...state, cursor: row?.key };
    }
    case 'expand': {
      const row = event.rows[indexOf(event.rows, state.cursor)];
      if (!row?.expandable) return state;
      if (row.expanded) return explorerReducer(state, { type: 'move', delta: 1, rows: event.rows });
      const collapsed = new Set(state.collapsed);
      collapsed.delete(row.key);
      return { ...state, collapsed };
    }
    case 'collapse': {
      const row = event.rows[indexOf(event.rows, state.cursor)];
      if (!row) return state;
      if (row.expandable && row.expanded) {
        const collapsed = new Set(state.collapsed);
        collapsed.add(row.key);
        return { ...state, collapsed };
      }
      const parent = row.ancestors.at(-1);
      return parent ? { ...state, cursor: parent } : state;
    }
    case 'toggle': {
      const row = event.rows[indexOf(event.rows, state.cursor)];
      if (!row?.expandable) return state;
      const collapsed = new Set(state.collapsed);
      if (row.expanded) collapsed.add(row.key);
      else collapsed.delete(row.key);
      return { ...state, collapsed };
    }
    case 'focusNext':
      return { ...state, focus: state.focus === 'tree' ? 'detail' : 'tree' };
    case 'sort':
      return { ...state, sort: state.sort === 'size' ? 'time' : 'size' };
    case 'view':
      return { ...state, view: state.view === 'tree' ? 'images' : 'tree' };
    case 'overlay':
      return {
        ...state,
        overlay: event.overlay,
        ...(event.overlay === 'search' ? { query: '', searchIndex: 0 } : {}),
      };
    case 'query':
      return { ...state, query: event.query, searchIndex: 0 };
    case 'searchMove':
      return {
        ...state,
        searchIndex: Math.max(0, Math.min(Math.max(0, event.count - 1), state.searchIndex + event.delta)),
      };
    case 'reveal': {
      // Land on a search hit: expand every row above it, leave search.
      const collapsed = new Set(state.collapsed);
      for (const a of event.row.ancestors) collapsed.delete(a);
      return { ...state, collapsed, cursor: event.row.key, overlay: 'none', query: '' };
    }
  }
}
