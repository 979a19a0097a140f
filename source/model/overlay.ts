// The overlay union, pure: the merged view at layer k is layers 0..k applied bottom to top with
// overlayfs rules. Paths are byte strings (each char one byte, latin1), so names that are not
// valid UTF-8 survive exactly; they are relative, without a leading "./" or "/".
//
// Rules: a whiteout (char device 0/0) hides the name below and all under it; an opaque directory
// hides everything below it from lower layers; a later entry replaces an earlier one; a
// directory over a directory merges, anything else replaces (and a replaced directory's
// children go with it).

export type EntryType = 'file' | 'dir' | 'symlink' | 'whiteout' | 'char' | 'block' | 'fifo' | 'socket';

export interface LayerEntry {
  path: string;
  type: EntryType;
  size: number;
  ino?: number;
  nlink?: number;
  /** Allocated 512-byte blocks (what the entry costs on disk in its layer). */
  blocks?: number;
  mode?: number;
  uid?: number;
  gid?: number;
  /** Modification time, whole seconds since the epoch. */
  mtime?: number;
  linkTarget?: string;
  /** trusted.overlay.opaque=y (or user.overlay.opaque on rootless engines). */
  opaque?: boolean;
}

export type DiffStatus = 'added' | 'modified' | 'deleted' | 'opaque';

export interface MergedEntry {
  entry: LayerEntry;
  /** Index of the layer the entry comes from. */
  layer: number;
}

export interface LayerDiffEntry {
  entry: LayerEntry;
  status: DiffStatus;
  /** A modified entry: what it replaces (a chmod or chown copy-up differs only in mode or owner). */
  below?: LayerEntry;
}

function depth(p: string): number {
  let n = p === '' ? 0 : 1;
  for (let i = 0; i < p.length; i++) if (p.charCodeAt(i) === 0x2f) n++;
  return n;
}

/** True when every entry's parent directory comes before it (a walk's own order, as find prints it). */
function parentFirst(entries: readonly LayerEntry[]): boolean {
  // Only directories can be parents: a set of those, not of every path (400,000 files, 500 dirs).
  const dirs = new Set<string>();
  for (const e of entries) {
    const slash = e.path.lastIndexOf('/');
    if (slash > 0 && !dirs.has(e.path.slice(0, slash))) return false;
    if (e.type === 'dir') dirs.add(e.path);
  }
  return true;
}

/** Parents before children, so that an opaque directory or a whiteout acts before what its layer adds. */
function ordered(entries: readonly LayerEntry[]): readonly LayerEntry[] {
  // A directory walk already lists parents first: no need to sort tens of thousands of names.
  if (parentFirst(entries)) return entries;
  // Depth once per entry, not once per comparison: layers hold tens of thousands of entries.
  const keyed = entries.map((e) => ({ e, d: depth(e.path) }));
  keyed.sort((a, b) => a.d - b.d || (a.e.path < b.e.path ? -1 : a.e.path > b.e.path ? 1 : 0));
  return keyed.map((k) => k.e);
}

function removeBelow(merged: Map<string, MergedEntry>, path: string): void {
  const prefix = path === '' ? '' : `${path}/`;
  for (const key of merged.keys()) if (key.startsWith(prefix) && key !== path) merged.delete(key);
}

/** Applies one layer on top of a merged view, in place; returns that layer's diff with statuses. */
export function applyLayer(
  merged: Map<string, MergedEntry>,
  entries: readonly LayerEntry[],
  layer: number,
): LayerDiffEntry[] {
  const diff: LayerDiffEntry[] = [];
  for (const e of ordered(entries)) {
    const below = merged.get(e.path);
    if (e.type === 'whiteout') {
      if (below) {
        merged.delete(e.path);
        removeBelow(merged, e.path);
      }
      diff.push({ entry: e, status: 'deleted' });
      continue;
    }
    if (e.type === 'dir' && e.opaque) {
      removeBelow(merged, e.path);
      merged.set(e.path, { entry: e, layer });
      diff.push({ entry: e, status: 'opaque' });
      continue;
    }
    if (below && below.entry.type === 'dir' && e.type !== 'dir') removeBelow(merged, e.path);
    merged.set(e.path, { entry: e, layer });
    diff.push(below ? { entry: e, status: 'modified', below: below.entry } : { entry: e, status: 'added' });
  }
  return diff;
}

