// BuildKit's cache records as a tree, and which of them a `docker builder prune` (with its filters
// and space limits) or a size budget removes. Pure: it works on the records of a scan.
//
// The rules are BuildKit's own (cache/manager.go, v0.13 in Docker 26.1 and v0.25 in Docker 28.5):
// - a record in use is never removed; without --all neither is a shared one (its layers are an
//   image's), nor an `internal` or `frontend` one;
// - a record goes only after all its children: each child holds a reference on its parent, and
//   BuildKit repeats its pass until nothing more goes;
// - `until` keeps a record last used after the cut-off; `id` is an unanchored regular expression,
//   `type` an exact match (moby's builder translates them so);
// - with a space limit BuildKit removes one record at a time, least recently and least often used
//   first, until the cache (its records that are not shared, in use or not) is under the limit.
// layertop then removes exactly the records it showed, by ID (engine/prune-remove.ts), so what
// the preview says is what goes even if a build ran meanwhile.
import type { BuildCacheRecord } from './types.js';

export interface BuilderPruneRules {
  /** --all: shared, internal and frontend records too. */
  all: boolean;
  /** until=: only records last used before this time (seconds since the epoch). */
  until?: number;
  /** id=: an unanchored regular expression on the record's ID, as BuildKit matches it. */
  id?: string;
  /** type=: the record type, exactly. */
  type?: string;
  /** Space limits in bytes (Docker's --keep-storage is reservedSpace). */
  reservedSpace?: number;
  maxUsedSpace?: number;
  minFreeSpace?: number;
  /** Free bytes of the file system holding BuildKit's state (statfs f_bfree), for minFreeSpace. */
  freeBytes?: number;
  /**
   * How BuildKit ranks records under a space limit: 'scaled' from BuildKit 0.22 (Docker 28.2, API
   * 1.50) on, 'plain' before (see deletionOrder).
   */
  ranking?: 'plain' | 'scaled';
}

export interface BuilderSelection {
  /** Record IDs in removal order (children before parents). */
  remove: string[];
  kept: { id: string; reason: string }[];
}

/** Records by ID with their children (records whose parents name them). */
export function childrenOf(records: readonly BuildCacheRecord[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const r of records) for (const p of r.parents) out.set(p, [...(out.get(p) ?? []), r.id]);
  return out;
}

export interface CacheTreeRow {
  record: BuildCacheRecord;
  depth: number;
}

/** Depth-first rows, roots first; siblings by `order` (default: larger disk bytes, then size). */
export function cacheTree(
  records: readonly BuildCacheRecord[],
  order: (a: BuildCacheRecord, b: BuildCacheRecord) => number = bySize,
): CacheTreeRow[] {
  const byId = new Map(records.map((r) => [r.id, r]));
  const kids = childrenOf(records);
  const rows: CacheTreeRow[] = [];
  const seen = new Set<string>();
  const visit = (r: BuildCacheRecord, depth: number) => {
    if (seen.has(r.id)) return;
    seen.add(r.id);
    rows.push({ record: r, depth });
    const children = (kids.get(r.id) ?? []).map((id) => byId.get(id)).filter((c) => c !== undefined);
    for (const c of children.sort(order)) visit(c, depth + 1);
  };
  // A record whose parents are all unlisted is a root.
  const roots = records.filter((r) => !r.parents.some((p) => byId.has(p)));
  for (const r of [...roots].sort(order)) visit(r, 0);
  for (const r of records) visit(r, 0);
  return rows;
}

export const bySize = (a: BuildCacheRecord, b: BuildCacheRecord): number =>
  (b.diskBytes ?? -1) - (a.diskBytes ?? -1) || b.size - a.size || (a.id < b.id ? -1 : 1);
export const byLastUsed = (a: BuildCacheRecord, b: BuildCacheRecord): number =>
  (a.lastUsed ?? 0) - (b.lastUsed ?? 0) || (a.id < b.id ? -1 : 1);

