// Runs a prune plan through the Engine API, item by item in Docker's order, then measures what the
// disk got back. Only the items in the plan are ever asked for: layertop does not call Docker's own
// prune endpoints for containers, images, networks or volumes, which would also take anything
// created after the preview. Nothing is forced: an item the engine refuses is reported and skipped.
import type { PlanItem, PrunePlan } from '../model/prune-plan.js';
import type { ScanModel } from '../model/report.js';
import type { ApiInfo } from './api-types.js';
import { assertDeletionAllowed } from './deletion-guard.js';
import type { EngineClient } from './docker-client.js';
import { parseStat } from './helper-read.js';
import type { HelperSession } from './helper-session.js';
import { storageKind } from './scan.js';

export interface ItemResult {
  kind: PlanItem['kind'];
  id: string;
  name: string;
  /** Why the engine refused it (failed items only). */
  error?: string;
}

export interface RunReport {
  predictedFreedBytes: number;
  dockerEstimateBytes: number;
  /** What Docker reported for the same removals, by Docker's own rules (see dockerReported). */
  dockerReportedBytes: number;
  /** Data root(s) before minus after, measured through the helper (null without a helper). */
  measuredFreedBytes: number | null;
  dataRootBytesBefore: number | null;
  dataRootBytesAfter: number | null;
  removed: ItemResult[];
  failed: ItemResult[];
}

export interface RunProgress {
  done: number;
  total: number;
  item: PlanItem;
}

/** The directories whose shrink is measured: the data root, and containerd's root when separate. */
export async function dataRoots(helper: HelperSession, info: ApiInfo): Promise<string[]> {
  const roots = [info.DockerRootDir];
  if (storageKind(info) === 'containerd') {
    const { containerdRoot } = await import('./storage-containerd.js');
    const root = await containerdRoot(helper, info);
    if (!root.startsWith(`${info.DockerRootDir}/`)) roots.push(root);
  }
  return roots;
}

/** Allocated bytes under the given roots (du -sx: other file systems, like running containers' merged views, excluded). */
export async function measureRoots(helper: HelperSession, roots: readonly string[]): Promise<number> {
  const out = (await helper.run('du', roots, 600_000)).toString('utf8').trim().split('\n');
  let kib = 0;
  for (const line of out) {
    // `du -sxk .` prints "<KiB>\t."; a directory it could not enter prints "-".
    const m = /^(\d+)\t/.exec(line);
    if (m) kib += Number(m[1]);
  }
  return kib * 1024;
}

function errorText(err: unknown): string {
  const e = err as { json?: { message?: string }; message?: string; statusCode?: number };
  return (e?.json?.message ?? e?.message ?? String(err)).split('\n')[0] ?? 'error';
}

interface Executed {
  removed: ItemResult[];
  failed: ItemResult[];
  /** Layer chain IDs and image IDs the engine reported as deleted. */
  deleted: Set<string>;
  buildCacheReclaimed: number;
}

async function removeOne(client: EngineClient, item: PlanItem, ex: Executed): Promise<void> {
  const { docker } = client;
  switch (item.kind) {
    case 'container':
      await docker.getContainer(item.id).remove({ v: false, force: false });
      return;
    case 'network':
      await docker.getNetwork(item.id).remove();
      return;
    case 'volume':
      await docker.getVolume(item.id).remove();
      return;
    case 'image': {
      // Tag by tag, as `docker image prune -a` does: the last reference removes the image.
      for (const ref of item.refs ?? [item.id]) {
        const res = (await docker.getImage(ref).remove({ force: false, noprune: false })) as {
          Untagged?: string;
          Deleted?: string;
        }[];
        for (const r of res ?? []) if (r.Deleted) ex.deleted.add(r.Deleted);
      }
      return;
    }
    case 'build-cache': {
      const res = await new Promise<{ SpaceReclaimed?: number }>((resolve, reject) => {
        docker.modem.dial(
          {
            path: '/build/prune?',
            method: 'POST',
            options: { all: true },
            statusCodes: { 200: true, 500: 'server error' },
          },
          (err: unknown, data: unknown) => (err ? reject(err) : resolve(data as { SpaceReclaimed?: number })),
        );
      });
      ex.buildCacheReclaimed += res?.SpaceReclaimed ?? 0;
      return;
    }
  }
}

