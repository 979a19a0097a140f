// The helper's reclaim op (helper-ops.sh: reclaimone) and its parser: the one place where layertop
// deletes a path on the engine host itself. Only engine/leftovers.ts calls it, with paths it proved
// unreferenced just before; the op checks shape, mounts and age again as it deletes.
import { HelperError, type HelperSession } from './helper-session.js';

/** What the op did with one path. */
export type ReclaimVerdict = 'removed' | 'absent' | 'mounted' | 'young' | 'badpath' | 'nomounts' | 'failed';

const VERDICTS = new Set<string>(['removed', 'absent', 'mounted', 'young', 'badpath', 'nomounts', 'failed']);

/** One word per path, in order; anything else is an error, never a guess. */
export function parseReclaim(out: Buffer, count: number): ReclaimVerdict[] {
  const words = out.toString('latin1').split('\n').filter(Boolean);
  if (words.length !== count || !words.every((w) => VERDICTS.has(w)))
    throw new HelperError(
      `helper reclaim answered ${words.length} of ${count} paths: ${words.join(' ').slice(0, 200)}`,
    );
  return words as ReclaimVerdict[];
}

/**
 * Deletes each path unless it is not under one of `roots` (the data root, containerd's own root),
 * not a leftover's shape, mounted, or changed within `minAgeSeconds`. One request per root: the
 * helper checks each path against the root it was sent with.
 */
export async function reclaimPaths(
  helper: HelperSession,
  paths: readonly string[],
  minAgeSeconds: number,
  roots: readonly string[],
): Promise<ReclaimVerdict[]> {
  const age = Math.max(0, Math.floor(minAgeSeconds));
  const verdicts: ReclaimVerdict[] = paths.map(() => 'badpath');
  // Each path goes with the deepest root that holds it (containerd's root is inside the data
  // root): the op takes the path's place relative to that root exactly.
  const rootOf = (p: string) =>
    [...new Set(roots)].filter((r) => p.startsWith(`${r}/`)).sort((a, b) => b.length - a.length)[0];
  for (const root of new Set(roots)) {
    const mine = paths.map((p, i) => [p, i] as const).filter(([p]) => rootOf(p) === root);
    if (!mine.length) continue;
    const op = `reclaim:${Buffer.from(`${age} ${root}`, 'utf8').toString('base64')}` as const;
    const out = parseReclaim(
      await helper.run(
        op,
        mine.map(([p]) => p),
        600_000,
      ),
      mine.length,
    );
    mine.forEach(([, i], n) => {
      verdicts[i] = out[n] ?? 'failed';
    });
  }
  return verdicts;
}
