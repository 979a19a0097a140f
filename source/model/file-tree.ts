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
  /** Inode and link count, where listed: a file with several names counts once in a total. */
  ino?: number | undefined;
  nlink?: number | undefined;
  /** Allocated 512-byte blocks, where listed (what the entry costs on disk). */
  blocks?: number | undefined;
  /** Permission bits, owner and modification time (seconds), where listed. */
  mode?: number | undefined;
  uid?: number | undefined;
  gid?: number | undefined;
  mtime?: number | undefined;
  /** A modified entry: the mode and owner of what it replaces. */
  before?: { mode?: number | undefined; uid?: number | undefined; gid?: number | undefined } | undefined;
  /** The wasted-files view: how many layers hold a hidden copy of the path. */
  copies?: number | undefined;
  /** A whiteout: the bytes of what it deletes from the layers below (a directory: all of it). */
  deletes?: number | undefined;
}

export interface FileNode {
  name: string;
  path: string;
  item: FileItem | undefined;
  children: Map<string, FileNode>;
  /** Bytes of every file at or below this node (whiteouts and directories count 0; a file with
   *  several names in the subtree, hard links, once: as du counts). */
  total: number;
  /** Allocated bytes of every entry at or below this node, directories included, hard links
   *  once (du -s -B1 of it); undefined when an entry's blocks were not listed. */
  disk: number | undefined;
  /** Entries at or below this node. */
  count: number;
}

export function buildFileTree(items: readonly FileItem[]): FileNode {
  const root: FileNode = {
    name: '',
    path: '',
    item: undefined,
    children: new Map(),
    total: 0,
    disk: 0,
    count: 0,
  };
  for (const item of items) {
    let node = root;
    const parts = item.path.split('/');
    let path = '';
    for (const part of parts) {
      path = path ? `${path}/${part}` : part;
      let next = node.children.get(part);
      if (!next) {
        next = { name: part, path, item: undefined, children: new Map(), total: 0, disk: 0, count: 0 };
        node.children.set(part, next);
      }
      node = next;
    }
    node.item = item;
  }
  // Returns the hard-linked files of the subtree (layer:inode → bytes and disk bytes), which its
  // totals hold once.
  type Linked = Map<string, { size: number; disk: number }>;
  const sum = (n: FileNode): Linked | undefined => {
    const it = n.item;
    const sized = it && it.type !== 'dir' && it.type !== 'whiteout';
    const linkedHere = sized && it.ino !== undefined && (it.nlink ?? 1) > 1;
    const ownDisk = it ? (it.blocks === undefined ? undefined : it.blocks * 512) : 0;
    let total = sized && !linkedHere ? it.size : 0;
    let disk: number | undefined = linkedHere ? 0 : ownDisk;
    let count = it ? 1 : 0;
    let linked: Linked | undefined = linkedHere
      ? new Map([[`${it.layer}:${it.ino}`, { size: it.size, disk: ownDisk ?? 0 }]])
      : undefined;
    if (linkedHere && ownDisk === undefined) disk = undefined;
    for (const c of n.children.values()) {
      const childLinked = sum(c);
      count += c.count;
      let linkedSize = 0;
      let linkedDisk = 0;
      for (const v of childLinked?.values() ?? []) {
        linkedSize += v.size;
        linkedDisk += v.disk;
      }
      total += c.total - linkedSize;
      disk = disk === undefined || c.disk === undefined ? undefined : disk + c.disk - linkedDisk;
      if (!childLinked) continue;
      if (!linked) linked = childLinked;
      else for (const [k, v] of childLinked) linked.set(k, v);
    }
    for (const v of linked?.values() ?? []) {
      total += v.size;
      if (disk !== undefined) disk += v.disk;
    }
    n.total = total;
    n.disk = disk;
    n.count = count;
    return linked;
  };
  sum(root);
  return root;
}

