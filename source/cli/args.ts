import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { HOST_AND_CONTEXT } from '../engine/docker/endpoint.js';
import { parseAge } from '../model/leftovers.js';

/**
 * An entry unchanged for an hour is no layer in the making: a pull or a build writes its layer's
 * directory before the engine records it, and none takes that long between two writes.
 */
export const DEFAULT_MIN_AGE_SECONDS = 3600;

// Required, not imported: an ES import of node:util makes a facade that reads every export, and
// util's lazy ones load modules nothing here uses (its diff and colour helpers, worker_threads):
// about 6 ms of a CLI command's start (2026-12-06, Node 24; as for node:http in docker-client.ts).
// The explorer's chunk still imports node:util through its dependencies.
const { parseArgs } = createRequire(import.meta.url)('node:util') as typeof import('node:util');

/** The command line's options, as node:util parseArgs takes them. */
const OPTIONS = {
  host: { type: 'string', short: 'H', multiple: true },
  context: { type: 'string', short: 'c', multiple: true },
  parallel: { type: 'string' },
  format: { type: 'string' },
  'helper-image': { type: 'string' },
  'target-pid': { type: 'string' },
  'keep-helper': { type: 'string' },
  'helper-mode': { type: 'string' },
  'no-helper': { type: 'boolean' },
  'no-cache': { type: 'boolean' },
  'no-host-tools': { type: 'boolean' },
  json: { type: 'boolean' },
  'dry-run': { type: 'boolean' },
  yes: { type: 'boolean', short: 'y' },
  all: { type: 'boolean', short: 'a' },
  volumes: { type: 'boolean' },
  filter: { type: 'string', multiple: true },
  apply: { type: 'string' },
  'min-age': { type: 'string' },
  'keep-storage': { type: 'string' },
  'reserved-space': { type: 'string' },
  'max-used-space': { type: 'string' },
  'min-free-space': { type: 'string' },
  sort: { type: 'string' },
  'keep-last': { type: 'string' },
  'unused-for': { type: 'string' },
  protect: { type: 'string', multiple: true },
  'cache-budget': { type: 'string' },
  policy: { type: 'string' },
  layer: { type: 'string' },
  merged: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'v' },
} as const;

/** The options that take a value. */
const VALUE_OPTIONS = new Set(
  Object.entries(OPTIONS)
    .filter(([, o]) => o.type === 'string')
    .map(([name]) => name),
);

export interface CliArgs {
  command: 'tui' | 'scan' | 'prune' | 'builder' | 'leftovers' | 'files' | 'cat' | 'help' | 'version';
  /** help: the command it was asked for (`layertop files --help`), if any. */
  helpTopic?: HelpTopic | undefined;
  /** builder: du (the records as a tree) or prune. */
  builderAction: 'du' | 'prune' | undefined;
  /** builder prune: space limits in bytes (--keep-storage is --reserved-space). */
  reservedSpace: number | undefined;
  maxUsedSpace: number | undefined;
  minFreeSpace: number | undefined;
  /** prune: cleanup policies (--keep-last, --unused-for, --protect, --cache-budget). */
  keepLast: number | undefined;
  unusedForSeconds: number | undefined;
  protect: string[];
  cacheBudget: number | undefined;
  /** prune --policy FILE: the same rules from a JSON file. */
  policyFile: string | undefined;
  /** builder du: sort by size (default) or by last use. */
  sort: 'size' | 'last-used';
  /** files: the image or container, and which layer (index from 0 at the bottom, or chain ID). */
  target: string | undefined;
  layer: string | undefined;
  merged: boolean;
  /** cat: the file's path in the image or container. */
  path: string | undefined;
  json: boolean;
  /** prune: print the plan only. */
  dryRun: boolean;
  /** prune: run without asking (for scripts). */
  yes: boolean;
  /** prune -a: every unused image, not only dangling ones. */
  all: boolean;
  /** prune --volumes: unused anonymous volumes too. */
  volumes: boolean;
  /** prune --filter, as Docker takes them (until=, label=, label!=). */
  filters: string[];
  /** prune --apply FILE: remove exactly the unchanged items of a reviewed plan (`-` for stdin). */
  apply: string | undefined;
  /** leftovers --min-age: seconds an entry must have been unchanged to be deleted. */
  minAgeSeconds: number;
  /** leftovers PATH...: only these (each must be one of the leftovers found). */
  paths: string[];
  host: string | undefined;
  context: string | undefined;
  /**
   * Several engines (a fleet): every -H and every --context (comma lists and repeats; "all": every
   * context the docker CLI knows), in order. Empty for one engine (then host/context say which).
   */
  fleet: { host?: string; context?: string }[];
  /** --context all */
  allContexts: boolean;
  /** Engines scanned at once in a fleet. */
  parallel: number;
  /** scan --format: table (default), json (as --json) or prometheus. */
  format: 'table' | 'json' | 'prometheus';
  helperImage: string | undefined;
  targetPid: number | undefined;
  /** --keep-helper (or LAYERTOP_KEEP_HELPER): idle seconds a kept helper waits for the next run. */
  keepHelper: number | undefined;
  /** --helper-mode (or LAYERTOP_HELPER_MODE): where the helper's loops run (see startHelper). */
  helperMode: 'auto' | 'local' | 'container';
  noHelper: boolean;
  noCache: boolean;
  /** Walk with the helper's own tools, never the engine host's find. */
  noHostTools: boolean;
}

