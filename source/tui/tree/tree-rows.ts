import { bySize, cacheTree } from '../../model/build-cache.js';
import type { LayerNode } from '../../model/layer-graph.js';
import type { ScanModel } from '../../model/report.js';
import type { BuildCacheRecord } from '../../model/types.js';

export type ViewMode = 'tree' | 'images' | 'disk';

/** The build cache's row; it opens ("open:build-cache" in the collapsed set) onto its records. */
export const BUILD_CACHE_KEY = 'build-cache';

/** Most recently used first: the time sort of the records. */
const byRecentUse = (a: BuildCacheRecord, b: BuildCacheRecord): number =>
  (b.lastUsed ?? 0) - (a.lastUsed ?? 0) || (a.id < b.id ? -1 : 1);
export type SortMode = 'size' | 'time';

export interface Row {
  /** Stable across refreshes: the cursor and the collapsed set are kept by key. */
  key: string;
  kind:
    | 'layer'
    | 'image'
    | 'container'
    | 'volume'
    | 'build-cache'
    | 'cache-record'
    | 'leftovers'
    | 'ledger'
    | 'ledger-item';
  depth: number;
  /**
   * The tree's guide lines before the row, two cells per level: "├─"/"└─" where a row is one of
   * several branches below its parent, "│ " where a branch above continues past it. A layer's only
   * child stays in its parent's column with no connector of its own, so a chain reads as a column.
   */
  guide: string;
  expandable: boolean;
  expanded: boolean;
  chainId?: string;
  imageId?: string;
  containerId?: string;
  volume?: string;
  /** A build-cache record's ID (kind cache-record). */
  recordId?: string;
  /** Disk view: the ledger category ('unexplained' for what no rule names) and an item's path. */
  ledgerKey?: string;
  ledgerPath?: string;
  /** Keys of the rows above it in the tree, for expanding the path to a search hit. */
  ancestors: string[];
}

function subtreeDisk(model: ScanModel, chainId: string, memo: Map<string, number>): number {
  const hit = memo.get(chainId);
  if (hit !== undefined) return hit;
  const node = model.graph.layers.get(chainId);
  let sum = node?.diskBytes ?? node?.size ?? 0;
  for (const c of node?.children ?? []) sum += subtreeDisk(model, c, memo);
  memo.set(chainId, sum);
  return sum;
}

function newest(created: ReadonlyMap<string, number>, node: LayerNode): number {
  let t = 0;
  for (const id of node.images) t = Math.max(t, created.get(id) ?? 0);
  return t;
}

/**
 * Flattens the model into the rows the tree shows, honouring collapsed rows, the view and the sort.
 * Tree view: base layers at the root, each layer's children below it; a layer with a single child
 * continues at the same indent (a chain reads as a column, as `docker history` lists it), branches
 * indent under guide lines. Nesting every chain step would push a 30-layer image's commands off an
 * 80-column screen; a row with a connector is always one of several branches, so a row without one
 * directly below a layer is that layer's only child. Images end where their
 * top layer is; their containers hang under them.
 */
