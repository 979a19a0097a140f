// Deleting leftovers with proof: the one place layertop deletes on the engine host outside the
// engine's API. Only entries a scan made right before (the engine's metadata read again) still
// finds unreferenced, that no other layer builds on (model/leftovers.ts), and that the helper then
// finds unmounted and unchanged for the minimum age (helper-ops.sh: reclaimone) are deleted; the
// data root is measured before and after, like a prune.
import {
  type LeftoverItem,
  type LeftoverPlan,
  leftoverPlan,
  RECLAIM_REFUSALS,
  recheckLeftovers,
  sumKnown,
} from '../model/leftovers.js';
import type { ScanModel } from '../model/report.js';
import type { ApiInfo } from './docker/api-types.js';
import { assertDeletionAllowed } from './docker/deletion-guard.js';
import type { EngineClient } from './docker/docker-client.js';
import { parseList } from './helper/helper-read.js';
import type { HelperSession } from './helper/helper-session.js';
import { type ReclaimVerdict, reclaimPaths } from './helper/reclaim.js';
import type { SizeCache } from './helper/size-cache.js';
import { measureRoots } from './prune-run.js';
import { scanEngine } from './scan.js';
import { storageBackend } from './storage/backend.js';

export interface LeftoverContext {
  client: EngineClient;
  info: ApiInfo;
  helper: HelperSession;
  cache: SizeCache | undefined;
}

export interface LeftoverReport {
  predictedFreedBytes: number | null;
  /** null when the measurement after the deletions failed (see afterError). */
  measuredFreedBytes: number | null;
  dataRootBytesBefore: number;
  dataRootBytesAfter: number | null;
  /** What failed after deleting began: everything deleted is still listed. */
  afterError?: string;
  removed: LeftoverItem[];
  alreadyRemoved: LeftoverItem[];
  refused: (LeftoverItem & { reason: string })[];
  failed: (LeftoverItem & { reason: string })[];
}

/** The leftovers of a scan, as a plan. */
export function planFromScan(model: ScanModel): LeftoverPlan {
  return leftoverPlan(model.report.engine.dataRoot, model.report.leftovers.items);
}

/**
 * overlay2: a layer or container whose directory the fresh scan could not name (its cache-id or
 * mount-id unread), in words; undefined when every one is named.
 */
function ownersUnknown(model: ScanModel): string | undefined {
  if (model.report.engine.storage !== 'overlay2') return undefined;
  const layer = [...model.graph.layers.values()].find((l) => l.path === undefined);
  if (layer) return `the directory of layer ${layer.chainId} could not be read`;
  // A dead container (its removal failed half-way) or one being removed has let its layer go.
  const container = model.inputs.containers.find(
    (c) => c.path === undefined && c.state !== 'dead' && c.state !== 'removing',
  );
  if (container) return `the directory of container ${container.name} could not be read`;
  return undefined;
}

/** Scans and plans (the preview, and the re-check before deleting). */
export async function scanLeftovers(ctx: LeftoverContext): Promise<{ model: ScanModel; plan: LeftoverPlan }> {
  const model = await scanEngine(ctx.client, { helper: ctx.helper, cache: ctx.cache, info: ctx.info });
  return { model, plan: planFromScan(model) };
}

/**
 * overlay2: the short link of each planned layer directory, and every layer directory's `lower`
 * (the links of the layers it is built on), read now.
 */
