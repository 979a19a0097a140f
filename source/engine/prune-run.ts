// Runs a prune plan through the Engine API, item by item in Docker's order, then measures what the
// disk got back. Only the items in the plan are ever asked for: layertop does not call Docker's own
// prune endpoints for containers, images, networks or volumes, which would also take anything
// created after the preview. Nothing is forced: an item the engine refuses is reported and skipped.

import { type PlanItem, type PrunePlan, planItems } from '../model/prune-plan.js';
import type { ScanModel } from '../model/report.js';
import type { ApiInfo } from './docker/api-types.js';
import { assertDeletionAllowed } from './docker/deletion-guard.js';
import type { EngineClient } from './docker/docker-client.js';
import { HelperError, type HelperSession } from './helper/helper-session.js';
import { type RemovalEffects, removeItem } from './prune-remove.js';
import { type StorageBackend, storageBackend } from './storage/backend.js';

export interface ItemResult {
  kind: PlanItem['kind'];
  id: string;
  name: string;
  /** Why the engine refused it (failed items only). */
  error?: string;
  /** Why layertop left it alone: it is no longer what the preview showed (skipped items only). */
  reason?: string;
  /** What else happened on the way (a previewed tag that now names another image, left alone). */
  notes?: string[];
}

export interface RunReport {
  predictedFreedBytes: number | null;
  dockerEstimateBytes: number;
  /** What Docker reported for the same removals, by Docker's own rules (see dockerReported);
   *  null when it could not be worked out after the removal (see afterError). */
  dockerReportedBytes: number | null;
  /** Data root(s) before minus after, measured through the helper (null without a helper, or
   *  when the measurement after the removal failed: see afterError). */
  measuredFreedBytes: number | null;
  /** Why a figure after the removal is missing: the removals happened and are all listed. */
  afterError?: string;
  dataRootBytesBefore: number | null;
  dataRootBytesAfter: number | null;
  removed: ItemResult[];
  /** Gone before layertop got to them (another prune, or a person): nothing to free, no failure. */
  alreadyRemoved: ItemResult[];
  /** Left alone because they changed since the preview, each with the reason. */
  skipped: ItemResult[];
  failed: ItemResult[];
}

export interface RunProgress {
  done: number;
  total: number;
  item: PlanItem;
}

/**
 * Allocated bytes under the given roots (du -sx: other file systems, like running containers'
 * merged views, excluded). Entries that vanish while du walks (another prune deleting at the same
 * time) make du complain and exit 1; its totals still count exactly what existed when it looked,
 * so that one complaint is accepted. Any other error fails the measurement.
 */
export async function measureRoots(helper: HelperSession, roots: readonly string[]): Promise<number> {
  const r = await helper.request('du', roots, 600_000);
  const complaints = r.stderr.toString('utf8').split('\n').filter(Boolean);
  const vanished = complaints.every((l) => /: No such file or directory$/.test(l));
  if (r.status !== 0 && !(r.status === 1 && vanished))
    throw new HelperError(`helper du failed (${r.status}): ${complaints[0] ?? ''}`);
  const out = r.stdout.toString('utf8').trim().split('\n');
  let kib = 0;
  let totals = 0;
  for (const line of out) {
    // `du -sxk .` prints "<KiB>\t."; a directory it could not enter prints "-".
    const m = /^(\d+)\t/.exec(line);
    if (m) {
      kib += Number(m[1]);
      totals++;
    }
  }
  if (totals !== roots.length)
    throw new HelperError(`helper du measured ${totals} of ${roots.length} data roots: ${out.join(' ')}`);
  return kib * 1024;
}

type Executed = RemovalEffects & {
  removed: ItemResult[];
  alreadyRemoved: ItemResult[];
  skipped: ItemResult[];
  failed: ItemResult[];
};

/**
 * Removes the plan's items in Docker's order: containers, networks, volumes, images, build cache.
 * Each one exactly as previewed (prune-remove.ts); nothing is forced.
 */
