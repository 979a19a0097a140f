// Removes ONE planned item through the Engine API, exactly as the preview showed it: by the ID the
// preview showed, after checking that the object is still that object. A tag that now names
// another image, a volume re-created under the same name, an image that gained a tag nobody
// previewed: each is left alone and reported with the reason. Something already gone is "already
// removed", not a failure (another prune, or a person, got there first).

import { chainIds } from '../model/chain-id.js';
import { shortId } from '../model/digest.js';
import type { PlanItem } from '../model/prune-plan.js';
import type { EngineClient } from './docker/docker-client.js';

export type Outcome =
  | { status: 'removed'; notes: string[] }
  | { status: 'already-removed'; notes: string[] }
  | { status: 'skipped'; reason: string; notes: string[] }
  | { status: 'failed'; error: string; notes: string[] };

export interface RemovalEffects {
  /** Image and layer IDs the engine reported as deleted (Docker's own count uses them). */
  deleted: Set<string>;
  buildCacheReclaimed: number;
  /** Every image's parent (`/images/json?all=1`), asked once a run at the first need (childrenOf). */
  parents?: Promise<{ id: string; parent: string }[]>;
}

/**
 * The images made on this one (the classic builder's steps, a `docker commit`) that are still
 * there: the engine refuses to delete an image with such a child. Read once a run; a child this
 * run deleted since no longer counts.
 */
async function childrenOf(client: EngineClient, id: string, fx: RemovalEffects): Promise<string[]> {
  fx.parents ??= (
    client.docker.listImages({ all: true }) as Promise<{ Id: string; ParentId?: string }[]>
  ).then((list) => list.map((i) => ({ id: i.Id, parent: i.ParentId ?? '' })));
  return (await fx.parents).filter((i) => i.parent === id && !fx.deleted.has(i.id)).map((i) => i.id);
}

interface ApiError {
  statusCode?: number;
  json?: { message?: string };
  message?: string;
}

const statusOf = (err: unknown) => (err as ApiError)?.statusCode;

export function errorText(err: unknown): string {
  const e = err as ApiError;
  return (e?.json?.message ?? e?.message ?? String(err)).split('\n')[0] ?? 'error';
}

const short = shortId;
const NONE = new Set(['<none>:<none>', '<none>@<none>']);

/** The image's tags as the engine lists them now (its digest references left out). */
function tagsOf(inspect: { RepoTags?: string[] | null }): string[] {
  return (inspect.RepoTags ?? []).filter((t) => !NONE.has(t));
}

/** GET /images/{ref}/json: the image ID a reference names now, or undefined when it names none. */
async function idOf(client: EngineClient, ref: string): Promise<string | undefined> {
  try {
    const img = (await client.docker.getImage(ref).inspect()) as { Id: string };
    return img.Id;
  } catch (err) {
    if (statusOf(err) === 404) return undefined;
    throw err;
  }
}

/**
 * After a removal failed other than with 404: is the object gone? Another prune removing the same
 * object at the same moment makes the engine fail half-way: the containerd store answers "failed
 * to read config content ... not found" for an image, Docker 28 answers 409 "removal of container
 * ... is already in progress" for a container. The object is asked for a few times over about a
 * second and a half, and only a clean 404 counts as gone.
 */
async function goneMeanwhile(inspect: () => Promise<unknown>): Promise<boolean> {
  for (let attempt = 1; attempt <= 5; attempt++) {
    try {
      await inspect();
    } catch (err) {
      if (statusOf(err) === 404) return true;
    }
    await new Promise((r) => setTimeout(r, 100 * attempt));
  }
  return false;
}

const imageGoneMeanwhile = (client: EngineClient, id: string) =>
  goneMeanwhile(() => client.docker.getImage(id).inspect());

type DeleteRecord = { Untagged?: string; Deleted?: string };

/**
 * `noprune: false` (the image by its ID): Docker then also deletes the untagged parent images it
 * was made on (a `docker commit`'s, the classic builder's steps) that nothing else uses; `docker
 * images` lists none of them and their layers are the image's own, so they are in the prediction.
 * Untags by name use `noprune: true`: a tag that moved in the instant before its untag takes only
 * that image, never its parents too.
 */