export function buildRows(
  model: ScanModel,
  collapsed: ReadonlySet<string>,
  view: ViewMode,
  sort: SortMode,
): Row[] {
  const rows: Row[] = [];
  const memo = new Map<string, number>();
  const imageById = new Map(model.inputs.images.map((i) => [i.id, i]));
  const created = new Map(model.inputs.images.map((i) => [i.id, i.created]));
  const diskOf = new Map(model.report.images.map((i) => [i.id, i.diskBytes ?? i.size]));
  const byImage = new Map<string, typeof model.inputs.containers>();
  // Each image's containers in the sort's order too: the biggest writable layer, or the newest, first.
  const disk = (c: (typeof model.inputs.containers)[number]) => c.diskBytes ?? c.sizeRw ?? 0;
  const containers = [...model.inputs.containers].sort((a, b) =>
    sort === 'size' ? disk(b) - disk(a) : b.created - a.created,
  );
  for (const c of containers) byImage.set(c.imageId, [...(byImage.get(c.imageId) ?? []), c]);
  const containersOf = (imageId: string) => byImage.get(imageId) ?? [];
  const order = (ids: string[]): string[] => {
    const nodes = ids.map((id) => model.graph.layers.get(id)).filter((n): n is LayerNode => n !== undefined);
    nodes.sort((a, b) =>
      sort === 'size'
        ? subtreeDisk(model, b.chainId, memo) - subtreeDisk(model, a.chainId, memo)
        : newest(created, b) - newest(created, a),
    );
    return nodes.map((n) => n.chainId);
  };
  const pushImage = (imageId: string, depth: number, ancestors: string[], guide: string, cont: string) => {
    const key = `image:${imageId}`;
    const cs = containersOf(imageId);
    const expanded = !collapsed.has(key);
    rows.push({ key, kind: 'image', depth, guide, expandable: cs.length > 0, expanded, imageId, ancestors });
    if (!expanded) return;
    cs.forEach((c, i) => {
      rows.push({
        key: `container:${c.id}`,
        kind: 'container',
        depth: depth + 1,
        guide: cont + branch(i === cs.length - 1),
        expandable: false,
        expanded: false,
        containerId: c.id,
        imageId,
        ancestors: [...ancestors, key],
      });
    });
  };

  if (view === 'disk') return diskRows(model, collapsed);

  if (view === 'images') {
    const images = [...model.inputs.images].sort((a, b) => {
      if (sort === 'time') return b.created - a.created;
      return (diskOf.get(b.id) ?? 0) - (diskOf.get(a.id) ?? 0);
    });
    for (const img of images) {
      const key = `image:${img.id}`;
      const expanded = !collapsed.has(key);
      rows.push({
        key,
        kind: 'image',
        depth: 0,
        guide: '',
        expandable: true,
        expanded,
        imageId: img.id,
        ancestors: [],
      });
      if (!expanded) continue;
      const cs = containersOf(img.id);
      const chain = model.graph.imageChains.get(img.id) ?? [];
      const below = cs.length + chain.length;
      cs.forEach((c, i) => {
        rows.push({
          key: `container:${c.id}`,
          kind: 'container',
          depth: 1,
          guide: branch(i === below - 1),
          expandable: false,
          expanded: false,
          containerId: c.id,
          imageId: img.id,
          ancestors: [key],
        });
      });
      chain.forEach((chainId, i) => {
        rows.push({
          key: `${key}/layer:${chainId}`,
          kind: 'layer',
          depth: 1,
          guide: branch(cs.length + i === below - 1),
          expandable: false,
          expanded: false,
          chainId,
          imageId: img.id,
          ancestors: [key],
        });
      });
    }
    pushRest(model, rows, collapsed, sort);
    return rows;
  }

  /** `guide`: this row's guides; `cont`: what its column carries for the rows below it. */
  const walk = (chainId: string, depth: number, ancestors: string[], guide: string, cont: string) => {
    const node = model.graph.layers.get(chainId);
    if (!node) return;
    const key = `layer:${chainId}`;
    const hasBelow = node.children.length > 0 || node.topOf.length > 0;
    const expanded = !collapsed.has(key);
    rows.push({ key, kind: 'layer', depth, guide, expandable: hasBelow, expanded, chainId, ancestors });
    if (!expanded) return;
    const path = [...ancestors, key];
    const images = node.topOf.filter((id) => imageById.has(id));
    const children = order(node.children);
    const branches = node.children.length + node.topOf.length;
    const total = images.length + children.length;
    images.forEach((imageId, i) => {
      const last = i === total - 1;
      pushImage(imageId, depth + 1, path, cont + branch(last), cont + (last ? '  ' : '│ '));
    });
    children.forEach((child, i) => {
      if (branches > 1) {
        const last = images.length + i === total - 1;
        walk(child, depth + 1, path, cont + branch(last), cont + (last ? '  ' : '│ '));
      } else walk(child, depth, path, cont, cont);
    });
  };
  for (const root of order(model.graph.roots)) walk(root, 0, [], '', '');
  pushRest(model, rows, collapsed, sort);
  return rows;
}

