// Leftovers, pure: what each one is, the plan to delete them, and the checks made again right
// before deleting. A leftover is an entry of the engine's storage that nothing references (no
// layer, container, layer-store record, snapshot record or BuildKit record), so no prune frees it;
// the engine finds it (engine/storage) and the helper deletes it (engine/leftovers.ts), after
// these checks and its own (mounts, age).

export type LeftoverKind = 'layer-dir' | 'mount-record' | 'snapshot' | 'blob';

export interface LeftoverItem {
  path: string;
  kind: LeftoverKind;
  /** Disk bytes as the scan measured them; null when unknown. */
  diskBytes: number | null;
}

export interface LeftoverPlan {
  dataRoot: string;
  items: LeftoverItem[];
  /**
   * Leftovers of no shape the helper deletes (an overlay2/ directory named as BuildKit names its
   * snapshots that BuildKit's snapshots.db does not know): shown, never deleted by layertop.
   */
  others?: { path: string; diskBytes: number | null }[];
  /** The sum of the items' disk bytes; null if any is unknown (never a partial sum shown as whole). */
  predictedFreedBytes: number | null;
}

/** What each kind is, in words (the CLI and the explorer say it the same way). */
export const LEFTOVER_WHAT: Record<LeftoverKind, string> = {
  'layer-dir': 'overlay2 layer directory that no layer, container or layer-store record names',
  'mount-record': "layer-store record of a container the engine no longer lists (its layers' names)",
  snapshot: "containerd snapshot directory that the snapshotter's metadata does not record",
  blob: 'content blob that no namespace of containerd records',
};

/** The kind of a leftover, by the shape of its path (the only shapes the helper deletes). */
export function leftoverKind(path: string): LeftoverKind | undefined {
  const parent = path.slice(0, path.lastIndexOf('/'));
  const name = path.slice(path.lastIndexOf('/') + 1);
  if (parent.endsWith('/overlay2') && /^[0-9a-f]{64}(-init)?$/.test(name)) return 'layer-dir';
  if (parent.endsWith('/image/overlay2/layerdb/mounts') && /^[0-9a-f]{64}$/.test(name)) return 'mount-record';
  if (parent.endsWith('/io.containerd.snapshotter.v1.overlayfs/snapshots') && /^[1-9][0-9]*$/.test(name))
    return 'snapshot';
  if (parent.endsWith('/io.containerd.content.v1.content/blobs/sha256') && /^[0-9a-f]{64}$/.test(name))
    return 'blob';
  return undefined;
}

/** The plan from a scan's leftovers: every one of a known shape, largest first. */
export function leftoverPlan(
  dataRoot: string,
  leftovers: readonly { path: string; diskBytes: number | null }[],
): LeftoverPlan {
  const items: LeftoverItem[] = [];
  const others: { path: string; diskBytes: number | null }[] = [];
  for (const l of leftovers) {
    const kind = leftoverKind(l.path);
    if (kind) items.push({ path: l.path, kind, diskBytes: l.diskBytes });
    else others.push({ path: l.path, diskBytes: l.diskBytes });
  }
  items.sort((a, b) => (b.diskBytes ?? 0) - (a.diskBytes ?? 0) || (a.path < b.path ? -1 : 1));
  return {
    dataRoot,
    items,
    predictedFreedBytes: sumKnown(items.map((i) => i.diskBytes)),
    ...(others.length ? { others } : {}),
  };
}

/** The plan narrowed to the given paths. */
export function selectLeftovers(plan: LeftoverPlan, paths: readonly string[]): LeftoverPlan {
  const wanted = new Set(paths);
  const items = plan.items.filter((i) => wanted.has(i.path));
  return { ...plan, items, predictedFreedBytes: sumKnown(items.map((i) => i.diskBytes)) };
}

export function sumKnown(values: readonly (number | null)[]): number | null {
  let sum = 0;
  for (const v of values) {
    if (v === null) return null;
    sum += v;
  }
  return sum;
}

