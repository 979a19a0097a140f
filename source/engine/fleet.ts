// Several engines at once (a fleet): which ones, and running one task per engine with a limit,
// each through its own transport and helper, so one engine down or refusing never hides the others.
import { readdirSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { resolveEndpoint } from './docker/endpoint.js';

export interface FleetTarget {
  host?: string;
  context?: string;
}

/** Every context the docker CLI knows ("default" first, as `docker context ls` lists it). */
export function allContexts(env: NodeJS.ProcessEnv = process.env): string[] {
  const dir = join(env.DOCKER_CONFIG || join(homedir(), '.docker'), 'contexts', 'meta');
  const names: string[] = [];
  let entries: string[] = [];
  try {
    entries = readdirSync(dir);
  } catch {
    // No contexts made: only the default one.
  }
  for (const e of entries) {
    try {
      const meta = JSON.parse(readFileSync(join(dir, e, 'meta.json'), 'utf8')) as { Name?: unknown };
      if (typeof meta.Name === 'string' && meta.Name) names.push(meta.Name);
    } catch {
      // Not a context directory.
    }
  }
  return ['default', ...names.filter((n) => n !== 'default').sort()];
}

/** The targets of a command line: its -H and --context values, "all" expanded, duplicates once. */
export function fleetTargets(
  listed: readonly FleetTarget[],
  withAllContexts: boolean,
  env: NodeJS.ProcessEnv = process.env,
): FleetTarget[] {
  const out: FleetTarget[] = [...listed];
  if (withAllContexts) for (const c of allContexts(env)) out.push({ context: c });
  const seen = new Set<string>();
  return out.filter((t) => {
    const key = t.context !== undefined ? `c:${t.context}` : `h:${t.host}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** What a fleet entry is called: the context's name, or the host. */
export const targetLabel = (t: FleetTarget): string => t.context ?? t.host ?? 'default';

/** Runs `task` for every item, at most `limit` at a time; results in the items' order. */
export async function eachLimited<T, R>(
  items: readonly T[],
  limit: number,
  task: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await task(items[i] as T, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/**
 * Closes an engine's session, waiting at most `ms`: an engine that froze would hold the removal
 * of its helper forever, and a fleet must go on (the helper still goes by itself: its stdin closes
 * with this process, and the engine removes it once it answers again).
 */
export async function closeWithin(
  session: { close: () => Promise<void> } | undefined,
  ms = 5_000,
): Promise<void> {
  if (!session) return;
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    session.close().catch(() => undefined),
    new Promise<void>((res) => {
      timer = setTimeout(res, ms);
      timer.unref();
    }),
  ]);
  clearTimeout(timer);
}

/** The host a target resolves to (a context's endpoint), or '' when it cannot be resolved. */
export function targetHost(t: FleetTarget, env: NodeJS.ProcessEnv = process.env): string {
  try {
    return resolveEndpoint({ host: t.host, context: t.context, env }).host;
  } catch {
    return t.host ?? '';
  }
}
