import { readFileSync } from 'node:fs';
import { EndpointError, resolveEndpoint } from '../engine/docker/endpoint.js';
import { describeEngineError, EngineError } from '../engine/docker/engine-error.js';
import { pingEngine } from '../engine/docker/liveness.js';
import { HelperError } from '../engine/helper/helper-session.js';
import type { MeasureProgress } from '../engine/helper/measure.js';
import { engineIdOf, lastScanEngineId } from '../engine/last-scan.js';
import { askScanListsEarly, scanEngine } from '../engine/scan.js';
import { onEngineFrozen } from '../engine/session.js';
import { escapeText } from '../model/escape.js';
import type { PruneFilters } from '../model/prune-plan.js';
import { exitWith, installExitHandlers, isExiting } from '../process/cleanup.js';
import { mark } from '../process/timing.js';
import { type CliArgs, helpFor, parseCli, UsageError } from './args.js';
import { ChunkedWriter } from './chunked-output.js';
import { sizeText } from './format.js';
import { writeReportJson } from './json-stream.js';
import { openSession } from './open-session.js';
import { pruneOptions } from './prune-options.js';
import { silenceUrlParseDeprecations } from './quiet-warnings.js';
import { scanTable } from './scan-table.js';
import { VERSION } from './version.js';
import { withoutFetch } from './without-fetch.js';

function progressLine(p: MeasureProgress): void {
  if (!process.stderr.isTTY) return;
  // "+": more may be found (see MeasureProgress.totalKnown).
  const total = `${p.total}${p.totalKnown === false ? '+' : ''}`;
  process.stderr.write(`\r\x1b[Kmeasuring layers ${p.done}/${total}  ${sizeText(p.bytes)} on disk`);
}

async function scanCommand(args: CliArgs): Promise<number> {
  if (args.fleet.length || args.allContexts) {
    const { fleetScanCommand } = await import('./fleet-command.js');
    return fleetScanCommand(args, describeFor);
  }
  if (args.format === 'prometheus') {
    // A failed scan is a sample too (layertop_scan_success 0): a textfile collector must not go
    // on serving the last good file as if nothing happened. The reason goes to stderr.
    const t0 = performance.now();
    try {
      return await oneEngineScan(args);
    } catch (err) {
      const { prometheusText } = await import('./prometheus.js');
      const host = args.host ?? process.env.DOCKER_HOST ?? '';
      process.stdout.write(
        prometheusText([
          {
            context: args.context ?? 'default',
            host,
            ok: false,
            durationSeconds: (performance.now() - t0) / 1000,
          },
        ]),
      );
      throw err;
    }
  }
  return oneEngineScan(args);
}

async function oneEngineScan(args: CliArgs): Promise<number> {
  const t0 = performance.now();
  // The helper starts while the scan asks the API.
  const {
    client,
    info,
    helper: starting,
    cache,
    close,
    endpoint,
  } = await openSession({
    ...args,
    ...(args.noHelper ? {} : { beforeCache: askScanListsEarly }),
  });
  let closing: Promise<void> | undefined;
  try {
    // Test hook: an uncaught error while the helper runs, to prove that path removes it too.
    if (process.env.LAYERTOP_TEST_CRASH === 'during-scan') {
      setTimeout(() => {
        throw new Error('deliberate crash (LAYERTOP_TEST_CRASH)');
      }, 0);
    }
    const model = await scanEngine(client, {
      helper: starting,
      cache,
      info,
      onProgress: progressLine,
      noHelperReason: '--no-helper',
      onHelperDone: () => {
        closing = close();
      },
    });
    mark('scan-model');
    if (process.stderr.isTTY) process.stderr.write('\r\x1b[K');
    if (args.format === 'prometheus') {
      const { oneEngineMetrics } = await import('./fleet-command.js');
      // Labelled as a fleet labels the same engine (fleet.ts targetLabel): its context's name, or
      // its host when -H or DOCKER_HOST named it (adding an engine must not rename a series).
      const context =
        endpoint.context ??
        (endpoint.source === 'flag' || endpoint.source === 'DOCKER_HOST'
          ? endpoint.host
          : endpoint.source === 'context'
            ? ''
            : 'default');
      process.stdout.write(oneEngineMetrics(context, endpoint.host, (performance.now() - t0) / 1000, model));
      return 0;
    }
    if (args.json) {
      // Written as it is made, never one 6.4 MB string (json-stream.ts).
      const out = new ChunkedWriter(undefined, true);
      writeReportJson(out, model.report);
      out.write('\n');
      out.end();
      mark('scan-written');
      return 0;
    }
    const text = scanTable(model.report);
    mark('scan-text');
    process.stdout.write(text);
    process.stdout.write('\n');
    mark('scan-written');
    return 0;
  } catch (err) {
    throw await whyItFailed(err, client);
  } finally {
    await (closing ?? close());
    mark('closed');
  }
}