/** Removes the plan's items in Docker's order: containers, networks, volumes, images, build cache. */
export async function executePlan(
  client: EngineClient,
  plan: PrunePlan,
  onProgress?: (p: RunProgress) => void,
): Promise<Executed> {
  assertDeletionAllowed(client.endpoint);
  const items = [
    ...plan.containers,
    ...plan.networks,
    ...plan.volumes,
    ...plan.images,
    ...(plan.buildCache ? [plan.buildCache] : []),
  ];
  const ex: Executed = { removed: [], failed: [], deleted: new Set(), buildCacheReclaimed: 0 };
  let done = 0;
  for (const item of items) {
    onProgress?.({ done, total: items.length, item });
    const result: ItemResult = { kind: item.kind, id: item.id, name: item.name };
    try {
      await removeOne(client, item, ex);
      ex.removed.push(result);
    } catch (err) {
      const status = (err as { statusCode?: number }).statusCode;
      // Gone already (removed by someone else meanwhile): nothing left to free, not a failure.
      if (status === 404 && item.kind !== 'image') ex.removed.push(result);
      else ex.failed.push({ ...result, error: errorText(err) });
    }
    done++;
  }
  onProgress?.({ done, total: items.length, item: items.at(-1) as PlanItem });
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
  blobDir: string | undefined,
): Promise<number> {
  const removed = new Set(ex.removed.map((r) => `${r.kind}:${r.id}`));
  let bytes = ex.buildCacheReclaimed;
  for (const c of plan.containers) if (removed.has(`container:${c.id}`)) bytes += c.dockerBytes;
  for (const v of plan.volumes) if (removed.has(`volume:${v.id}`)) bytes += v.dockerBytes;
  if (model.inputs.engine.storage === 'overlay2') {
    for (const id of ex.deleted) bytes += model.graph.layers.get(id)?.size ?? 0;
  } else if (helper && blobDir) {
    const blobs = new Map<string, number>();
    for (const img of model.inputs.images)
      if (removed.has(`image:${img.id}`)) for (const b of img.blobs ?? []) blobs.set(b.digest, b.size ?? 0);
    const digests = [...blobs.keys()];
    if (digests.length) {
      const paths = digests.map((d) => `${blobDir}/${d.replace(/^sha256:/, '')}`);
      const stats = parseStat(await helper.run('stat', paths), paths.length);
      digests.forEach((d, i) => {
        if (!stats[i]) bytes += blobs.get(d) ?? 0;
      });
    }
  }
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
  const roots = ctx.helper ? await dataRoots(ctx.helper, ctx.info) : [];
  const before = ctx.helper ? await measureRoots(ctx.helper, roots) : null;
  const ex = await executePlan(ctx.client, plan, onProgress);
  const after = ctx.helper ? await measureRoots(ctx.helper, roots) : null;
  let blobDir: string | undefined;
  if (ctx.helper && ctx.model.inputs.engine.storage === 'containerd') {
    const { containerdRoot } = await import('./storage-containerd.js');
    blobDir = `${await containerdRoot(ctx.helper, ctx.info)}/io.containerd.content.v1.content/blobs/sha256`;
  }
  return {
    predictedFreedBytes: plan.predictedFreedBytes,
    dockerEstimateBytes: plan.dockerEstimateBytes,
    dockerReportedBytes: await dockerReported(ctx.model, plan, ex, ctx.helper, blobDir),
    measuredFreedBytes: before !== null && after !== null ? before - after : null,
    dataRootBytesBefore: before,
    dataRootBytesAfter: after,
    removed: ex.removed,
    failed: ex.failed,
  };
}
