import type { FilePart, FileSource } from '../engine/file-read.js';
import type { FilesTarget, ListedLayers } from '../engine/files.js';
import type { MeasureProgress } from '../engine/helper/measure.js';
import type { RunProgress, RunReport } from '../engine/prune-run.js';
import type { PrunePlan } from '../model/prune-plan.js';
import type { ScanModel } from '../model/report.js';

/** What the engine side has told the UI so far. */
export interface EngineData {
  phase: 'connecting' | 'api' | 'measuring' | 'ready' | 'error';
  model: ScanModel | undefined;
  /**
   * Set while `model` is the last scan of an earlier run (when it ended, ms since the epoch): shown
   * at once on launch and marked as not refreshed until this run's own scan replaces it.
   */
  staleSince?: number | undefined;
  /** Counts the renders asked for once a model has settled (see render-epoch.ts). */
  renderEpoch?: number | undefined;
  progress: MeasureProgress | undefined;
  /**
   * How many images the engine listed for the scan under way, once it has (before: undefined).
   * Until a first tree is on screen, it says what the wait is for (ScanOptions.onEngineLists).
   */
  listed?: number | undefined;
  helper: 'starting' | 'ready' | 'lost' | 'off' | 'failed';
  /** The ready helper's loops run as local processes (root on the engine's host), not a container. */
  helperLocal?: boolean | undefined;
  message: string | undefined;
  /**
   * The engine connection, watched by events and a ping every few seconds: 'not answering' (a ping
   * timed out: a frozen or overloaded engine), 'lost' (the connection failed: reconnecting).
   */
  link?: 'ok' | 'not answering' | 'lost' | undefined;
  /** A recovery just made ("reconnected", "helper restarted"), shown in the header for a while. */
  notice?: string | undefined;
  refresh: () => void;
  /** A full scan now (with the helper), for re-planning just before a removal. */
  rescanNow: () => Promise<ScanModel>;
  /** Removes the plan's items and measures the data root before and after. */
  runPlan: (model: ScanModel, plan: PrunePlan, onProgress: (p: RunProgress) => void) => Promise<RunReport>;
  /** The layer directories of an image or a container (by ID or name). */
  filesTarget: (ref: string) => Promise<FilesTarget>;
  /** The top layer's names alone (fast, for the first rows), then every layer listed. */
  /** `live`: a running container's writable layer (engine/helper/layer-list.ts's listNames). */
  listNames: (dir: string, live?: boolean) => Promise<string[]>;
  listFiles: (target: FilesTarget, upTo: number) => Promise<ListedLayers>;
  /**
   * The first bytes of a file inside a layer (never the whole of a big file), resolved inside it
   * without following symlinks; a refusal is a FileReadError that says why.
   */
  readFile: (source: FileSource, bytes: number) => Promise<FilePart>;
}
