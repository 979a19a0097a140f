// The fleet view's rows, as data: one per engine with its totals, every number from the engine's
// scan model (model/report.ts, model/prune-plan.ts) or the fleet's layer map. The view only paints.
import { type AcrossEngines, acrossEngines } from '../../model/fleet.js';
import { planPrune } from '../../model/prune-plan.js';
import type { ScanModel } from '../../model/report.js';

export interface FleetEngine {
  label: string;
  host: string;
  phase: 'waiting' | 'scanning' | 'ready' | 'error';
  model?: ScanModel;
  error?: string;
}

export interface FleetRow {
  label: string;
  host: string;
  status: string;
  images: number | null;
  layers: number | null;
  /** The data root on disk (the ledger's total); null: unknown. */
  diskBytes: number | null;
  /** What `docker system prune -a` would give back on disk; null: unknown. */
  reclaimableBytes: number | null;
  /** Layers of this engine that other engines of the fleet have too. */
  sharedLayers: number;
}

export function fleetRows(engines: readonly FleetEngine[], across: AcrossEngines): FleetRow[] {
  return engines.map((e) => {
    const m = e.model;
    const shared = m ? [...m.graph.layers.keys()].filter((c) => (across.get(c)?.engines ?? 0) > 1).length : 0;
    return {
      label: e.label,
      host: e.host,
      status: e.phase === 'error' ? `error: ${e.error ?? '?'}` : e.phase,
      images: m ? m.inputs.images.length : null,
      layers: m ? m.graph.layers.size : null,
      diskBytes: m?.report.ledger?.totalBytes ?? null,
      reclaimableBytes: m ? planPrune(m, { all: true, volumes: false }).predictedFreedBytes : null,
      sharedLayers: shared,
    };
  });
}

export { type AcrossEngines, acrossEngines };
