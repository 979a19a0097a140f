// A layer's files as a directory tree, pure: built from flat entries (diff or merged view),
// with per-directory totals, then flattened into the rows the files pane shows, honouring the
// expanded directories, a status filter, a sort and a path search.
import type { DiffStatus, EntryType } from './overlay.js';

export interface FileItem {
  /** Layer-relative byte-string path (latin1: one char per byte). */
  path: string;
  type: EntryType;
  size: number;
  linkTarget?: string | undefined;
  /** Diff view: what this layer does to the path. */
  status?: DiffStatus | undefined;
  /** Which layer the entry comes from (index from the bottom). */
  layer: number;
}

export interface FileNode {
  name: string;
  path: string;
  item: FileItem | undefined;
  children: Map<string, FileNode>;
  /** Bytes of every file at or below this node (whiteouts and directories count 0). */
  total: number;
  /** Entries at or below this node. */
  count: number;
}

export function buildFileTree(items: readonly FileItem[]): FileNode {
  const root: FileNode = { name: '', path: '', item: undefined, children: new Map(), total: 0, count: 0 };
  for (const item of items) {
    let node = root;
    const parts = item.path.split('/');
    let path = '';
    for (const part of parts) {
      path = path ? `${path}/${part}` : part;
      let next = node.children.get(part);
      if (!next) {
        next = { name: part, path, item: undefined, children: new Map(), total: 0, count: 0 };
        node.children.set(part, next);
      }
      node = next;
    }
    node.item = item;
  }
  const sum = (n: FileNode): void => {
    let total = n.item && n.item.type !== 'dir' && n.item.type !== 'whiteout' ? n.item.size : 0;
    let count = n.item ? 1 : 0;
    for (const c of n.children.values()) {
      sum(c);
      total += c.total;
      count += c.count;
    }
    n.total = total;
    n.count = count;
  };
  sum(root);
  return root;
}

export type FileSort = 'name' | 'size';
export type StatusFilter = 'all' | DiffStatus;

export interface FileRow {
  node: FileNode;
  depth: number;
  expandable: boolean;
  expanded: boolean;
}

function matchesFilter(n: FileNode, filter: StatusFilter): boolean {
  if (filter === 'all') return true;
  if (n.item?.status === filter) return true;
  for (const c of n.children.values()) if (matchesFilter(c, filter)) return true;
  return false;
}

/** The visible rows: children of expanded directories, filtered (a directory stays when something below matches), sorted. */
export function fileRows(
  root: FileNode,
  expanded: ReadonlySet<string>,
  sort: FileSort,
  filter: StatusFilter,
): FileRow[] {
  const rows: FileRow[] = [];
  const walk = (n: FileNode, depth: number) => {
    const kids = [...n.children.values()].filter((c) => matchesFilter(c, filter));
    kids.sort((a, b) =>
      sort === 'size'
        ? b.total - a.total || (a.name < b.name ? -1 : 1)
        : a.name < b.name
          ? -1
          : a.name > b.name
            ? 1
            : 0,
    );
    for (const c of kids) {
      const expandable = c.children.size > 0;
      const open = expandable && expanded.has(c.path);
      rows.push({ node: c, depth, expandable, expanded: open });
      if (open) walk(c, depth + 1);
    }
  };
  walk(root, 0);
  return rows;
}

/** Every ancestor directory of a path: expanding them reveals it. */
export function ancestorsOf(path: string): string[] {
  const parts = path.split('/');
  return parts.slice(0, -1).map((_, i) => parts.slice(0, i + 1).join('/'));
}
