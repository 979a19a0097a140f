// What `docker system prune [-a] [--volumes] [--filter ...]` would remove, in Docker's own order and
// rules, or what removing a marked selection would remove; and the disk bytes that would really come
// back (removal.ts). Pure: it works on a scan model.

import {
  type BuilderPruneRules,
  selectBuilderPrune,
  selectCacheBudget,
  selectRecords,
} from './build-cache.js';
import { shortId } from './digest.js';
import {
  hasImageRules,
  keptByKeepLast,
  labelMatches,
  lastUse,
  type PrunePolicy,
  protectedBy,
} from './prune-policy.js';
import { freedBytes, imagesHeldByContainers } from './removal.js';
import type { ScanModel } from './report.js';
import type { BuildCacheRecord, ImageInput, NetworkInput } from './types.js';

export interface PruneFilters {
  /** Only objects created before this time (seconds since the epoch). */
  until?: number;
  /** label=KEY or label=KEY=VALUE: all must match. */
  label?: string[];
  /** label!=KEY or label!=KEY=VALUE: none may match. */
  notLabel?: string[];
}

export interface PruneOptions {
  /** -a: every unused image, not only dangling ones. */
  all: boolean;
  /** --volumes: anonymous volumes no remaining container uses. */
  volumes: boolean;
  filters?: PruneFilters;
  /** `layertop builder prune`: only the build cache, by these rules. */
  builder?: BuilderPruneRules;
  /** Cleanup policies (prune-policy.ts): --keep-last, --unused-for, --protect, --cache-budget. */
  policy?: PrunePolicy;
}

export type ItemKind = 'container' | 'network' | 'volume' | 'image' | 'build-cache';

export interface PlanItem {
  kind: ItemKind;
  /** Container/network/image ID, volume name; "build-cache" for the build cache. */
  id: string;
  name: string;
  /**
   * Disk bytes that come back with this item alone (shared bytes are in sharedImageBytes); null:
   * unknown, the disk was not measured (no helper).
   */
  diskBytes: number | null;
  /** Docker's own figure for the item (SizeRw, unique size, volume size, cache size). */
  dockerBytes: number;
  /** Images: the references to remove in order (each tag, or the ID when untagged). */
  refs?: string[];
  state?: string;
  /** Volumes: creation time (seconds), so a volume made again under the same name is told apart. */
  created?: number;
  /**
   * Build cache: exactly these records (by ID, children before parents). Absent: all of it, as
   * plans made before layertop read records said.
   */
  records?: string[];
  /** Build cache: each record's own line (display only; plan files keep `records`). */
  recordLines?: { id: string; name: string; diskBytes: number | null; dockerBytes: number }[];
}

export interface KeptItem {
  kind: ItemKind;
  id: string;
  name: string;
  reason: string;
}

export interface PrunePlan {
  source: 'prune' | 'selection' | 'apply';
  containers: PlanItem[];
  networks: PlanItem[];
  volumes: PlanItem[];
  images: PlanItem[];
  buildCache: PlanItem | null;
  /** Bytes that come back only because several of the removed images go together. */
  sharedImageBytes: number | null;
  kept: KeptItem[];
  /** Null: unknown, the disk was not measured; `diskUnknown` says why. */
  predictedFreedBytes: number | null;
  diskUnknown: string | null;
  /** Docker's own figures for the same removals (apparent bytes), for comparison. */
  dockerEstimateBytes: number;
}

/** Containers Docker never prunes (and layertop never removes: it does not force). */
const ALIVE = new Set(['running', 'paused', 'restarting']);

export function passesFilters(
  obj: { created?: number | undefined; labels?: Record<string, string> | undefined },
  f: PruneFilters | undefined,
  useLabels = true,
): boolean {
  if (!f) return true;
  if (f.until !== undefined && obj.created !== undefined && obj.created >= f.until) return false;
  if (useLabels) {
    for (const l of f.label ?? []) if (!labelMatches(obj.labels, l)) return false;
    for (const l of f.notLabel ?? []) if (labelMatches(obj.labels, l)) return false;
  }
  return true;
}

const GO_DURATION = /^(?:\d+(?:\.\d+)?(?:ns|us|µs|ms|s|m|h))+$/;
const UNIT_SECONDS: Record<string, number> = { ns: 1e-9, us: 1e-6, µs: 1e-6, ms: 1e-3, s: 1, m: 60, h: 3600 };