export async function executePlan(
  client: EngineClient,
  plan: PrunePlan,
  onProgress?: (p: RunProgress) => void,
): Promise<Executed> {
  assertDeletionAllowed(client.endpoint);
  const items = planItems(plan);
  const ex: Executed = {
    removed: [],
    alreadyRemoved: [],
    skipped: [],
    failed: [],
    deleted: new Set(),
    buildCacheReclaimed: 0,
  };
  let done = 0;
  for (const item of items) {
    onProgress?.({ done, total: items.length, item });
    const out = await removeItem(client, item, ex);
    const result: ItemResult = {
      kind: item.kind,
      id: item.id,
      name: item.name,
      ...(out.notes.length ? { notes: out.notes } : {}),
    };
    if (out.status === 'removed') ex.removed.push(result);
    else if (out.status === 'already-removed') ex.alreadyRemoved.push(result);
    else if (out.status === 'skipped') ex.skipped.push({ ...result, reason: out.reason });
    else ex.failed.push({ ...result, error: out.error });
    done++;
  }
  if (items.length) onProgress?.({ done, total: items.length, item: items.at(-1) as PlanItem });
  return ex;
}

/**
 * Docker's own count for the same removals, by the rules its prune endpoints use: a container's
 * SizeRw; a volume's size; on overlay2 the size of every layer the engine reports deleted; on the
 * containerd store the size of every content blob that is gone afterwards; the build cache's
 * SpaceReclaimed as the engine returned it.
 */
async function dockerReported(
  model: ScanModel,
  plan: PrunePlan,
  ex: Executed,
  helper: HelperSession | undefined,
  backend: StorageBackend,
): Promise<number> {
  const removed = new Set(ex.removed.map((r) => `${r.kind}:${r.id}`));
  let bytes = ex.buildCacheReclaimed;
  for (const c of plan.containers) if (removed.has(`container:${c.id}`)) bytes += c.dockerBytes;
  for (const v of plan.volumes) if (removed.has(`volume:${v.id}`)) bytes += v.dockerBytes;
  let deletedLayerBytes = 0;
  for (const id of ex.deleted) deletedLayerBytes += model.graph.layers.get(id)?.size ?? 0;
  const removedImages = model.inputs.images.filter((img) => removed.has(`image:${img.id}`));
  bytes += await backend.reportedImageBytes(helper, removedImages, deletedLayerBytes);
  return bytes;
}

export interface RunContext {
  client: EngineClient;
  info: ApiInfo;
  helper: HelperSession | undefined;
  /** The scan the plan was made from (just before running: the caller re-plans first). */
  model: ScanModel;
}

/** Measures the data root, removes the plan's items, measures again, and reports the three figures. */
export async function runPlan(
  ctx: RunContext,
  plan: PrunePlan,
  onProgress?: (p: RunProgress) => void,
): Promise<RunReport> {
  assertDeletionAllowed(ctx.client.endpoint);
  const backend = await storageBackend(ctx.info, ctx.client.engineApiVersion);
  // The shrink is measured on the data root, and on containerd's own root when it is elsewhere.
  const roots = ctx.helper ? [ctx.info.DockerRootDir, ...(await backend.extraRoots(ctx.helper))] : [];
  const before = ctx.helper ? await measureRoots(ctx.helper, roots) : null;
  const ex = await executePlan(ctx.client, plan, onProgress);
  // Things are deleted now: whatever fails after this must not lose the list of what was (the
  // report is what tells the user), so a figure that cannot be had is missing, with the reason.
  const problems: string[] = [];
  const afterward = async <T>(what: string, f: () => Promise<T>): Promise<T | null> => {
    try {
      return await f();
    } catch (err) {
      problems.push(`${what}: ${err instanceof Error ? err.message : String(err)}`);
      return null;
    }
  };
  const after = ctx.helper
    ? await afterward('the disk could not be measured after the removal', () =>
        measureRoots(ctx.helper as HelperSession, roots),
      )
    : null;
  const reported = await afterward("Docker's figure could not be worked out after the removal", () =>
    dockerReported(ctx.model, plan, ex, ctx.helper, backend),
  );
  return {
    predictedFreedBytes: plan.predictedFreedBytes,
    dockerEstimateBytes: plan.dockerEstimateBytes,
    dockerReportedBytes: reported,
    measuredFreedBytes: before !== null && after !== null ? before - after : null,
    ...(problems.length ? { afterError: problems.join('; ') } : {}),
    dataRootBytesBefore: before,
    dataRootBytesAfter: after,
    removed: ex.removed,
    alreadyRemoved: ex.alreadyRemoved,
    skipped: ex.skipped,
    failed: ex.failed,
  };
}
