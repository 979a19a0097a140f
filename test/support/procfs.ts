// The tests' view of the host's processes, from /proc (the tests run as root beside the engines).
import { readdirSync, readFileSync } from 'node:fs';

/** The PIDs of the host's processes now. */
export function pids(): number[] {
  return readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .map(Number);
}

/**
 * A process's /proc/<pid>/stat fields after its name (the name may hold spaces and parentheses:
 * it ends at the last ')'): [0] state, [1] parent, [2] process group, [3] session. Undefined: gone.
 */
export function statFields(pid: number): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

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
