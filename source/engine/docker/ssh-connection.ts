// ssh:// hosts the way the docker CLI reaches them (cli/connhelper): each HTTP connection is one run
// of the SYSTEM ssh, `ssh [-l user] [-p port] -o ConnectTimeout=30 -T -- host docker system
// dial-stdio`, and the connection is that process's stdin and stdout. So ~/.ssh/config, keys, the
// agent, ProxyJump and known_hosts all apply, and ssh itself refuses a changed or unknown host key.
import { type ChildProcess, spawn } from 'node:child_process';
import type { AgentOptions } from 'node:http';
import { createRequire } from 'node:module';
import { Duplex } from 'node:stream';
import type { SshTarget } from './endpoint.js';

/** How long an idle kept-alive connection (an ssh process) waits for the next request. */
const IDLE_MS = 15_000;
/** How many stderr bytes of an ssh run are kept for the error message. */
const STDERR_KEEP = 8192;

/** The argv of ssh for one connection, as docker/cli builds it, plus BatchMode (never prompt). */
export function sshArgs(target: SshTarget): string[] {
  const args: string[] = [];
  if (target.user) args.push('-l', target.user);
  if (target.port) args.push('-p', target.port);
  args.push('-o', 'ConnectTimeout=30', '-o', 'BatchMode=yes', '-T', '--', target.host);
  // The remote command is one string that the remote user's shell reads: quote the socket path.
  const remote = target.socketPath
    ? ['docker', shellQuote(`--host=unix://${target.socketPath}`), 'system', 'dial-stdio']
    : ['docker', 'system', 'dial-stdio'];
  args.push(remote.join(' '));
  return args;
}

function shellQuote(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/** A failed ssh run: the reason in one sentence, then ssh's last stderr lines. */
export class SshConnectError extends Error {
  override name = 'SshConnectError';
  constructor(
    message: string,
    readonly exitCode: number | null,
    readonly stderr: string,
  ) {
    super(message);
  }
}

/** Turns an ssh exit and its stderr into a message a person can act on. */
export function describeSshFailure(
  target: SshTarget,
  exitCode: number | null,
  signal: NodeJS.Signals | null,
  stderr: string,
): string {
  const where = target.port ? `[${target.host}]:${target.port}` : target.host;
  const who = `${target.user ? `${target.user}@` : ''}${target.host}${target.port ? `:${target.port}` : ''}`;
  let why: string;
  const changed = /Host key for (\S+) has changed/.exec(stderr);
  const unknown = /No \S+ host key is known for (\S+)/.exec(stderr);
  if (changed || /REMOTE HOST IDENTIFICATION HAS CHANGED/.test(stderr)) {
    why =
      `the host key for ${changed?.[1] ?? where} changed: it differs from the one in known_hosts, ` +
      'so ssh refused to connect';
  } else if (unknown || /Host key verification failed/.test(stderr)) {
    // With BatchMode ssh says only "Host key verification failed." for a host it does not know.
    why =
      `the host key for ${unknown?.[1] ?? where} is not known (no entry in known_hosts accepts it), ` +
      'and ssh runs here without asking (BatchMode): check the key and record it first, ' +
      `e.g. by connecting once with \`ssh ${target.port ? `-p ${target.port} ` : ''}${target.host}\``;
  } else if (/Permission denied \(/.test(stderr)) {
    why = `ssh could not log in as ${who} (no key or agent identity was accepted; ssh never asks for a password here)`;
  } else if (exitCode === 127 || /docker: (command )?not found|docker: No such file/.test(stderr)) {
    why = 'the remote host has no `docker` on its PATH (layertop runs `docker system dial-stdio` there)';
  } else if (exitCode === null) {
    why = `ssh to ${who} was ended by ${signal ?? 'a signal'}`;
  } else {
    why = `ssh to ${who} failed (exit status ${exitCode})`;
  }
  const lines = stderr
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l && !/^@+$/.test(l));
  const tail = lines.slice(-4).map((l) => `\n  ssh: ${l}`);
  return `${why}${tail.join('')}`;
}

/** Every ssh process still running, so that no exit path leaves one behind. */
const live = new Set<ChildProcess>();
let exitHookInstalled = false;
function killAllOnExit(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const child of live) {
      try {
        child.kill('SIGTERM');
      } catch {
        // gone already
      }
    }
  });
}

/** The number of ssh processes this process has running (tests). */
export function liveSshProcesses(): number {
  return live.size;
}

/**
 * One connection: ssh's stdin is what we write, its stdout what we read. EOF is given only once
 * ssh has exited: a failed ssh (host key refused, login refused) turns into an error carrying its
 * stderr instead of a bare "socket hang up". It offers the socket methods Node's HTTP client calls.
 */
export class SshSocket extends Duplex {
  readonly connecting = false;
  private readonly child: ChildProcess;
  private stderr = '';
  private idleMs = 0;
  private idleTimer: NodeJS.Timeout | undefined;
  private exited = false;