export interface LeftoverRecheck {
  /** The leftovers a scan made just now finds (the engine's metadata read again). */
  stillLeftover: ReadonlySet<string>;
  /**
   * overlay2: each planned layer directory's short link (its name in l/, from its `link` file),
   * and the other layer directories whose `lower` file names that link (layers built on it).
   */
  links: ReadonlyMap<string, string>;
  lowers: ReadonlyMap<string, readonly string[]>;
  /**
   * Set when that scan could not read whose a layer directory is (a layer's cache-id, a
   * container's mount-id): an unclaimed directory may then be that one's, so no layer directory
   * goes (fail closed). The words say which.
   */
  ownersUnknown?: string | undefined;
}

export interface LeftoverCheck {
  /** In order: each one after the leftovers built on it (its `after`), which go in the same run. */
  go: (LeftoverItem & { after: string[] })[];
  refused: (LeftoverItem & { reason: string })[];
}

/**
 * Which planned leftovers may be deleted now: those a fresh scan still finds unreferenced and on
 * which no other layer directory builds (a layer whose `lower` names it: deleting it would break
 * that layer), unless every layer built on it is a leftover deleted in the same run, first (a
 * removed container's writable layer is built on its init layer).
 */
export function recheckLeftovers(plan: LeftoverPlan, now: LeftoverRecheck): LeftoverCheck {
  const byLink = new Map<string, string[]>();
  for (const [dir, links] of now.lowers)
    for (const l of links) {
      const list = byLink.get(l);
      if (list) list.push(dir);
      else byLink.set(l, [dir]);
    }
  const users = new Map<string, string[]>();
  for (const item of plan.items) {
    const link = now.links.get(item.path);
    users.set(item.path, link ? (byLink.get(link) ?? []).filter((d) => d !== item.path) : []);
  }
  const out: LeftoverCheck = { go: [], refused: [] };
  const going = new Set(plan.items.filter((i) => now.stillLeftover.has(i.path)).map((i) => i.path));
  // A leftover stays when a layer built on it stays: repeated until nothing changes.
  for (let changed = true; changed; ) {
    changed = false;
    for (const p of going)
      if ((users.get(p) ?? []).some((u) => !going.has(u))) {
        going.delete(p);
        changed = true;
      }
  }
  for (const item of plan.items) {
    const u = users.get(item.path) ?? [];
    if (now.ownersUnknown && item.kind === 'layer-dir')
      out.refused.push({ ...item, reason: `${now.ownersUnknown}: it may be that one's` });
    else if (!now.stillLeftover.has(item.path))
      out.refused.push({ ...item, reason: 'no longer a leftover: the engine names it now, or it is gone' });
    else if (!going.has(item.path))
      out.refused.push({
        ...item,
        reason: `${u.length} layer director${u.length === 1 ? 'y builds' : 'ies build'} on it (its lower file names l/${now.links.get(item.path)}): ${u[0]}`,
      });
    else out.go.push({ ...item, after: u });
  }
  return out;
}

/** Why the helper did not delete one, in words (see helper-ops.sh: reclaimone). */
export const RECLAIM_REFUSALS: Record<string, string> = {
  mounted: 'mounted: a mount on the host uses it',
  young: 'changed too recently (a pull or build in progress writes its layer before the engine records it)',
  badpath: 'not a leftover path layertop deletes',
  nomounts: 'the host mount table could not be read, so a mount could not be ruled out',
  failed: 'the delete failed; it is still there',
};

/** Parses a duration as the docker CLI writes them ("90s", "30m", "2h", "1d", "1h30m"); seconds. */
export function parseAge(text: string): number | undefined {
  const unit: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400 };
  if (!/^(\d+[smhd])+$/.test(text)) return /^\d+$/.test(text) ? Number(text) : undefined;
  let total = 0;
  for (const m of text.matchAll(/(\d+)([smhd])/g)) total += Number(m[1]) * (unit[m[2] as string] as number);
  return total;
}
