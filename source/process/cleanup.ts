// One place that knows what must be undone on exit (the helper container), whatever the exit:
// normal return, Ctrl-C, SIGTERM, SIGHUP, an uncaught error.

import { escapeText } from '../model/escape.js';

type Task = () => Promise<void>;
const tasks = new Set<Task>();
let installed = false;
let exiting = false;

/** True once an exit has begun (its cleanup may be running). */
export function isExiting(): boolean {
  return exiting;
}

export function onCleanup(task: Task): () => void {
  tasks.add(task);
  installExitHandlers();
  return () => tasks.delete(task);
}

export async function runCleanup(): Promise<void> {
  // Until none is left: a task registered while others run (a helper whose creation was already
  // under way when the exit began) is run too, not forgotten.
  while (tasks.size) {
    const all = [...tasks];
    tasks.clear();
    await Promise.allSettled(all.map((t) => t()));
  }
}

/**
 * Runs the cleanup, then exits with `code`. The first exit wins: a later normal return does not
 * replace the code of a crash already being handled; a second signal exits at once.
 */
export async function exitWith(code: number, fromSignal = false, graceMs = 5_000): Promise<never> {
  if (exiting) {
    if (fromSignal) process.exit(code);
    return new Promise<never>(() => {});
  }
  exiting = true;
  // Cleanup talks to the engine: it gets this long, then the exit goes ahead regardless.
  const timer = setTimeout(() => process.exit(code), graceMs);
  timer.unref();
  await runCleanup();
  // Output still queued for a pipe (`layertop files X --json | jq`) goes out before the exit:
  // process.exit() drops it. A reader that left (EPIPE) ends the wait at once.
  clearTimeout(timer);
  await stdoutFlushed();
  process.exit(code);
}

function stdoutFlushed(): Promise<void> {
  const out = process.stdout;
  if (out.destroyed || !out.writableLength) return Promise.resolve();
  return new Promise<void>((resolve) => {
    out.once('close', () => resolve());
    out.write('', () => resolve());
  });
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
  // One report, then no more: a report that itself fails (stderr on a full disk, a terminal that
  // hung up) must not report again. It did, through stderr's error event, in a loop of ticks that
  // starved the event loop: the helper stayed, SIGTERM was never handled, the CPU spun (seen when
  // a terminal closed under the explorer; `scan >/dev/full 2>/dev/full` never ended).
  let reported = false;
  const report = (text: string) => {
    if (reported) return;
    reported = true;
    try {
      if (!process.stderr.destroyed) process.stderr.write(text);
    } catch {
      // nowhere to report: the exit goes on
    }
  };
  const fatal = (err: unknown) => {
    const text = process.env.LAYERTOP_DEBUG
      ? ((err as Error)?.stack ?? String(err))
      : `internal error: ${((err as Error)?.message ?? String(err)).split('\n')[0]} (LAYERTOP_DEBUG=1 shows where)`;
    // An error's message can quote engine text: escaped, line by line.
    report(`layertop: ${text.split('\n').map(escapeText).join('\n')}\n`);
    void exitWith(1);
  };
  process.on('uncaughtException', fatal);
  process.on('unhandledRejection', fatal);
  // A reader that went away (`layertop files IMAGE | head -1`) ends the output, quietly: exit 0
  // after the usual cleanup. A terminal that hung up (EIO; its SIGHUP may come later or never)
  // ends the run as the hangup does. Any other failure to write the output is an error.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') void exitWith(0);
    else if (err.code === 'EIO') void exitWith(129);
    else {
      report(`layertop: cannot write the output: ${escapeText(err.message)}\n`);
      void exitWith(1);
    }
  });
  // Without stderr there is nowhere to report anything: the run carries on (its output may still
  // reach stdout), unless the terminal itself is gone.
  process.stderr.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EIO') void exitWith(129);
  });
}
