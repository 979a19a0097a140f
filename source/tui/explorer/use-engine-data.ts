import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { ApiInfo } from '../../engine/docker/api-types.js';
import type { EngineClient } from '../../engine/docker/docker-client.js';
import { resolveEndpoint } from '../../engine/docker/endpoint.js';
import { engineEventLines } from '../../engine/docker/engine-events.js';
import { getInfo } from '../../engine/docker/inventory.js';
import { pingEngine, removeContainers } from '../../engine/docker/liveness.js';
import { type FileSource, readFileHead } from '../../engine/file-read.js';
import { type FilesTarget, listLayers, resolveFilesTarget } from '../../engine/files.js';
import type { HelperSession } from '../../engine/helper/helper-session.js';
import { listNames } from '../../engine/helper/layer-list.js';
import type { SizeCache } from '../../engine/helper/size-cache.js';
import { engineIdOf, type LastScan, loadLastScan, saveLastScan } from '../../engine/last-scan.js';
import { runPlan } from '../../engine/prune-run.js';
import { scanEngine, scanFromApi } from '../../engine/scan.js';
import { type OpenOptions, openSession, type Session } from '../../engine/session.js';
import type { PruneFilters, PrunePlan } from '../../model/prune-plan.js';
import { buildScanModel, type ScanModel } from '../../model/report.js';
import { mark } from '../../process/timing.js';
import type { EngineData } from '../engine-data.js';
import { useSettledRender } from '../render-epoch.js';

/** How long a first launch on the containerd store waits for the helper before it shows the API tree. */
const HELPER_FIRST_MS = 3_000;

/** Whether `p` resolves to something within `ms` (a rejection or the time: false). */
async function readyWithin(p: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<boolean>((r) => {
    timer = setTimeout(() => r(false), ms);
    timer.unref();
  });
  try {
    return await Promise.race([
      p.then(
        (v) => v !== undefined,
        () => false,
      ),
      late,
    ]);
  } finally {
    clearTimeout(timer);
  }
}
/** What the explorer is started with: the session's options, and what the command line settled. */
export interface ExplorerOptions extends OpenOptions {
  /** Filters every prune plan applies (the docker config's pruneFilters); undefined: none. */
  pruneFilters?: PruneFilters | undefined;
}

export interface LoaderHooks {
  /** Called with the helper as soon as it exists, so that every exit path removes it. */
  onHelper: (helper: HelperSession) => void;
}

/** The engine is pinged this often while it answers, and retried this often after a fault. */
const PING_EVERY_MS = 5_000;
const RETRY_EVERY_MS = 1_000;
/** How long "reconnected" or "helper restarted" stays in the header. */
const NOTICE_MS = 15_000;

type Link = NonNullable<EngineData['link']>;

/**
 * Drives the engine side for the explorer: the API-only tree first (fast), then the helper's
 * measurements with progress, then live updates from engine events. Every number still comes
 * from the engine and model modules; this hook only sequences them.
 *
 * It also watches the connection: the events stream ending, or a ping every few seconds failing
 * (or hanging past its deadline: a frozen engine), shows in the header at once; once the engine
 * answers again it re-subscribes to events, replaces a lost helper (removing the old container)
 * and scans again by itself. A helper lost on its own (its container killed) is replaced too.
 */
