import { parseArgs } from 'node:util';

export interface CliArgs {
  command: 'tui' | 'scan' | 'help' | 'version';
  json: boolean;
  host: string | undefined;
  context: string | undefined;
  helperImage: string | undefined;
  targetPid: number | undefined;
  noHelper: boolean;
  noCache: boolean;
}

export class UsageError extends Error {
  override name = 'UsageError';
}

export const HELP = `layertop: every Docker image layer, what it really costs on disk, and what a prune would free

Usage:
  layertop [options]            open the explorer (a terminal UI); without a TTY, print the scan
  layertop scan [--json]        print every image, layer, container, volume and the build cache
                                with Docker's sizes and the bytes they really take on disk

Options:
  -H, --host URL                engine to use (unix://, tcp://, ssh://); default: as the docker CLI
  -c, --context NAME            docker context to use
      --helper-image IMAGE      image for the helper container (default: busybox)
      --target-pid PID          PID on the engine host whose mount namespace holds the data root
      --no-helper               do not start the helper: the engine's own figures only
      --no-cache                measure every layer again (ignore the size cache)
      --json                    machine-readable output (scan)
  -h, --help                    this help
  -v, --version                 print the version

Environment: DOCKER_HOST, DOCKER_CONTEXT, DOCKER_CONFIG, DOCKER_TLS_VERIFY, DOCKER_CERT_PATH,
NO_COLOR, LAYERTOP_CACHE_DIR.
`;

export function parseCli(argv: string[]): CliArgs {
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        host: { type: 'string', short: 'H' },
        context: { type: 'string', short: 'c' },
        'helper-image': { type: 'string' },
        'target-pid': { type: 'string' },
        'no-helper': { type: 'boolean' },
        'no-cache': { type: 'boolean' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean', short: 'v' },
      },
    });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const v = parsed.values as Record<string, string | boolean | undefined>;
  const [cmd, ...rest] = parsed.positionals;
  if (rest.length) throw new UsageError(`unexpected argument "${rest[0]}"`);
  let command: CliArgs['command'] = 'tui';
  if (v.help) command = 'help';
  else if (v.version) command = 'version';
  else if (cmd === 'scan') command = 'scan';
  else if (cmd !== undefined) throw new UsageError(`unknown command "${cmd}" (try layertop --help)`);
  let targetPid: number | undefined;
  if (typeof v['target-pid'] === 'string') {
    targetPid = Number(v['target-pid']);
    if (!Number.isInteger(targetPid) || targetPid < 1)
      throw new UsageError('--target-pid takes a process ID');
  }
  return {
    command,
    json: v.json === true,
    host: typeof v.host === 'string' ? v.host : undefined,
    context: typeof v.context === 'string' ? v.context : undefined,
    helperImage: typeof v['helper-image'] === 'string' ? v['helper-image'] : undefined,
    targetPid,
    noHelper: v['no-helper'] === true,
    noCache: v['no-cache'] === true,
  };
}
