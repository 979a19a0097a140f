// The prune plan and the run report as plain text (and JSON), for `layertop prune`.

import type { RunReport } from '../engine/prune-run.js';
import { escapeText } from '../model/escape.js';
import { type PlanChange, type PlanItem, type PrunePlan, planIsEmpty } from '../model/prune-plan.js';
import { dockerSize, table } from './format.js';

const short = (id: string) => id.replace(/^sha256:/, '').slice(0, 12);

function group(title: string, items: PlanItem[], withId: boolean): string[] {
  if (!items.length) return [];
  const rows = items.map((i) => [
    ...(withId ? [short(i.id)] : []),
    escapeText(i.name),
    dockerSize(i.diskBytes),
    dockerSize(i.dockerBytes),
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
  if (plan.sharedImageBytes > 0)
    out.push(`Layers shared only by the images above: ${dockerSize(plan.sharedImageBytes)} on disk`, '');
  if (plan.buildCache) out.push(...group('Build cache', [plan.buildCache], false));
  if (planIsEmpty(plan)) out.push('Nothing to remove.', '');
  if (plan.kept.length) {
    out.push(`Kept (${plan.kept.length}):`);
    for (const k of plan.kept) out.push(`  ${k.kind} ${escapeText(k.name)}: ${escapeText(k.reason)}`);
    out.push('');
  }
  const diff = plan.predictedFreedBytes - plan.dockerEstimateBytes;
  out.push(
    `Frees on disk: ${dockerSize(plan.predictedFreedBytes)} (${plan.predictedFreedBytes} bytes)`,
    `Docker's estimate: ${dockerSize(plan.dockerEstimateBytes)} (the disk gets ${dockerSize(Math.abs(diff))} ${diff >= 0 ? 'more' : 'less'})`,
  );
  return out.join('\n');
}

export function changesText(c: PlanChange): string {
  const out = ['The plan changed since the preview:'];
  for (const i of c.added) out.push(`  + ${i.kind} ${escapeText(i.name)} (${dockerSize(i.diskBytes)})`);
  for (const i of c.dropped) out.push(`  - ${i.kind} ${escapeText(i.name)} (now kept)`);
  out.push(
    `  frees ${c.bytesDelta >= 0 ? '+' : '-'}${dockerSize(Math.abs(c.bytesDelta))} compared with the preview`,
  );
  return out.join('\n');
}

export function reportText(r: RunReport): string {
  const out: string[] = [];
  out.push(`Removed ${r.removed.length} item(s)${r.failed.length ? `, ${r.failed.length} failed:` : '.'}`);
  for (const f of r.failed) out.push(`  ${f.kind} ${escapeText(f.name)}: ${escapeText(f.error ?? '')}`);
  const fig = (n: number | null) =>
    n === null ? 'not measured (no helper)' : `${dockerSize(n)} (${n} bytes)`;
  out.push(
    `Predicted by layertop: ${fig(r.predictedFreedBytes)}`,
    `Reported by Docker:    ${fig(r.dockerReportedBytes)}`,
    `Measured on disk:      ${fig(r.measuredFreedBytes)}`,
  );
  return out.join('\n');
}

const itemJson = (i: PlanItem) => ({
  kind: i.kind,
  id: i.id,
  name: i.name,
  ...(i.refs ? { refs: i.refs } : {}),
  ...(i.state ? { state: i.state } : {}),
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