async function deleteRef(client: EngineClient, ref: string, noprune = false): Promise<DeleteRecord[]> {
  return ((await client.docker.getImage(ref).remove({ force: false, noprune })) ?? []) as DeleteRecord[];
}

/**
 * An image, exactly: it is removed by its ID. Docker removes an image by ID without force only
 * when at most one tag names it, so the previewed tags beyond one are untagged first, each checked
 * to still name this image the moment before (the engine has no "untag if it still names X"; the
 * window left is the few milliseconds between that check and the untag, and the engine's answer
 * is checked afterwards: an image deleted that is not this one is reported, never hidden).
 */
async function removeImage(client: EngineClient, item: PlanItem, fx: RemovalEffects): Promise<Outcome> {
  const notes: string[] = [];
  let current: { Id: string; RepoTags?: string[] | null; RootFS?: { Layers?: string[] | null } | null };
  try {
    current = (await client.docker.getImage(item.id).inspect()) as typeof current;
  } catch (err) {
    if (statusOf(err) === 404) return { status: 'already-removed', notes };
    throw err;
  }
  const planned = (item.refs ?? []).filter((r) => r !== item.id);
  const now = tagsOf(current);
  const unseen = now.filter((t) => !planned.includes(t));
  if (unseen.length)
    return {
      status: 'skipped',
      reason: `it gained ${unseen.length > 1 ? 'tags' : 'the tag'} ${unseen.join(', ')} since the preview`,
      notes,
    };
  // An image made on this one stays (an image's children are the classic builder's steps or a
  // commit, hidden from docker images when untagged): the delete by ID would be refused, and the
  // untags before it would have taken the other tags for nothing.
  if (now.length > 1) {
    const kids = await childrenOf(client, item.id, fx);
    if (kids.length)
      return {
        status: 'failed',
        error: `image ${short(kids[0] as string)}${kids.length > 1 ? ` and ${kids.length - 1} more` : ''} ${kids.length > 1 ? 'are' : 'is'} made on it (by the classic builder or docker commit), and the engine refuses to delete such an image; its tags were left as they are`,
        notes,
      };
  }
  for (const t of planned.filter((p) => !now.includes(p))) {
    const other = await idOf(client, t);
    notes.push(
      other
        ? `tag ${t} now names image ${short(other)}: left alone`
        : `tag ${t} was removed by someone else meanwhile`,
    );
  }
  // All but the last tag by name, each checked first; the last goes with the image, by ID. While
  // another tag still names this image an untag deletes nothing: anything the engine reports
  // deleted means the tag moved in the instant between the check and the untag.
  const collateral: string[] = [];
  const check = (t: string, records: DeleteRecord[]) => {
    const deleted = records.filter((r) => r.Deleted).map((r) => r.Deleted as string);
    for (const d of deleted) fx.deleted.add(d);
    if (deleted.length)
      collateral.push(
        `tag ${t} moved during its removal and the engine deleted image ${short(deleted[0] as string)}`,
      );
  };
  // The tags already taken off: a removal that fails after them says so (the image stays, with
  // fewer tags than the preview showed).
  const untagged: string[] = [];
  const failedAfter = (err: unknown): Outcome => ({
    status: 'failed',
    error: [...collateral, errorText(err)].join('; '),
    notes: untagged.length ? [...notes, `untagged ${untagged.join(', ')} before the failure`] : notes,
  });
  // Gone by someone else's hand after this run's untags: what those deleted is still said.
  const goneAfter = (): Outcome =>
    collateral.length
      ? { status: 'failed', error: `removed meanwhile, but ${collateral.join('; ')}`, notes }
      : { status: 'already-removed', notes };
  for (const t of now.slice(0, -1)) {
    let owner: string | undefined;
    try {
      owner = await idOf(client, t);
    } catch (err) {
      return failedAfter(err);
    }
    if (owner !== item.id) {
      notes.push(`tag ${t} moved to another image just before its removal: left alone`);
      continue;
    }
    let records: DeleteRecord[];
    try {
      records = await deleteRef(client, t, true);
    } catch (err) {
      // Someone untagged it between the check and the untag: the image is still there.
      if (statusOf(err) === 404) {
        notes.push(`tag ${t} was removed by someone else meanwhile`);
        continue;
      }
      return failedAfter(err);
    }
    untagged.push(t);
    check(t, records);
  }
  // The tag loop took a while: a tag added meanwhile (or the image gone) is seen now, not taken
  // along by the delete below (Docker deletes an image with one tag by its ID, tag and all).
  if (now.length > 1) {
    let after: { RepoTags?: string[] | null };
    try {
      after = (await client.docker.getImage(item.id).inspect()) as typeof after;
    } catch (err) {
      if (statusOf(err) === 404) return goneAfter();
      return failedAfter(err);
    }
    const added = tagsOf(after).filter((t) => !planned.includes(t));
    if (added.length) {
      const why = `it gained ${added.length > 1 ? 'tags' : 'the tag'} ${added.join(', ')} during its removal`;
      const took = untagged.length ? [`untagged ${untagged.join(', ')} before that`] : [];
      // An untag that deleted another image is a failure whatever else happened.
      if (collateral.length)
        return { status: 'failed', error: [why, ...collateral].join('; '), notes: [...notes, ...took] };
      return { status: 'skipped', reason: why, notes: [...notes, ...took] };
    }
  }
  try {
    const records = await deleteRef(client, item.id);
    for (const r of records) if (r.Deleted) fx.deleted.add(r.Deleted);
    // Besides the image and its layers: the parents Docker took with it, said (never hidden).
    const own = new Set([item.id, ...chainIds(current.RootFS?.Layers ?? [])]);
    const parents = records.map((r) => r.Deleted).filter((d): d is string => !!d && !own.has(d));
    if (parents.length)
      notes.push(
        `the engine also deleted ${parents.length > 1 ? `${parents.length} untagged parent images` : 'its untagged parent image'} ${parents.map(short).join(', ')}, which docker images does not list (${parents.length > 1 ? 'their' : 'its'} layers are this image's)`,
      );
  } catch (err) {
    if (statusOf(err) === 404 || (await imageGoneMeanwhile(client, item.id))) return goneAfter();
    return failedAfter(err);
  }
  if (collateral.length) return { status: 'failed', error: `removed, but ${collateral.join('; ')}`, notes };
  return { status: 'removed', notes };
}

