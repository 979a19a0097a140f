import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { CliArgs } from '../../cli/args.js';
import { mark } from '../../cli/timing.js';
import type { ApiInfo } from '../../engine/api-types.js';
import type { EngineClient } from '../../engine/docker-client.js';
import { type FilesTarget, listLayers, resolveFilesTarget } from '../../engine/files.js';
import type { HelperSession } from '../../engine/helper-session.js';
import { listNames } from '../../engine/layer-list.js';
import { runPlan } from '../../engine/prune-run.js';
import { scanEngine, scanFromApi } from '../../engine/scan.js';
import { connect, startHelper } from '../../engine/session.js';
import { SizeCache } from '../../engine/size-cache.js';
import type { PrunePlan } from '../../model/prune-plan.js';
import type { ScanModel } from '../../model/report.js';
import type { EngineData } from '../data-context.js';

export interface LoaderHooks {
  /** Called with the helper as soon as it exists, so that every exit path removes it. */
  onHelper: (helper: HelperSession) => void;
}

/**
 * Drives the engine side for the explorer: the API-only tree first (fast), then the helper's
 * measurements with progress, then live updates from engine events. Every number still comes
 * from the engine and model modules; this hook only sequences them.
 */
export function useEngineData(
  args: CliArgs,
  hooks: LoaderHooks,
  early?: ReturnType<typeof connect> | undefined,
): EngineData {
  const [data, setData] = useState<
    Omit<
      EngineData,
      'refresh' | 'rescanNow' | 'runPlan' | 'filesTarget' | 'listNames' | 'listFiles' | 'readHead'
    >
  >({
    phase: 'connecting',
    model: undefined,
    progress: undefined,
    helper: args.noHelper ? 'off' : 'starting',
    message: undefined,
  });
  const ctx = useRef<{
    client?: EngineClient;
    info?: ApiInfo;
    helper?: HelperSession | undefined;
    cache: SizeCache;
    scanning: boolean;
    again: boolean;
    alive: boolean;
  }>({
    cache: new SizeCache(args.noCache ? undefined : SizeCache.defaultFile()),
    scanning: false,
    again: false,
    alive: true,
  });

  const rescan = useCallback(async () => {
    const c = ctx.current;
    if (!c.client || !c.info) return;
    if (c.scanning) {
      c.again = true;
      return;
    }
    c.scanning = true;
    try {
      do {
        c.again = false;
        if (c.helper && c.helper.state !== 'ready') {
          setData((d) => ({ ...d, helper: 'lost' }));
          c.helper = undefined;
        }
        if (!c.helper && !args.noHelper) {
          try {
            c.helper = await startHelper(c.client, c.info, { ...args, onSession: hooks.onHelper });
            setData((d) => ({ ...d, helper: 'ready', message: undefined }));
          } catch (err) {
            setData((d) => ({ ...d, helper: 'failed', message: `helper: ${(err as Error).message}` }));
          }
        }
        setData((d) => ({ ...d, phase: d.model ? 'measuring' : d.phase }));
        const model = await scanEngine(c.client, {
          helper: c.helper,
          cache: c.cache,
          info: c.info,
          onProgress: (progress) => c.alive && setData((d) => ({ ...d, progress, phase: 'measuring' })),
        });
        if (c.alive) setData((d) => ({ ...d, model, phase: 'ready', progress: undefined }));
      } while (c.again && c.alive);
    } catch (err) {
      if (c.alive) {
        setData((d) => ({
          ...d,
          phase: d.model ? 'ready' : 'error',
          helper: c.helper?.state === 'ready' ? 'ready' : 'lost',
          message: `${(err as Error).message} — press r to try again`,
        }));
      }
    } finally {
      c.scanning = false;
    }
  }, [args, hooks]);

  useEffect(() => {
    const c = ctx.current;
    let events: NodeJS.ReadableStream | undefined;
    let timer: NodeJS.Timeout | undefined;
    (async () => {
      try {
        mark('connecting');
        const conn = await (early ?? connect(args));
        mark('connected');
        c.client = conn.client;
        c.info = conn.info;
        const first = await scanFromApi(conn.client, conn.info);
        if (!c.alive) return;
        setData((d) => ({ ...d, model: first, phase: 'api' }));
        void rescan();
        // Live updates: images and containers coming and going refresh the tree (debounced).
        events = (await conn.client.docker.getEvents({
          filters: { type: ['image', 'container'] },
        })) as NodeJS.ReadableStream;
        events.on('data', (chunk: Buffer) => {
          if (chunk.toString().includes('io.layertop.helper')) return; // our own helper's events
          clearTimeout(timer);
          timer = setTimeout(() => void rescan(), 500);
        });
        events.on('error', () => undefined);
      } catch (err) {
        if (c.alive) setData((d) => ({ ...d, phase: 'error', message: (err as Error).message }));
      }
    })();
    return () => {
      c.alive = false;
      clearTimeout(timer);
      (events as { destroy?: () => void } | undefined)?.destroy?.();
    };
  }, [args, rescan, early]);

  const rescanNow = useCallback(async (): Promise<ScanModel> => {
    const c = ctx.current;
    if (!c.client || !c.info) throw new Error('not connected to an engine');
    const model = await scanEngine(c.client, { helper: c.helper, cache: c.cache, info: c.info });
    if (c.alive) setData((d) => ({ ...d, model }));
    return model;
  }, []);

  const run = useCallback<EngineData['runPlan']>(async (model: ScanModel, plan: PrunePlan, onProgress) => {
    const c = ctx.current;
    if (!c.client || !c.info) throw new Error('not connected to an engine');
    return runPlan({ client: c.client, info: c.info, helper: c.helper, model }, plan, onProgress);
  }, []);

  const files = useMemo(() => {
    const need = () => {
      const c = ctx.current;
      if (!c.client || !c.info) throw new Error('not connected to an engine');
      if (!c.helper) throw new Error('the file lists need the helper (it is not running)');
      return { client: c.client, info: c.info, helper: c.helper };
    };
    return {
      filesTarget: async (ref: string) => {
        const { client, info, helper } = need();
        return resolveFilesTarget(client, helper, info, ref);
      },
      listNames: async (dir: string) => listNames(need().helper, dir),
      listFiles: async (target: FilesTarget, upTo: number) => listLayers(need().helper, target, upTo),
      readHead: async (path: string, bytes: number) => {
        const r = await need().helper.request(`head:${bytes}`, [Buffer.from(path, 'latin1')]);
        return r.status === 0 ? r.stdout : undefined;
      },
    };
  }, []);

  return { ...data, refresh: () => void rescan(), rescanNow, runPlan: run, ...files };
}
