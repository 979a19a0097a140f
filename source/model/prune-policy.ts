// Cleanup policies on `layertop prune`: rules a nightly job can run, on top of Docker's prune.
// Pure: it decides on a scan model.
//
// - --keep-last N: per repository, the images of its N newest tags stay (newest by the image's
//   creation time, then by when the tag last moved, then by tag name);
// - --unused-for D: an image stays while it was used within D. "Used" is what the engine records:
//   the image was created, a tag moved onto it (pull, build, docker tag: LastTagTime), or a
//   container that still exists was created from it. Docker keeps no record of containers that are
//   gone, so a container run and removed leaves no trace of the use;
// - with either rule, a tagged image goes when no rule keeps it (so "--keep-last 3 --unused-for
//   30d" keeps the newest 3 of each repository and anything used in the last 30 days); an image
//   a remaining container uses always stays, and dangling images go as with a plain prune;
// - --protect label=K[=V]: whatever carries the label (container, image, volume, network) stays,
//   whatever the rule; build-cache records have no labels;
// - --cache-budget SIZE: the build cache is cut to SIZE on disk, least recently used first
//   (model/build-cache.ts selectCacheBudget); without it the cache goes as with a plain prune.
import type { ImageInput } from './types.js';

export interface PrunePolicy {
  keepLast?: number;
  /** Seconds. */
  unusedFor?: number;
  /** K or K=V. */
  protect?: string[];
  /** Bytes on disk the build cache may keep. */
  cacheBudget?: number;
}

/** Does any image rule apply (then tagged images are chosen by the rules, not by -a)? */
export const hasImageRules = (p: PrunePolicy | undefined): boolean =>
  p !== undefined && (p.keepLast !== undefined || p.unusedFor !== undefined);

/** label=K or label=K=V as Docker's filters take it: the key present, with that value if given. */
export function labelMatches(labels: Record<string, string> | undefined, expr: string): boolean {
  const eq = expr.indexOf('=');
  const key = eq < 0 ? expr : expr.slice(0, eq);
  if (!labels || !(key in labels)) return false;
  return eq < 0 || labels[key] === expr.slice(eq + 1);
}

/** The protecting label expression an object carries, if any. */
export function protectedBy(
  labels: Record<string, string> | undefined,
  policy: PrunePolicy | undefined,
): string | undefined {
  return policy?.protect?.find((p) => labelMatches(labels, p));
}

/** A tag's repository: everything before the last ":" after the last "/" (a registry port stays). */
export function repositoryOf(tag: string): string {
  const slash = tag.lastIndexOf('/');
  const colon = tag.lastIndexOf(':');
  return colon > slash ? tag.slice(0, colon) : tag;
}

/** Images that --keep-last keeps: those with a tag among the N newest of its repository. */
export function keptByKeepLast(images: readonly ImageInput[], n: number): Map<string, string> {
  const byRepo = new Map<string, { tag: string; img: ImageInput }[]>();
  for (const img of images)
    for (const tag of img.tags) {
      const repo = repositoryOf(tag);
      byRepo.set(repo, [...(byRepo.get(repo) ?? []), { tag, img }]);
    }
  const kept = new Map<string, string>();
  for (const [repo, tags] of byRepo) {
    tags.sort(
      (a, b) =>
        b.img.created - a.img.created ||
        (b.img.lastTagged ?? 0) - (a.img.lastTagged ?? 0) ||
        (a.tag < b.tag ? 1 : -1),
    );
    tags.slice(0, n).forEach(({ tag, img }, i) => {
      if (!kept.has(img.id)) kept.set(img.id, `${tag} is among the ${n} newest of ${repo} (#${i + 1})`);
    });
  }
  return kept;
}

/** When the image was last used, as far as the engine records it, and what says so. */
export function lastUse(
  img: ImageInput,
  containers: readonly { imageId: string; created: number; name: string }[],
): { at: number; basis: string } {
  let at = img.created;
  let basis = 'created';
  if ((img.lastTagged ?? 0) > at) {
    at = img.lastTagged as number;
    basis = 'tagged';
  }
  for (const c of containers)
    if (c.imageId === img.id && c.created > at) {
      at = c.created;
      basis = `container ${c.name} created`;
    }
  return { at, basis };
}