async function removeVolume(client: EngineClient, item: PlanItem): Promise<Outcome> {
  const notes: string[] = [];
  const vol = client.docker.getVolume(item.id);
  if (item.created !== undefined) {
    try {
      const now = (await vol.inspect()) as { CreatedAt?: string };
      const created = now.CreatedAt ? Math.floor(Date.parse(now.CreatedAt) / 1000) : undefined;
      if (created !== undefined && created !== item.created)
        return {
          status: 'skipped',
          reason: 'a volume of that name was created again since the preview',
          notes,
        };
    } catch (err) {
      if (statusOf(err) === 404) return { status: 'already-removed', notes };
      throw err;
    }
  }
  await vol.remove();
  return { status: 'removed', notes };
}

interface BuildPruneAnswer {
  SpaceReclaimed?: number;
  CachesDeleted?: string[] | null;
}

function buildPrune(client: EngineClient, options: Record<string, unknown>): Promise<BuildPruneAnswer> {
  return new Promise<BuildPruneAnswer>((resolve, reject) => {
    client.docker.modem.dial(
      {
        path: '/build/prune?',
        method: 'POST',
        options,
        statusCodes: { 200: true, 400: 'bad parameter', 500: 'server error' },
      },
      (err: unknown, data: unknown) => (err ? reject(err) : resolve((data ?? {}) as BuildPruneAnswer)),
    );
  });
}