  constructor(
    private readonly target: SshTarget,
    command = 'ssh',
  ) {
    super({ allowHalfOpen: false });
    killAllOnExit();
    // Its own session, as docker/cli does: the terminal's Ctrl-C reaches layertop, which then
    // cleans up over these connections, and ssh never reads a password from the terminal.
    const child = spawn(command, sshArgs(target), { stdio: ['pipe', 'pipe', 'pipe'], detached: true });
    this.child = child;
    live.add(child);
    child.stdout?.on('data', (d: Buffer) => {
      if (this.destroyed) return;
      this.touch();
      if (!this.push(d)) child.stdout?.pause();
    });
    child.stderr?.on('data', (d: Buffer) => {
      this.stderr = (this.stderr + d.toString('utf8')).slice(-STDERR_KEEP);
    });
    // A write after ssh died fails with EPIPE; the exit below says why.
    child.stdin?.on('error', () => undefined);
    child.on('error', (err: NodeJS.ErrnoException) => {
      this.exited = true;
      live.delete(child);
      const why =
        err.code === 'ENOENT'
          ? 'no `ssh` on PATH: layertop runs the system ssh client for ssh:// hosts, as the docker CLI does'
          : `cannot run ssh: ${err.message}`;
      this.destroy(new SshConnectError(why, null, ''));
    });
    child.on('close', (code, signal) => {
      this.exited = true;
      live.delete(child);
      if (this.destroyed) return;
      if (code === 0) {
        this.push(null);
        return;
      }
      this.destroy(
        new SshConnectError(describeSshFailure(this.target, code, signal, this.stderr), code, this.stderr),
      );
    });
  }

  /** ssh's stderr so far (tests, debugging). */
  get sshStderr(): string {
    return this.stderr;
  }

  override _read(): void {
    this.child.stdout?.resume();
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    this.touch();
    const stdin = this.child.stdin;
    if (!stdin || stdin.destroyed) {
      cb();
      return;
    }
    stdin.write(chunk, () => cb());
  }

  override _final(cb: (err?: Error | null) => void): void {
    // Half-close, as the CLI's CloseWrite does: dial-stdio passes the EOF on to the engine.
    const stdin = this.child.stdin;
    if (stdin && !stdin.destroyed) stdin.end(() => cb());
    else cb();
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
    if (!this.exited) {
      this.child.stdin?.destroy();
      try {
        this.child.kill('SIGTERM');
      } catch {
        // gone already
      }
    }
    cb(err);
  }

  private touch(): void {
    if (!this.idleMs) return;
    if (this.idleTimer) this.idleTimer.refresh();
  }

  // Socket methods Node's HTTP client and agent call.
  setTimeout(ms: number, cb?: () => void): this {
    if (cb) this.once('timeout', cb);
    this.idleMs = ms;
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
    if (ms > 0) {
      this.idleTimer = setTimeout(() => this.emit('timeout'), ms);
      this.idleTimer.unref();
    }
    return this;
  }

  setNoDelay(): this {
    return this;
  }

  setKeepAlive(): this {
    return this;
  }

  destroySoon(): void {
    if (this.writable) this.end();
    if (this.writableFinished) this.destroy();
    else this.once('finish', () => this.destroy());
  }

  ref(): this {
    this.child.ref();
    for (const s of [this.child.stdin, this.child.stdout, this.child.stderr])
      (s as unknown as { ref?: () => void } | null)?.ref?.();
    return this;
  }

  unref(): this {
    this.child.unref();
    for (const s of [this.child.stdin, this.child.stdout, this.child.stderr])
      (s as unknown as { unref?: () => void } | null)?.unref?.();
    return this;
  }
}

// Through require: an ES module import of node:http reads its lazy WebSocket and fetch exports,
// which load undici (41-58 ms at every start; see plainAgent in docker-client.ts).
const { Agent } = createRequire(import.meta.url)('node:http') as typeof import('node:http');

/**
 * The agent dockerode's requests go through for an ssh:// host (modem option `agent`). Idle
 * connections are kept a little while (one ssh login per request would cost a handshake each),
 * at most a few, and never keep the process alive; hijacked attach and exec streams leave the
 * agent and live as long as their stream.
 */
export class SshAgent extends Agent {
  private readonly idle = new WeakMap<Duplex, NodeJS.Timeout>();

  constructor(
    readonly target: SshTarget,
    private readonly command = 'ssh',
    options: AgentOptions = {},
  ) {
    super({ keepAlive: true, maxFreeSockets: 4, ...options });
  }

  override createConnection(): Duplex {
    return new SshSocket(this.target, this.command);
  }

  override keepSocketAlive(socket: Duplex): boolean {
    // biome-ignore lint/suspicious/noExplicitAny: Node's typings take a net.Socket; ours is its stand-in.
    const kept = super.keepSocketAlive(socket as any) as unknown as boolean;
    if (kept === false) return false;
    const t = setTimeout(() => socket.destroy(), IDLE_MS);
    t.unref();
    this.idle.set(socket, t);
    return true;
  }

  override reuseSocket(socket: Duplex, req: Parameters<import('node:http').Agent['reuseSocket']>[1]): void {
    const t = this.idle.get(socket);
    if (t) clearTimeout(t);
    this.idle.delete(socket);
    // biome-ignore lint/suspicious/noExplicitAny: as above.
    super.reuseSocket(socket as any, req);
  }
}
