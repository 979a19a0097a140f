// What several engines' scans say together. Pure.
import type { ScanModel } from './report.js';

/** chain ID → on how many engines, and its disk bytes summed over them (null: some unmeasured). */
export type AcrossEngines = Map<string, { engines: number; diskBytes: number | null }>;

/** Every layer of the given engines' scans, by chain ID: the same layer on two engines is one key. */
export function acrossEngines(models: readonly ScanModel[]): AcrossEngines {
  const by: AcrossEngines = new Map();
  for (const m of models)
    for (const l of m.graph.layers.values()) {
      const e = by.get(l.chainId) ?? { engines: 0, diskBytes: 0 };
      e.engines++;
      e.diskBytes = e.diskBytes === null || l.diskBytes === undefined ? null : e.diskBytes + l.diskBytes;
      by.set(l.chainId, e);
    }
  return by;
}
