// The tests' view of the host's processes (they run as root beside the engines): the product's
// /proc reading (source/process/proc-table.ts), plus parents and arguments.
import { readFileSync } from 'node:fs';
import { statFields } from '../../source/process/proc-table.js';

export { pids, statFields } from '../../source/process/proc-table.js';

/** A process's parent PID (undefined: gone). */
export function parentOf(pid: number): number | undefined {
  const f = statFields(pid);
  return f ? Number(f[1]) : undefined;
}

/** A process's arguments (undefined: gone). */
export function argvOf(pid: number): string[] | undefined {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'latin1').split('\0');
  } catch {
    return undefined;
  }
}
