// The prune plan and the run report as plain text (and JSON), for `layertop prune`.

import type { RunReport } from '../engine/prune-run.js';
import { shortId } from '../model/digest.js';
import { escapeText } from '../model/escape.js';
import type { ApplyPlan } from '../model/plan-apply.js';
import {
  cacheOnly,
  changedHow,
  dockerFiguresNote,
  othersNote,
  type PlanChange,
  type PlanItem,
  type PrunePlan,
  planIsEmpty,
} from '../model/prune-plan.js';
import { counted } from '../model/size-text.js';
import { diskSize, sizeText, table } from './format.js';

const short = shortId;
/** Records listed one per line in the text plan; the JSON lists every one. */
const RECORD_LINES = 50;

function group(title: string, items: PlanItem[], withId: boolean): string[] {
  if (!items.length) return [];
  const rows = items.map((i) => [
    ...(withId ? [short(i.id)] : []),
    escapeText(i.name),
    diskSize(i.diskBytes),
    sizeText(i.dockerBytes),
  ]);
  const header = [...(withId ? ['ID'] : []), 'NAME', 'FREES ON DISK', "DOCKER'S SIZE"];
  return [`${title} (${items.length}):`, table(header, rows), ''];
}

export function planText(plan: PrunePlan): string {
  const out: string[] = [];
  out.push(...group('Containers', plan.containers, true));
  out.push(...group('Networks', plan.networks, true));
  out.push(...group('Volumes', plan.volumes, false));
  out.push(...group('Images', plan.images, true));
  if (plan.sharedImageBytes)
    out.push(`Layers shared only by the images above: ${sizeText(plan.sharedImageBytes)} on disk`, '');
  if (plan.buildCache) out.push(...group('Build cache', [plan.buildCache], false));
  const lines = plan.buildCache?.recordLines ?? [];
  if (lines.length) {
    const shown = lines.slice(0, RECORD_LINES);
    out.push(
      'Build-cache records, in removal order:',
      table(
        ['ID', 'RECORD', 'FREES ON DISK', "DOCKER'S SIZE"],
        shown.map((l) => [
          l.id.slice(0, 12),
          escapeText(l.name.slice(13)).slice(0, 70),
          diskSize(l.diskBytes),
          sizeText(l.dockerBytes),
        ]),
      ),
      ...(lines.length > shown.length
        ? [`... and ${lines.length - shown.length} more (--json lists all)`]
        : []),
      '',
    );
  }
  if (planIsEmpty(plan)) out.push('Nothing to remove.', '');
  const kept = plan.kept.filter((k) => k.kind !== 'build-cache' || k.id === 'build-cache');
  const keptRecords = plan.kept.filter((k) => k.kind === 'build-cache' && k.id !== 'build-cache');
  if (kept.length) {
    out.push(`Kept (${kept.length}):`);
    for (const k of kept) out.push(`  ${k.kind} ${escapeText(k.name)}: ${escapeText(k.reason)}`);
    out.push('');
  }
  // Records kept are summed up by reason: a cache has thousands.
  if (keptRecords.length) {
    const byReason = new Map<string, number>();
    for (const k of keptRecords) byReason.set(k.reason, (byReason.get(k.reason) ?? 0) + 1);
    out.push(`Build-cache records kept (${keptRecords.length}):`);
    for (const [reason, n] of byReason) out.push(`  ${n} ${escapeText(reason)}`);
    out.push('');
  }
  if (plan.predictedFreedBytes === null) {
    out.push(
      `Frees on disk: unknown (the disk figures need the helper: ${plan.diskUnknown ?? 'not measured'})`,
      `Docker's estimate: ${sizeText(plan.dockerEstimateBytes)}`,
      ESTIMATE_NOTE,
    );
    return out.join('\n');
  }
  const diff = plan.predictedFreedBytes - plan.dockerEstimateBytes;
  out.push(
    `Frees on disk: ${sizeText(plan.predictedFreedBytes)} (${plan.predictedFreedBytes} bytes)`,
    `Docker's estimate: ${sizeText(plan.dockerEstimateBytes)} (the disk gets ${sizeText(Math.abs(diff))} ${diff >= 0 ? 'more' : 'less'})`,
    ESTIMATE_NOTE,
  );
  return out.join('\n');
}

/** What "Docker's estimate" adds up: no figure `docker system df` prints (a user looked for it there). */
const ESTIMATE_NOTE =
  "  (Docker's estimate: the sum of the first table's DOCKER'S SIZE column: each container's SizeRw, each volume's size, each image's size less what it shares with other images, the build cache's size as `docker system df` counts it, where a record shared with images counts 0; the records' own sizes, which Docker's report after a cache prune adds up, can come to more)";

