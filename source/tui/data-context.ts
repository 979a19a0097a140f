import { createContext, useContext } from 'react';
import type { MeasureProgress } from '../engine/measure.js';
import type { RunProgress, RunReport } from '../engine/prune-run.js';
import type { PrunePlan } from '../model/prune-plan.js';
import type { ScanModel } from '../model/report.js';

/** What the engine side has told the UI so far. */
export interface EngineData {
  phase: 'connecting' | 'api' | 'measuring' | 'ready' | 'error';
  model: ScanModel | undefined;
  progress: MeasureProgress | undefined;
  helper: 'starting' | 'ready' | 'lost' | 'off' | 'failed';
  message: string | undefined;
  refresh: () => void;
  /** A full scan now (with the helper), for re-planning just before a removal. */
  rescanNow: () => Promise<ScanModel>;
  /** Removes the plan's items and measures the data root before and after. */
  runPlan: (model: ScanModel, plan: PrunePlan, onProgress: (p: RunProgress) => void) => Promise<RunReport>;
}

export const EngineDataContext = createContext<EngineData>({
  phase: 'connecting',
  model: undefined,
  progress: undefined,
  helper: 'off',
  message: undefined,
  refresh: () => {},
  rescanNow: () => Promise.reject(new Error('not connected')),
  runPlan: () => Promise.reject(new Error('not connected')),
});

export const useEngineData = () => useContext(EngineDataContext);