/** Records per request: BuildKit takes one id filter, a regular expression; this keeps it short. */
const RECORDS_PER_REQUEST = 200;

/**
 * The build cache item. With records (every plan layertop makes now): exactly those, by ID, as an
 * anchored alternation in BuildKit's one id filter (an unanchored regular expression), with all=1
 * so shared records can go; BuildKit removes children before parents within a request, and the
 * plan lists children first, so the requests go in its order. A record the engine did not delete
 * (used by a build that started meanwhile) is reported. Without records (the scan had none to
 * name: the engine listed no records): all of it, as `docker builder prune -a` does; a plan
 * file's item without records never gets here (planApply leaves it alone).
 */
async function pruneBuildCache(client: EngineClient, item: PlanItem, fx: RemovalEffects): Promise<Outcome> {
  if (!item.records) {
    const res = await buildPrune(client, { all: true });
    fx.buildCacheReclaimed += res.SpaceReclaimed ?? 0;
    return { status: 'removed', notes: [] };
  }
  // Every ID checked before the first request: a bad one must not leave a half-done removal.
  if (item.records.some((id) => !/^[a-z0-9]+$/.test(id)))
    throw new Error('a build-cache record ID that is not one');
  const deleted = new Set<string>();
  for (let i = 0; i < item.records.length; i += RECORDS_PER_REQUEST) {
    const ids = item.records.slice(i, i + RECORDS_PER_REQUEST);
    const res = await buildPrune(client, {
      all: true,
      filters: JSON.stringify({ id: [`^(${ids.join('|')})$`] }),
    });
    fx.buildCacheReclaimed += res.SpaceReclaimed ?? 0;
    for (const id of res.CachesDeleted ?? []) deleted.add(id);
  }
  const missed = item.records.filter((id) => !deleted.has(id));
  // The filter is the engine's to apply: a record it deleted beyond the list is said, never hidden
  // (an engine that ignored the filter would have emptied the cache).
  const asked = new Set(item.records);
  const beyond = [...deleted].filter((id) => !asked.has(id));
  const listed = (ids: string[]) => `${ids.slice(0, 5).join(', ')}${ids.length > 5 ? ', ...' : ''}`;
  if (beyond.length)
    return {
      status: 'failed',
      error: `removed, but the engine also deleted ${beyond.length} record${beyond.length > 1 ? 's' : ''} not in the plan: ${listed(beyond)}`,
      notes: missed.length ? [`${missed.length} of ${item.records.length} records stayed`] : [],
    };
  if (missed.length === item.records.length)
    return { status: 'skipped', reason: 'no record was removed (in use, or already gone)', notes: [] };
  return {
    status: 'removed',
    notes: missed.length
      ? [
          `${missed.length} of ${item.records.length} records stayed (in use, or already gone): ${listed(missed)}`,
        ]
      : [],
  };
}

/** Removes one item; never forces, never throws (the outcome says what happened). */
export async function removeItem(client: EngineClient, item: PlanItem, fx: RemovalEffects): Promise<Outcome> {
  try {
    switch (item.kind) {
      case 'container':
        // By full ID: a container created since under the same name has another ID.
        await client.docker.getContainer(item.id).remove({ v: false, force: false });
        return { status: 'removed', notes: [] };
      case 'network':
        await client.docker.getNetwork(item.id).remove();
        return { status: 'removed', notes: [] };
      case 'volume':
        return await removeVolume(client, item);
      case 'image':
        return await removeImage(client, item, fx);
      case 'build-cache':
        return await pruneBuildCache(client, item, fx);
    }
  } catch (err) {
    if (statusOf(err) === 404) return { status: 'already-removed', notes: [] };
    const inspect =
      item.kind === 'image'
        ? () => client.docker.getImage(item.id).inspect()
        : item.kind === 'container'
          ? () => client.docker.getContainer(item.id).inspect()
          : undefined;
    if (inspect && (await goneMeanwhile(inspect))) return { status: 'already-removed', notes: [] };
    return { status: 'failed', error: errorText(err), notes: [] };
  }
}
