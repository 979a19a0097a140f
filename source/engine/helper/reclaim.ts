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

/** Deletes each path unless it is mounted, changed within `minAgeSeconds`, or not a leftover's shape. */
export async function reclaimPaths(
  helper: HelperSession,
  paths: readonly string[],
  minAgeSeconds: number,
): Promise<ReclaimVerdict[]> {
  if (!paths.length) return [];
  const age = Math.max(0, Math.floor(minAgeSeconds));
  return parseReclaim(await helper.run(`reclaim:${age}`, paths, 600_000), paths.length);
}
