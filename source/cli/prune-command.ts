// `layertop prune`: the plan, the confirmation, the run and the report, without a TUI.
import { createInterface } from 'node:readline/promises';
import type { ApiInfo } from '../engine/api-types.js';
import type { EngineClient } from '../engine/docker-client.js';
import type { HelperSession } from '../engine/helper-session.js';
import { runPlan } from '../engine/prune-run.js';
import { scanEngine } from '../engine/scan.js';
import { connect, startHelper } from '../engine/session.js';
import { SizeCache } from '../engine/size-cache.js';
import { type PruneOptions, type PrunePlan, planChanges, planPrune } from '../model/prune-plan.js';
import type { ScanModel } from '../model/report.js';
import type { CliArgs } from './args.js';
import { onCleanup } from './cleanup.js';
import { pruneOptions } from './prune-options.js';
import { changesText, planJson, planText, reportText } from './prune-text.js';

/** Exit code when nothing was deleted because nobody confirmed (no TTY and no --yes, or "no"). */
export const EXIT_NOT_CONFIRMED = 3;
/** Exit code when some items could not be removed (each one is reported). */
export const EXIT_SOME_FAILED = 4;

async function ask(question: string): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await rl.question(question);
    return answer.trim().toLowerCase() === 'yes';
  } finally {
    rl.close();
  }
}

interface Ctx {
  client: EngineClient;
  info: ApiInfo;
  helper: HelperSession | undefined;
  cache: SizeCache;
}

async function plan(ctx: Ctx, options: PruneOptions): Promise<{ model: ScanModel; plan: PrunePlan }> {
  const model = await scanEngine(ctx.client, { helper: ctx.helper, cache: ctx.cache, info: ctx.info });
  return { model, plan: planPrune(model, options) };
}

export async function pruneCommand(args: CliArgs): Promise<number> {
  const options = pruneOptions(args);
  const interactive = Boolean(process.stdin.isTTY && process.stderr.isTTY);
  if (!args.dryRun && !args.yes && !interactive) {
    process.stderr.write(
      'layertop: prune deletes; without a TTY it needs --yes (or --dry-run to only look). Nothing was deleted.\n',
    );
    return EXIT_NOT_CONFIRMED;
  }
  const { client, info } = await connect(args);
  const helper = args.noHelper
    ? undefined
    : await startHelper(client, info, { ...args, onSession: (s) => onCleanup(() => s.close()) });
  const ctx: Ctx = {
    client,
    info,
    helper,
    cache: new SizeCache(args.noCache ? undefined : SizeCache.defaultFile()),
  };
  try {
    let current = await plan(ctx, options);
    if (args.dryRun) {
      process.stdout.write(
        args.json ? `${JSON.stringify(planJson(current.plan), null, 2)}\n` : `${planText(current.plan)}\n`,
      );
      return 0;
    }
    if (!args.yes) {
      process.stdout.write(`${planText(current.plan)}\n`);
      for (;;) {
        if (!(await ask('Type "yes" to remove all of the above: '))) {
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
    const report = await runPlan({ client, info, helper, model: current.model }, current.plan, (p) => {
      if (process.stderr.isTTY) process.stderr.write(`\r\x1b[Kremoving ${p.done}/${p.total}`);
    });
    if (process.stderr.isTTY) process.stderr.write('\r\x1b[K');
    process.stdout.write(
      args.json
        ? `${JSON.stringify({ ...planJson(current.plan), ...report }, null, 2)}\n`
        : `${reportText(report)}\n`,
    );
    return report.failed.length ? EXIT_SOME_FAILED : 0;
  } finally {
    await helper?.close();
  }
}