/**
 * A scan that failed in its helper's work while the engine went away says so first: a user trial
 * that stopped the engine mid-scan read only "helper du measured 0 of 1 data roots: -".
 */
async function whyItFailed(err: unknown, client: Parameters<typeof pingEngine>[0]): Promise<unknown> {
  if (err instanceof UsageError || err instanceof EngineError) return err;
  const code = (err as { code?: string })?.code;
  if (code && SOCKET_CODES.has(code)) return err;
  const live = await pingEngine(client, 1_500).catch(() => 'lost' as const);
  if (live === 'ok') return err;
  return new EngineError(
    `the engine ${live === 'lost' ? 'went away' : 'stopped answering'} during the scan; what failed then: ${describeFailure(err)}`,
  );
}

async function main(argv: string[]): Promise<number> {
  const args = parseCli(argv);
  // A command never hangs on a frozen engine: one line and exit 1 (the explorer shows it instead).
  if (args.command !== 'tui' || !process.stdout.isTTY || !process.stdin.isTTY)
    onEngineFrozen((message) => {
      process.stderr.write(`\rlayertop: ${message}\n`);
      // The helper cannot be removed through a frozen engine: it goes by itself once the engine
      // resumes (its stdin closes with this process, AutoRemove), so the exit does not wait long.
      void exitWith(1, false, 1_000);
    });
  switch (args.command) {
    case 'help':
      process.stdout.write(helpFor(args.helpTopic));
      return 0;
    case 'version':
      process.stdout.write(`layertop ${VERSION}\n`);
      return 0;
    case 'scan':
      return scanCommand(args);
    case 'files': {
      if (args.fleet.length || args.allContexts) {
        const { fleetFiles } = await import('./fleet-command.js');
        return fleetFiles(args, describeFor);
      }
      const { filesCommand } = await import('./files-command.js');
      return filesCommand(args);
    }
    case 'cat': {
      const { catCommand } = await import('./cat-command.js');
      return catCommand(args);
    }
    case 'prune': {
      if (args.fleet.length || args.allContexts || (args.apply !== undefined && isFleetPlan(args.apply))) {
        const { fleetPruneDryRun, fleetApply } = await import('./fleet-command.js');
        return args.apply !== undefined ? fleetApply(args, describeFor) : fleetPruneDryRun(args, describeFor);
      }
      const { pruneCommand } = await import('./prune-command.js');
      return pruneCommand(args);
    }
    case 'builder': {
      if (args.builderAction === 'prune') {
        const { pruneCommand } = await import('./prune-command.js');
        return pruneCommand(args);
      }
      const { builderDuCommand } = await import('./builder-command.js');
      return builderDuCommand(args);
    }
    case 'leftovers': {
      const { leftoversCommand } = await import('./leftovers-command.js');
      return leftoversCommand(args);
    }
    case 'tui': {
      if (!process.stdout.isTTY || !process.stdin.isTTY) return scanCommand(args);
      if (args.fleet.length || args.allContexts) {
        const { fleetTargets } = await import('../engine/fleet.js');
        const { runFleetTui } = await withoutFetch(() => import('../tui/run.js'));
        return runFleetTui(args, fleetTargets(args.fleet, args.allContexts), args.parallel, describeFor);
      }
      // Connect and start the helper while the UI code loads: the tree from the API appears that
      // much sooner, and the measuring starts with it. With this engine's last scan kept (the
      // next launch: no API tree, the full scan first), its lists are asked as soon as the engine
      // answers, as a CLI scan asks them, while the UI loads and draws the last scan: asked by the
      // explorer's first scan instead, they came 0.8 s after launch at scale and took 0.7 s
      // beside the first frames. Engine events meanwhile are not lost: the session says it asked
      // (listsAskedEarly), and the explorer's first subscription then asks for the events since
      // the engine's clock at this /info (so only where the engine tells its clock). The answers
      // stay good for 10 s, not the CLI's 2: the UI's start (the last scan read and drawn) comes
      // between, and the events cover image and container changes meanwhile.
      const lastEngine = args.noHelper || args.noCache ? undefined : lastEngineOf(args);
      let asked = false;
      const early = openSession({
        ...args,
        ...(lastEngine
          ? {
              beforeCache: (client, info) => {
                if (engineIdOf(info) !== lastEngine || !info.SystemTime) return;
                askScanListsEarly(client, info, 10_000);
                asked = true;
              },
            }
          : {}),
      }).then((session) => {
        session.listsAskedEarly = asked;
        return session;
      });
      early.catch(() => undefined);
      const { runTui } = await withoutFetch(() => import('../tui/run.js'));
      let pruneFilters: PruneFilters | undefined;
      try {
        pruneFilters = pruneOptions({ all: true, volumes: false, filters: args.filters }).filters;
      } catch {
        // An unreadable filter in the docker config: the explorer's previews apply none.
      }
      return runTui({ ...args, pruneFilters }, early);
    }
  }
}

