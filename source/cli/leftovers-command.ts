// `layertop leftovers`: what nothing references, and deleting it with proof (engine/leftovers.ts).
// The same steps as a prune: the preview, a typed "yes" (or --yes), a fresh look right before
// deleting, then predicted against measured.
import { EngineError } from '../engine/docker/engine-error.js';
import {
  type LeftoverContext,
  type LeftoverReport,
  reclaimLeftovers,
  scanLeftovers,
} from '../engine/leftovers.js';
import { escapeText } from '../model/escape.js';
import { LEFTOVER_WHAT, type LeftoverPlan, selectLeftovers } from '../model/leftovers.js';
import type { CliArgs } from './args.js';
import { askYes } from './ask-yes.js';
import { diskSize, sizeText, table } from './format.js';
import { jsonText } from './json-safe.js';
import { openSession } from './open-session.js';
import { EXIT_NOT_CONFIRMED, EXIT_SOME_FAILED } from './prune-command.js';

function ageText(seconds: number): string {
  if (seconds % 86_400 === 0 && seconds) return `${seconds / 86_400}d`;
  if (seconds % 3600 === 0 && seconds) return `${seconds / 3600}h`;
  if (seconds % 60 === 0 && seconds) return `${seconds / 60}m`;
  return `${seconds}s`;
}

/** Leftovers layertop finds but does not delete (see LeftoverPlan.others). */
function othersText(plan: LeftoverPlan): string[] {
  const others = plan.others ?? [];
  if (!others.length) return [];
  return [
    `Also unreferenced, but of no shape layertop deletes (an overlay2/ directory named as BuildKit names its snapshots that BuildKit's snapshots.db does not know; no prune frees it either; check and remove by hand):`,
    ...others.map((o) => `  ${diskSize(o.diskBytes).padEnd(8)} ${escapeText(o.path)}`),
  ];
}

export function leftoverPlanText(plan: LeftoverPlan, minAgeSeconds: number): string {
  if (!plan.items.length)
    return [
      plan.others?.length
        ? `No leftovers layertop deletes in ${escapeText(plan.dataRoot)}.`
        : `No leftovers in ${escapeText(plan.dataRoot)}: everything on disk is referenced.`,
      ...othersText(plan),
    ].join('\n');
  return [
    `Leftovers: ${plan.items.length} entr${plan.items.length === 1 ? 'y' : 'ies'} that nothing references, ${diskSize(plan.predictedFreedBytes)} on disk (no prune frees them):`,
    table(
      ['DISK', 'WHAT', 'PATH'],
      plan.items.map((i) => [diskSize(i.diskBytes), i.kind, escapeText(i.path)]),
    ),
    ...[...new Set(plan.items.map((i) => i.kind))].map((k) => `  ${k}: ${LEFTOVER_WHAT[k]}`),
    `Deleting checks each one again first: a fresh scan must still find it unreferenced, no layer may be built on it, no mount may use it, and nothing in it may have changed for ${ageText(minAgeSeconds)} (--min-age).`,
    ...othersText(plan),
  ].join('\n');
}

export function leftoverReportText(r: LeftoverReport): string {
  const out: string[] = [`Removed ${r.removed.length} leftover(s).`];
  for (const i of r.removed) out.push(`  ${diskSize(i.diskBytes).padEnd(8)} ${escapeText(i.path)}`);
  if (r.refused.length) out.push(`Left in place (${r.refused.length}):`);
  for (const i of r.refused) out.push(`  ${escapeText(i.path)}: ${escapeText(i.reason)}`);
  if (r.alreadyRemoved.length) out.push(`Already gone (${r.alreadyRemoved.length}):`);
  for (const i of r.alreadyRemoved) out.push(`  ${escapeText(i.path)}`);
  if (r.failed.length) out.push(`Failed (${r.failed.length}):`);
  for (const i of r.failed) out.push(`  ${escapeText(i.path)}: ${escapeText(i.reason)}`);
  const fig = (n: number | null) => (n === null ? 'unknown' : `${sizeText(n)} (${n} bytes)`);
  out.push(
    `Predicted by layertop: ${fig(r.predictedFreedBytes)}`,
    `Measured on disk:      ${fig(r.measuredFreedBytes)}`,
  );
  if (r.afterError) out.push(`But ${escapeText(r.afterError)}`);
  return out.join('\n');
}

export async function leftoversCommand(args: CliArgs): Promise<number> {
  if (args.noHelper)
    throw new EngineError('leftovers are found and deleted through the helper: --no-helper cannot do it');
  const interactive = Boolean(process.stdin.isTTY && process.stderr.isTTY);
  if (!args.dryRun && !args.yes && !interactive) {
    process.stderr.write(
      'layertop: leftovers deletes; without a TTY it needs --yes (or --dry-run to only look). Nothing was deleted.\n',
    );
    return EXIT_NOT_CONFIRMED;
  }
  const session = await openSession(args);
  const helper = await session.helper;
  if (!helper) throw new EngineError('the helper could not start: leftovers cannot be found without it');
  const ctx: LeftoverContext = { client: session.client, info: session.info, helper, cache: session.cache };
  try {
    const found = (await scanLeftovers(ctx)).plan;
    // Named paths: only those, and each must be one of the leftovers found.
    const unknown = args.paths.filter((p) => !found.items.some((i) => i.path === p));
    if (unknown.length) {
      process.stderr.write(
        `layertop: not a leftover now (nothing deleted): ${unknown.map((p) => escapeText(p)).join(', ')}\n`,
      );
      return 1;
    }
    const plan = args.paths.length ? selectLeftovers(found, args.paths) : found;
    const planJson = { ...plan, minAgeSeconds: args.minAgeSeconds };
    if (args.dryRun || !plan.items.length) {
      process.stdout.write(
        args.json ? `${jsonText(planJson, 2)}\n` : `${leftoverPlanText(plan, args.minAgeSeconds)}\n`,
      );
      return 0;
    }
    if (!args.yes) {
      process.stdout.write(`${leftoverPlanText(plan, args.minAgeSeconds)}\n`);
      if (!(await askYes('Type "yes" to delete the leftovers above: '))) {
        process.stderr.write('Nothing was deleted.\n');
        return EXIT_NOT_CONFIRMED;
      }
    }
    const report = await reclaimLeftovers(ctx, plan, args.minAgeSeconds);
    process.stdout.write(
      args.json ? `${jsonText({ ...planJson, ...report }, 2)}\n` : `${leftoverReportText(report)}\n`,
    );
    return report.failed.length || report.afterError ? EXIT_SOME_FAILED : 0;
  } finally {
    await helper.close();
  }
}