export function useEngineData(
  args: ExplorerOptions,
  hooks: LoaderHooks,
  /** The session main.ts opened while the UI code loaded (its helper registered for clean-up). */
  early?: Promise<Session> | undefined,
): EngineData {
  // The last measured scan of this engine, shown at once and marked as such, until this run's own
  // scan replaces it (or the engine turns out to be another one at the same address).
  // Only what identifies it is kept: the scan and its model go into the first state and nowhere
  // else. Held in state for the whole session they were a third model and its inputs (21 MB and
  // more at 1,322 images, in a heap snapshot after rescans) that nothing showed any more.
  const [shown] = useState(() => {
    const last = lastScanOf(args);
    let model: ScanModel | undefined;
    try {
      model = last ? buildScanModel(last.inputs) : undefined;
    } catch {
      model = undefined; // a kept scan this build cannot read: start as if there were none
    }
    return {
      model,
      engineId: model ? last?.engineId : undefined,
      savedAt: model ? last?.savedAt : undefined,
    };
  });
  const lastEngineId = shown.engineId;
  const [data, setData] = useState<
    Omit<
      EngineData,
      'refresh' | 'rescanNow' | 'runPlan' | 'filesTarget' | 'listNames' | 'listFiles' | 'readFile'
    >
  >({
    phase: 'connecting',
    model: shown.model,
    staleSince: shown.savedAt,
    progress: undefined,
    helper: args.noHelper ? 'off' : 'starting',
    message: undefined,
    link: 'ok',
  });
  useEffect(() => {
    shown.model = undefined; // in the state now (its first value): not held here as well
  }, [shown]);

  // A settled model gets one more render 0.1 s later (render-epoch.ts): the copies React kept
  // of the render before, with the model before, are then made anew and let go of it.
  // Keyed on the model alone, not on a 'ready' phase: back-to-back rescans (engine events during
  // a scan) set the next model and 'measuring' in one render, and 'ready' never stayed.
  useSettledRender(data.model, setData);
  const ctx = useRef<{
    session?: Session;
    client?: EngineClient;
    info?: ApiInfo;
    helper?: HelperSession | undefined;
    /** The session's first helper (started with it) is not taken yet. */
    helperPending: boolean;
    /**
     * The next scan's preview is wanted: a connection's first scan with nothing of this engine on
     * screen (not its last scan kept, not the API tree). Any other scan's preview is not even made.
     */
    previewWanted: boolean;
    /** A helper's start under way (settles undefined if it fails): one at a time. */
    helperStarting?: Promise<HelperSession | undefined> | undefined;
    scanning: boolean;
    again: boolean;
    alive: boolean;
    events?: NodeJS.ReadableStream | undefined;
    link: Link;
    /** Containers of lost helpers: removed once the engine answers (the reaper spares our own PID's). */
    stale: Set<string>;
    /** A helper was lost and no new one is ready yet. */
    helperLost: boolean;
    /** Why there is no helper, for the disk figures' "unknown". */
    noHelperWhy?: string | undefined;
    checking: boolean;
    checkAgain: boolean;
    timers: { watchdog?: NodeJS.Timeout; debounce?: NodeJS.Timeout; notice?: NodeJS.Timeout };
    check?: () => Promise<void>;
    start?: () => Promise<void>;
  }>({
    helperPending: false,
    previewWanted: false,
    scanning: false,
    again: false,
    alive: true,
    link: 'ok',
    stale: new Set(),
    helperLost: false,
    checking: false,
    checkAgain: false,
    timers: {},
  });

  /** A recovery, said in the header for a while. */
  const notify = useCallback((notice: string) => {
    const t = ctx.current.timers;
    clearTimeout(t.notice);
    setData((d) => ({ ...d, notice }));
    t.notice = setTimeout(
      () => setData((d) => (d.notice === notice ? { ...d, notice: undefined } : d)),
      NOTICE_MS,
    );
  }, []);

  /** The helper's stream ended (its container killed, or the engine gone): ask the engine first. */
  const onHelperLost = useCallback((h: HelperSession) => {
    const c = ctx.current;
    if (c.helper !== h || !c.alive) return;
    if (h.containerId) c.stale.add(h.containerId);
    c.helperLost = true;
    setData((d) => ({ ...d, helper: 'lost', notice: undefined }));
    void c.check?.();
  }, []);

  /**
   * The API's tree (scanFromApi: every image's inspect and history), shown if nothing of this
   * engine is on screen by then (nothing, or another engine's last scan); a full scan's model that
   * came first stays. Its inspects are remembered for the full scan (in the session's size cache).
   */
  const showApiTree = useCallback(
    async (client: EngineClient, info: ApiInfo, cache: SizeCache | undefined) => {
      const model = await scanFromApi(client, info, cache);
      if (!ctx.current.alive) return;
      setData((d) => {
        const replace = d.model === undefined || d.staleSince !== undefined;
        return replace
          ? {
              ...d,
              model,
              staleSince: undefined,
              phase: d.phase === 'connecting' ? 'api' : d.phase,
              message: undefined,
            }
          : { ...d, message: undefined };
      });
    },
    [],
  );

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
          // Lost (its container killed, or the engine gone): a new one replaces it, and the old
          // container goes (it is usually gone already; if the engine was away, it goes later).
          const old = c.helper;
          c.helper = undefined;
          if (old.containerId) c.stale.add(old.containerId);
          void old.close();
          setData((d) => ({ ...d, helper: 'lost' }));
        }
        const session = c.session;
        // The helper's start, when one is under way: the scan takes it as a promise and asks the
        // API meanwhile, as the CLI does (awaited here first, the API's 1 s at scale came after
        // the helper's start: sizes complete 2.5-2.7 s after launch against 1.95 s for the CLI).
        // A start already under way is awaited, never doubled (a scan that failed before it
        // settled must not leave a second helper started beside it).
        let starting = c.helper ? undefined : c.helperStarting;
        if (!c.helper && !starting && session?.helper) {
          await removeContainers(c.client, c.stale);
          // The session's own helper first (started beside the API tree), a new one after a loss
          // (with the engine's facts as they are now: it may have restarted with another root).
          const pending = c.helperPending ? session.helper : session.restartHelper(c.info);
          c.helperPending = false;
          starting = pending.then(
            (helper) => {
              c.helper = helper;
              c.noHelperWhy = undefined;
              setData((d) => ({
                ...d,
                helper: 'ready',
                helperLocal: helper.mode === 'local',
                message: undefined,
              }));
              if (c.helperLost && c.link === 'ok') notify('helper restarted');
              c.helperLost = false;
              return helper;
            },
            (err: unknown) => {
              const why = (err as Error).message;
              c.noHelperWhy = 'it could not start'; // the message line says why
              setData((d) => ({ ...d, helper: 'failed', message: `helper: ${why}` }));
              return undefined;
            },
          );
          const mine = starting;
          c.helperStarting = mine;
          void mine.then(() => {
            if (c.helperStarting === mine) c.helperStarting = undefined;
          });
        }
        // Connected, the full scan under way: 'measuring' even before anything is on screen (a
        // first scan of a large containerd store waits for the engine's image list for a while).
        // Nothing of an earlier scan's progress on a screen without a tree (a retry after a failed
        // first scan would say its storage was measured already).
        setData((d) => ({
          ...d,
          phase: d.model || c.session ? 'measuring' : d.phase,
          listed: undefined,
          progress: d.model ? d.progress : undefined,
        }));
        const wantPreview = c.previewWanted;
        c.previewWanted = false;
        const { client: scanClient, info: scanInfo } = c;
        const model = await scanEngine(c.client, {
          helper: c.helper ?? starting,
          cache: session?.cache,
          info: c.info,
          // Read once the helper's start is settled (a getter): why there is none, if none.
          get noHelperReason() {
            return args.noHelper ? '--no-helper' : c.noHelperWhy;
          },
          onProgress: (progress) => c.alive && setData((d) => ({ ...d, progress, phase: 'measuring' })),
          // Only while nothing is on screen is it shown: no render for it otherwise.
          onEngineLists: ({ images }) =>
            c.alive && setData((d) => (d.model === undefined ? { ...d, listed: images } : d)),
          // Nothing on screen: the tree before the walks' figures, or (none could be made: a
          // layer without its size in the store) the API's alone, as when the helper is late.
          onPreview: wantPreview
            ? (preview) => {
                if (!c.alive) return;
                if (preview)
                  setData((d) => (d.model === undefined ? { ...d, model: preview, message: undefined } : d));
                else void showApiTree(scanClient, scanInfo, session?.cache).catch(() => {});
              }
            : undefined,
        });
        if (c.alive)
          setData((d) => ({
            ...d,
            model,
            staleSince: undefined,
            phase: 'ready',
            progress: undefined,
            message: c.helper || args.noHelper ? undefined : d.message,
          }));
        // Kept for the next launch once this one is on screen, in slices (see saveLastScan): a
        // key pressed meanwhile comes first.
        const info = c.info;
        if (c.alive && session)
          setImmediate(() => void saveLastScan(session.endpoint.host, engineIdOf(info), model.inputs));
      } while (c.again && c.alive);
    } catch (err) {
      if (c.alive) {
        setData((d) => ({
          ...d,
          phase: d.model ? 'ready' : 'error',
          helper: args.noHelper ? 'off' : c.helper?.state === 'ready' ? 'ready' : 'lost',
          message: `${(err as Error).message} — press r to try again`,
        }));
      }
    } finally {
      c.scanning = false;
      // A change seen while this scan failed still deserves its own scan.
      if (c.again && c.alive) {
        c.again = false;
        setTimeout(() => void rescan(), 0);
      }
    }
  }, [args, notify, showApiTree]);

  useEffect(() => {
    const c = ctx.current;
    const t = c.timers;
    const setLink = (link: Link) => {
      if (c.link === link) return;
      c.link = link;
      setData((d) => ({ ...d, link, notice: undefined }));
    };
    // Live updates: images and containers coming and going refresh the tree (debounced). The
    // stream ends only when the connection to the engine does: that is a fault, said at once.
    const subscribe = async (client: EngineClient, since?: number) => {
      const events = (await client.docker.getEvents({
        filters: { type: ['image', 'container'] },
        ...(since ? { since } : {}),
      })) as NodeJS.ReadableStream;
      if (!c.alive) {
        (events as { destroy?: () => void }).destroy?.();
        return;
      }
      c.events = events;
      // Whole events: a piece of one (the helper's exec events are 40 KB) used to count as a
      // change, and every launch scanned twice.
      const lines = engineEventLines();
      events.on('data', (chunk: Buffer) => {
        if (!lines.push(chunk)) return; // nothing, or only our own helper's events
        clearTimeout(t.debounce);
        t.debounce = setTimeout(() => void rescan(), 500);
      });
      const ended = () => {
        if (c.events !== events) return;
        c.events = undefined;
        if (!c.alive) return;
        setLink('lost');
        void check();
      };
      events.on('end', ended);
      events.on('close', ended);
      events.on('error', ended);
    };
    // The engine answers again: events, a helper in place of a lost one, a scan.
    const recover = async (client: EngineClient) => {
      const faulted = c.link !== 'ok';
      c.info = await getInfo(client);
      if (!c.events) await subscribe(client);
      await removeContainers(client, c.stale);
      c.link = 'ok';
      setData((d) => ({ ...d, link: 'ok', message: undefined }));
      if (faulted) {
        c.helperLost = false;
        notify('reconnected');
      }
      void rescan();
    };
    const check = async () => {
      const client = c.client;
      if (!client || !c.alive) return;
      if (c.checking) {
        c.checkAgain = true;
        return;
      }
      c.checking = true;
      clearTimeout(t.watchdog);
      try {
        do {
          c.checkAgain = false;
          const link = await pingEngine(client);
          if (!c.alive) return;
          if (link !== 'ok') setLink(link);
          else if (c.link !== 'ok' || !c.events) await recover(client).catch(() => setLink('lost'));
          else if (c.helper && c.helper.state !== 'ready') void rescan();
        } while (c.checkAgain && c.alive);
      } finally {
        c.checking = false;
        if (c.alive)
          t.watchdog = setTimeout(() => void check(), c.link === 'ok' ? PING_EVERY_MS : RETRY_EVERY_MS);
      }
    };
    let first = true;
    // One connection attempt at a time: r pressed while one runs waits for it (two would open two
    // sessions, two helpers and two event streams).
    let starting: Promise<void> | undefined;
    const start = (): Promise<void> => {
      starting ??= connectOnce().finally(() => {
        starting = undefined;
      });
      return starting;
    };
    const connectOnce = async () => {
      try {
        mark('connecting');
        // The early session only the first time: a retry (r) opens one afresh.
        const conn = await (first && early ? early : openSession({ ...args, onSession: hooks.onHelper }));
        mark('connected');
        if (!c.alive) {
          void conn.close();
          return;
        }
        c.session = conn;
        c.client = conn.client;
        c.info = conn.info;
        c.helperPending = conn.helper !== undefined;
        conn.onHelperLost(onHelperLost);
        // The API-only tree is for a screen with nothing of this engine on it: with this engine's
        // last scan shown it is not asked for, and the full scan starts at once (at 1,300 images
        // the API tree cost 2 s before the measuring began). Otherwise it comes first: run beside
        // the full scan it took 6.3 s instead of 2.7 s there, and the sizes came later too.
        const sameEngine = lastEngineId !== undefined && lastEngineId === engineIdOf(conn.info);
        // Where a helper comes, the API tree is no head start. On the containerd store the engine
        // computes its image list, /system/df and every inspect and history anew (the tree came
        // after 53 s at 1,300 images, and the sizes after 76 s), while the full scan reads the
        // layer lists from the store's own files (20 s in all). On overlay2 its 1,322 inspects and
        // history calls put the tree on screen after 2.8 s at scale and held the full scan until
        // then (sizes after 6.9 s, where the CLI's cold scan takes 3.5 s); the full scan's own
        // preview (the API's lists, the layer store's sizes: scanEngine's onPreview) comes before
        // any walk. So the full scan comes first. Only if the helper is ready within
        // HELPER_FIRST_MS: one whose start stalls (a pull of its image) leaves the API tree first.
        const apiTreeFirst =
          !sameEngine && !(conn.helper && (await readyWithin(conn.helper, HELPER_FIRST_MS)));
        if (!c.alive) return;
        // Another engine's last scan (a new one at the same address) does not stay on screen
        // meanwhile, marked as not refreshed, for this engine's.
        if (!apiTreeFirst && !sameEngine)
          setData((d) =>
            d.staleSince !== undefined ? { ...d, model: undefined, staleSince: undefined } : d,
          );
        // The full scan's preview is this engine's first tree: only where nothing of it is shown.
        c.previewWanted = !apiTreeFirst && !sameEngine;
        if (!apiTreeFirst) void rescan();
        else {
          await showApiTree(conn.client, conn.info, conn.helper ? conn.cache : undefined);
          if (!c.alive) return;
          void rescan();
        }
        // Where the first scan's lists were asked right after /info (the next launch, cli/main.ts
        // says so on the session), what happened since then is asked for too (the engine keeps
        // its recent events), by the engine's own clock. Not elsewhere: a first launch's own
        // doings meanwhile (the helper image loaded) would each cost a second scan.
        const since = first && early && conn.listsAskedEarly ? eventsSince(conn.info) : undefined;
        const hold = testSubscribeDelayMs();
        if (hold) await new Promise((r) => setTimeout(r, hold));
        await subscribe(conn.client, since);
      } catch (err) {
        if (c.alive)
          setData((d) => ({
            ...d,
            // A last scan on screen stays (marked as not refreshed), with the reason under it.
            phase: d.model && d.staleSince === undefined ? d.phase : 'error',
            message: (err as Error).message,
          }));
      } finally {
        first = false;
        // Watch the engine from now on (a failed subscription is retried like any fault).
        if (c.alive && c.client)
          t.watchdog = setTimeout(() => void check(), c.events ? PING_EVERY_MS : RETRY_EVERY_MS);
      }
    };
    c.check = check;
    c.start = start;
    void start();
    return () => {
      c.alive = false;
      clearTimeout(t.debounce);
      clearTimeout(t.watchdog);
      clearTimeout(t.notice);
      (c.events as { destroy?: () => void } | undefined)?.destroy?.();
      c.events = undefined;
    };
  }, [args, rescan, early, notify, hooks, onHelperLost, lastEngineId, showApiTree]);

  // Leaving this engine for good (the fleet view's back, or the quit): its helper and watchdog go
  // now. Only on unmount: the effect above may run again (its inputs changing) on the same engine.
  useEffect(
    () => () => {
      const c = ctx.current;
      void c.helper?.close().catch(() => undefined);
      void c.session?.close().catch(() => undefined);
    },
    [],
  );

  const rescanNow = useCallback(async (): Promise<ScanModel> => {
    const c = ctx.current;
    if (!c.client || !c.info) throw new Error('not connected to an engine');
    const model = await scanEngine(c.client, {
      helper: c.helper,
      cache: c.session?.cache,
      info: c.info,
      noHelperReason: args.noHelper ? '--no-helper' : c.noHelperWhy,
    });
    if (c.alive) setData((d) => ({ ...d, model, staleSince: undefined }));
    return model;
  }, [args]);

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
      return { client: c.client, info: c.info, helper: c.helper, cache: c.session?.cache };
    };
    return {
      filesTarget: async (ref: string) => {
        const { client, info, helper, cache } = need();
        return resolveFilesTarget(client, helper, info, ref, cache);
      },
      listNames: async (dir: string, live?: boolean) => listNames(need().helper, dir, live),
      listFiles: async (target: FilesTarget, upTo: number) => listLayers(need().helper, target, upTo),
      // The same read as `layertop cat`: the path resolved inside the layer, never through a symlink.
      readFile: async (source: FileSource, bytes: number) => readFileHead(need().helper, source, bytes),
    };
  }, []);

  // r: scan again; after a fault (or with no connection yet), try the connection first.
  const refresh = useCallback(() => {
    const c = ctx.current;
    if (!c.client) void c.start?.();
    else if (c.link !== 'ok' || !c.events) void c.check?.();
    else void rescan();
  }, [rescan]);

  return { ...data, refresh, rescanNow, runPlan: run, ...files };
}

