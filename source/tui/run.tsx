import { setFlagsFromString } from 'node:v8';
import { render } from 'ink';
import { useMemo, useState } from 'react';
import type { FleetTarget } from '../engine/fleet.js';
import { lastScanSaves } from '../engine/last-scan.js';
import type { Session } from '../engine/session.js';
import { onCleanup } from '../process/cleanup.js';
import { mark } from '../process/timing.js';
import { Explorer } from './explorer/Explorer.js';
import { type ExplorerOptions, useEngineData } from './explorer/use-engine-data.js';
import { FleetView } from './fleet/FleetView.js';
import { type AcrossEngines, acrossEngines } from './fleet/fleet-rows.js';
import { useFleetData } from './fleet/use-fleet-data.js';

export type { ExplorerOptions };

const marked = new Set<string>();
function markOnce(event: string): void {
  if (marked.has(event)) return;
  marked.add(event);
  mark(event);
}

function LiveExplorer(props: {
  options: ExplorerOptions;
  onQuit: () => void;
  early?: Promise<Session> | undefined;
  across?: AcrossEngines | undefined;
}) {
  const hooks = useMemo(
    () => ({ onHelper: (h: { close: () => Promise<void> }) => void onCleanup(() => h.close()) }),
    [],
  );
  const data = useEngineData(props.options, hooks, props.early);
  if (data.model) markOnce('tree');
  if (data.phase === 'ready') markOnce('measured');
  return (
    <Explorer
      data={data}
      onQuit={props.onQuit}
      pruneFilters={props.options.pruneFilters}
      across={props.across}
    />
  );
}

/** Several engines: the fleet view, and one engine's explorer at a time below it. */
function FleetApp(props: {
  options: ExplorerOptions;
  targets: readonly FleetTarget[];
  parallel: number;
  describe: (err: unknown, host: string) => string;
  onQuit: () => void;
}) {
  const hooks = useMemo(
    () => ({
      ...props.options,
      onSession: (h: { close: () => Promise<void> }) => void onCleanup(() => h.close()),
    }),
    [props.options],
  );
  const { engines, rescan } = useFleetData(props.targets, hooks, props.parallel, props.describe);
  const [open, setOpen] = useState<number | undefined>(undefined);
  const [last, setLast] = useState(0);
  const across = useMemo(() => acrossEngines(engines.flatMap((e) => (e.model ? [e.model] : []))), [engines]);
  const target = open === undefined ? undefined : props.targets[open];
  // One options object per opened engine: a new one each render would restart its explorer's
  // engine effect whenever another engine's scan finishes.
  const options = useMemo(
    () => (target ? { ...props.options, host: target.host, context: target.context } : undefined),
    [props.options, target],
  );
  if (target && options) {
    return (
      <LiveExplorer
        key={open}
        options={options}
        across={across}
        onQuit={() => {
          setLast(open ?? 0);
          setOpen(undefined);
        }}
      />
    );
  }
  return (
    <FleetView
      engines={engines}
      across={across}
      initial={last}
      onOpen={setOpen}
      onRescan={rescan}
      onQuit={props.onQuit}
    />
  );
}

/**
 * Ink paints at most 30 frames a second by default (a 34 ms throttle, leading and trailing): a key
 * pressed just after a frame (a progress update's, while measuring) waited for the throttle's
 * trailing edge, 43-46 ms from key to frame at the scale engine where the render itself took
 * 10 ms. At 60 the slow keys while measuring still spent 13-17 ms of their 44-94 ms idle in that
 * wait (CPU profiles of first launches, 2026-12-06). 250 leaves 4 ms at most; the explorer's own
 * updates while measuring come about 5 times a second, and a held key renders at most once per
 * key (Ink coalesces what comes within those 4 ms).
 */
const MAX_FPS = 250;
/** The fleet view's rows change with every engine's progress, many a second with many engines: 60. */
const FLEET_MAX_FPS = 60;

/**
 * Only the lines that changed are written (Ink rewrote the whole screen every frame): a cursor
 * move in the 120x40 explorer on the scale engine wrote 5.8 KB to the terminal per key, now 0.9 KB
 * (40 j/k keys: 230,920 bytes before, 36,320 after; tmux pipe-pane). That is what each key costs
 * over ssh, and the terminal's own work to draw it.
 */
const INCREMENTAL = true;

/**
 * The explorer keeps a model on screen while it measures the next one. With V8's own heap growth
 * the garbage of that measuring made its peak at scale (1,300 images: 236-256 MB against a live
 * heap of about 50 MB once done); growing the heap by half its live size after each full
 * collection kept it at 171-185 MB, with the same time to sizes complete and the same key
 * latency (issue 14, measured with the bench's first launch). Only on the V8 versions measured
 * (Node 22-24), as the launcher does with its own flag.
 */
function favourMemory(): void {
  const v8major = Number(process.versions.v8.split('.')[0]);
  if (v8major >= 12 && v8major <= 13) setFlagsFromString('--heap-growing-percent=50');
}

export async function runFleetTui(
  options: ExplorerOptions,
  targets: readonly FleetTarget[],
  parallel: number,
  describe: (err: unknown, host: string) => string,
): Promise<number> {
  let quit: () => void = () => {};
  const done = new Promise<void>((res) => {
    quit = res;
  });
  favourMemory();
  const app = render(
    <FleetApp
      options={options}
      targets={targets}
      parallel={parallel}
      describe={describe}
      onQuit={() => quit()}
    />,
    {
      alternateScreen: true,
      interactive: true,
      exitOnCtrlC: false,
      patchConsole: true,
      maxFps: FLEET_MAX_FPS,
      incrementalRendering: INCREMENTAL,
    },
  );
  await done;
  app.unmount();
  await app.waitUntilExit().catch(() => undefined);
  await lastScanSaves(3_000);
  return 0;
}

/** Full-screen explorer on the alternate screen; resolves with the exit code after cleanup. */
export async function runTui(options: ExplorerOptions, early?: Promise<Session>): Promise<number> {
  let quit: () => void = () => {};
  const done = new Promise<void>((res) => {
    quit = res;
  });
  // Under `npm run bench` (LAYERTOP_TIMING_FILE): each key's arrival and each frame painted, for
  // the keypress-to-frame latency. ('data' fires as Ink reads stdin, so nothing is taken from it.)
  const timed = Boolean(process.env.LAYERTOP_TIMING_FILE);
  if (timed) process.stdin.prependListener('data', () => mark('key'));
  favourMemory();
  const app = render(<LiveExplorer options={options} onQuit={() => quit()} early={early} />, {
    alternateScreen: true,
    maxFps: MAX_FPS,
    incrementalRendering: INCREMENTAL,
    // Ink turns interactive rendering off when CI is set; layertop only gets here on a real TTY.
    interactive: true,
    onRender: () => {
      markOnce('first-frame');
      if (timed) mark('frame');
    },
    exitOnCtrlC: false,
    patchConsole: true,
  });
  await done;
  app.unmount();
  await app.waitUntilExit().catch(() => undefined);
  // A save of the last scan under way is finished first (bounded: a stuck disk never holds the quit).
  await lastScanSaves(3_000);
  return 0;
}
