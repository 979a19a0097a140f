// `layertop prune`: the plan, the confirmation, the run and the report, without a TUI.

import { buildKitFreeBytes } from '../engine/buildkit-space.js';
import type { ApiInfo } from '../engine/docker/api-types.js';
import { compareApi, type EngineClient } from '../engine/docker/docker-client.js';
import type { HelperSession } from '../engine/helper/helper-session.js';
import type { SizeCache } from '../engine/helper/size-cache.js';
import { type RunProgress, type RunReport, runPlan } from '../engine/prune-run.js';
import { askScanListsEarly, scanEngine } from '../engine/scan.js';
import { planApply } from '../model/plan-apply.js';
import { type PruneOptions, type PrunePlan, planChanges, planPrune } from '../model/prune-plan.js';
import { hasImageRules } from '../model/prune-policy.js';
import type { ScanModel } from '../model/report.js';
import { type CliArgs, UsageError } from './args.js';
import { askYes } from './ask-yes.js';
import { jsonText } from './json-safe.js';
import { openSession } from './open-session.js';
import { checkPlanEngine, type PlanFile, planEngine, planFileJson, readPlanFile } from './plan-file.js';
import { builderPruneOptions, pruneOptions } from './prune-options.js';
import { applyText, changesText, planJson, planText, reportText } from './prune-text.js';

/** Exit code when nothing was deleted because nobody confirmed (no TTY and no --yes, or "no"). */
export const EXIT_NOT_CONFIRMED = 3;
/** Exit code when some items could not be removed (each one is reported). */
export const EXIT_SOME_FAILED = 4;

export interface Ctx {
  client: EngineClient;
  info: ApiInfo;
  helper: HelperSession | undefined;
  cache: SizeCache;
}

async function plan(ctx: Ctx, options: PruneOptions): Promise<{ model: ScanModel; plan: PrunePlan }> {
  const model = await scanEngine(ctx.client, {
    helper: ctx.helper,
    cache: ctx.cache,
    info: ctx.info,
    tagTimes: hasImageRules(options.policy),
  });
  return { model, plan: planPrune(model, options) };
}

/**
 * A reviewed plan file against the engine as it is now (a fresh scan): what planApply keeps, and
 * with `run` the removal and its report, with the file's items left alone at the head of the
 * report. The one-engine `--apply` and each engine of a fleet's apply go through here.
 */
export async function applyPlanFile(
  ctx: Ctx,
  file: PlanFile,
  run: boolean,
  onProgress?: (p: RunProgress) => void,
): Promise<{ applied: ReturnType<typeof planApply>; leftAlone: LeftAloneJson; report?: RunReport }> {
  const model = await scanEngine(ctx.client, {
    helper: ctx.helper,
    cache: ctx.cache,
    info: ctx.info,
    tagTimes: hasImageRules(file.options.policy),
  });
  const madeAt = Date.parse(file.createdAt);
  const applied = planApply(
    model,
    file.options,
    file.items,
    Number.isNaN(madeAt) ? undefined : madeAt / 1000,
  );
  const leftAlone = {
    skipped: applied.skipped.map(({ reason, ...i }) => ({ ...i, reason })),
    alreadyRemoved: applied.alreadyRemoved.map(({ reason: _, ...i }) => i),
  };
  if (!run) return { applied, leftAlone };
  const report = await runPlan({ ...ctx, model }, applied.plan, onProgress);
  report.skipped.unshift(...leftAlone.skipped);
  report.alreadyRemoved.unshift(...leftAlone.alreadyRemoved);
  return { applied, leftAlone, report };
}

type LeftAloneJson = {
  skipped: RunReport['skipped'];
  alreadyRemoved: RunReport['alreadyRemoved'];
};

async function applyCommand(args: CliArgs, ctx: Ctx, file: PlanFile): Promise<number> {
  const { applied, leftAlone, report } = await applyPlanFile(ctx, file, !args.dryRun, progress);
  if (!report) {
    process.stdout.write(
      args.json
        ? `${jsonText({ ...planJson(applied.plan), ...leftAlone, notInFile: applied.notInFile }, 2)}\n`
        : `${applyText(applied)}\n`,
    );
    return 0;
  }
  if (process.stderr.isTTY) process.stderr.write('\r\x1b[K');
  process.stdout.write(
    args.json
      ? `${jsonText({ ...planJson(applied.plan), ...report, notInFile: applied.notInFile }, 2)}\n`
      : `${[applyText(applied, false, false), reportText(report)].filter(Boolean).join('\n')}\n`,
  );
  return report.failed.length || report.afterError ? EXIT_SOME_FAILED : 0;
}

