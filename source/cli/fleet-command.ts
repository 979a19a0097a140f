// `layertop scan` and `layertop prune --dry-run` over several engines (-H ... -H, --context a,b,
// --context all): each engine scanned through its own transport with its own helper, a few at a
// time (--parallel); one engine down, refusing or frozen has `error` with the reason and never
// hides the others. Exit 0 when every engine answered, EXIT_PARTIAL when some did not, 1 when none.
import {
  closeWithin,
  eachLimited,
  type FleetTarget,
  fleetTargets,
  targetHost,
  targetLabel,
} from '../engine/fleet.js';
import type { RunReport } from '../engine/prune-run.js';
import { scanEngine } from '../engine/scan.js';
import { escapeText } from '../model/escape.js';
import { acrossEngines } from '../model/fleet.js';
import { type PrunePlan, planPrune } from '../model/prune-plan.js';
import { hasImageRules } from '../model/prune-policy.js';
import type { ScanModel } from '../model/report.js';
import { type CliArgs, UsageError } from './args.js';
import { sizeText } from './format.js';
import { jsonText } from './json-safe.js';
import { openSession } from './open-session.js';
import { checkPlanEngine, parsePlanFile, planEngine, planFileJson, readPlanJson } from './plan-file.js';
import { type EngineMetrics, prometheusText } from './prometheus.js';
import { applyPlanFile } from './prune-command.js';
import { pruneOptions } from './prune-options.js';
import { planJson, planText, reportText } from './prune-text.js';
import { scanTable } from './scan-table.js';

/** Exit code when some engines of a fleet answered and some did not (each says why). */
export const EXIT_PARTIAL = 5;

export interface EngineOutcome {
  context: string;
  host: string;
  durationSeconds: number;
  model?: ScanModel;
  plan?: PrunePlan;
  planFile?: ReturnType<typeof planFileJson>;
  error?: string;
}

/** Opens, scans and closes one engine; anything that goes wrong is that engine's `error`. */
async function scanOne(
  args: CliArgs,
  target: FleetTarget,
  describe: (err: unknown, host: string) => string,
  after?: (
    model: ScanModel,
    out: EngineOutcome,
    info: { host: string; id: ReturnType<typeof planEngine> },
  ) => void,
  /** Ask for every image's tag time (ScanOptions.tagTimes): the prune rules that decide by it. */
  tagTimes = false,
): Promise<EngineOutcome> {
  const t0 = performance.now();
  const out: EngineOutcome = { context: targetLabel(target), host: targetHost(target), durationSeconds: 0 };
  let frozen: ((why: string) => void) | undefined;
  const frozenNow = new Promise<never>((_, reject) => {
    frozen = (why) => reject(new Error(why));
  });
  frozenNow.catch(() => {});
  let session: Awaited<ReturnType<typeof openSession>> | undefined;
  try {
    session = await Promise.race([
      openSession({ ...args, host: target.host, context: target.context, onFrozen: (m) => frozen?.(m) }),
      frozenNow,
    ]);
    out.host = session.endpoint.host;
    const model = await Promise.race([
      scanEngine(session.client, {
        helper: session.helper,
        cache: session.cache,
        info: session.info,
        noHelperReason: '--no-helper',
        tagTimes,
      }),
      frozenNow,
    ]);
    out.model = model;
    after?.(model, out, { host: session.endpoint.host, id: planEngine(session.endpoint.host, session.info) });
  } catch (err) {
    out.error = describe(err, out.host || targetLabel(target));
  } finally {
    await closeWithin(session);
    out.durationSeconds = (performance.now() - t0) / 1000;
  }
  return out;
}

function exitCode(outcomes: readonly EngineOutcome[]): number {
  const failed = outcomes.filter((o) => o.error !== undefined).length;
  if (failed === 0) return 0;
  return failed === outcomes.length ? 1 : EXIT_PARTIAL;
}

/** The layers (chain IDs) on several engines: on how many, and their disk bytes across them. */
export function layersAcrossEngines(models: readonly ScanModel[]) {
  return [...acrossEngines(models)]
    .filter(([, e]) => e.engines > 1)
    .map(([chainId, e]) => ({ chainId, ...e }))
    .sort((a, b) => (b.diskBytes ?? 0) - (a.diskBytes ?? 0));
}