/**
 * The Disk view (the ledger): one row per category, largest first, each expandable to its items,
 * largest first; what no rule names closes the list as "unexplained". Items show collapsed at first.
 */
function diskRows(model: ScanModel, collapsed: ReadonlySet<string>): Row[] {
  const ledger = model.report.ledger;
  if (!ledger) return [];
  const rows: Row[] = [];
  const containerIds = new Set(model.inputs.containers.map((c) => c.id));
  const imageIds = new Set(model.inputs.images.map((i) => i.id));
  const groups = [
    ...[...ledger.categories].sort((a, b) => b.bytes - a.bytes).map((c) => ({ key: c.key, items: c.items })),
    { key: 'unexplained', items: ledger.unexplained },
  ];
  for (const g of groups) {
    const key = `ledger:${g.key}`;
    // Expanded only when asked: a category can hold thousands of layers.
    const expanded = collapsed.has(`open:${key}`);
    rows.push({
      key,
      kind: 'ledger',
      depth: 0,
      guide: '',
      expandable: g.items.length > 0,
      expanded,
      ledgerKey: g.key,
      ancestors: [],
    });
    if (!expanded) continue;
    g.items.forEach((item, i) => {
      rows.push({
        key: `${key}:${item.path}`,
        kind: 'ledger-item',
        depth: 1,
        guide: branch(i === g.items.length - 1),
        expandable: false,
        expanded: false,
        ledgerKey: g.key,
        ledgerPath: item.path,
        ...(item.id && (g.key === 'containers' || g.key === 'logs') && containerIds.has(item.id)
          ? { containerId: item.id }
          : {}),
        ...(g.key === 'volumes' && item.name ? { volume: item.name } : {}),
        ...(g.key === 'images' && item.id && imageIds.has(item.id) ? { imageId: item.id } : {}),
        ancestors: [key],
      });
    });
  }
  return rows;
}

/** The connector of one of several branches below a row. */
const branch = (last: boolean): string => (last ? '└─' : '├─');

/** Volumes and the build cache close the list: they can be marked for removal like the rest. */
function pushRest(model: ScanModel, rows: Row[], collapsed: ReadonlySet<string>, sort: SortMode): void {
  const volumes = [...model.inputs.volumes].sort((a, b) => (b.diskBytes ?? b.size) - (a.diskBytes ?? a.size));
  for (const v of volumes)
    rows.push({
      key: `volume:${v.name}`,
      kind: 'volume',
      depth: 0,
      guide: '',
      expandable: false,
      expanded: false,
      volume: v.name,
      ancestors: [],
    });
  const records = model.inputs.buildCache.items ?? [];
  if (model.inputs.buildCache.records > 0) {
    // Closed until opened (a CI host's cache has thousands of records), as the Disk view's categories.
    const expanded = records.length > 0 && collapsed.has(`open:${BUILD_CACHE_KEY}`);
    rows.push({
      key: BUILD_CACHE_KEY,
      kind: 'build-cache',
      depth: 0,
      guide: '',
      expandable: records.length > 0,
      expanded,
      ancestors: [],
    });
    if (expanded)
      for (const { record, depth } of cacheTree(records, sort === 'size' ? bySize : byRecentUse))
        rows.push({
          key: `cache-record:${record.id}`,
          kind: 'cache-record',
          depth: depth + 1,
          guide: '  '.repeat(Math.min(depth, 8)),
          expandable: false,
          expanded: false,
          recordId: record.id,
          ancestors: [BUILD_CACHE_KEY],
        });
  }
  if (model.report.leftovers.directories.length > 0)
    rows.push({
      key: 'leftovers',
      kind: 'leftovers',
      depth: 0,
      guide: '',
      expandable: false,
      expanded: false,
      ancestors: [],
    });
}
