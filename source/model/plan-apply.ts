// Applying a reviewed plan (`layertop prune --apply FILE`), like `terraform apply PLANFILE`: only
// the items in the file, and of those only the ones that are still what the review showed and
// that the plan's own rules would still remove. Every other item is reported with its reason.
// Pure: it works on a fresh scan model and the file's items.
import { selectRecords } from './build-cache.js';
import {
  type KeptItem,
  type PlanItem,
  type PruneOptions,
  type PrunePlan,
  planItems,
  planPrune,
  planSelection,
  recordName,
} from './prune-plan.js';
import type { ScanModel } from './report.js';
import type { BuildCacheRecord } from './types.js';

export interface LeftAlone {
  kind: PlanItem['kind'];
  id: string;
  name: string;
  reason: string;
}

export interface ApplyPlan {
  /** What will be removed: the file's items that are unchanged, with the file's image tags. */
  plan: PrunePlan;
  /** File items left alone, each with the reason. */
  skipped: LeftAlone[];
  /** File items that no longer exist. */
  alreadyRemoved: LeftAlone[];
  /** Items the plan's rules would remove now that the file does not name (left alone). */
  notInFile: number;
}

const key = (i: { kind: string; id: string }) => `${i.kind}:${i.id}`;

/** Why a plan file's build-cache item without its records is left alone. */
export const NO_RECORDS =
  'the file names no build-cache records (an older plan or an edited one): which records were reviewed is unknown; make a new plan';

function existsNow(model: ScanModel, item: PlanItem): boolean {
  const { inputs } = model;
  switch (item.kind) {
    case 'container':
      return inputs.containers.some((c) => c.id === item.id);
    case 'network':
      return inputs.networks.some((n) => n.id === item.id);
    case 'volume':
      return inputs.volumes.some((v) => v.name === item.id);
    case 'image':
      return inputs.images.some((i) => i.id === item.id);
    case 'build-cache':
      return item.records
        ? item.records.some((id) => inputs.buildCache.items?.some((r) => r.id === id))
        : inputs.buildCache.records > 0;
  }
}

/** Why a file item differs from the object of that ID now, or undefined when it is the same. */
function changed(model: ScanModel, item: PlanItem): string | undefined {
  if (item.kind === 'volume' && item.created !== undefined) {
    const v = model.inputs.volumes.find((x) => x.name === item.id);
    if (v?.created !== undefined && v.created !== item.created)
      return 'a volume of that name was created again since the plan';
  }
  if (item.kind === 'container') {
    const c = model.inputs.containers.find((x) => x.id === item.id);
    if (c && ['running', 'paused', 'restarting'].includes(c.state)) return `it is ${c.state} now`;
  }
  if (item.kind === 'image') {
    const img = model.inputs.images.find((i) => i.id === item.id);
    const reviewed = new Set((item.refs ?? []).filter((r) => r !== item.id));
    const gained = (img?.tags ?? []).filter((t) => !reviewed.has(t));
    // A tag nobody reviewed would go with the image. A reviewed tag that moved is left alone by
    // the removal itself (prune-remove.ts), which reports it.
    if (gained.length) return `it gained ${gained.join(', ')} since the plan`;
  }
  return undefined;
}

/**
 * The file's build-cache records that can still go exactly as reviewed: they still exist, nobody
 * uses them and nobody used them since the plan was made (a build that hit them wants them), and
 * no record built on them stays. The others are left alone, each with its reason.
 */
function cacheRecordsToApply(
  model: ScanModel,
  item: PlanItem,
  planMadeAt: number | undefined,
  skipped: LeftAlone[],
  alreadyRemoved: LeftAlone[],
): string[] {
  const items = model.inputs.buildCache.items ?? [];
  const byId = new Map(items.map((r) => [r.id, r]));
  const ok = new Set<string>();
  const leave = (id: string, reason: string) =>
    skipped.push({
      kind: 'build-cache',
      id,
      name: byId.get(id) ? recordName(byId.get(id) as BuildCacheRecord) : id,
      reason,
    });
  for (const id of item.records ?? []) {
    const r = byId.get(id);
    if (!r) alreadyRemoved.push({ kind: 'build-cache', id, name: id, reason: 'already removed' });
    else if (planMadeAt !== undefined && r.lastUsed !== null && r.lastUsed > planMadeAt)
      leave(id, 'used since the plan');
    else ok.add(id);
  }
  // Children before parents: a record whose child stays cannot go (the child holds it).
  const sel = selectRecords(items, ok);
  for (const k of sel.kept) leave(k.id, k.reason);
  return sel.remove;
}

export function planApply(
  model: ScanModel,
  options: PruneOptions,
  fileItems: readonly PlanItem[],
  /** When the plan was made (seconds): build-cache records used since are left alone. */
  planMadeAt?: number,
): ApplyPlan {
  const fresh = planPrune(model, options);
  const now = new Map(planItems(fresh).map((i) => [key(i), i]));
  const kept = new Map<string, KeptItem>(fresh.kept.map((k) => [key(k), k]));
  const skipped: LeftAlone[] = [];
  const alreadyRemoved: LeftAlone[] = [];
  const chosen = new Map<string, PlanItem>();
  let cacheRecords: string[] | undefined;
  for (const item of fileItems) {
    const base = { kind: item.kind, id: item.id, name: item.name };
    if (item.kind === 'build-cache' && item.records) {
      cacheRecords = cacheRecordsToApply(model, item, planMadeAt, skipped, alreadyRemoved);
      continue;
    }
    // A file without the records (made before layertop kept them, or edited) says "the build
    // cache", not which records: applied, it would remove every record unused now, also those
    // built after the review. Only what was reviewed may go.
    if (item.kind === 'build-cache') {
      skipped.push({ ...base, reason: NO_RECORDS });
      continue;
    }
    if (!existsNow(model, item)) {
      alreadyRemoved.push({ ...base, reason: 'already removed' });
      continue;
    }
    const why = changed(model, item);
    if (why) skipped.push({ ...base, reason: why });
    else if (!now.has(key(item)))
      skipped.push({
        ...base,
        reason: kept.get(key(item))?.reason ?? "the plan's rules no longer select it",
      });
    else chosen.set(key(item), item);
  }
  const ids = (kind: PlanItem['kind']) =>
    new Set([...chosen.values()].filter((i) => i.kind === kind).map((i) => i.id));
  // The same rules as a marked set: an image a container outside the set still uses stays, ...
  const plan = planSelection(model, {
    containers: ids('container'),
    images: ids('image'),
    volumes: ids('volume'),
    networks: ids('network'),
    buildCache: cacheRecords ?? chosen.has('build-cache:build-cache'),
  });
  for (const k of plan.kept) skipped.push({ kind: k.kind, id: k.id, name: k.name, reason: k.reason });
  // The removal checks each image against the tags the review showed, not today's.
  plan.images = plan.images.map((i) => ({ ...i, refs: chosen.get(key(i))?.refs ?? i.refs ?? [] }));
  plan.kept = [];
  const notInFile = [...now.keys()].filter((k) => !fileItems.some((i) => key(i) === k)).length;
  // (A record the rules would pick now that the file does not name is not counted: records come
  // and go with every build; only the file's are ever removed.)
  return { plan: { ...plan, source: 'apply' }, skipped, alreadyRemoved, notInFile };
}