/** Why BuildKit would not remove this record under these rules, or undefined if it would. */
function refusal(
  r: BuildCacheRecord,
  rules: BuilderPruneRules,
  idPattern: RegExp | undefined,
): string | undefined {
  if (r.inUse) return 'in use';
  if (!rules.all && (r.type === 'internal' || r.type === 'frontend')) return `${r.type} (only with --all)`;
  if (!rules.all && r.shared) return 'shared with an image (only with --all)';
  if (rules.until !== undefined && r.lastUsed !== null && r.lastUsed > rules.until)
    return 'used after the until filter';
  if (idPattern && !idPattern.test(r.id)) return 'excluded by the id filter';
  if (rules.type !== undefined && r.type !== rules.type) return 'excluded by the type filter';
  return undefined;
}

/** The byte limit BuildKit prunes down to (v0.25's rule; Docker 26.1's keep-storage is reservedSpace). */
export function keepBytes(rules: BuilderPruneRules, totalSize: number): number {
  let keep = rules.maxUsedSpace ?? 0;
  const minFree = rules.minFreeSpace ?? 0;
  const excess = minFree - (rules.freeBytes ?? 0);
  if (minFree > 0 && excess > 0) keep = keep === 0 ? totalSize - excess : Math.min(keep, totalSize - excess);
  else if (minFree > 0 && keep === 0) keep = totalSize;
  return Math.max(keep, rules.reservedSpace ?? 0);
}

/**
 * BuildKit's deletion order under a space limit (sortDeleteRecords): each record gets the rank of
 * its last use among the candidates' distinct times (oldest 1) and the rank of its usage count
 * among their distinct counts (a count of 0 ranks 0), each divided by the number of ranks; the
 * lowest sum goes first. BuildKit 0.22 added one to every rank and to the divisor ('scaled').
 * Equal sums keep the order of the sorts before (Go sorts up to 12 items stably): fewer uses
 * first, then older.
 */
export function deletionOrder(
  candidates: readonly BuildCacheRecord[],
  ranking: 'plain' | 'scaled' = 'scaled',
): BuildCacheRecord[] {
  const plus = ranking === 'scaled' ? 1 : 0;
  const times = [...new Set(candidates.map((r) => r.lastUsed).filter((t): t is number => t !== null))].sort(
    (a, b) => a - b,
  );
  const counts = [...new Set(candidates.map((r) => r.usageCount).filter((c) => c !== 0))].sort(
    (a, b) => a - b,
  );
  // Ranks by lookup, not indexOf: under a space limit this runs once per removed record, and a CI
  // host's cache has thousands of candidates.
  const timeRank = new Map(times.map((t, i) => [t, i + 1]));
  const countRankOf = new Map(counts.map((c, i) => [c, i + 1]));
  const lastRank = (r: BuildCacheRecord) =>
    (r.lastUsed === null ? 0 : (timeRank.get(r.lastUsed) ?? 0)) + plus;
  const countRank = (r: BuildCacheRecord) =>
    (r.usageCount === 0 ? 0 : (countRankOf.get(r.usageCount) ?? 0)) + plus;
  const score = (r: BuildCacheRecord) =>
    lastRank(r) / (times.length + plus || 1) + countRank(r) / (counts.length + plus || 1);
  const scores = new Map(candidates.map((r) => [r, score(r)]));
  const of = (r: BuildCacheRecord) => scores.get(r) ?? 0;
  return [...candidates].sort((a, b) => of(a) - of(b) || a.usageCount - b.usageCount || byLastUsed(a, b));
}

/** Which records `docker builder prune` with these rules removes, children before parents. */
export function selectBuilderPrune(
  records: readonly BuildCacheRecord[],
  rules: BuilderPruneRules,
): BuilderSelection {
  let idPattern: RegExp | undefined;
  if (rules.id !== undefined) {
    try {
      idPattern = new RegExp(rules.id);
    } catch {
      throw new Error(`invalid id filter "${rules.id}" (BuildKit takes a regular expression)`);
    }
  }
  const kids = childrenOf(records);
  const gone = new Set<string>();
  const remove: string[] = [];
  const limited =
    (rules.reservedSpace ?? 0) > 0 || (rules.maxUsedSpace ?? 0) > 0 || (rules.minFreeSpace ?? 0) > 0;
  // BuildKit's total: the records that are not shared, in use or not.
  let total = records.filter((r) => !r.shared).reduce((a, r) => a + r.size, 0);
  const limit = limited ? keepBytes(rules, total) : 0;
  for (;;) {
    if (limited && total < limit) break;
    const leaves = records.filter(
      (r) =>
        !gone.has(r.id) &&
        refusal(r, rules, idPattern) === undefined &&
        (kids.get(r.id) ?? []).every((c) => gone.has(c)),
    );
    if (!leaves.length) break;
    const batch = limited ? deletionOrder(leaves, rules.ranking).slice(0, 1) : [...leaves].sort(byLastUsed);
    for (const r of batch) {
      gone.add(r.id);
      remove.push(r.id);
      if (!r.shared) total -= r.size;
    }
  }
  const kept = records
    .filter((r) => !gone.has(r.id))
    .map((r) => ({
      id: r.id,
      reason:
        refusal(r, rules, idPattern) ??
        (limited && total < limit ? 'the cache is within the space limit' : 'a record built on it stays'),
    }));
  return { remove, kept };
}