async function overlay2Lowers(
  helper: HelperSession,
  dataRoot: string,
  planned: readonly LeftoverItem[],
): Promise<{ links: Map<string, string>; lowers: Map<string, string[]> }> {
  const dirs = planned.filter((i) => i.kind === 'layer-dir').map((i) => i.path);
  const links = new Map<string, string>();
  const lowers = new Map<string, string[]>();
  if (!dirs.length) return { links, lowers };
  const out = await helper.run('liststat', ['/', `${dataRoot}/overlay2`]);
  const names = (parseList(out.subarray(out.indexOf(0x0a) + 1))[0] ?? [])
    .map((b) => b.toString('latin1').replace(/^\.\//, ''))
    .filter((n) => n !== 'l');
  const all = names.map((n) => `${dataRoot}/overlay2/${n}`);
  const [linkFiles, lowerFiles] = await Promise.all([
    helper.readFiles(dirs.map((d) => `${d}/link`)),
    helper.readFiles(all.map((d) => `${d}/lower`)),
  ]);
  dirs.forEach((d, i) => {
    const l = linkFiles[i]?.toString('latin1').trim();
    if (l) links.set(d, l);
  });
  all.forEach((d, i) => {
    const text = lowerFiles[i]?.toString('latin1').trim();
    if (text)
      lowers.set(
        d,
        text.split(':').map((p) => p.replace(/^l\//, '')),
      );
  });
  return { links, lowers };
}

/**
 * Deletes the planned leftovers that pass every check now; reports each one, and the data root's
 * shrink as measured (and containerd's root where it is separate).
 */
export async function reclaimLeftovers(
  ctx: LeftoverContext,
  plan: LeftoverPlan,
  minAgeSeconds: number,
): Promise<LeftoverReport> {
  assertDeletionAllowed(ctx.client.endpoint);
  const { helper } = ctx;
  // The proof, read again now: a scan (layers, containers, the layer store, containerd's and
  // BuildKit's records) and the layers' lower files.
  const fresh = await scanLeftovers(ctx);
  const now = await overlay2Lowers(helper, plan.dataRoot, plan.items);
  const check = recheckLeftovers(plan, {
    stillLeftover: new Set(fresh.plan.items.map((i) => i.path)),
    ...now,
    ownersUnknown: ownersUnknown(fresh.model),
  });
  const backend = await storageBackend(ctx.info, ctx.client.engineApiVersion);
  const roots = [ctx.info.DockerRootDir, ...(await backend.extraRoots(helper))];
  // The helper takes each path's place relative to the root it is sent with exactly: containerd's
  // own root too when it lies inside the data root (measured once, as part of the data root).
  const deletionRoots = [...roots, ...(await backend.storeRoots(helper))];
  // Each layer directory's short link in l/ goes with it (helper-ops.sh): its blocks too.
  const linked = check.go.filter((i) => now.links.has(i.path));
  const linkStats = linked.length
    ? await helper.statFiles(linked.map((i) => `${plan.dataRoot}/overlay2/l/${now.links.get(i.path)}`))
    : [];
  const linkBytes = new Map(linked.map((i, n) => [i.path, (linkStats[n]?.blocks ?? 0) * 512]));
  const before = await measureRoots(helper, roots);
  // In rounds: a leftover goes only after every leftover built on it went (removed or absent).
  const verdict = new Map<string, ReclaimVerdict>();
  let pending = check.go;
  // Once a round has deleted something, a later failure must not lose the list of what went:
  // the report is kept, with what is not known said so.
  const problems: string[] = [];
  const message = (err: unknown) => (err instanceof Error ? err.message : String(err));
  let unknownRound: string[] = [];
  let deletionFailed = false;
  while (pending.length) {
    const gone = (p: string) => verdict.get(p) === 'removed' || verdict.get(p) === 'absent';
    const ready = pending.filter((i) => i.after.every(gone));
    if (!ready.length) break;
    let vs: ReclaimVerdict[];
    try {
      vs = await reclaimPaths(
        helper,
        ready.map((i) => i.path),
        minAgeSeconds,
        deletionRoots,
      );
    } catch (err) {
      problems.push(`a deletion request failed: ${message(err)}`);
      deletionFailed = true;
      unknownRound = ready.map((i) => i.path);
      break;
    }
    ready.forEach((i, n) => {
      verdict.set(i.path, vs[n] ?? 'failed');
    });
    pending = pending.filter((i) => !verdict.has(i.path));
  }
  let after: number | null = null;
  try {
    after = await measureRoots(helper, roots);
  } catch (err) {
    problems.push(`the disk could not be measured after deleting: ${message(err)}`);
  }
  const report: LeftoverReport = {
    predictedFreedBytes: null,
    measuredFreedBytes: after === null ? null : before - after,
    dataRootBytesBefore: before,
    dataRootBytesAfter: after,
    removed: [],
    alreadyRemoved: [],
    refused: check.refused,
    failed: [],
    ...(problems.length ? { afterError: problems.join('; ') } : {}),
  };
  const unknown = new Set(unknownRound);
  for (const { after: users, ...item } of check.go) {
    const v = verdict.get(item.path);
    if (unknown.has(item.path))
      report.failed.push({ ...item, reason: 'its deletion request failed: it may be gone in part or whole' });
    else if (!v && deletionFailed)
      report.refused.push({ ...item, reason: 'not tried: a deletion before it failed' });
    else if (v === 'removed') report.removed.push(item);
    else if (v === 'absent') report.alreadyRemoved.push(item);
    else if (v === 'failed') report.failed.push({ ...item, reason: RECLAIM_REFUSALS.failed as string });
    else if (v) report.refused.push({ ...item, reason: RECLAIM_REFUSALS[v] ?? v });
    else report.refused.push({ ...item, reason: `a layer directory built on it stayed: ${users[0]}` });
  }
  const predicted = sumKnown(report.removed.map((i) => i.diskBytes));
  report.predictedFreedBytes =
    predicted === null ? null : report.removed.reduce((a, i) => a + (linkBytes.get(i.path) ?? 0), predicted);
  return report;
}