export class UsageError extends Error {
  override name = 'UsageError';
}

const HELP_TOPICS = ['scan', 'prune', 'builder', 'leftovers', 'files', 'cat'] as const;
export type HelpTopic = (typeof HELP_TOPICS)[number];
const isHelpTopic = (c: string | undefined): c is HelpTopic => HELP_TOPICS.some((t) => t === c);

/**
 * `layertop CMD --help`: the usage lines of CMD and the options that apply to it (those whose
 * text names no command, and those that name CMD), cut from HELP, so that the two never differ.
 */
export function helpFor(topic: HelpTopic | undefined): string {
  if (!topic) return HELP;
  const [head = '', rest = ''] = HELP.split('\nUsage:\n');
  const [usage = '', afterUsage = ''] = rest.split('\nOptions:\n');
  const [options = '', tail = ''] = afterUsage.split('\n\nEnvironment:');
  // A block is a line at the left margin of its section and the deeper lines after it.
  const blocks = (text: string, starts: RegExp) =>
    text.split('\n').reduce<string[][]>((out, line) => {
      if (starts.test(line) || !out.length) out.push([line]);
      else out[out.length - 1]?.push(line);
      return out;
    }, []);
  const usageBlocks = blocks(usage, /^ {2}layertop /).filter(
    (b) => (b[0] ?? '').startsWith(`  layertop ${topic} `) || b[0] === `  layertop ${topic}`,
  );
  // "prune: ...", "files, cat: ...", "builder prune: ...": the commands an option's text is for.
  const commandsOf = (line: string) =>
    /^((?:[a-z]+(?: [a-z]+)?, )*[a-z]+(?: [a-z]+)?): /
      .exec(line.slice(32))?.[1]
      ?.split(', ')
      .map((c) => c.split(' ')[0]);
  const optionBlocks = blocks(options.trimEnd(), /^ {2}(-\w, | {4})--?\w/).filter((b) => {
    // An option whose first line names no command is everyone's; else any of its lines may name it.
    if (!commandsOf(b[0] ?? '')) return true;
    return b.some((line) => commandsOf(line)?.includes(topic));
  });
  return [
    head.trimEnd(),
    '',
    'Usage:',
    ...usageBlocks.flat(),
    '',
    'Options:',
    ...optionBlocks.flat(),
    '',
    `Environment:${tail}`.trimEnd(),
    '(layertop --help lists every command and option.)',
    '',
  ].join('\n');
}

