// The explorer's last measured scan of an engine, kept beside the size cache, so the next launch
// shows the tree at once (marked as not yet refreshed) while it connects and measures again.
import { createHash } from 'node:crypto';
import { closeSync, openSync, readSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { ScanInputs } from '../model/report.js';
import { scanInputsFromJson, scanInputsToJson } from '../model/scan-inputs-json.js';
import { writeJsonLines } from '../process/json-file.js';
import { readTextFileSync } from '../process/text-pieces.js';
import type { ApiInfo } from './docker/api-types.js';
import { SizeCache } from './helper/size-cache.js';

export interface LastScan {
  /** When the scan ended (ms since the epoch). */
  savedAt: number;
  /** The engine it was made of: its ID and data root (a new engine at the same address differs). */
  engineId: string;
  inputs: ScanInputs;
}

export const engineIdOf = (info: Pick<ApiInfo, 'ID' | 'DockerRootDir'>) =>
  `${info.ID ?? ''}|${info.DockerRootDir}`;

/** One file per engine address (the host string), in the size cache's directory. */
export function lastScanFile(host: string, env: NodeJS.ProcessEnv = process.env): string {
  const name = createHash('sha256').update(host).digest('hex').slice(0, 16);
  return join(dirname(SizeCache.defaultFile(env)), `last-scan-${name}.json`);
}

/** The last scan of the engine at `host`, or undefined (none, unreadable, another format). */
export function loadLastScan(host: string, env?: NodeJS.ProcessEnv): LastScan | undefined {
  try {
    // In pieces (see text-pieces): megabytes at scale, read at each launch.
    const v = JSON.parse(readTextFileSync(lastScanFile(host, env))) as {
      savedAt?: unknown;
      engineId?: unknown;
      inputs?: unknown;
    };
    const inputs = scanInputsFromJson(v.inputs);
    if (!inputs || typeof v.savedAt !== 'number' || typeof v.engineId !== 'string') return undefined;
    return { savedAt: v.savedAt, engineId: v.engineId, inputs };
  } catch {
    return undefined;
  }
}

/**
 * The engine a kept last scan was made of, from the first 4 kB of its file alone (the whole file
 * is megabytes at scale, and the explorer reads it anyway): undefined when there is none, or the
 * ID is not there (the file starts `{"savedAt":...,"engineId":"..."`, as saveLastScan writes it).
 */
export function lastScanEngineId(host: string, env?: NodeJS.ProcessEnv): string | undefined {
  try {
    const fd = openSync(lastScanFile(host, env), 'r');
    try {
      const head = Buffer.alloc(4096);
      const n = readSync(fd, head, 0, head.length, 0);
      const m = /^\{"savedAt":\d+,"engineId":("(?:[^"\\]|\\.)*")/.exec(head.toString('utf8', 0, n));
      const id: unknown = m?.[1] ? JSON.parse(m[1]) : undefined;
      return typeof id === 'string' ? id : undefined;
    } finally {
      closeSync(fd);
    }
  } catch {
    return undefined;
  }
}

/** The save under way per file: saves of one file run one after another. */
const saving = new Map<string, Promise<void>>();

/**
 * Resolves once every save under way has ended, or after `maxMs`: the explorer waits for this
 * as it quits, so that a quit just after the sizes completed does not lose the scan the next
 * launch would show at once (it was lost when the quit came within 0.1-0.3 s at scale).
 */
export async function lastScanSaves(maxMs: number): Promise<void> {
  // setImmediate first: a save asked for in the same turn as the quit (saveLastScan is called
  // from a setImmediate once the sizes are on screen) is then among those awaited.
  await new Promise((r) => setImmediate(r));
  if (!saving.size) return;
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    Promise.all(saving.values()),
    new Promise((r) => {
      timer = setTimeout(r, maxMs);
    }),
  ]);
  clearTimeout(timer);
}

/**
 * Keeps a measured scan (one with disk figures: a scan without the helper is not worth showing
 * first). Written to a temporary file and renamed, so a reader never sees half of it; a failure
 * to write only costs the next launch its head start (the promise never rejects). Made and
 * written in slices (writeJsonLines): one JSON.stringify and writeFileSync of it held the
 * explorer's thread 80-130 ms at scale, just as its sizes completed.
 */
export function saveLastScan(
  host: string,
  engineId: string,
  inputs: ScanInputs,
  env?: NodeJS.ProcessEnv,
): Promise<void> {
  if (inputs.diskUnknown !== undefined) return Promise.resolve();
  const file = lastScanFile(host, env);
  // In this order: lastScanEngineId reads the engine from the file's head.
  const value = { savedAt: Date.now(), engineId, inputs: scanInputsToJson(inputs) };
  const next = (saving.get(file) ?? Promise.resolve())
    .then(() => writeJsonLines(file, [value]))
    .catch(() => {
      // A read-only or full cache directory: the explorer still works, it only starts empty.
    });
  saving.set(file, next);
  void next.then(() => {
    if (saving.get(file) === next) saving.delete(file);
  });
  return next;
}