function totals(outcomes: readonly EngineOutcome[]) {
  const ok = outcomes.filter((o) => o.model);
  // No engine answered: the fleet's figures are unknown, not 0.
  const sum = (f: (m: ScanModel) => number | null | undefined): number | null =>
    ok.length === 0
      ? null
      : ok.reduce<number | null>((a, o) => {
          const v = f(o.model as ScanModel);
          return a === null || v === null || v === undefined ? null : a + v;
        }, 0);
  const shared = layersAcrossEngines(ok.map((o) => o.model as ScanModel));
  return {
    engines: outcomes.length,
    failed: outcomes.length - ok.length,
    images: sum((m) => m.inputs.images.length),
    layers: sum((m) => m.graph.layers.size),
    containers: sum((m) => m.inputs.containers.length),
    dataRootBytes: sum((m) => m.report.ledger?.totalBytes),
    reclaimableBytes: sum((m) => planPrune(m, { all: true, volumes: false }).predictedFreedBytes),
    layersOnSeveralEngines: shared.length,
    layersOnSeveralEnginesDiskBytes: shared.reduce<number | null>(
      (a, l) => (a === null || l.diskBytes === null ? null : a + l.diskBytes),
      0,
    ),
  };
}

export async function fleetScanCommand(
  args: CliArgs,
  describe: (err: unknown, host: string) => string,
): Promise<number> {
  const targets = fleetTargets(args.fleet, args.allContexts);
  const outcomes = await eachLimited(targets, args.parallel, (t) => scanOne(args, t, describe));
  if (args.format === 'prometheus') {
    process.stdout.write(prometheusText(outcomes.map(metricsOf)));
    // Each failed engine's reason: its sample says only 0 (README: "the error is on stderr").
    for (const o of outcomes)
      if (o.error !== undefined) process.stderr.write(`layertop: ${escapeText(o.context)}: ${o.error}\n`);
  } else if (args.json) {
    const engines = outcomes.map((o) => ({
      context: o.context,
      host: o.host,
      durationSeconds: Math.round(o.durationSeconds * 1000) / 1000,
      ...(o.error !== undefined ? { error: o.error } : (o.model as ScanModel).report),
    }));
    process.stdout.write(`${jsonText({ engines, totals: totals(outcomes) }, 2)}\n`);
  } else {
    const parts: string[] = [];
    for (const o of outcomes) {
      parts.push(`=== ${o.context}${o.host && o.host !== o.context ? ` (${o.host})` : ''}`);
      parts.push(
        o.error !== undefined ? `error: ${o.error}\n` : `${scanTable((o.model as ScanModel).report)}\n`,
      );
    }
    const t = totals(outcomes);
    parts.push(
      `${t.engines} engines (${t.failed} failed): ${t.images ?? '?'} images, ${t.layers ?? '?'} layers, ` +
        `${t.dataRootBytes === null ? 'unknown' : sizeText(t.dataRootBytes)} on disk, ` +
        `${t.reclaimableBytes === null ? 'unknown' : sizeText(t.reclaimableBytes)} a prune -a would free; ` +
        `${t.layersOnSeveralEngines} layers are on several engines (${t.layersOnSeveralEnginesDiskBytes === null ? 'unknown' : sizeText(t.layersOnSeveralEnginesDiskBytes)} across them)`,
    );
    process.stdout.write(`${parts.join('\n')}\n`);
  }
  return exitCode(outcomes);
}

function metricsOf(o: EngineOutcome): EngineMetrics {
  const m = o.model;
  const plan = m ? planPrune(m, { all: true, volumes: false }) : undefined;
  return {
    context: o.context,
    host: o.host,
    ok: m !== undefined,
    durationSeconds: o.durationSeconds,
    ...(m
      ? {
          ledger: m.report.ledger,
          reclaimableBytes: plan?.predictedFreedBytes ?? null,
          dockerReclaimableBytes: plan?.dockerEstimateBytes ?? 0,
          images: m.inputs.images.length,
          layers: m.graph.layers.size,
          containers: m.inputs.containers.length,
          buildCacheRecords: m.inputs.buildCache.records,
        }
      : {}),
  };
}

