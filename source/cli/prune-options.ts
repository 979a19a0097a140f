import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { BuilderPruneRules } from '../model/build-cache.js';
import { type PruneOptions, parseFilters, parseUntil } from '../model/prune-plan.js';
import { type CliArgs, UsageError } from './args.js';

/** The docker CLI's `pruneFilters` from its config file: they apply to every prune, as in Docker. */
export function configPruneFilters(env: NodeJS.ProcessEnv = process.env): string[] {
  const file = join(env.DOCKER_CONFIG || join(homedir(), '.docker'), 'config.json');
  try {
    const cfg = JSON.parse(readFileSync(file, 'utf8')) as { pruneFilters?: unknown };
    return Array.isArray(cfg.pruneFilters)
      ? cfg.pruneFilters.filter((f): f is string => typeof f === 'string')
      : [];
  } catch {
    return [];
  }
}

export function pruneOptions(
  args: Pick<CliArgs, 'all' | 'volumes' | 'filters'>,
  now = Date.now() / 1000,
): PruneOptions {
  try {
    return {
      all: args.all,
      volumes: args.volumes,
      filters: parseFilters([...configPruneFilters(), ...args.filters], now),
    };
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

/**
 * `builder prune`'s rules: --all, the filters BuildKit applies to records (until= or its synonym
 * unused-for=, id= as a regular expression, type=), and the space limits. The config file's
 * pruneFilters apply as the docker CLI merges them; its label filters are dropped, as Docker
 * ignores labels for build cache.
 */
export function builderPruneOptions(
  args: Pick<CliArgs, 'all' | 'filters' | 'reservedSpace' | 'maxUsedSpace' | 'minFreeSpace'>,
  now = Date.now() / 1000,
): PruneOptions {
  const rules: BuilderPruneRules = { all: args.all };
  const fromConfig = configPruneFilters().filter((f) => !/^label!?=/.test(f));
  for (const a of [...fromConfig, ...args.filters]) {
    const m = /^(until|unused-for|id|type)=(.+)$/s.exec(a);
    if (!m)
      throw new UsageError(`invalid filter "${a}" (builder prune takes until=, unused-for=, id= and type=)`);
    const [, key, value] = m as unknown as [string, string, string];
    const field = key === 'unused-for' ? 'until' : (key as 'until' | 'id' | 'type');
    if (rules[field] !== undefined) throw new UsageError(`more than one ${field} filter specified`);
    try {
      if (field === 'until') rules.until = parseUntil(value, now);
      else if (field === 'id') {
        new RegExp(value);
        rules.id = value;
      } else rules.type = value;
    } catch (err) {
      throw new UsageError(
        field === 'id' ? `invalid id filter "${value}" (a regular expression)` : (err as Error).message,
      );
    }
  }
  if (args.reservedSpace !== undefined) rules.reservedSpace = args.reservedSpace;
  if (args.maxUsedSpace !== undefined) rules.maxUsedSpace = args.maxUsedSpace;
  if (args.minFreeSpace !== undefined) rules.minFreeSpace = args.minFreeSpace;
  return { all: args.all, volumes: false, builder: rules };
}