function progress(p: RunProgress): void {
  if (process.stderr.isTTY) process.stderr.write(`\r\x1b[Kremoving ${p.done}/${p.total}`);
}

export async function pruneCommand(args: CliArgs): Promise<number> {
  // A plan file is read (and refused if it is not one) before anything connects.
  const file = args.apply !== undefined ? readPlanFile(args.apply) : undefined;
  const builder = args.command === 'builder';
  if (file && builder !== (file.options.builder !== undefined))
    throw new UsageError(
      builder
        ? 'that plan was made by `layertop prune`: apply it with `layertop prune --apply`'
        : 'that plan was made by `layertop builder prune`: apply it with `layertop builder prune --apply`',
    );
  const options = file ? file.options : builder ? builderPruneOptions(args) : pruneOptions(args);
  const interactive = Boolean(process.stdin.isTTY && process.stderr.isTTY);
  // A reviewed plan file is the confirmation (as `terraform apply PLANFILE`); otherwise ask.
  if (!file && !args.dryRun && !args.yes && !interactive) {
    process.stderr.write(
      'layertop: prune deletes; without a TTY it needs --yes (or --dry-run to only look). Nothing was deleted.\n',
    );
    return EXIT_NOT_CONFIRMED;
  }
  // A prune's plan is a scan first: its lists are asked beside the size cache's read.
  const early = args.noHelper ? {} : { beforeCache: askScanListsEarly };
  // Only a plan file has an engine to check before anything is created there; without one the
  // helper starts beside /info, as a scan's does (a check, even one that passes everything, held
  // it until /info had answered: 30-60 ms of every prune at scale).
  const session = await openSession(
    { ...args, ...early },
    file ? ({ endpoint, info }) => checkPlanEngine(file, endpoint.host, info) : undefined,
  );
  const { client, info, cache, endpoint } = session;
  const helper = await session.helper;
  const ctx: Ctx = { client, info, helper, cache };
  try {
    // BuildKit ranks records for a space limit one way before 0.22 (Docker 28.2, API 1.50), another after.
    if (!file && options.builder)
      options.builder.ranking = compareApi(client.engineApiVersion, '1.50') >= 0 ? 'scaled' : 'plain';
    // BuildKit's min-free-space looks at the free space of the file system that holds its state.
    if (!file && options.builder?.minFreeSpace) {
      if (!helper) throw new UsageError('--min-free-space needs the helper (it reads the free disk space)');
      options.builder.freeBytes = await buildKitFreeBytes(helper, info);
    }
    if (file) return await applyCommand(args, ctx, file);
    let current = await plan(ctx, options);
    if (args.dryRun) {
      process.stdout.write(
        args.json
          ? `${jsonText(planFileJson(current.plan, planEngine(endpoint.host, info), options), 2)}\n`
          : `${planText(current.plan)}\n`,
      );
      return 0;
    }
    if (!args.yes) {
      process.stdout.write(`${planText(current.plan)}\n`);
      for (;;) {
        if (!(await askYes('Type "yes" to remove all of the above: '))) {
          process.stderr.write('Nothing was deleted.\n');
          return EXIT_NOT_CONFIRMED;
        }
        // Re-plan just before running: anything created or started meanwhile is shown first.
        const fresh = await plan(ctx, options);
        const change = planChanges(current.plan, fresh.plan);
        current = fresh;
        if (!change) break;
        process.stdout.write(`${changesText(change)}\n`);
      }
    }
    const report = await runPlan({ client, info, helper, model: current.model }, current.plan, progress);
    if (process.stderr.isTTY) process.stderr.write('\r\x1b[K');
    process.stdout.write(
      args.json ? `${jsonText({ ...planJson(current.plan), ...report }, 2)}\n` : `${reportText(report)}\n`,
    );
    return report.failed.length || report.afterError ? EXIT_SOME_FAILED : 0;
  } finally {
    await helper?.close();
  }
}
