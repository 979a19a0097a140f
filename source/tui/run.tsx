import { render } from 'ink';
import { useMemo } from 'react';
import type { Session } from '../engine/session.js';
import { onCleanup } from '../process/cleanup.js';
import { mark } from '../process/timing.js';
import { Explorer } from './explorer/Explorer.js';
import { type ExplorerOptions, useEngineData } from './explorer/use-engine-data.js';

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
}) {
  const hooks = useMemo(
    () => ({ onHelper: (h: { close: () => Promise<void> }) => void onCleanup(() => h.close()) }),
    [],
  );
  const data = useEngineData(props.options, hooks, props.early);
  if (data.model) markOnce('tree');
  if (data.phase === 'ready') markOnce('measured');
  return <Explorer data={data} onQuit={props.onQuit} pruneFilters={props.options.pruneFilters} />;
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
  const app = render(<LiveExplorer options={options} onQuit={() => quit()} early={early} />, {
    alternateScreen: true,
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
  return 0;
}