/** One engine's scan for prometheus output (the fleet's shape with one engine). */
export function oneEngineMetrics(
  context: string,
  host: string,
  durationSeconds: number,
  model: ScanModel,
): string {
  return prometheusText([metricsOf({ context, host, durationSeconds, model })]);
}

/**
 * `prune --dry-run` over several engines: one plan per engine, in one file
 * (`format: layertop-fleet-plan/1`, each engine's plan as `prune --dry-run --json` writes it) that
 * `prune --apply FILE` applies engine by engine.
 */
export async function fleetPruneDryRun(
  args: CliArgs,
  describe: (err: unknown, host: string) => string,
): Promise<number> {
  const options = pruneOptions(args);
  const targets = fleetTargets(args.fleet, args.allContexts);
  const outcomes = await eachLimited(targets, args.parallel, (t) =>
    scanOne(
      args,
      t,
      describe,
      (model, out, { id }) => {
        out.plan = planPrune(model, options);
        out.planFile = planFileJson(out.plan, id, options);
      },
      hasImageRules(options.policy),
    ),
  );
  if (args.json) {
    const plans = outcomes.map((o, i) => ({
      target: targets[i],
      context: o.context,
      host: o.host,
      ...(o.error !== undefined ? { error: o.error } : o.planFile),
    }));
    const predicted = outcomes.reduce<number | null>(
      (a, o) =>
        a === null || !o.plan || o.plan.predictedFreedBytes === null
          ? o.error
            ? a
            : null
          : a + o.plan.predictedFreedBytes,
      0,
    );
    process.stdout.write(
      `${jsonText({ format: FLEET_PLAN_FORMAT, engines: plans, totals: { predictedFreedBytes: predicted, dockerEstimateBytes: outcomes.reduce((a, o) => a + (o.plan?.dockerEstimateBytes ?? 0), 0) } }, 2)}\n`,
    );
  } else {
    const parts: string[] = [];
    for (const o of outcomes) {
      parts.push(`=== ${o.context}${o.host && o.host !== o.context ? ` (${o.host})` : ''}`);
      parts.push(o.error !== undefined ? `error: ${o.error}\n` : `${planText(o.plan as PrunePlan)}\n`);
    }
    process.stdout.write(`${parts.join('\n')}\n`);
  }
  return exitCode(outcomes);
}

export const FLEET_PLAN_FORMAT = 'layertop-fleet-plan/1';

/**
 * `prune --apply FILE` with a fleet plan: each engine's part applied to that engine exactly as a
 * one-engine plan is (prune-command.ts), engines one after another; the report has predicted /
 * reported / measured per engine and in total. An engine that cannot be reached is reported and
 * the others go on (exit EXIT_PARTIAL).
 */