export const HELP = `layertop: every Docker image layer, what it really costs on disk, and what a prune would free

Usage:
  layertop [options]            open the explorer (a terminal UI); without a TTY, print the scan
  layertop scan [--json]        print every image, layer, container, volume and the build cache
                                with Docker's sizes and the bytes they really take on disk
  layertop prune --dry-run [-a] [--volumes] [--filter F]... [--json]
                                what \`docker system prune\` would remove and the disk bytes that
                                would really come back (Docker's estimate beside it)
  layertop files IMAGE|CONTAINER [--layer N|CHAINID] [--merged] [--json]
                                a layer's own files (added, modified, deleted, opaque) or the
                                merged view at that layer (default: the top layer)
  layertop cat IMAGE|CONTAINER PATH [--layer N|CHAINID] [--merged]
                                print one file as that layer (default: the top layer) or the
                                merged view at that layer holds it; escaped on a terminal, raw
                                bytes otherwise; a symlink prints its target (never followed)
  layertop prune --yes [...]    remove exactly that, then report predicted / Docker-reported /
                                measured freed bytes; without --yes it asks on a TTY, and
                                without a TTY it deletes nothing and exits 3
  layertop prune --apply FILE [--dry-run] [--json]
                                remove exactly the items of a reviewed plan (the JSON of
                                \`prune --dry-run --json\`) that are unchanged; report the others
  layertop builder du [--sort size|last-used] [--json]
                                BuildKit's cache records as a tree: type, build step, created,
                                last used, uses, in use / shared, Docker's size and disk bytes
  layertop builder prune [--all] [--filter F]... [--keep-storage S] [--reserved-space S]
                         [--max-used-space S] [--min-free-space S] --dry-run|--yes|--apply FILE
                                what \`docker builder prune\` with those options removes, record by
                                record, and the disk bytes that come back; then exactly those
                                records go and predicted / reported / measured are compared
  layertop prune [--keep-last N] [--unused-for D] [--protect label=K[=V]]... [--cache-budget S]
                 [--policy FILE] --dry-run|--yes
                                cleanup policies (a nightly job: review with --dry-run): images
                                beyond the N newest tags of each repository, or unused for D,
                                never those carrying a protecting label; the build cache cut to
                                S on disk, least recently used first
  layertop leftovers [PATH...] [--dry-run|--yes] [--min-age D] [--json]
                                what nothing references (layer directories, a removed container's
                                records, containerd snapshots and blobs): no prune frees them.
                                Deletes, after you type yes, only what a fresh scan still finds
                                unreferenced, no layer builds on, nothing mounts, and nothing
                                changed for --min-age (default 1h); then predicted / measured.
                                PATHs: only those of the leftovers found

Options:
  -H, --host URL                engine to use (unix://, tcp://, ssh://); default: as the docker CLI;
                                repeat it for several engines (the explorer, scan, files,
                                prune --dry-run/--apply)
  -c, --context NAME[,NAME]     docker context(s) to use; repeat it or list several, or "all" for
                                every context the docker CLI knows
      --parallel N              engines scanned at once (default: twice the cores, 2 to 8)
      --format F                scan: table, json, or prometheus (the text exposition format)
      --helper-image IMAGE      image for the helper container (default: busybox)
      --target-pid PID          PID on the engine host whose mount namespace holds the data root
      --keep-helper SECONDS     keep the helper running until idle this long, and join one
                                kept before: the next run starts about 0.2 s sooner (also
                                LAYERTOP_KEEP_HELPER=SECONDS; 0 = never keep)
      --helper-mode MODE        auto (default): as root on the engine's own host, read its
                                storage with local processes, else start the helper container;
                                local or container: only that (also LAYERTOP_HELPER_MODE)
      --no-helper               do not start the helper: the engine's own figures only
      --no-cache                measure every layer again (ignore the size cache)
      --no-host-tools           walk layers with the helper's busybox only, not the engine
                                host's GNU find (slower; the figures are the same)
      --json                    scan, prune, builder, leftovers, files: machine-readable output
      --layer N|CHAINID         files, cat: which layer (0 = bottom; negative counts from the top)
      --merged                  files, cat: the merged view (the union of layers 0..N)
  -a, --all                     prune: every unused image, not only dangling ones;
                                builder prune: all unused records, not only dangling ones
      --volumes                 prune: unused anonymous volumes too
      --filter F                prune: until=<time|duration>, label=K[=V], label!=K[=V];
                                builder prune: until= (or unused-for=), id=<regexp>, type=
      --keep-storage S          builder prune: keep this much cache (as --reserved-space)
      --reserved-space S        builder prune: never prune the cache below S
      --max-used-space S        builder prune: prune the cache down to S
      --min-free-space S        builder prune: prune until the disk has S free
                                (S: bytes, or 512k, 20m, 10g, 1.5t: powers of 1024, as Docker)
      --sort size|last-used     builder du: order of records under each parent
      --keep-last N             prune: keep the images of each repository's N newest tags
      --unused-for D            prune: keep images used (created, tagged, a container made from
                                them) within D (90s, 30m, 2h, 30d)
      --protect label=K[=V]     prune: never remove what carries this label
      --cache-budget S          prune: remove build cache, least recently used first, until it
                                takes at most S on disk
      --policy FILE             prune: the rules above from a JSON file (see the README)
      --dry-run                 prune, builder prune, leftovers: print the plan, delete nothing
      --min-age D               leftovers: unchanged for at least D (90s, 30m, 2h, 1d; default 1h)
      --apply FILE              prune, builder prune: apply a plan file made by --dry-run --json
                                (- = stdin)
  -y, --yes                     prune, builder prune, leftovers: do not ask
  -h, --help                    this help
  -v, --version                 print the version

Environment: DOCKER_HOST, DOCKER_CONTEXT, DOCKER_CONFIG, DOCKER_TLS_VERIFY, DOCKER_CERT_PATH,
NO_COLOR, LAYERTOP_CACHE_DIR.
`;

