// The files pane's state, one reducer: which layer, diff or merged, the open directories, the
// cursor, sort, status filter, path search and the open preview. Listings arrive as events.
import type { FilesTarget, ListedLayers } from '../../engine/files.js';
import type { DiffLine } from '../../model/file-content.js';
import { ancestorsOf, type FileSort, type StatusFilter } from '../../model/file-tree.js';
import type { DiffStatus } from '../../model/overlay.js';

export interface Preview {
  path: string;
  title: string;
  lines: DiffLine[];
}

export interface FilesView {
  /** What to open: an image or container reference and the layer index (undefined: the top). */
  ref: string;
  label: string;
  layer: number | undefined;
  target?: FilesTarget | undefined;
  listed?: ListedLayers | undefined;
  /** The layer's names before its sizes are in (a big layer shows rows at once). */
  names?: string[] | undefined;
  error?: string | undefined;
  /** diff: layer k's own entries; merged: the view at k; wasted: the image's wasted files. */
  mode: 'diff' | 'merged' | 'wasted';
  expanded: ReadonlySet<string>;
  cursor: string | undefined;
  sort: FileSort;
  filter: StatusFilter;
  /** Mode, owner and modification time beside each entry (i). */
  info: boolean;
  /** Every file as one list, largest first, instead of the directory tree (L). */
  largest: boolean;
  searching: boolean;
  query: string;
  searchIndex: number;
  preview?: Preview | undefined;
  previewScroll: number;
  /** The directory the last key opened and the rows before: its entries scroll into view (once). */
  opened?: { path: string; rowsBefore: number } | undefined;
}

export function openFiles(ref: string, label: string, layer?: number): FilesView {
  return {
    ref,
    label,
    layer,
    mode: 'diff',
    expanded: new Set(),
    cursor: undefined,
    sort: 'size',
    filter: new Set(),
    info: false,
    largest: false,
    searching: false,
    query: '',
    searchIndex: 0,
    previewScroll: 0,
  };
}

export type FilesEvent =
  | { type: 'target'; target: FilesTarget }
  | { type: 'names'; names: string[] }
  | { type: 'listed'; listed: ListedLayers }
  | { type: 'error'; error: string }
  | { type: 'cursor'; path: string | undefined }
  /** rowsBefore: the rows shown before, so that what an opening adds can be scrolled into view. */
  | { type: 'toggleDir'; path: string; open?: boolean; rowsBefore?: number }
  | { type: 'mode' }
  | { type: 'wasted' }
  | { type: 'sort' }
  | { type: 'info' }
  | { type: 'largest' }
  /** Shows or hides one status (A M D O); without a status: shows all again (F). */
  | { type: 'filter'; status?: DiffStatus }
  | { type: 'layer'; delta: number }
  | { type: 'search'; on: boolean }
  | { type: 'query'; query: string }
  | { type: 'searchMove'; delta: number; count: number }
  | { type: 'reveal'; path: string }
  | { type: 'preview'; preview: Preview | undefined }
  | { type: 'previewScroll'; delta: number; max: number };

export function filesReducer(s: FilesView, e: FilesEvent): FilesView {
  switch (e.type) {
    case 'target': {
      const top = e.target.layers.length - 1;
      const layer = Math.max(0, Math.min(top, s.layer ?? top));
      return { ...s, target: e.target, layer };
    }
    case 'names':
      return { ...s, names: e.names };
    case 'listed':
      return { ...s, listed: e.listed, names: undefined };
    case 'error':
      return { ...s, error: e.error };
    case 'cursor':
      return { ...s, cursor: e.path };
    case 'toggleDir': {
      const expanded = new Set(s.expanded);
      const open = e.open ?? !expanded.has(e.path);
      if (open) expanded.add(e.path);
      else expanded.delete(e.path);
      const opened =
        open && e.rowsBefore !== undefined ? { path: e.path, rowsBefore: e.rowsBefore } : undefined;
      return { ...s, expanded, opened };
    }
    case 'mode':
      return { ...s, mode: s.mode === 'diff' ? 'merged' : 'diff', cursor: undefined };
    case 'wasted':
      return { ...s, mode: s.mode === 'wasted' ? 'diff' : 'wasted', cursor: undefined, filter: new Set() };
    case 'sort':
      return { ...s, sort: s.sort === 'size' ? 'name' : 'size' };
    case 'info':
      return { ...s, info: !s.info };
    case 'largest':
      return { ...s, largest: !s.largest, cursor: undefined };
    case 'filter': {
      // The wasted files carry no status: a status filter would hide them all.
      if (s.mode === 'wasted') return s;
      if (!e.status) return { ...s, filter: new Set() };
      const filter = new Set(s.filter);
      if (filter.has(e.status)) filter.delete(e.status);
      else filter.add(e.status);
      return { ...s, filter, cursor: undefined };
    }
    case 'layer': {
      const count = s.target?.layers.length ?? 0;
      const layer = Math.max(0, Math.min(count - 1, (s.layer ?? count - 1) + e.delta));
      if (layer === s.layer) return s;
      // Another layer of the same listing (every layer is listed): only the view changes.
      return { ...s, layer, names: undefined, cursor: undefined, preview: undefined };
    }
    case 'search':
      return { ...s, searching: e.on, query: e.on ? '' : s.query, searchIndex: 0 };
    case 'query':
      return { ...s, query: e.query, searchIndex: 0 };
    case 'searchMove':
      return { ...s, searchIndex: Math.max(0, Math.min(Math.max(0, e.count - 1), s.searchIndex + e.delta)) };
    case 'reveal': {
      const expanded = new Set(s.expanded);
      for (const a of ancestorsOf(e.path)) expanded.add(a);
      return { ...s, expanded, cursor: e.path, searching: false, query: '' };
    }
    case 'preview':
      return { ...s, preview: e.preview, previewScroll: 0 };
    case 'previewScroll':
      return { ...s, previewScroll: Math.max(0, Math.min(e.max, s.previewScroll + e.delta)) };
  }
}