/**
 * A size budget for the whole cache (layertop's policy): least recently used records go first,
 * children before parents, until the measured disk bytes of what stays fit the budget. Records in
 * use stay. Disk bytes that are unknown count as Docker's size.
 */
export function selectCacheBudget(records: readonly BuildCacheRecord[], budget: number): BuilderSelection {
  const kids = childrenOf(records);
  const bytes = (r: BuildCacheRecord) => r.diskBytes ?? r.size;
  let total = records.reduce((a, r) => a + bytes(r), 0);
  const gone = new Set<string>();
  const remove: string[] = [];
  while (total > budget) {
    const next = records
      .filter((r) => !gone.has(r.id) && !r.inUse && (kids.get(r.id) ?? []).every((c) => gone.has(c)))
      .sort(byLastUsed)[0];
    if (!next) break;
    gone.add(next.id);
    remove.push(next.id);
    total -= bytes(next);
  }
  const kept = records
    .filter((r) => !gone.has(r.id))
    .map((r) => ({
      id: r.id,
      reason: r.inUse
        ? 'in use'
        : total <= budget
          ? 'within the build cache budget'
          : 'a record built on it stays',
    }));
  return { remove, kept };
}

/** Disk bytes the removal of these records gives back; null when a record was not measured. */
export function recordsDiskBytes(
  records: readonly BuildCacheRecord[],
  ids: ReadonlySet<string>,
  unattributed: number | undefined,
): number | null {
  let sum = 0;
  for (const r of records) {
    if (!ids.has(r.id)) continue;
    if (r.diskBytes === undefined) return null;
    sum += r.diskBytes;
  }
  // Directories no listed record owns go when the whole cache goes (BuildKit's hidden duplicates);
  // unmeasured, the whole is unknown.
  if (records.length > 0 && records.every((r) => ids.has(r.id))) {
    if (unattributed === undefined) return null;
    sum += unattributed;
  }
  return sum;
}

/**
 * Marked records, as BuildKit can remove them: not one in use, nor one a record outside the set
 * is built on (that child holds it); children before parents.
 */
export function selectRecords(records: readonly BuildCacheRecord[], ids: Iterable<string>): BuilderSelection {
  const byId = new Map(records.map((r) => [r.id, r]));
  const kids = childrenOf(records);
  const ok = new Set<string>();
  const kept: { id: string; reason: string }[] = [];
  for (const id of ids) {
    const r = byId.get(id);
    if (!r) continue;
    if (r.inUse) kept.push({ id, reason: 'in use' });
    else ok.add(id);
  }
  let changed = true;
  while (changed) {
    changed = false;
    for (const id of ok)
      if ((kids.get(id) ?? []).some((c) => !ok.has(c))) {
        ok.delete(id);
        kept.push({ id, reason: 'a record built on it stays' });
        changed = true;
      }
  }
  return { remove: childrenFirst(ok, kids), kept };
}

/**
 * The given records in an order where every record comes after all of its children (a record
 * with several parents is a child of each): depth-first, children before their parent.
 */
export function childrenFirst(
  ids: ReadonlySet<string>,
  kids: ReadonlyMap<string, readonly string[]>,
): string[] {
  const out: string[] = [];
  const done = new Set<string>();
  const visit = (id: string) => {
    if (done.has(id)) return;
    done.add(id);
    for (const c of kids.get(id) ?? []) if (ids.has(c)) visit(c);
    out.push(id);
  };
  for (const id of [...ids].sort()) visit(id);
  return out;
}