export async function fleetApply(
  args: CliArgs,
  describe: (err: unknown, host: string) => string,
): Promise<number> {
  const path = args.apply as string;
  const raw = readPlanJson(path) as { format?: unknown; engines?: unknown };
  if (raw?.format !== FLEET_PLAN_FORMAT || !Array.isArray(raw.engines))
    throw new UsageError(
      `${path} is not a fleet plan (format ${FLEET_PLAN_FORMAT}); make one with \`layertop prune --dry-run --json -c a,b > FILE\``,
    );
  const all = raw.engines as Record<string, unknown>[];
  // Every engine's part is read and checked before any engine is touched: a file that is not a
  // plan deletes nothing anywhere.
  const parts = all.map((part) => {
    const target = (part.target ?? {}) as FleetTarget;
    const label = targetLabel(target);
    if (part.error !== undefined) return { target, label, error: `not planned: ${String(part.error)}` };
    return { target, label, file: parsePlanFile(`${path} (${label})`, part) };
  });
  const results: (Record<string, unknown> & { report?: RunReport; error?: string })[] = [];
  for (const { target, label, file, error } of parts) {
    if (!file) {
      results.push({ context: label, host: target.host ?? '', error: error ?? 'no plan' });
      continue;
    }
    let session: Awaited<ReturnType<typeof openSession>> | undefined;
    try {
      // Another engine at that address than the plan's is this engine's error, not the fleet's end.
      let mismatch: string | undefined;
      session = await openSession(
        { ...args, host: target.host, context: target.context },
        ({ endpoint, info }) => {
          try {
            checkPlanEngine(file, endpoint.host, info);
          } catch (err) {
            mismatch = (err as Error).message;
            throw err;
          }
        },
      ).catch((err: unknown) => {
        if (mismatch !== undefined) throw new Error(mismatch);
        throw err;
      });
      const helper = await session.helper;
      const ctx = { client: session.client, info: session.info, helper, cache: session.cache };
      const { applied, report } = await applyPlanFile(ctx, file, !args.dryRun);
      results.push(
        report
          ? { context: label, host: session.endpoint.host, report }
          : { context: label, host: session.endpoint.host, ...planJson(applied.plan) },
      );
    } catch (err) {
      results.push({ context: label, host: target.host ?? '', error: describe(err, target.host ?? label) });
    } finally {
      await closeWithin(session);
    }
  }
  const sum = (f: (r: RunReport) => number | null) =>
    results.reduce<number | null>(
      (a, r) =>
        a === null || !r.report || f(r.report) === null ? (r.report ? null : a) : a + (f(r.report) as number),
      0,
    );
  const totalsOut = {
    predictedFreedBytes: sum((r) => r.predictedFreedBytes),
    dockerReportedBytes: sum((r) => r.dockerReportedBytes),
    measuredFreedBytes: sum((r) => r.measuredFreedBytes),
  };
  if (args.json) process.stdout.write(`${jsonText({ engines: results, totals: totalsOut }, 2)}\n`);
  else {
    const out: string[] = [];
    for (const r of results) {
      out.push(`=== ${r.context}${r.host && r.host !== r.context ? ` (${String(r.host)})` : ''}`);
      out.push(r.error !== undefined ? `error: ${r.error}` : r.report ? reportText(r.report) : 'previewed');
      out.push('');
    }
    const fig = (n: number | null) => (n === null ? 'not measured' : `${sizeText(n)} (${n} bytes)`);
    out.push(
      `All engines: predicted ${fig(totalsOut.predictedFreedBytes)}, reported by Docker ${fig(totalsOut.dockerReportedBytes)}, measured ${fig(totalsOut.measuredFreedBytes)}`,
    );
    process.stdout.write(`${out.join('\n')}\n`);
  }
  const failed = results.filter(
    (r) => r.error !== undefined || (r.report?.failed.length ?? 0) > 0 || r.report?.afterError !== undefined,
  ).length;
  return failed === 0 ? 0 : failed === results.length ? 1 : EXIT_PARTIAL;
}

/**
 * `layertop files IMAGE -c a,b`: the same listing on each engine, one after another (a listing
 * walks a layer, and two at once on one host only compete), each under a line naming the engine.
 * An engine without the image, or down, says so and the others go on (exit EXIT_PARTIAL). Text
 * only: a JSON document per engine is what `-c NAME --json` gives, one engine at a time.
 */
export async function fleetFiles(
  args: CliArgs,
  describe: (err: unknown, host: string) => string,
): Promise<number> {
  if (args.json)
    throw new UsageError(
      'files --json takes one engine (-c NAME): its document is the listing of that engine',
    );
  const { filesCommand } = await import('./files-command.js');
  const targets = fleetTargets(args.fleet, args.allContexts);
  let failed = 0;
  for (const t of targets) {
    process.stdout.write(`=== ${targetLabel(t)}\n`);
    try {
      const code = await filesCommand({
        ...args,
        host: t.host,
        context: t.context,
        fleet: [],
        allContexts: false,
      });
      if (code !== 0) failed++;
    } catch (err) {
      if (err instanceof UsageError) throw err;
      failed++;
      process.stdout.write(`error: ${describe(err, t.host ?? targetLabel(t))}\n`);
    }
    process.stdout.write('\n');
  }
  return failed === 0 ? 0 : failed === targets.length ? 1 : EXIT_PARTIAL;
}
