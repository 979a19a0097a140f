// The host's processes as /proc shows them (Linux): what the local helper needs to watch the
// engine's process and to end its loops' sessions, and what the tests use to see them.
import { closeSync, openSync, readdirSync, readFileSync, readSync } from 'node:fs';

/** The PIDs of the processes now (none where /proc cannot be read). */
export function pids(): number[] {
  try {
    return readdirSync('/proc')
      .filter((d) => /^\d+$/.test(d))
      .map(Number);
  } catch {
    return [];
  }
}

/**
 * One read's room for a /proc/<pid>/stat (a few hundred bytes: a name of at most 64 bytes and 50
 * numbers). Read into this one buffer, not with readFileSync: /proc reports a size of 0, so that
 * reads in 64 kB buffers and joins them, and a look at every process (endSessions, at the end of
 * every scan with the local helper) took 17 ms of the thread at scale.
 */
const statBuf = Buffer.alloc(4096);

/** /proc/<pid>/stat's fields from the 3rd on (the name, field 2, may hold spaces and ')'). */
export function statFields(pid: number | string): string[] | undefined {
  let stat: string;
  try {
    const fd = openSync(`/proc/${pid}/stat`, 'r');
    try {
      const n = readSync(fd, statBuf, 0, statBuf.length, 0);
      // Filled: longer than ever seen, read whole the slow way rather than cut.
      stat =
        n < statBuf.length ? statBuf.toString('latin1', 0, n) : readFileSync(`/proc/${pid}/stat`, 'latin1');
    } finally {
      closeSync(fd);
    }
  } catch {
    return undefined;
  }
  const close = stat.lastIndexOf(')');
  // Torn or empty (the process went between open and read): not a process to act on.
  if (close < 0) return undefined;
  return stat.slice(close + 2).split(' ');
}

/** A process's start time (clock ticks since boot; the 22nd field), or undefined. */
export function processStart(pid: number): string | undefined {
  return statFields(pid)?.[19];
}

/**
 * The live processes whose session ID (the 6th field) is one of these, with their groups, and
 * whether this look read every leader's own stat (a leader not yet reaped is there, if only as a
 * zombie: a look that missed one, /proc unreadable or out of file descriptors, proves nothing).
 */
function sessionMembers(sessions: ReadonlySet<number>): {
  members: { pid: number; pgid: number }[];
  sawLeaders: boolean;
} {
  const members: { pid: number; pgid: number }[] = [];
  let leadersSeen = 0;
  for (const pid of pids()) {
    const f = statFields(pid);
    if (f && sessions.has(pid) && Number(f[3]) === pid) leadersSeen++;
    // A zombie is dead already: its parent reaps it, or init does.
    if (!f || f[0] === 'Z' || !sessions.has(Number(f[3]))) continue;
    members.push({ pid, pgid: Number(f[2]) });
  }
  return { members, sawLeaders: leadersSeen === sessions.size };
}

/** What endSessions sleeps on between its looks (Atomics.wait: the thread gives up its core). */
const pause = new Int32Array(new SharedArrayBuffer(4));
/** How long endSessions waits, in all, for killed processes to be gone. */
const END_WAIT_MS = 500;

/**
 * SIGKILLs every live process of these sessions, group by group, until none is left: a process
 * may fork between one look at /proc and its kill (a shell starting `find`), and a group's kill
 * takes its members at once. Callers pass only sessions whose leader is not yet reaped (see
 * killLocal). Between looks the thread sleeps (1, 2, 4 ... 32 ms): a killed process dies only once
 * a core runs it, and on two busy cores (CI filling its scale engines) killed shells stayed
 * runnable for up to 160 ms while twenty looks in a row, with no pause, took the core they
 * needed. Bounded (END_WAIT_MS, looks and sleeps): a process that cannot die (uninterruptible sleep) is not
 * waited for longer. Returns true once a look that read every leader found no live process
 * left: those sessions then stay empty (nothing is left in them to fork; a zombie leader's other
 * threads, which could, are not something these shells have), until their leaders are reaped
 * and the IDs can be another's. False where that was not seen (a leader reaped already, /proc
 * unreadable, a process still there after the wait).
 */
export function endSessions(leaders: readonly number[]): boolean {
  if (!leaders.length) return true;
  const sessions = new Set(leaders);
  // A deadline on the clock, looks included (each reads every process's stat: 5-17 ms at scale).
  const deadline = performance.now() + END_WAIT_MS;
  for (let pass = 0; ; pass++) {
    const { members, sawLeaders } = sessionMembers(sessions);
    if (!members.length) return sawLeaders;
    const left = deadline - performance.now();
    if (left <= 0) return false;
    // Each group once, then each member (one that left its group meanwhile).
    const targets = new Set([...members.map((m) => -m.pgid), ...members.map((m) => m.pid)]);
    for (const target of targets) {
      try {
        // A group of such a session holds only that session's processes (POSIX): never ours.
        if (target !== 0 && target !== -process.pid) process.kill(target, 'SIGKILL');
      } catch {
        // gone already
      }
    }
    Atomics.wait(pause, 0, 0, Math.min(2 ** pass, 32, left));
  }
}
