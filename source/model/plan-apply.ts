// Applying a reviewed plan (`layertop prune --apply FILE`), like `terraform apply PLANFILE`: only
// the items in the file, and of those only the ones that are still what the review showed and
// that the plan's own rules would still remove. Every other item is reported with its reason.
// Pure: it works on a fresh scan model and the file's items.
import {
  type KeptItem,
  type PlanItem,
  type PruneOptions,
  type PrunePlan,
  planItems,
  planPrune,
  planSelection,
} from './prune-plan.js';
import type { ScanModel } from './report.js';

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
      return inputs.buildCache.records > 0;
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

export function planApply(
  model: ScanModel,
  options: PruneOptions,
  fileItems: readonly PlanItem[],
): ApplyPlan {
  const fresh = planPrune(model, options);
  const now = new Map(planItems(fresh).map((i) => [key(i), i]));
  const kept = new Map<string, KeptItem>(fresh.kept.map((k) => [key(k), k]));
  const skipped: LeftAlone[] = [];
  const alreadyRemoved: LeftAlone[] = [];
  const chosen = new Map<string, PlanItem>();
  for (const item of fileItems) {
    const base = { kind: item.kind, id: item.id, name: item.name };
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
    buildCache: chosen.has('build-cache:build-cache'),
  });
  for (const k of plan.kept) skipped.push({ kind: k.kind, id: k.id, name: k.name, reason: k.reason });
  // The removal checks each image against the tags the review showed, not today's.
  plan.images = plan.images.map((i) => ({ ...i, refs: chosen.get(key(i))?.refs ?? i.refs ?? [] }));
  plan.kept = [];
  const notInFile = [...now.keys()].filter((k) => !fileItems.some((i) => key(i) === k)).length;
  return { plan: { ...plan, source: 'apply' }, skipped, alreadyRemoved, notInFile };
}
