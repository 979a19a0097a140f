// The plan file: what `layertop prune --dry-run --json` prints is a plan that `prune --apply FILE`
// applies exactly (review, then apply, as with `terraform plan -out` / `apply`). It names the
// engine it was made for, the rules (options) it was made with, and every item by its ID.
import { readFileSync } from 'node:fs';
import type { ApiInfo } from '../engine/docker/api-types.js';
import type { ItemKind, PlanItem, PruneOptions, PrunePlan } from '../model/prune-plan.js';
import { UsageError } from './args.js';
import { jsonErrorText } from './json-error.js';
import { planJson } from './prune-text.js';

export const PLAN_FORMAT = 'layertop-prune-plan/1';

export interface PlanEngine {
  host: string;
  /** The engine's own ID (`docker info` ID): a plan applies to that engine only. */
  id: string | null;
  name: string | null;
  dataRoot: string;
}

export interface PlanFile {
  format: string;
  createdAt: string;
  engine: PlanEngine;
  options: PruneOptions;
  items: PlanItem[];
}

export function planEngine(host: string, info: ApiInfo): PlanEngine {
  return { host, id: info.ID ?? null, name: info.Name ?? null, dataRoot: info.DockerRootDir };
}

/** The JSON of a dry run: the plan as before, plus what applying it needs. */
export function planFileJson(plan: PrunePlan, engine: PlanEngine, options: PruneOptions) {
  return {
    format: PLAN_FORMAT,
    createdAt: new Date().toISOString(),
    engine,
    options,
    ...planJson(plan),
  };
}

const KINDS: ReadonlySet<string> = new Set(['container', 'network', 'volume', 'image', 'build-cache']);

function bad(path: string, why: string): never {
  throw new UsageError(
    `${path} is not a layertop plan (${why}); make one with \`layertop prune --dry-run --json > FILE\``,
  );
}

function item(path: string, raw: unknown, kind: ItemKind): PlanItem {
  const r = raw as Record<string, unknown>;
  if (typeof r !== 'object' || r === null || typeof r.id !== 'string' || !r.id)
    bad(path, `a ${kind} without an id`);
  if (r.kind !== undefined && r.kind !== kind) bad(path, `a ${String(r.kind)} among the ${kind}s`);
  const refs = Array.isArray(r.refs) ? r.refs.filter((x): x is string => typeof x === 'string') : undefined;
  const records = Array.isArray(r.records)
    ? r.records.filter((x): x is string => typeof x === 'string')
    : undefined;
  return {
    kind,
    id: r.id,
    name: typeof r.name === 'string' ? r.name : r.id,
    diskBytes: typeof r.diskBytes === 'number' ? r.diskBytes : 0,
    dockerBytes: typeof r.dockerBytes === 'number' ? r.dockerBytes : 0,
    ...(refs ? { refs } : {}),
    ...(records && kind === 'build-cache' ? { records } : {}),
    ...(typeof r.created === 'number' ? { created: r.created } : {}),
  };
}

/** Reads and checks a plan file; a file that is not one is a usage error, never a partial apply. */
export function readPlanFile(path: string): PlanFile {
  return parsePlanFile(path, readPlanJson(path));
}

/** The file's JSON, or a usage error naming the file. */
export function readPlanJson(path: string): unknown {
  try {
    return JSON.parse(readFileSync(path === '-' ? 0 : path, 'utf8'));
  } catch (err) {
    return bad(path, jsonErrorText(err));
  }
}

/** One engine's plan (a whole file, or one engine's part of a fleet plan). */
export function parsePlanFile(path: string, raw: unknown): PlanFile {
  const f = raw as Record<string, unknown>;
  if (f?.format !== PLAN_FORMAT) bad(path, `format is not ${PLAN_FORMAT}`);
  const engine = f.engine as PlanEngine | undefined;
  if (!engine || typeof engine.dataRoot !== 'string') bad(path, 'no engine');
  const options = f.options as PruneOptions | undefined;
  if (!options || typeof options.all !== 'boolean' || typeof options.volumes !== 'boolean')
    bad(path, 'no options');
  const plan = f.plan as Record<string, unknown> | undefined;
  if (!plan) bad(path, 'no plan');
  const items: PlanItem[] = [];
  for (const [field, kind] of [
    ['containers', 'container'],
    ['networks', 'network'],
    ['volumes', 'volume'],
    ['images', 'image'],
  ] as const) {
    const list = plan[field] ?? [];
    if (!Array.isArray(list)) bad(path, `${field} is not a list`);
    for (const x of list) items.push(item(path, x, kind));
  }
  if (plan.buildCache) items.push(item(path, plan.buildCache, 'build-cache'));
  for (const i of items) if (!KINDS.has(i.kind)) bad(path, `unknown kind ${i.kind}`);
  return {
    format: PLAN_FORMAT,
    createdAt: typeof f.createdAt === 'string' ? f.createdAt : '',
    engine,
    options,
    items,
  };
}

/**
 * A plan applies to the engine it was made for: the same engine ID. An engine's ID does not come
 * and go, so a plan with one and an engine without (or the other way) are two engines. Where
 * neither has one, the data root alone matched almost every engine (/var/lib/docker) and image
 * IDs are the same everywhere: the engine's name and its address must match too.
 */
export function checkPlanEngine(file: PlanFile, host: string, info: ApiInfo): void {
  const fileId = file.engine.id || undefined;
  const engineId = info.ID || undefined;
  const same =
    fileId || engineId
      ? fileId === engineId
      : file.engine.dataRoot === info.DockerRootDir &&
        (file.engine.name ?? null) === (info.Name ?? null) &&
        file.engine.host === host;
  if (!same)
    throw new UsageError(
      `the plan was made for the engine ${file.engine.name ?? '?'} (${file.engine.id ?? file.engine.dataRoot}, ${file.engine.host}), ` +
        `not this one (${info.Name ?? '?'}, ${info.ID ?? info.DockerRootDir}, ${host}); nothing was deleted`,
    );
}
