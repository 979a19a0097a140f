// The graph driver's image list (GET /images/json) proven unchanged from the image store's own
// files, so that a warm scan answers it from memory instead of asking the engine: at 1,300 images
// the engine's answer took 140-180 ms of its CPU, beside the scan's own work on two cores.
import type { ApiDfImage } from '../docker/api-types.js';
import { parseList, stampTime } from '../helper/helper-read.js';
import type { HelperSession } from '../helper/helper-session.js';
import type { ImageListStamp } from './backend.js';
import { familiarName } from './containerd-meta.js';

const ID = /^[0-9a-f]{64}$/;

/**
 * Each image's tags as the reference store's file (image/overlay2/repositories.json) records
 * them: `{"Repositories": {"<name>": {"<name>:<tag>" | "<name>@<digest>": "<image ID>"}}}`.
 * Digest references are not tags. Undefined where the file is not that shape.
 */
export function tagsByImage(repositories: Buffer | undefined): Map<string, string[]> | undefined {
  const out = new Map<string, string[]>();
  // No file: no reference yet (an engine that never tagged an image).
  if (!repositories) return out;
  let doc: unknown;
  try {
    doc = JSON.parse(repositories.toString('utf8'));
  } catch {
    return undefined;
  }
  const repos = (doc as { Repositories?: unknown } | null)?.Repositories;
  if (typeof repos !== 'object' || repos === null || Array.isArray(repos)) return undefined;
  for (const refs of Object.values(repos)) {
    if (typeof refs !== 'object' || refs === null || Array.isArray(refs)) return undefined;
    for (const [ref, id] of Object.entries(refs)) {
      if (typeof id !== 'string') return undefined;
      if (ref.includes('@')) continue;
      const tags = out.get(id);
      if (tags) tags.push(familiarName(ref));
      else out.set(id, [familiarName(ref)]);
    }
  }
  return out;
}

/**
 * Each image of the store (one config per image in imagedb/content/sha256, named by its digest)
 * with its tags (tagsByImage), untagged ones with none; undefined where repositories.json cannot
 * be read as the reference store writes it.
 */
export function overlay2ListTargets(
  repositories: Buffer | undefined,
  contentIds: readonly string[],
): Map<string, string[]> | undefined {
  const tags = tagsByImage(repositories);
  if (!tags) return undefined;
  const targets = new Map<string, string[]>();
  for (const id of contentIds) targets.set(`sha256:${id}`, tags.get(`sha256:${id}`) ?? []);
  return targets;
}

/**
 * Whether an image list answer is one this state makes: each listed image in the store once, with
 * exactly the tags the reference store gives it, and every image not listed untagged (the list
 * leaves out untagged images with children: the legacy builder's intermediate images). A tag of
 * an image the store does not hold fails too.
 */
export function overlay2ListMatches(
  images: readonly Pick<ApiDfImage, 'Id' | 'RepoTags'>[],
  targets: ReadonlyMap<string, readonly string[]>,
): boolean {
  const seen = new Set<string>();
  for (const img of images) {
    const tags = targets.get(img.Id);
    if (!tags || seen.has(img.Id)) return false;
    seen.add(img.Id);
    const listed = (img.RepoTags ?? []).filter((t) => t !== '<none>:<none>').sort();
    const known = [...tags].sort();
    if (listed.length !== known.length || listed.some((t, i) => t !== known[i])) return false;
  }
  for (const [id, tags] of targets) if (!seen.has(id) && tags.length) return false;
  return true;
}

/** How long the stamped state must have stood still before a list is remembered with it. */
const SETTLED_S = 2;

/**
 * The stamp: one `stat` of repositories.json (the reference store rewrites it whole, through a
 * new file, at every tag change) and of the config and metadata directories (an image's coming or
 * going changes them). Its fingerprint proves a remembered list on its own (one small request: the
 * files' contents took 130-160 ms to read beside a warm scan at scale); `matches`, asked only
 * before a list is remembered, reads the contents (overlay2ListMatches). A change in the clock
 * tick of the stamp's own reading could leave the stamp as it was: a stamp is `settled` only when
 * everything in it is SETTLED_S older than the engine host's clock, read in the same `stat` as the
 * change time of `/proc/self/` (the stat's own process directory, made as it is looked up: the
 * clock file times are taken from, also in a VM whose clock is not this machine's). Without that
 * (a helper whose /proc is not its own) nothing is settled, and nothing remembered. Not in the
 * stamp: a `parent` rewritten for an image that already exists (moby writes it when it creates
 * the image, and a config that is the same again, creation time and all, is the only way to reach
 * it); it changes which untagged images the list hides.
 */
export async function overlay2ImageListStamp(
  helper: HelperSession,
  dataRoot: string,
): Promise<ImageListStamp | undefined> {
  const base = `${dataRoot}/image/overlay2`;
  const content = `${base}/imagedb/content/sha256`;
  const metaDir = `${base}/imagedb/metadata/sha256`;
  const [repos, contentDir, meta, clock] = await helper.statFiles([
    `${base}/repositories.json`,
    content,
    metaDir,
    '/proc/self/',
  ]);
  // No config directory: not a graph driver store this reads (or not one yet): nothing to prove.
  if (!contentDir) return undefined;
  const stats = [repos, contentDir, meta];
  const newest = Math.max(...stats.map((st) => (st ? Number(stampTime(st.ctime)) : 0)));
  const now = clock ? Number(stampTime(clock.ctime)) : Number.NaN;
  return {
    fingerprint: `overlay2/1|${stats.map((st) => (st ? `${st.dev}:${st.ino}:${st.nlink}:${st.size}:${stampTime(st.ctime)}` : '-')).join('|')}`,
    provenByFingerprint: true,
    settled: Number.isFinite(newest) && Number.isFinite(now) && newest < now - SETTLED_S,
    ...(Number.isFinite(newest) && Number.isFinite(now) ? { stillMs: (now - newest) * 1000 } : {}),
    matches: async (images) => {
      const [[repositories], listed] = await Promise.all([
        helper.readFiles([`${base}/repositories.json`]),
        helper.run('liststat', ['/', content]),
      ]);
      const [contentList] = parseList(listed.subarray(listed.indexOf(0x0a) + 1));
      const contentIds = (contentList ?? []).map((e) => e.toString('latin1').replace(/^\.\//, ''));
      // Anything but image IDs there (a file being written): a state this does not know.
      if (!contentIds.every((n) => ID.test(n))) return false;
      const targets = overlay2ListTargets(repositories, contentIds);
      return targets !== undefined && overlay2ListMatches(images, targets);
    },
  };
}