export type FileSort = 'name' | 'size';
/** The statuses shown; empty shows everything. Statuses combine: {added, modified} shows both. */
export type StatusFilter = ReadonlySet<DiffStatus>;

export interface FileRow {
  node: FileNode;
  /** The name shown where it is not the node's own: the flat list (L) shows whole paths. */
  label?: string;
  depth: number;
  expandable: boolean;
  expanded: boolean;
}

function matchesFilter(n: FileNode, filter: StatusFilter): boolean {
  if (filter.size === 0) return true;
  if (n.item?.status !== undefined && filter.has(n.item.status)) return true;
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

/**
 * Every entry that is not a directory, largest first (ncdu's and dive's "largest files"), each
 * named by its whole path, filtered by status like the tree. Directories are left out: their
 * totals are what the tree shows. Ties keep the tree's order: directory by directory, names
 * sorted. Gathered in that order, the sort compares sizes alone (stable): a comparator falling
 * back to the paths compared strings in JS at most steps over the scale engine's 400,000 files of
 * one size, 0.8-2 s on the UI's thread.
 */
export function largestRows(root: FileNode, filter: StatusFilter): FileRow[] {
  const out: FileNode[] = [];
  const walk = (n: FileNode) => {
    for (const name of [...n.children.keys()].sort()) {
      const c = n.children.get(name) as FileNode;
      if (c.item && c.item.type !== 'dir' && c.children.size === 0 && matchesFilter(c, filter)) out.push(c);
      if (c.children.size) walk(c);
    }
  };
  walk(root);
  out.sort((a, b) => (b.item?.size ?? 0) - (a.item?.size ?? 0));
  // The node itself, its path as the label: a copy of each node took most of the time over a
  // 400,000-file layer.
  return out.map((node) => ({
    node,
    label: node.path,
    depth: 0,
    expandable: false,
    expanded: false,
  }));
}

/** Every ancestor directory of a path: expanding them reveals it. */
export function ancestorsOf(path: string): string[] {
  const parts = path.split('/');
  return parts.slice(0, -1).map((_, i) => parts.slice(0, i + 1).join('/'));
}

/** "drwxr-xr-x" as ls prints it, from the entry's type and permission bits (setuid, sticky too). */
export function modeText(type: EntryType, mode: number | undefined): string {
  if (mode === undefined) return '?'.padEnd(10);
  const t =
    { dir: 'd', symlink: 'l', char: 'c', whiteout: 'c', block: 'b', fifo: 'p', socket: 's', file: '-' }[
      type
    ] ?? '-';
  const bit = (m: number, c: string) => (mode & m ? c : '-');
  const x = (m: number, special: number, on: string, off: string) =>
    mode & special ? (mode & m ? on : off) : bit(m, 'x');
  return (
    t +
    bit(0o400, 'r') +
    bit(0o200, 'w') +
    x(0o100, 0o4000, 's', 'S') +
    bit(0o040, 'r') +
    bit(0o020, 'w') +
    x(0o010, 0o2000, 's', 'S') +
    bit(0o004, 'r') +
    bit(0o002, 'w') +
    x(0o001, 0o1000, 't', 'T')
  );
}

/**
 * What a modified entry changed in its attributes: "mode 644→755", "owner 0:0→1000:1000", both, or
 * nothing. A copy-up made by chmod or chown alone shows here; its content may be the same bytes.
 */
export function attributeChange(item: FileItem): string {
  const b = item.before;
  if (!b) return '';
  const parts: string[] = [];
  if (b.mode !== undefined && item.mode !== undefined && b.mode !== item.mode)
    parts.push(`mode ${b.mode.toString(8)}→${item.mode.toString(8)}`);
  if (b.uid !== undefined && item.uid !== undefined && (b.uid !== item.uid || b.gid !== item.gid))
    parts.push(`owner ${b.uid}:${b.gid}→${item.uid}:${item.gid}`);
  return parts.join(', ');
}