export function parseCli(argv: string[]): CliArgs {
  let parsed: ReturnType<typeof parseArgs>;
  try {
    // `--layer -2` (from the top) reads as a value, not as an option.
    const args: string[] = [];
    for (let i = 0; i < argv.length; i++) {
      const a = argv[i] as string;
      const next = argv[i + 1];
      // Any option that takes a value, given a negative number: the value, so that the option's
      // own check says what it takes ("--keep-last -1" gave Node's "argument is ambiguous").
      if (/^--[a-z-]+$/.test(a) && VALUE_OPTIONS.has(a.slice(2)) && next !== undefined && /^-\d/.test(next)) {
        args.push(`${a}=${next}`);
        i++;
      } else args.push(a);
    }
    parsed = parseArgs({
      args,
      allowPositionals: true,
      strict: true,
      options: OPTIONS,
    });
  } catch (err) {
    // Node's own text for an unknown option ends in unbalanced quotes and a hint about '--' that
    // layertop has no use for: said plainly, with where to look.
    const unknown = /^Unknown option '([^']*)'/.exec((err as Error).message);
    if (unknown) throw new UsageError(`unknown option ${unknown[1]} (layertop --help lists them)`);
    throw new UsageError((err as Error).message);
  }
  const v = parsed.values as Record<string, string | boolean | string[] | undefined>;
  const [cmd, ...rest] = parsed.positionals;
  const builderAction = cmd === 'builder' ? rest.shift() : undefined;
  if (cmd === 'builder' && builderAction !== 'du' && builderAction !== 'prune' && !v.help)
    throw new UsageError('builder takes du or prune (layertop builder du, layertop builder prune --dry-run)');
  const target = cmd === 'files' || cmd === 'cat' ? rest.shift() : undefined;
  if ((cmd === 'files' || cmd === 'cat') && target === undefined && !v.help)
    throw new UsageError(`${cmd} needs an image or a container`);
  const path = cmd === 'cat' ? rest.shift() : undefined;
  const paths = cmd === 'leftovers' ? rest.splice(0) : [];
  if (cmd === 'cat' && path === undefined && !v.help) throw new UsageError('cat needs the path of a file');
  if (rest.length) throw new UsageError(`unexpected argument "${rest[0]}"`);
  let command: CliArgs['command'] = 'tui';
  const helpTopic = v.help && isHelpTopic(cmd) ? cmd : undefined;
  if (v.help) command = 'help';
  else if (v.version) command = 'version';
  else if (cmd === 'scan') command = 'scan';
  else if (cmd === 'prune') command = 'prune';
  else if (cmd === 'builder') command = 'builder';
  else if (cmd === 'leftovers') command = 'leftovers';
  else if (cmd === 'files') command = 'files';
  else if (cmd === 'cat') command = 'cat';
  else if (cmd !== undefined) throw new UsageError(`unknown command "${cmd}" (try layertop --help)`);
  // Seconds, whole, up to a day: a kept helper is a privileged container left running, so it is
  // asked for by the user (an option or the environment of a monitor's job), never the default.
  // The environment's value counts only where a helper may start: a bad one in a job's
  // environment must not stop --help or --version.
  // An option's value, else its environment variable's (only where a helper may start).
  const optionOrEnv = (option: string, env: string): string | undefined => {
    const given = v[option as keyof typeof v];
    if (typeof given === 'string') return given;
    return command === 'help' || command === 'version' ? undefined : process.env[env];
  };
  const keepText = optionOrEnv('keep-helper', 'LAYERTOP_KEEP_HELPER');
  let keepHelper: number | undefined;
  if (keepText !== undefined && keepText !== '') {
    if (!/^\d{1,5}$/.test(keepText) || Number(keepText) > 86_400)
      throw new UsageError('--keep-helper (LAYERTOP_KEEP_HELPER) takes whole seconds, 0 to 86400');
    keepHelper = Number(keepText) || undefined;
  }
  const modeText = optionOrEnv('helper-mode', 'LAYERTOP_HELPER_MODE');
  if (modeText !== undefined && modeText !== '' && !['auto', 'local', 'container'].includes(modeText))
    throw new UsageError('--helper-mode (LAYERTOP_HELPER_MODE) is auto, local or container');
  const helperMode = (modeText || 'auto') as CliArgs['helperMode'];
  // An empty name would silently mean the default image (and let auto go local): said instead.
  if (typeof v['helper-image'] === 'string' && v['helper-image'].trim() === '')
    throw new UsageError('--helper-image needs an image name (the default is busybox)');
  // Both ask for a container: said at once, not after connecting.
  if (helperMode === 'local' && keepHelper)
    throw new UsageError('--keep-helper keeps a helper container: it does not go with --helper-mode local');
  if (helperMode === 'local' && typeof v['helper-image'] === 'string')
    throw new UsageError('--helper-image names a container image: it does not go with --helper-mode local');
  let targetPid: number | undefined;
  if (typeof v['target-pid'] === 'string') {
    targetPid = Number(v['target-pid']);
    if (!Number.isInteger(targetPid) || targetPid < 1)
      throw new UsageError('--target-pid takes a process ID');
  }
  const pruneOnly = ['dry-run', 'yes', 'all', 'volumes', 'filter', 'apply'].filter((k) => v[k] !== undefined);
  const filesOnly = ['layer', 'merged'].filter((k) => v[k] !== undefined);
  if (command !== 'files' && command !== 'cat' && command !== 'help' && filesOnly.length)
    throw new UsageError(`--${filesOnly[0]} belongs to the files and cat commands`);
  if (command === 'cat' && v.json === true)
    throw new UsageError('cat prints the file itself: --json does not apply');
  const sharedWithLeftovers = new Set(['dry-run', 'yes']);
  if (command === 'leftovers' && pruneOnly.some((k) => !sharedWithLeftovers.has(k)))
    throw new UsageError(
      `--${pruneOnly.find((k) => !sharedWithLeftovers.has(k))} belongs to the prune command`,
    );
  const isBuilderPrune = command === 'builder' && builderAction === 'prune';
  if (command === 'builder' && builderAction === 'du' && pruneOnly.length)
    throw new UsageError(`--${pruneOnly[0]} belongs to the prune commands`);
  if (isBuilderPrune && v.volumes !== undefined)
    throw new UsageError('--volumes belongs to the prune command, not builder prune');
  if (
    command !== 'prune' &&
    command !== 'leftovers' &&
    command !== 'help' &&
    !isBuilderPrune &&
    pruneOnly.length
  )
    throw new UsageError(`--${pruneOnly[0]} belongs to the prune command`);
  const spaceFlags = ['keep-storage', 'reserved-space', 'max-used-space', 'min-free-space'];
  const spaces = spaceFlags.filter((k) => v[k] !== undefined);
  if (spaces.length && !isBuilderPrune && command !== 'help')
    throw new UsageError(`--${spaces[0]} belongs to the builder prune command`);
  if (v['keep-storage'] !== undefined && v['reserved-space'] !== undefined)
    throw new UsageError('--keep-storage is the old name of --reserved-space: give one of them');
  if (v.sort !== undefined && !(command === 'builder' && builderAction === 'du') && command !== 'help')
    throw new UsageError('--sort belongs to the builder du command');
  if (v.sort !== undefined && v.sort !== 'size' && v.sort !== 'last-used')
    throw new UsageError(`--sort takes size or last-used, not "${String(v.sort)}"`);
  const policyFlags = ['keep-last', 'unused-for', 'protect', 'cache-budget', 'policy'].filter(
    (k) => v[k] !== undefined,
  );
  if (policyFlags.length && command !== 'prune' && command !== 'help')
    throw new UsageError(`--${policyFlags[0]} belongs to the prune command`);
  if (v.policy !== undefined && policyFlags.length > 1)
    throw new UsageError(
      `--policy FILE holds the rules: --${policyFlags.find((k) => k !== 'policy')} goes into the file`,
    );
  if (v.policy !== undefined && (v.all !== undefined || v.volumes !== undefined || v.filter !== undefined))
    throw new UsageError('--policy FILE holds the rules: -a, --volumes and --filter go into the file');
  if ((v['keep-last'] !== undefined || v['unused-for'] !== undefined) && v.all !== undefined)
    throw new UsageError(
      '--keep-last and --unused-for choose which tagged images go; -a would remove them all',
    );
  if (typeof v.apply === 'string' && policyFlags.length)
    throw new UsageError(
      `--apply takes the plan's own rules; --${policyFlags[0]} cannot change them (make a new plan)`,
    );
  let keepLast: number | undefined;
  if (typeof v['keep-last'] === 'string') {
    keepLast = Number(v['keep-last']);
    if (!Number.isInteger(keepLast) || keepLast < 0) throw new UsageError('--keep-last takes a whole number');
  }
  const unusedFor = typeof v['unused-for'] === 'string' ? parseAge(v['unused-for']) : undefined;
  if (typeof v['unused-for'] === 'string' && unusedFor === undefined)
    throw new UsageError(`--unused-for takes a duration such as 12h or 30d, not "${v['unused-for']}"`);
  const protect = (Array.isArray(v.protect) ? v.protect : []).map((p) => {
    const m = /^label=(.+)$/s.exec(p);
    if (!m) throw new UsageError(`--protect takes label=KEY or label=KEY=VALUE, not "${p}"`);
    return m[1] as string;
  });
  const space = (k: string) => (typeof v[k] === 'string' ? parseSpace(k, v[k]) : undefined);
  if (v['min-age'] !== undefined && command !== 'leftovers' && command !== 'help')
    throw new UsageError('--min-age belongs to the leftovers command');
  const minAge = typeof v['min-age'] === 'string' ? parseAge(v['min-age']) : DEFAULT_MIN_AGE_SECONDS;
  if (minAge === undefined)
    throw new UsageError(`--min-age takes a duration such as 90s, 30m, 2h or 1d, not "${v['min-age']}"`);
  // Several engines: -H a -H b, --context a,b, -c a -c b, --context all.
  const hosts = (Array.isArray(v.host) ? v.host : []).filter((h) => h !== '');
  const contexts = (Array.isArray(v.context) ? v.context : [])
    .flatMap((c) => c.split(','))
    .map((c) => c.trim());
  if (contexts.some((c) => c === ''))
    throw new UsageError('--context takes a name, or names separated by commas');
  const allContexts = contexts.includes('all');
  // docker/cli refuses the pair too (and exits as for any other usage error).
  if (hosts.length === 1 && contexts.length === 1 && !allContexts) throw new UsageError(HOST_AND_CONTEXT);
  const fleet =
    hosts.length + contexts.length > 1 || allContexts
      ? [
          ...hosts.map((host) => ({ host })),
          ...contexts.filter((c) => c !== 'all').map((context) => ({ context })),
        ]
      : [];
  if ((fleet.length || allContexts) && !['scan', 'prune', 'tui', 'files', 'help'].includes(command))
    throw new UsageError(
      `several engines work with the explorer, scan, files and prune; ${command} takes one (-H or --context)`,
    );
  if ((fleet.length || allContexts) && command === 'prune' && v['dry-run'] !== true && v.apply === undefined)
    throw new UsageError(
      'over several engines prune previews (--dry-run) or applies a reviewed plan (--apply FILE)',
    );
  // Each engine's scan mostly waits on that engine (its API, its helper's walks): twice the local
  // cores, 2 to 8, keeps them busy without piling up helpers on a small machine.
  let parallel = Math.max(2, Math.min(8, availableParallelism() * 2));
  if (typeof v.parallel === 'string') {
    parallel = Number(v.parallel);
    if (!Number.isInteger(parallel) || parallel < 1)
      throw new UsageError('--parallel takes a whole number of engines, 1 or more');
  }
  const format = typeof v.format === 'string' ? v.format : v.json === true ? 'json' : 'table';
  if (format !== 'table' && format !== 'json' && format !== 'prometheus')
    throw new UsageError(`--format takes table, json or prometheus, not "${format}"`);
  if (typeof v.format === 'string' && command !== 'scan' && command !== 'help')
    throw new UsageError('--format belongs to the scan command');
  // Two answers to one question: said, not one of them silently taken.
  if (typeof v.format === 'string' && v.json === true && format !== 'json' && command !== 'help')
    throw new UsageError(`--json and --format ${format} ask for two outputs: give one`);
  if (v['dry-run'] === true && v.yes === true)
    throw new UsageError('--dry-run and --yes contradict each other');
  if (typeof v.apply === 'string') {
    const rules = ['all', 'volumes', 'filter', ...spaceFlags].filter((k) => v[k] !== undefined);
    if (rules.length)
      throw new UsageError(
        `--apply takes the plan's own rules; --${rules[0]} cannot change them (make a new plan)`,
      );
  }
  return {
    command,
    builderAction: builderAction === 'du' || builderAction === 'prune' ? builderAction : undefined,
    reservedSpace: space('reserved-space') ?? space('keep-storage'),
    maxUsedSpace: space('max-used-space'),
    minFreeSpace: space('min-free-space'),
    sort: v.sort === 'last-used' ? 'last-used' : 'size',
    keepLast,
    unusedForSeconds: unusedFor,
    protect,
    cacheBudget: space('cache-budget'),
    policyFile: typeof v.policy === 'string' ? v.policy : undefined,
    json: v.json === true || format === 'json',
    dryRun: v['dry-run'] === true,
    yes: v.yes === true,
    all: v.all === true,
    volumes: v.volumes === true,
    filters: Array.isArray(v.filter) ? v.filter : [],
    apply: typeof v.apply === 'string' ? v.apply : undefined,
    minAgeSeconds: minAge,
    paths,
    target,
    layer: typeof v.layer === 'string' ? v.layer : undefined,
    merged: v.merged === true,
    path,
    host: fleet.length || allContexts ? undefined : hosts[0],
    context: fleet.length || allContexts ? undefined : contexts[0],
    fleet,
    allContexts,
    parallel,
    format,
    ...(helpTopic ? { helpTopic } : {}),
    // Trimmed: " busybox " (a quoted name with spaces) names busybox, as the engine would refuse the spaces.
    helperImage: typeof v['helper-image'] === 'string' ? v['helper-image'].trim() : undefined,
    targetPid,
    keepHelper,
    helperMode,
    noHelper: v['no-helper'] === true,
    noCache: v['no-cache'] === true,
    noHostTools: v['no-host-tools'] === true,
  };
}

const SPACE_UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  k: 1024,
  m: 1024 ** 2,
  g: 1024 ** 3,
  t: 1024 ** 4,
  p: 1024 ** 5,
};

/** A size as Docker's flags take it (RAMInBytes): a number and a unit, powers of 1024. */
export function parseSpace(flag: string, text: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([kmgtp]?)(?:i?b)?$/i.exec(text.trim());
  if (!m) throw new UsageError(`--${flag} takes a size such as 512m, 10g or 1.5t, not "${text}"`);
  return Math.floor(Number(m[1]) * (SPACE_UNITS[(m[2] ?? '').toLowerCase()] ?? 1));
}
