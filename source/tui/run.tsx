import { render } from 'ink';
import { useMemo } from 'react';
import type { CliArgs } from '../cli/args.js';
import { onCleanup } from '../cli/cleanup.js';
import { pruneOptions } from '../cli/prune-options.js';
import { mark } from '../cli/timing.js';
import type { connect } from '../engine/session.js';
import { Explorer } from './components/Explorer.js';
import { EngineDataContext } from './data-context.js';
import { useEngineData } from './hooks/use-engine-data.js';

const marked = new Set<string>();
function markOnce(event: string): void {
  if (marked.has(event)) return;
  marked.add(event);
  mark(event);
}

type Connection = Awaited<ReturnType<typeof connect>>;

function LiveExplorer(props: { args: CliArgs; onQuit: () => void; early?: Promise<Connection> | undefined }) {
  const hooks = useMemo(
    () => ({ onHelper: (h: { close: () => Promise<void> }) => void onCleanup(() => h.close()) }),
    [],
  );
  const data = useEngineData(props.args, hooks, props.early);
  const pruneFilters = useMemo(() => {
    try {
      return pruneOptions({ all: true, volumes: false, filters: props.args.filters }).filters;
    } catch {
      return undefined; // an unreadable filter in the docker config: the preview shows no filter
    }
  }, [props.args.filters]);
  if (data.model) markOnce('tree');
  if (data.phase === 'ready') markOnce('measured');
  return (
    <EngineDataContext.Provider value={data}>
      <Explorer data={data} onQuit={props.onQuit} pruneFilters={pruneFilters} />
    </EngineDataContext.Provider>
  );
}

/** Full-screen explorer on the alternate screen; resolves with the exit code after cleanup. */
export async function runTui(args: CliArgs, early?: Promise<Connection>): Promise<number> {
  let quit: () => void = () => {};
  const done = new Promise<void>((res) => {
    quit = res;
  });
  const app = render(<LiveExplorer args={args} onQuit={() => quit()} early={early} />, {
    alternateScreen: true,
    // Ink turns interactive rendering off when CI is set; layertop only gets here on a real TTY.
    interactive: true,
    onRender: () => markOnce('first-frame'),
    exitOnCtrlC: false,
    patchConsole: true,
  });
  await done;
  app.unmount();
  await app.waitUntilExit().catch(() => undefined);
  return 0;
}
