import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { type PruneOptions, parseFilters } from '../model/prune-plan.js';
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
