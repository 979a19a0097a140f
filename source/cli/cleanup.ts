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

/** Runs the cleanup, then exits with `code`. A second signal exits at once. */
export async function exitWith(code: number): Promise<never> {
  if (exiting) process.exit(code);
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
  for (const [sig, code] of bySignal) process.on(sig, () => void exitWith(code));
  const fatal = (err: unknown) => {
    process.stderr.write(`layertop: ${(err as Error)?.stack ?? String(err)}\n`);
    void exitWith(1);
  };
  process.on('uncaughtException', fatal);
  process.on('unhandledRejection', fatal);
}
