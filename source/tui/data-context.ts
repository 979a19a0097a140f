import { createContext, useContext } from 'react';
import type { MeasureProgress } from '../engine/measure.js';
import type { ScanModel } from '../model/report.js';

/** What the engine side has told the UI so far. */
export interface EngineData {
  phase: 'connecting' | 'api' | 'measuring' | 'ready' | 'error';
  model: ScanModel | undefined;
  progress: MeasureProgress | undefined;
  helper: 'starting' | 'ready' | 'lost' | 'off' | 'failed';
  message: string | undefined;
  refresh: () => void;
}

export const EngineDataContext = createContext<EngineData>({
  phase: 'connecting',
  model: undefined,
  progress: undefined,
  helper: 'off',
  message: undefined,
  refresh: () => {},
});

export const useEngineData = () => useContext(EngineDataContext);
