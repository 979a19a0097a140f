// One place that knows what must be undone on exit (the helper container), whatever the exit:
// normal return, Ctrl-C, SIGTERM, SIGHUP, an uncaught error.

type Task = () => Promise<void>;
const tasks = new Set<Task>();
let installed = false;
let exiting = false;

export function onCleanup(task: Task): () => void {
  tasks.add(task);
  installExitHandlers();
  return () => tasks.delete(task);
}

export async function runCleanup(): Promise<void> {
  const all = [...tasks];
  tasks.clear();
  await Promise.allSettled(all.map((t) => t()));
}

/**
 * Runs the cleanup, then exits with `code`. The first exit wins: a later normal return does not
 * replace the code of a crash already being handled; a second signal exits at once.
 */
export async function exitWith(code: number, fromSignal = false): Promise<never> {
  if (exiting) {
    if (fromSignal) process.exit(code);
    return new Promise<never>(() => {});
  }
  exiting = true;
  const timer = setTimeout(() => process.exit(code), 5_000);
  timer.unref();
  await runCleanup();
  process.exit(code);
}

/** Installed first thing: a signal that lands while the helper is being created must still clean up. */
export function installExitHandlers(): void {
  if (installed) return;
  installed = true;
  const bySignal: [NodeJS.Signals, number][] = [
    ['SIGINT', 130],
    ['SIGTERM', 143],
    ['SIGHUP', 129],
  ];
  for (const [sig, code] of bySignal) process.on(sig, () => void exitWith(code, true));
  const fatal = (err: unknown) => {
    const text = process.env.LAYERTOP_DEBUG
      ? ((err as Error)?.stack ?? String(err))
      : `internal error: ${((err as Error)?.message ?? String(err)).split('\n')[0]} (LAYERTOP_DEBUG=1 shows where)`;
    process.stderr.write(`layertop: ${text}\n`);
    void exitWith(1);
  };
  process.on('uncaughtException', fatal);
  process.on('unhandledRejection', fatal);
}