/** The engine of the explorer's kept last scan at this address, if any (see lastScanEngineId). */
function lastEngineOf(args: CliArgs): string | undefined {
  try {
    return lastScanEngineId(resolveEndpoint({ host: args.host, context: args.context }).host);
  } catch {
    return undefined; // no endpoint (a bad context): the connection says why
  }
}

const KNOWN = [EngineError, HelperError, EndpointError];
const SOCKET_CODES = new Set([
  'ENOENT',
  'ECONNREFUSED',
  'EACCES',
  'EPERM',
  'ETIMEDOUT',
  'ECONNRESET',
  'EPIPE',
]);

/** A plan file made over several engines (read again by the command; `-` cannot be told apart). */
function isFleetPlan(path: string): boolean {
  if (path === '-') return false;
  try {
    return (
      (JSON.parse(readFileSync(path, 'utf8')) as { format?: unknown }).format === 'layertop-fleet-plan/1'
    );
  } catch {
    return false;
  }
}

/** One engine's failure in a fleet, naming that engine. */
function describeFor(err: unknown, host: string): string {
  const code = (err as { code?: string })?.code;
  if (code && SOCKET_CODES.has(code)) return describeEngineError(err, host);
  return describeFailure(err);
}

/** One line for any failure; the stack only with LAYERTOP_DEBUG=1. */
function describeFailure(err: unknown): string {
  if (KNOWN.some((k) => err instanceof k)) return (err as Error).message;
  const code = (err as { code?: string })?.code;
  if (code && SOCKET_CODES.has(code)) {
    const host = process.env.DOCKER_HOST ?? 'the Docker engine';
    return describeEngineError(err, host);
  }
  if (process.env.LAYERTOP_DEBUG) return (err as Error)?.stack ?? String(err);
  return ((err as Error)?.message ?? String(err)).split('\n')[0] ?? 'unknown error';
}

installExitHandlers();
silenceUrlParseDeprecations();
mark('main');
main(process.argv.slice(2)).then(
  (code) => exitWith(code),
  (err: unknown) => {
    // Already exiting (a signal, a crash, a frozen engine said so): the command's own failure is
    // only the echo of that exit's cleanup (its helper closed under it); one line is enough.
    if (isExiting()) return;
    // Messages can quote engine text (names, the helper's stderr): escaped, line by line.
    const shown = (text: string) => text.split('\n').map(escapeText).join('\n');
    if (err instanceof UsageError) {
      process.stderr.write(`layertop: ${shown(err.message)}\n`);
      return exitWith(2);
    }
    process.stderr.write(`layertop: ${shown(describeFailure(err))}\n`);
    return exitWith(1);
  },
);