/** The merged view of layers 0..top (bottom to top). */
export function mergeLayers(
  layers: readonly (readonly LayerEntry[])[],
  top = layers.length - 1,
): Map<string, MergedEntry> {
  const merged = new Map<string, MergedEntry>();
  for (let k = 0; k <= top && k < layers.length; k++) applyLayer(merged, layers[k] ?? [], k);
  return merged;
}

export interface Wasted {
  /** Per layer: bytes of its files that later layers replace or delete (they still occupy it). */
  perLayer: number[];
  total: number;
}

/**
 * Wasted bytes, counted once and exactly: every file of every layer that is not what the top
 * merged view shows counts its own size, a file with several names in one layer once.
 * (dive adds some replaced files twice; wagoodman/dive#684.)
 */
export function wastedBytes(
  layers: readonly (readonly LayerEntry[])[],
  /** The union of exactly these layers, when the caller has it (a layer of 400,000 files: one map less). */
  merged?: ReadonlyMap<string, MergedEntry>,
): Wasted {
  const perLayer = layers.map(() => 0);
  forEachWasted(
    layers,
    (e, k) => {
      perLayer[k] = (perLayer[k] ?? 0) + e.size;
    },
    merged,
  );
  return { perLayer, total: perLayer.reduce((a, b) => a + b, 0) };
}

/** Every hidden copy (see wastedBytes), with the layer holding it: each counted once. */
function forEachWasted(
  layers: readonly (readonly LayerEntry[])[],
  visit: (e: LayerEntry, layer: number) => void,
  union?: ReadonlyMap<string, MergedEntry>,
): void {
  const merged = union ?? mergeLayers(layers);
  layers.forEach((entries, k) => {
    const seen = new Set<number>();
    for (const e of entries) {
      if (e.type === 'dir' || e.type === 'whiteout') continue;
      if (merged.get(e.path)?.layer === k && merged.get(e.path)?.entry === e) continue;
      if (e.ino !== undefined && (e.nlink ?? 1) > 1) {
        if (seen.has(e.ino)) continue;
        seen.add(e.ino);
      }
      visit(e, k);
    }
  });
}

export interface WastedFile {
  path: string;
  /** Bytes of the hidden copies of this path (replaced or deleted by a later layer). */
  bytes: number;
  /** The layers holding those copies, bottom to top. */
  layers: number[];
}

/**
 * The image's wasted files by path, most bytes first (dive's "inefficient files", counted as
 * wastedBytes counts: each hidden copy once, the copy the top shows never).
 */
export function wastedFiles(layers: readonly (readonly LayerEntry[])[]): WastedFile[] {
  const byPath = new Map<string, WastedFile>();
  forEachWasted(layers, (e, k) => {
    const w = byPath.get(e.path) ?? { path: e.path, bytes: 0, layers: [] };
    w.bytes += e.size;
    if (!w.layers.includes(k)) w.layers.push(k);
    byPath.set(e.path, w);
  });
  return [...byPath.values()].sort((a, b) => b.bytes - a.bytes || (a.path < b.path ? -1 : 1));
}

/** Layer k's own entries with their status against the merged view of the layers below it. */
export function layerDiff(layers: readonly (readonly LayerEntry[])[], k: number): LayerDiffEntry[] {
  const merged = mergeLayers(layers, k - 1);
  return applyLayer(merged, layers[k] ?? [], k).sort((a, b) => (a.entry.path < b.entry.path ? -1 : 1));
}

/** The merged view at layer k as a sorted list: each entry with the layer it comes from. */
export function mergedList(
  layers: readonly (readonly LayerEntry[])[],
  k: number,
): (MergedEntry & { path: string })[] {
  return sortedView(mergeLayers(layers, k));
}

/** A merged view (as applyLayer builds it) as a list sorted by path. */
export function sortedView(merged: ReadonlyMap<string, MergedEntry>): (MergedEntry & { path: string })[] {
  return [...merged]
    .map(([path, m]) => ({ path, ...m }))
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/**
 * Directories of `upper` that are directories in `merged` too, with something below them: only
 * there does it matter whether the directory is opaque, so only those are asked about.
 */
export function opaqueCandidates(
  merged: ReadonlyMap<string, MergedEntry>,
  upper: readonly LayerEntry[],
): string[] {
  const withChildren = new Set<string>();
  for (const path of merged.keys()) {
    const slash = path.lastIndexOf('/');
    if (slash > 0) withChildren.add(path.slice(0, slash));
  }
  return upper
    .filter((e) => e.type === 'dir' && merged.get(e.path)?.entry.type === 'dir' && withChildren.has(e.path))
    .map((e) => e.path);
}