/** Docker's `until` values: a Go duration before now ("24h", "1h30m"), Unix seconds, or a date. */
export function parseUntil(value: string, nowSeconds: number): number {
  if (GO_DURATION.test(value)) {
    let secs = 0;
    for (const m of value.matchAll(/(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g))
      secs += Number(m[1]) * (UNIT_SECONDS[m[2] as string] ?? 0);
    return nowSeconds - secs;
  }
  if (/^\d+(?:\.\d+)?$/.test(value)) return Number(value);
  const t = Date.parse(value);
  if (Number.isNaN(t))
    throw new Error(`invalid until filter "${value}" (use a duration like 24h, a Unix time or a date)`);
  return t / 1000;
}

/** `--filter` arguments as Docker takes them: until=..., label=..., label!=... */
export function parseFilters(args: readonly string[], nowSeconds: number): PruneFilters {
  const f: PruneFilters = {};
  for (const a of args) {
    const m = /^(until|label!|label)=(.*)$/s.exec(a);
    if (!m) throw new Error(`invalid filter "${a}" (prune takes until=..., label=... and label!=...)`);
    const [, key, value] = m as unknown as [string, string, string];
    if (key === 'until') {
      if (f.until !== undefined) throw new Error('more than one until filter specified');
      f.until = parseUntil(value, nowSeconds);
    } else if (key === 'label') f.label = [...(f.label ?? []), value];
    else f.notLabel = [...(f.notLabel ?? []), value];
  }
  return f;
}

export function imageName(img: ImageInput): string {
  return img.tags.length ? img.tags.join(', ') : `<none> ${shortId(img.id)}`;
}

/** What to ask the engine to remove for an image: each tag (the last one removes it), else its ID. */
export function imageRefs(img: ImageInput): string[] {
  return img.tags.length ? [...img.tags] : [img.id];
}

interface Chosen {
  containers: Set<string>;
  networks: Set<string>;
  volumes: Set<string>;
  images: Set<string>;
  /** true: every record that can go (not in use); a list: those records, in removal order. */
  buildCache: boolean | readonly string[];
}

/** The records a build-cache choice removes, in order; undefined when no record is known. */
function cacheRecords(model: ScanModel, choice: Chosen['buildCache']): string[] | undefined {
  if (choice === false) return [];
  if (choice !== true) return [...choice];
  const items = model.inputs.buildCache.items;
  return items ? selectBuilderPrune(items, { all: true }).remove : undefined;
}

function buildCacheItem(model: ScanModel, records: string[] | undefined, diskBytes: number | null): PlanItem {
  const { buildCache } = model.inputs;
  const items = buildCache.items;
  if (!records || !items)
    return {
      kind: 'build-cache',
      id: 'build-cache',
      name: `build cache (${buildCache.records} records)`,
      diskBytes,
      dockerBytes: buildCache.size,
    };
  const chosen = new Set(records);
  const picked = items.filter((r) => chosen.has(r.id));
  const byId = new Map(items.map((r) => [r.id, r]));
  return {
    kind: 'build-cache',
    id: 'build-cache',
    name:
      records.length === items.length
        ? `build cache (all ${items.length} records)`
        : `build cache (${records.length} of ${items.length} records)`,
    diskBytes,
    // As docker system df counts it: the records that are not shared.
    dockerBytes: picked.filter((r) => !r.shared).reduce((a, r) => a + r.size, 0),
    records,
    recordLines: records.map((id) => {
      const r = byId.get(id) as BuildCacheRecord;
      return { id, name: recordName(r), diskBytes: r.diskBytes ?? null, dockerBytes: r.size };
    }),
  };
}

function assemble(
  model: ScanModel,
  source: PrunePlan['source'],
  chosen: Chosen,
  kept: KeptItem[],
): PrunePlan {
  const { inputs } = model;
  const records = cacheRecords(model, chosen.buildCache);
  const freed = freedBytes(model, {
    ...chosen,
    buildCache: records === undefined ? chosen.buildCache !== false : new Set(records),
  });
  // Per item: what it frees, or null when nothing was measured (no helper): unknown, not 0.
  const disk = (m: Map<string, number> | undefined, id: string) => (freed ? (m?.get(id) ?? 0) : null);
  const containers: PlanItem[] = inputs.containers
    .filter((c) => chosen.containers.has(c.id))
    .map((c) => ({
      kind: 'container',
      id: c.id,
      name: c.name,
      state: c.state,
      diskBytes: disk(freed?.containers, c.id),
      dockerBytes: c.sizeRw ?? 0,
    }));
  const networks: PlanItem[] = inputs.networks
    .filter((n) => chosen.networks.has(n.id))
    .map((n) => ({ kind: 'network', id: n.id, name: n.name, diskBytes: 0, dockerBytes: 0 }));
  const volumes: PlanItem[] = inputs.volumes
    .filter((v) => chosen.volumes.has(v.name))
    .map((v) => ({
      kind: 'volume',
      id: v.name,
      name: v.name,
      ...(v.created !== undefined ? { created: v.created } : {}),
      diskBytes: disk(freed?.volumes, v.name),
      dockerBytes: v.size,
    }));
  const dockerShared = new Map(model.report.images.map((i) => [i.id, i.engineSharedSize]));
  // Children before parents (more layers first), so no removal waits on a dependent image.
  const images: PlanItem[] = inputs.images
    .filter((i) => chosen.images.has(i.id))
    .sort((a, b) => b.diffIds.length - a.diffIds.length)
    .map((i) => ({
      kind: 'image',
      id: i.id,
      name: imageName(i),
      refs: imageRefs(i),
      diskBytes: disk(freed?.images, i.id),
      dockerBytes: Math.max(0, (i.engineSize ?? 0) - (dockerShared.get(i.id) ?? 0)),
    }));
  const cacheUnknown = freed?.buildCacheUnknown === true;
  const buildCache: PlanItem | null =
    records === undefined
      ? chosen.buildCache !== false
        ? buildCacheItem(model, undefined, freed?.buildCache ?? null)
        : null
      : records.length
        ? buildCacheItem(model, records, cacheUnknown ? null : (freed?.buildCache ?? null))
        : null;
  const all = [...containers, ...networks, ...volumes, ...images, ...(buildCache ? [buildCache] : [])];
  return {
    source,
    containers,
    networks,
    volumes,
    images,
    buildCache,
    sharedImageBytes: freed?.sharedByRemovedImages ?? null,
    kept,
    predictedFreedBytes: cacheUnknown ? null : (freed?.total ?? null),
    diskUnknown: cacheUnknown
      ? "BuildKit's record metadata could not be read: what each record frees is unknown"
      : model.report.diskUnknown,
    dockerEstimateBytes: all.reduce((a, i) => a + i.dockerBytes, 0),
  };
}

function usersOf(model: ScanModel, imageId: string, remaining: ReadonlySet<string>): string | undefined {
  const users = model.inputs.containers
    .filter((c) => c.imageId === imageId && remaining.has(c.id))
    .map((c) => `${c.name} (${c.state})`);
  if (users.length) return `used by ${users.join(', ')}`;
  return model.inputs.reservedImages?.[imageId];
}

/**
 * Why a network stays: the containers left after the removal that are attached to it, running or
 * not. Docker's own prune removes a network only stopped containers use (their next start then
 * fails: "network not found"); a container layertop keeps keeps its network. Engines list a
 * network's users only for running ones, and only before API 1.28 (`containers`).
 */
function networkUsers(model: ScanModel, n: NetworkInput, remaining: ReadonlySet<string>): string | undefined {
  // A key names this network by its name, its ID, or a prefix of its ID (as `docker create
  // --network` took it).
  const names = (k: string) =>
    k === n.name || k === n.id || (/^[0-9a-f]{2,63}$/.test(k) && n.id.startsWith(k));
  const left = model.inputs.containers.filter((c) => remaining.has(c.id));
  const users = left.filter((c) => c.networks?.some(names)).map((c) => `${c.name} (${c.state})`);
  if (users.length) return `used by ${users.join(', ')}`;
  if (n.containers > 0) return `used by ${n.containers} container${n.containers === 1 ? '' : 's'}`;
  // A container whose networks the engine did not say may be on it: kept, not guessed.
  const unknown = left.find((c) => c.networks === undefined);
  if (unknown) return `the engine did not say which networks ${unknown.name} is on`;
  return undefined;
}

/**
 * `docker system prune`: stopped containers, then unused networks, then (with --volumes) unused
 * anonymous volumes, then images no remaining container uses (only dangling ones without -a), then
 * all build cache. Docker's own prune also strips the extra tags of an image a container still
 * uses (it deletes tag by tag and stops at the conflict); layertop keeps such images whole.
 */
export function planPrune(model: ScanModel, options: PruneOptions, now = Date.now() / 1000): PrunePlan {
  if (options.builder) return planBuilderPrune(model, options.builder);
  const { inputs } = model;
  const f = options.filters;
  const policy = options.policy;
  const kept: KeptItem[] = [];
  const guarded = (kind: ItemKind, id: string, name: string, labels: Record<string, string> | undefined) => {
    const by = protectedBy(labels, policy);
    if (by) kept.push({ kind, id, name, reason: `protected (label ${by})` });
    return by !== undefined;
  };
  const containers = new Set<string>();
  for (const c of inputs.containers) {
    if (ALIVE.has(c.state)) continue;
    if (guarded('container', c.id, c.name, c.labels)) continue;
    if (passesFilters(c, f)) containers.add(c.id);
    else kept.push({ kind: 'container', id: c.id, name: c.name, reason: 'excluded by a filter' });
  }
  const remaining = new Set(inputs.containers.filter((c) => !containers.has(c.id)).map((c) => c.id));
  const networks = new Set<string>();
  for (const n of inputs.networks) {
    if (n.builtin || !passesFilters(n, f) || guarded('network', n.id, n.name, n.labels)) continue;
    const users = networkUsers(model, n, remaining);
    if (users) kept.push({ kind: 'network', id: n.id, name: n.name, reason: users });
    else networks.add(n.id);
  }
  // With --volumes, every volume left says why, as images do ("what is kept says why"): a user
  // who asked for volumes and sees none go must not have to guess.
  const volumes = new Set<string>();
  if (options.volumes) {
    const users = new Map<string, string[]>();
    for (const c of inputs.containers)
      if (remaining.has(c.id))
        for (const v of c.volumes) {
          const names = users.get(v);
          if (names) names.push(c.name);
          else users.set(v, [c.name]);
        }
    for (const v of inputs.volumes) {
      const by = users.get(v.name);
      const why = by
        ? `used by ${by.join(', ')}`
        : !v.anonymous
          ? 'named (docker system prune --volumes removes anonymous volumes only)'
          : !passesFilters(v, f)
            ? 'excluded by a filter'
            : undefined;
      if (why) kept.push({ kind: 'volume', id: v.name, name: v.name, reason: why });
      else if (!guarded('volume', v.name, v.name, v.labels)) volumes.add(v.name);
    }
  }
  const held = imagesHeldByContainers(model, containers);
  const images = new Set<string>();
  const byRules = hasImageRules(policy);
  // Without the tag times an image tagged a minute ago would count as unused since its creation
  // (a warm scan once planned to remove exactly that): the caller asks the engine for them.
  if (byRules && inputs.tagTimesUnknown)
    throw new Error(
      "--keep-last and --unused-for need every image's tag time, and this scan did not ask the engine for them",
    );
  const keepLast =
    policy?.keepLast !== undefined ? keptByKeepLast(inputs.images, policy.keepLast) : undefined;
  const recentlyUsed = (img: ImageInput): string | undefined => {
    if (policy?.unusedFor === undefined) return undefined;
    const use = lastUse(img, inputs.containers);
    const ago = Math.max(0, now - use.at);
    return ago < policy.unusedFor ? `used ${ageText(ago)} ago (${use.basis})` : undefined;
  };
  for (const img of inputs.images) {
    const name = imageName(img);
    if (held.has(img.id))
      kept.push({ kind: 'image', id: img.id, name, reason: usersOf(model, img.id, remaining) ?? 'in use' });
    else if (guarded('image', img.id, name, img.labels)) continue;
    else if (byRules && img.tags.length > 0) {
      const keep = keepLast?.get(img.id) ?? recentlyUsed(img);
      if (keep) kept.push({ kind: 'image', id: img.id, name, reason: keep });
      else if (!passesFilters(img, f))
        kept.push({ kind: 'image', id: img.id, name, reason: 'excluded by a filter' });
      else images.add(img.id);
    } else if (!options.all && img.tags.length > 0)
      kept.push({ kind: 'image', id: img.id, name, reason: 'tagged (only dangling images without -a)' });
    else if (!passesFilters(img, f))
      kept.push({ kind: 'image', id: img.id, name, reason: 'excluded by a filter' });
    else images.add(img.id);
  }
  const buildCache =
    policy?.cacheBudget !== undefined
      ? budgetCacheChoice(model, policy.cacheBudget, kept)
      : pruneCacheChoice(model, options, kept);
  return assemble(model, 'prune', { containers, networks, volumes, images, buildCache }, kept);
}

/**
 * The build-cache part of `docker system prune`: BuildKit's rules with -a as --all and the until
 * filter (Docker ignores label filters for build cache). Without the records (a scan saved by an
 * older layertop), all of it, and with an until filter none (it cannot be told which).
 */
function pruneCacheChoice(model: ScanModel, options: PruneOptions, kept: KeptItem[]): Chosen['buildCache'] {
  const { items, records } = model.inputs.buildCache;
  const until = options.filters?.until;
  if (!items) {
    if (until !== undefined && records > 0)
      kept.push({
        kind: 'build-cache',
        id: 'build-cache',
        name: 'build cache',
        reason: 'an until filter is set',
      });
    return until === undefined && records > 0;
  }
  const rules: BuilderPruneRules = { all: options.all, ...(until !== undefined ? { until } : {}) };
  const sel = selectBuilderPrune(items, rules);
  keptRecords(items, sel.kept, kept);
  return sel.remove;
}

/** --cache-budget: the least recently used records until the cache fits the budget on disk. */
function budgetCacheChoice(model: ScanModel, budget: number, kept: KeptItem[]): Chosen['buildCache'] {
  const items = model.inputs.buildCache.items;
  if (!items) {
    kept.push({
      kind: 'build-cache',
      id: 'build-cache',
      name: 'build cache',
      reason: 'its records are unknown',
    });
    return false;
  }
  const sel = selectCacheBudget(items, budget);
  keptRecords(items, sel.kept, kept);
  return sel.remove;
}

/** "3 days", "5 hours": how long ago, in the largest whole unit. */
function ageText(seconds: number): string {
  for (const [unit, s] of [
    ['day', 86400],
    ['hour', 3600],
    ['minute', 60],
  ] as const) {
    const n = Math.floor(seconds / s);
    if (n >= 1) return `${n} ${unit}${n > 1 ? 's' : ''}`;
  }
  return `${Math.floor(seconds)} seconds`;
}

/** A build-cache record kept, with BuildKit's reason, for the plan's "kept" list. */
export function keptRecords(
  items: readonly BuildCacheRecord[],
  reasons: readonly { id: string; reason: string }[],
  kept: KeptItem[],
): void {
  const byId = new Map(items.map((r) => [r.id, r]));
  for (const k of reasons) {
    const r = byId.get(k.id);
    kept.push({ kind: 'build-cache', id: k.id, name: r ? recordName(r) : k.id, reason: k.reason });
  }
}

/** How a record reads in a list: its ID's first 12 characters, type and build step. */
export function recordName(r: BuildCacheRecord): string {
  const what = r.description || r.type;
  return `${r.id.slice(0, 12)} ${r.type === 'regular' ? '' : `${r.type} `}${what}`.trim();
}

/** `docker builder prune` with these rules: only the build cache, exactly the records shown. */
export function planBuilderPrune(model: ScanModel, rules: BuilderPruneRules): PrunePlan {
  const items = model.inputs.buildCache.items ?? [];
  const sel = selectBuilderPrune(items, rules);
  const kept: KeptItem[] = [];
  keptRecords(items, sel.kept, kept);
  const none = new Set<string>();
  return assemble(
    model,
    'prune',
    { containers: none, networks: none, volumes: none, images: none, buildCache: sel.remove },
    kept,
  );
}

export interface Selection {
  containers: ReadonlySet<string>;
  images: ReadonlySet<string>;
  volumes: ReadonlySet<string>;
  /** Networks (by ID): removed only while no container uses them and they are not built in. */
  networks?: ReadonlySet<string>;
  /** true: all of the build cache (every record not in use); a list: those records. */
  buildCache: boolean | readonly string[];
}

export const EMPTY_SELECTION: Selection = {
  containers: new Set(),
  images: new Set(),
  volumes: new Set(),
  buildCache: false,
};

/**
 * Removing a marked set: the same rules as prune, without forcing anything. A running container is
 * kept (stop it first); an image a container outside the set uses is kept; a volume a container
 * outside the set uses is kept.
 */
export function planSelection(model: ScanModel, marks: Selection): PrunePlan {
  const { inputs } = model;
  const kept: KeptItem[] = [];
  const containers = new Set<string>();
  for (const c of inputs.containers) {
    if (!marks.containers.has(c.id)) continue;
    if (ALIVE.has(c.state))
      kept.push({ kind: 'container', id: c.id, name: c.name, reason: `${c.state}: stop it first` });
    else containers.add(c.id);
  }
  const remaining = new Set(inputs.containers.filter((c) => !containers.has(c.id)).map((c) => c.id));
  const held = imagesHeldByContainers(model, containers);
  const images = new Set<string>();
  for (const img of inputs.images) {
    if (!marks.images.has(img.id)) continue;
    if (held.has(img.id))
      kept.push({
        kind: 'image',
        id: img.id,
        name: imageName(img),
        reason: usersOf(model, img.id, remaining) ?? 'in use',
      });
    else images.add(img.id);
  }
  const usedVolumes = new Map<string, string[]>();
  for (const c of inputs.containers)
    if (remaining.has(c.id))
      for (const v of c.volumes) usedVolumes.set(v, [...(usedVolumes.get(v) ?? []), c.name]);
  const volumes = new Set<string>();
  for (const v of inputs.volumes) {
    if (!marks.volumes.has(v.name)) continue;
    const users = usedVolumes.get(v.name);
    if (users) kept.push({ kind: 'volume', id: v.name, name: v.name, reason: `used by ${users.join(', ')}` });
    else volumes.add(v.name);
  }
  const networks = new Set<string>();
  for (const n of inputs.networks) {
    if (!marks.networks?.has(n.id)) continue;
    const users = networkUsers(model, n, remaining);
    if (n.builtin) kept.push({ kind: 'network', id: n.id, name: n.name, reason: 'built in' });
    else if (users) kept.push({ kind: 'network', id: n.id, name: n.name, reason: users });
    else networks.add(n.id);
  }
  let buildCache: Chosen['buildCache'] = marks.buildCache === true;
  if (Array.isArray(marks.buildCache)) {
    const items = inputs.buildCache.items ?? [];
    const sel = selectRecords(items, marks.buildCache as readonly string[]);
    keptRecords(items, sel.kept, kept);
    buildCache = sel.remove;
  }
  return assemble(model, 'selection', { containers, networks, volumes, images, buildCache }, kept);
}

/** True when the plan removes nothing. */
export function planIsEmpty(plan: PrunePlan): boolean {
  return planItems(plan).length === 0;
}

export function planItems(plan: PrunePlan): PlanItem[] {
  return [
    ...plan.containers,
    ...plan.networks,
    ...plan.volumes,
    ...plan.images,
    ...(plan.buildCache ? [plan.buildCache] : []),
  ];
}

export interface PlanChange {
  added: PlanItem[];
  dropped: PlanItem[];
  /**
   * The same item (kind and ID) now with other tags or build-cache records: still removed, as it
   * is now. Shown as one change, not as an item added and one "now kept" (a tag added to an image
   * between the preview and the confirmation read as if the image were kept).
   */
  changed: { before: PlanItem; after: PlanItem }[];
  /** predicted bytes after minus before; null: unknown (no helper) */
  bytesDelta: number | null;
}

/** How a changed item differs, for the line that shows it (names are the caller's to escape). */
export function changedHow(c: { before: PlanItem; after: PlanItem }): { recreated: true } | { was: string } {
  return c.before.created !== c.after.created ? { recreated: true } : { was: c.before.name };
}

/** What differs between the plan the user saw and the plan just before running it. */
export function planChanges(seen: PrunePlan, now: PrunePlan): PlanChange | null {
  // The build cache's records are part of what it is: another set is another item (a build that
  // finished meanwhile, a record that crossed an until cut-off), shown before anything is removed.
  // A volume's creation time too: a volume removed and made again under the name previewed is
  // another volume (docker volume rm, then a restore into a new one while the user read the preview).
  const key = (i: PlanItem) =>
    `${i.kind}:${i.id}:${i.created ?? ''}:${(i.refs ?? []).join(',')}:${[...(i.records ?? [])].sort().join(',')}`;
  const before = new Map(planItems(seen).map((i) => [key(i), i]));
  const after = new Map(planItems(now).map((i) => [key(i), i]));
  const addedAll = [...after].filter(([k]) => !before.has(k)).map(([, i]) => i);
  const droppedAll = [...before].filter(([k]) => !after.has(k)).map(([, i]) => i);
  const same = (i: PlanItem) => `${i.kind}:${i.id}`;
  const was = new Map(droppedAll.map((i) => [same(i), i]));
  const changed: PlanChange['changed'] = [];
  const added: PlanItem[] = [];
  for (const i of addedAll) {
    const b = was.get(same(i));
    if (b) changed.push({ before: b, after: i });
    else added.push(i);
  }
  const kept = new Set(changed.map((c) => same(c.before)));
  const dropped = droppedAll.filter((i) => !kept.has(same(i)));
  if (!added.length && !dropped.length && !changed.length) return null;
  const delta =
    now.predictedFreedBytes === null || seen.predictedFreedBytes === null
      ? null
      : now.predictedFreedBytes - seen.predictedFreedBytes;
  return { added, dropped, changed, bytesDelta: delta };
}

/**
 * Why Docker's estimate before a removal and Docker's report after it differ, when they do: the
 * estimate adds up each image's Size minus SharedSize, so a layer that only removed images share
 * counts for none of them, and the build cache's listed size; the report counts every layer the
 * removal deleted, once, and BuildKit's SpaceReclaimed (engine/prune-run.ts dockerReported).
 */
/**
 * The measured shrink is the data root's, before and after: while items of the preview were
 * removed by another run meanwhile (two prunes at once each said the whole shrink was theirs), it
 * holds what that run freed too. Said, not guessed apart.
 */
export function othersNote(alreadyRemoved: number, measured: number | null): string | undefined {
  if (!alreadyRemoved || !measured) return undefined;
  return `${alreadyRemoved} ${alreadyRemoved === 1 ? 'item' : 'items'} of the preview were gone before this run got to them: if another run removed them after the disk was first measured, what that freed is in the measured figure too`;
}

/** Whether a run's items were the build cache alone (a builder prune): Docker's figures mean other things then. */
export function cacheOnly(items: readonly { kind: string }[]): boolean {
  return items.length > 0 && items.every((i) => i.kind === 'build-cache');
}

export function dockerFiguresNote(
  estimate: number,
  reported: number,
  format: (bytes: number) => string,
  cacheOnly = false,
): string | undefined {
  if (estimate === reported) return undefined;
  // A builder prune: no image is in either figure (a note about shared layers read as nonsense).
  if (cacheOnly)
    return `Docker's estimate before was ${format(estimate)}: the build cache's size as \`docker system df\` counts it, where a record shared with images counts 0; its report is what BuildKit says it reclaimed, each removed record's own size, shared ones included${estimate > reported ? ' (and only the records removed)' : ''}`;
  // Above the report, two causes the note cannot tell apart: the estimate is of the whole preview
  // while the report counts only what was removed (an item skipped, failed or removed by someone
  // else), and on the containerd store an image's Size holds its content blobs, which its
  // SharedSize leaves out, so a base layer's blob counts once for every image that lists it (a
  // trial read 1.06GB estimated against 423MB freed, with the reason below, which says less).
  if (estimate > reported)
    return `Docker's estimate before was ${format(estimate)}: it adds up the whole preview, each image's size less its shared size (on the containerd store that counts a base layer's compressed blob once for every image that lists it), and the build cache at its listed size; its report counts only what was removed, each deleted layer once, and what BuildKit says it reclaimed`;
  return `Docker's estimate before was ${format(estimate)}: it counts a layer shared by removed images for none of them, and the build cache at its listed size; its report counts each deleted layer once, and what BuildKit says it reclaimed`;
}