/**
 * The engine's clock at /info, as the events API takes it (seconds, to the millisecond: dockerd
 * reads "seconds.fraction"), if it said: events before it are not asked for again.
 */
export function eventsSince(info: Pick<ApiInfo, 'SystemTime'>): number | undefined {
  const at = info.SystemTime ? Date.parse(info.SystemTime) : Number.NaN;
  return Number.isFinite(at) ? at / 1000 : undefined;
}

/**
 * Test hook (LAYERTOP_TEST_MODE only): the first subscription that long later, for a change made
 * before it to prove that it is not lost (LAYERTOP_TEST_SUBSCRIBE_DELAY_MS).
 */
function testSubscribeDelayMs(): number | undefined {
  const v = process.env.LAYERTOP_TEST_SUBSCRIBE_DELAY_MS;
  return process.env.LAYERTOP_TEST_MODE && v !== undefined && /^\d{1,5}$/.test(v) ? Number(v) : undefined;
}

/** The explorer's last scan of the engine these options name, unless the cache is off. */
function lastScanOf(args: ExplorerOptions): LastScan | undefined {
  if (args.noCache) return undefined;
  try {
    return loadLastScan(resolveEndpoint({ host: args.host, context: args.context }).host);
  } catch {
    return undefined; // no endpoint yet (a bad context): the connection says why
  }
}
