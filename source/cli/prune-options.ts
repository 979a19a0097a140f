import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { BuilderPruneRules } from '../model/build-cache.js';
import { parseAge } from '../model/leftovers.js';
import { type PruneOptions, parseFilters, parseUntil } from '../model/prune-plan.js';
import type { PrunePolicy } from '../model/prune-policy.js';
import { type CliArgs, parseSpace, UsageError } from './args.js';
import { jsonErrorText } from './json-error.js';

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

type PolicyArgs = Partial<
  Pick<CliArgs, 'keepLast' | 'unusedForSeconds' | 'protect' | 'cacheBudget' | 'policyFile'>
>;

export function pruneOptions(
  args: Pick<CliArgs, 'all' | 'volumes' | 'filters'> & PolicyArgs,
  now = Date.now() / 1000,
): PruneOptions {
  if (args.policyFile !== undefined) return policyFileOptions(args.policyFile, now);
  const policy: PrunePolicy = {
    ...(args.keepLast !== undefined ? { keepLast: args.keepLast } : {}),
    ...(args.unusedForSeconds !== undefined ? { unusedFor: args.unusedForSeconds } : {}),
    ...(args.protect?.length ? { protect: args.protect } : {}),
    ...(args.cacheBudget !== undefined ? { cacheBudget: args.cacheBudget } : {}),
  };
  try {
    return {
      all: args.all,
      volumes: args.volumes,
      filters: parseFilters([...configPruneFilters(), ...args.filters], now),
      ...(Object.keys(policy).length ? { policy } : {}),
    };
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

/**
 * `--policy FILE`: the same rules as the flags, as JSON, so a nightly job runs one reviewed file:
 * {"all": false, "volumes": true, "filters": ["until=240h"], "keepLast": 3, "unusedFor": "30d",
 *  "protect": ["label=keep"], "cacheBudget": "10g"}. Every field is optional; an unknown field is
 * refused (a misspelt rule must not silently become no rule).
 */
export function policyFileOptions(path: string, now = Date.now() / 1000): PruneOptions {
  const fail = (why: string): never => {
    throw new UsageError(`${path}: ${why}`);
  };
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path === '-' ? 0 : path, 'utf8'));
  } catch (err) {
    fail(`not a policy file (${jsonErrorText(err)})`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    fail('a policy file holds one JSON object');
  const f = raw as Record<string, unknown>;
  const known = ['all', 'volumes', 'filters', 'keepLast', 'unusedFor', 'protect', 'cacheBudget'];
  const unknown = Object.keys(f).find((k) => !known.includes(k));
  if (unknown) fail(`unknown rule "${unknown}" (a policy file takes ${known.join(', ')})`);
  const strings = (k: string): string[] => {
    const v = f[k] ?? [];
    if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) fail(`${k} is a list of strings`);
    return v as string[];
  };
  const bool = (k: string): boolean => {
    if (f[k] !== undefined && typeof f[k] !== 'boolean') fail(`${k} is true or false`);
    return f[k] === true;
  };
  const keepLast = f.keepLast;
  if (keepLast !== undefined && !(Number.isInteger(keepLast) && (keepLast as number) >= 0))
    fail('keepLast is a whole number');
  let unusedFor: number | undefined;
  if (f.unusedFor !== undefined) {
    unusedFor = typeof f.unusedFor === 'string' ? parseAge(f.unusedFor) : undefined;
    if (unusedFor === undefined) fail('unusedFor is a duration such as "30d"');
  }
  const protect = strings('protect').map(
    (p) => /^label=(.+)$/s.exec(p)?.[1] ?? fail(`protect takes "label=K[=V]", not "${p}"`),
  );
  let cacheBudget: number | undefined;
  if (f.cacheBudget !== undefined) {
    if (typeof f.cacheBudget === 'number') cacheBudget = f.cacheBudget;
    else if (typeof f.cacheBudget === 'string') cacheBudget = parseSpace('cache-budget', f.cacheBudget);
    else fail('cacheBudget is a size such as "10g" or a number of bytes');
  }
  const all = bool('all');
  if (all && (keepLast !== undefined || unusedFor !== undefined))
    fail('keepLast and unusedFor choose which tagged images go; "all" would remove them all');
  const policy: PrunePolicy = {
    ...(keepLast !== undefined ? { keepLast: keepLast as number } : {}),
    ...(unusedFor !== undefined ? { unusedFor } : {}),
    ...(protect.length ? { protect } : {}),
    ...(cacheBudget !== undefined ? { cacheBudget } : {}),
  };
  try {
    return {
      all,
      volumes: bool('volumes'),
      filters: parseFilters([...configPruneFilters(), ...strings('filters')], now),
      ...(Object.keys(policy).length ? { policy } : {}),
    };
  } catch (err) {
    return fail((err as Error).message);
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
