import { createContext, useContext } from 'react';
import type { FilesTarget, ListedLayers } from '../engine/files.js';
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
  /** The layer directories of an image or a container (by ID or name). */
  filesTarget: (ref: string) => Promise<FilesTarget>;
  /** The top layer's names alone (fast, for the first rows), then every layer listed. */
  listNames: (dir: string) => Promise<string[]>;
  listFiles: (target: FilesTarget, upTo: number) => Promise<ListedLayers>;
  /** The first bytes of a file on the engine host (never the whole of a big file). */
  readHead: (path: string, bytes: number) => Promise<Buffer | undefined>;
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
  filesTarget: () => Promise.reject(new Error('not connected')),
  listNames: () => Promise.reject(new Error('not connected')),
  listFiles: () => Promise.reject(new Error('not connected')),
  readHead: () => Promise.reject(new Error('not connected')),
});

export const useEngineData = () => useContext(EngineDataContext);
