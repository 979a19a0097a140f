// Drives layertop in a real terminal: tmux with a fixed size, send-keys, capture-pane.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { waitFor } from './engines.js';

const run = promisify(execFile);

export class Tmux {
  constructor(readonly session: string) {}

  static async start(session: string, command: string, columns = 120, rows = 30): Promise<Tmux> {
    await run('tmux', ['kill-session', '-t', session]).catch(() => undefined);
    await run('tmux', [
      'new-session',
      '-d',
      '-s',
      session,
      '-x',
      String(columns),
      '-y',
      String(rows),
      command,
    ]);
    // tmux holds an Esc for escape-time (500 ms) to see whether a key follows it, and then sends
    // the two as Alt+key: a test's Esc followed by "f" would arrive as M-f. 10 ms, as in most setups.
    await run('tmux', ['set-option', '-s', 'escape-time', '10']);
    return new Tmux(session);
  }

  async keys(...keys: string[]): Promise<void> {
    for (const k of keys) await run('tmux', ['send-keys', '-t', this.session, k]);
  }

  async type(text: string): Promise<void> {
    await run('tmux', ['send-keys', '-t', this.session, '-l', text]);
  }

  /** The screen as text (with -e: with the escape sequences tmux would draw). */
  async screen(escapes = false): Promise<string> {
    const { stdout } = await run('tmux', [
      'capture-pane',
      '-p',
      ...(escapes ? ['-e'] : []),
      '-t',
      this.session,
    ]);
    return stdout;
  }

  async display(format: string): Promise<string> {
    const { stdout } = await run('tmux', ['display-message', '-p', '-t', this.session, format]);
    return stdout.trim();
  }

  async resize(columns: number, rows: number): Promise<void> {
    await run('tmux', ['resize-window', '-t', this.session, '-x', String(columns), '-y', String(rows)]);
  }

  async waitForText(pattern: RegExp, timeoutMs = 20_000): Promise<string> {
    let last = '';
    const ok = await waitFor(
      async () => {
        last = await this.screen();
        return pattern.test(last);
      },
      timeoutMs,
      100,
    );
    if (!ok) throw new Error(`screen never matched ${pattern}:\n${last}`);
    return last;
  }

  async kill(): Promise<void> {
    await run('tmux', ['kill-session', '-t', this.session]).catch(() => undefined);
  }
}
