import { EndpointError } from '../engine/endpoint.js';
import { describeEngineError, EngineError } from '../engine/engine-error.js';
import { HelperError } from '../engine/helper-session.js';
import type { MeasureProgress } from '../engine/measure.js';
import { scanEngine } from '../engine/scan.js';
import { connect, startHelper } from '../engine/session.js';
import { SizeCache } from '../engine/size-cache.js';
import { type CliArgs, HELP, parseCli, UsageError } from './args.js';
import { exitWith, installExitHandlers, onCleanup } from './cleanup.js';
import { dockerSize } from './format.js';
import { scanTable } from './scan-table.js';
import { mark } from './timing.js';
import { VERSION } from './version.js';
import { withoutFetch } from './without-fetch.js';

function progressLine(p: MeasureProgress): void {
  if (!process.stderr.isTTY) return;
  process.stderr.write(`\r\x1b[Kmeasuring layers ${p.done}/${p.total}  ${dockerSize(p.bytes)} on disk`);
}

async function scanCommand(args: CliArgs): Promise<number> {
  const { client, info } = await connect(args);
  const helper = args.noHelper
    ? undefined
    : await startHelper(client, info, { ...args, onSession: (s) => onCleanup(() => s.close()) });
  const cache = new SizeCache(args.noCache ? undefined : SizeCache.defaultFile());
  try {
    // Test hook: an uncaught error while the helper runs, to prove that path removes it too.
    if (process.env.LAYERTOP_TEST_CRASH === 'during-scan') {
      setTimeout(() => {
        throw new Error('deliberate crash (LAYERTOP_TEST_CRASH)');
      }, 0);
    }
    const model = await scanEngine(client, { helper, cache, info, onProgress: progressLine });
    if (process.stderr.isTTY) process.stderr.write('\r\x1b[K');
    process.stdout.write(
      args.json ? `${JSON.stringify(model.report, null, 2)}\n` : `${scanTable(model.report)}\n`,
    );
    return 0;
  } finally {
    await helper?.close();
  }
}

async function main(argv: string[]): Promise<number> {
  const args = parseCli(argv);
  switch (args.command) {
    case 'help':
      process.stdout.write(HELP);
      return 0;
    case 'version':
      process.stdout.write(`layertop ${VERSION}\n`);
      return 0;
    case 'scan':
      return scanCommand(args);
    case 'files': {
      const { filesCommand } = await import('./files-command.js');
      return filesCommand(args);
    }
    case 'prune': {
      const { pruneCommand } = await import('./prune-command.js');
      return pruneCommand(args);
    }
    case 'tui': {
      if (!process.stdout.isTTY || !process.stdin.isTTY) return scanCommand(args);
      // Connect while the UI code loads: the tree from the API appears that much sooner.
      const early = connect(args);
      early.catch(() => undefined);
      const { runTui } = await withoutFetch(() => import('../tui/run.js'));
      return runTui(args, early);
    }
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
mark('main');
main(process.argv.slice(2)).then(
  (code) => exitWith(code),
  (err: unknown) => {
    if (err instanceof UsageError) {
      process.stderr.write(`layertop: ${err.message}\n`);
      return exitWith(2);
    }
    process.stderr.write(`layertop: ${describeFailure(err)}\n`);
    return exitWith(1);
  },
);
