import type { HelperSession } from './helper-session.js';
import { type DirMeasure, parseMeasure } from './measure-parse.js';
import { SizeCache } from './size-cache.js';

export interface MeasureTarget {
  dir: string;
  /** Content subdirectory (diff for overlay2, fs for containerd snapshots); absent: whole dir. */
  sub?: 'diff' | 'fs' | undefined;
  /** Set for immutable directories (image layers, committed snapshots): their sizes are cached
   *  under this key (a chainID, or a containerd snapshot key). */
  cacheKey?: string | undefined;
}

export interface MeasureProgress {
  done: number;
  total: number;
  bytes: number;
}

export interface MeasureOptions {
  cache?: SizeCache | undefined;
  engineId: string;
  onProgress?: ((p: MeasureProgress) => void) | undefined;
  /** Directories per helper request: large enough to amortize a round trip, small enough for progress. */
  batchSize?: number;
}

/** Measures directories through the helper in batches; cached image layers are not walked again. */
export async function measureDirs(
  helper: HelperSession,
  targets: readonly MeasureTarget[],
  options: MeasureOptions,
): Promise<Map<string, DirMeasure>> {
  const out = new Map<string, DirMeasure>();
  const todo: MeasureTarget[] = [];
  let bytes = 0;
  for (const t of targets) {
    const hit = t.cacheKey
      ? options.cache?.get(SizeCache.key(options.engineId, t.cacheKey, t.dir))
      : undefined;
    if (hit) {
      out.set(t.dir, { contentDiskBytes: 0, ...hit, entries: 0, missing: false, partial: false });
      bytes += hit.diskBytes;
    } else todo.push(t);
  }
  const total = targets.length;
  options.onProgress?.({ done: out.size, total, bytes });
  const groups = new Map<string, MeasureTarget[]>();
  for (const t of todo) {
    const op = t.sub ? `measure:${t.sub}` : 'measure';
    const list = groups.get(op) ?? [];
    list.push(t);
    groups.set(op, list);
  }
  // Batches go to a pool of workers, one per helper lane, so that walks use every core.
  const batches: { op: string; list: MeasureTarget[] }[] = [];
  const lanes = helper.parallelism;
  for (const [op, list] of groups) {
    const per = options.batchSize ?? Math.max(1, Math.min(32, Math.ceil(list.length / (lanes * 2))));
    for (let i = 0; i < list.length; i += per) batches.push({ op, list: list.slice(i, i + per) });
  }
  let next = 0;
  const worker = async () => {
    while (next < batches.length) {
      const { op, list: chunk } = batches[next++] as { op: string; list: MeasureTarget[] };
      const stdout = await helper.run(
        op,
        chunk.map((t) => t.dir),
        600_000,
      );
      const parsed = parseMeasure(stdout.toString('latin1'), chunk.length, op !== 'measure');
      chunk.forEach((t, j) => {
        const m = parsed[j] ?? {
          apparentBytes: 0,
          diskBytes: 0,
          contentDiskBytes: 0,
          entries: 0,
          missing: true,
          partial: true,
        };
        out.set(t.dir, m);
        bytes += m.diskBytes;
        if (t.cacheKey && !m.missing && !m.partial) {
          options.cache?.set(SizeCache.key(options.engineId, t.cacheKey, t.dir), {
            apparentBytes: m.apparentBytes,
            diskBytes: m.diskBytes,
            contentDiskBytes: m.contentDiskBytes,
          });
        }
      });
      options.onProgress?.({ done: out.size, total, bytes });
    }
  };
  await Promise.all(Array.from({ length: Math.min(lanes, batches.length) }, worker));
  return out;
}
