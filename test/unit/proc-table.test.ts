import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { endSessions, pids, statFields } from '../../source/process/proc-table.js';

// Linux only (/proc), as the local helper that uses it.
const inSession = (sid: number) =>
  pids().filter((p) => Number(statFields(p)?.[3]) === sid && statFields(p)?.[0] !== 'Z');

describe.runIf(process.platform === 'linux')('endSessions', () => {
  it('ends every process of a session, also one in a group of its own, and says the session is empty', async () => {
    // A leader with a child in its group and one that made a group of its own (as GNU timeout does).
    // perl's setpgrp: a process group of its own, in the same session.
    const child = spawn('/bin/sh', ['-c', "sleep 30 & perl -e 'setpgrp(0, 0); sleep 31' & wait"], {
      detached: true,
      stdio: 'ignore',
    });
    const pid = child.pid as number;
    const groups = () => new Set(inSession(pid).map((p) => statFields(p)?.[2])).size;
    try {
      // Until perl has made its group (a fork counts in the session before it has).
      for (let i = 0; i < 250 && (inSession(pid).length < 3 || groups() < 2); i++)
        await new Promise((r) => setTimeout(r, 20));
      expect(inSession(pid).length).toBeGreaterThanOrEqual(3);
      expect(groups()).toBeGreaterThanOrEqual(2);
      const exited = new Promise((r) => child.once('exit', r));
      expect(endSessions([pid])).toBe(true);
      expect(inSession(pid)).toEqual([]);
      await exited;
      // Reaped: its session is no longer seen whole, so nothing is claimed about it.
      expect(endSessions([pid])).toBe(false);
    } finally {
      for (const p of inSession(pid)) process.kill(p, 'SIGKILL');
    }
  });

  it('has nothing to do for no session', () => {
    expect(endSessions([])).toBe(true);
  });
});