export function changesText(c: PlanChange): string {
  const out = ['The plan changed since the preview:'];
  for (const i of c.added) out.push(`  + ${i.kind} ${escapeText(i.name)} (${diskSize(i.diskBytes)})`);
  for (const ch of c.changed) {
    const how = changedHow(ch);
    const was =
      'was' in how ? `was ${escapeText(how.was)}` : 'created again since the preview: another volume';
    out.push(
      `  ~ ${ch.after.kind} ${escapeText(ch.after.name)} (${was}; still removed; ${diskSize(ch.after.diskBytes)})`,
    );
  }
  for (const i of c.dropped) out.push(`  - ${i.kind} ${escapeText(i.name)} (now kept)`);
  if (c.bytesDelta !== null)
    out.push(
      `  frees ${sizeText(Math.abs(c.bytesDelta))} ${c.bytesDelta >= 0 ? 'more' : 'less'} than the preview said`,
    );
  return out.join('\n');
}

export function reportText(r: RunReport): string {
  const out: string[] = [];
  out.push(
    `Removed ${counted(r.removed.length, 'item', 'items')}${r.failed.length ? `, ${r.failed.length} failed` : ''}${r.removed.length ? ':' : '.'}`,
  );
  // Each one, as docker's own prune lists what it deleted: a run with --yes printed no preview,
  // and a report cut short by an error after the removals said "as listed above" of nothing.
  for (const f of r.removed) out.push(`  ${f.kind} ${escapeText(f.name)}`);
  if (r.failed.length) out.push(`Failed (${r.failed.length}):`);
  for (const f of r.failed) out.push(`  ${f.kind} ${escapeText(f.name)}: ${escapeText(f.error ?? '')}`);
  if (r.skipped.length) out.push(`Left alone, changed since the plan (${r.skipped.length}):`);
  for (const f of r.skipped) out.push(`  ${f.kind} ${escapeText(f.name)}: ${escapeText(f.reason ?? '')}`);
  if (r.alreadyRemoved.length)
    out.push(
      `Already removed before this run got to them (another run or someone else) (${r.alreadyRemoved.length}):`,
    );
  for (const f of r.alreadyRemoved) out.push(`  ${f.kind} ${escapeText(f.name)}`);
  for (const f of [...r.removed, ...r.skipped, ...r.alreadyRemoved, ...r.failed])
    for (const n of f.notes ?? []) out.push(`  note: ${f.kind} ${escapeText(f.name)}: ${escapeText(n)}`);
  const missing = r.afterError ? 'unknown (see below)' : 'not measured (no helper)';
  const fig = (n: number | null) => (n === null ? missing : `${sizeText(n)} (${n} bytes)`);
  out.push(
    `Predicted by layertop: ${fig(r.predictedFreedBytes)}`,
    `Reported by Docker:    ${fig(r.dockerReportedBytes)}`,
    `Measured on disk:      ${fig(r.measuredFreedBytes)}`,
  );
  const note =
    r.dockerReportedBytes === null
      ? undefined
      : dockerFiguresNote(
          r.dockerEstimateBytes,
          r.dockerReportedBytes,
          sizeText,
          cacheOnly([...r.removed, ...r.skipped, ...r.alreadyRemoved, ...r.failed]),
        );
  if (note) out.push(`(${note})`);
  const others = othersNote(r.alreadyRemoved.length, r.measuredFreedBytes);
  if (others) out.push(`(${others})`);
  if (r.afterError) out.push(`Removed as listed above, but ${escapeText(r.afterError)}`);
  return out.join('\n');
}

const itemJson = (i: PlanItem) => ({
  kind: i.kind,
  id: i.id,
  name: i.name,
  ...(i.refs ? { refs: i.refs } : {}),
  ...(i.state ? { state: i.state } : {}),
  ...(i.created !== undefined ? { created: i.created } : {}),
  ...(i.records ? { records: i.records } : {}),
  diskBytes: i.diskBytes,
  dockerBytes: i.dockerBytes,
});

export function planJson(plan: PrunePlan) {
  return {
    plan: {
      containers: plan.containers.map(itemJson),
      networks: plan.networks.map(itemJson),
      volumes: plan.volumes.map(itemJson),
      images: plan.images.map(itemJson),
      buildCache: plan.buildCache ? itemJson(plan.buildCache) : null,
      sharedImageBytes: plan.sharedImageBytes,
      kept: plan.kept,
    },
    predictedFreedBytes: plan.predictedFreedBytes,
    dockerEstimateBytes: plan.dockerEstimateBytes,
  };
}

/** What applying a plan file will do (or did): the plan, then every file item left alone. */
export function applyText(a: ApplyPlan, withPlan = true, withLeftAlone = true): string {
  const out: string[] = withPlan ? [planText(a.plan), ''] : [];
  // After a run the report lists what was left alone (it holds these): not twice.
  if (!withLeftAlone) a = { ...a, skipped: [], alreadyRemoved: [] };
  if (a.skipped.length) out.push(`Left alone, changed since the plan (${a.skipped.length}):`);
  for (const s of a.skipped) out.push(`  ${s.kind} ${escapeText(s.name)}: ${escapeText(s.reason)}`);
  if (a.alreadyRemoved.length) out.push(`Already removed (${a.alreadyRemoved.length}):`);
  for (const s of a.alreadyRemoved) out.push(`  ${s.kind} ${escapeText(s.name)}`);
  if (a.notInFile)
    out.push(`Not in the plan file, left alone: ${a.notInFile} item(s) the same rules would remove now`);
  return out.join('\n');
}
