import { type ChildProcess, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { Duplex } from 'node:stream';
import type Dockerode from 'dockerode';
import { endSessions, processStart } from '../../process/proc-table.js';
import { mark } from '../../process/timing.js';
import type { EngineClient } from '../docker/docker-client.js';
import { describeEngineError, EngineError } from '../docker/engine-error.js';
import { BULK_ARGS_MAX, chunkByBytes, type HelperReply } from './helper-frames.js';
import { HelperError, HelperLane } from './helper-lane.js';
import type { HelperOp } from './helper-ops.js';
import { type FileStat, parseRead, parseStat, TornReadError } from './helper-read.js';
import { HELPER_KEEPER, HELPER_MAIN } from './helper-script.js';

export { HelperError } from './helper-lane.js';

export const HELPER_LABEL = 'io.layertop.helper';
export const OWNER_LABEL = 'io.layertop.owner';
/** A kept helper (--keep-helper): the value says which program and image it runs (keepKey). */
export const KEEP_LABEL = 'io.layertop.keep';
/** A kept helper's mode ("privileged" or "capabilities"), for the runs that join it. */
const MODE_LABEL = 'io.layertop.mode';
/**
 * Who created a kept helper ("<host>:<pid>"), in place of OWNER_LABEL: a layertop of before
 * --keep-helper reaps a helper whose owner is gone, and a kept one outlives its creator on purpose.
 */
const KEPT_BY_LABEL = 'io.layertop.kept-by';

export interface HelperOptions {
  image?: string;
  /** Force the PID whose mount namespace holds the engine's storage. */
  targetPid?: number;
  /**
   * Engine's DockerRootDir: picks the dockerd that owns it when several run. A promise (the
   * engine's /info still on its way): the container is created meanwhile, the root awaited after.
   */
  dataRoot?: string | Promise<string | undefined>;
  /** Test hook: skip the --privileged attempt. */
  noPrivileged?: boolean;
  /**
   * Run the request loops as processes of this run, not in a container (root on the engine's own
   * host: see startHelper). `engineId` is the engine's /info ID: the loops must find that very
   * engine's data root (its engine-id file), or the session fails with LocalEngineMismatch.
   */
  local?: { engineId: Promise<string | undefined> };
  /** Use the engine host's GNU find where it has one (default); false: the helper's busybox only. */
  hostTools?: boolean;
  /** Parallel request streams (execs into the helper); default: one per CPU core, 2 to 4. */
  lanes?: number;
  /**
   * Keep the helper for this many idle seconds after the run, and join one kept before
   * (--keep-helper): the next run execs into it instead of starting a container.
   */
  keepSeconds?: number;
  onLog?: (line: string) => void;
  /** Called with the session before any container exists, so an exit handler can close it. */
  onSession?: (session: HelperSession) => void;
  /** Called once when a ready session is lost (its container's stream ended: killed, engine gone). */
  onLost?: (session: HelperSession) => void;
}

/** The engine's answer to a create naming an image it does not have (404 "No such image: ..."). */
const isNoSuchImage = (err: unknown): boolean =>
  (err as { statusCode?: number }).statusCode === 404 &&
  /no such image/i.test(String((err as Error).message));

export type HelperState = 'starting' | 'ready' | 'lost' | 'closed';

/** A local helper's loops do not see the engine /info describes (another host's, a VM's). */
export class LocalEngineMismatch extends HelperError {
  override name = 'LocalEngineMismatch';
}

/** A local loop's whole environment: a fixed PATH, the C locale, its own scratch directory. */
const LOCAL_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
/** Where a local helper's scratch directory is made (see spawnLocalLoop). */
export const LOCAL_TMP_BASE = '/tmp';

/** Ops whose output is one section per run, so a long list may go in several requests. */
const PER_PATH_OPS = /^(read|stat|access|du|reclaim:[A-Za-z0-9+/=]+)$/;

/** Splits a list into runs of at most `max` bytes (each argument plus its NUL). */
export function chunkArgs(args: readonly (string | Buffer)[], max: number): (string | Buffer)[][] {
  return chunkByBytes(args, (a) => Buffer.byteLength(a) + 1, max);
}

/** The capability set that works where the engine refuses --privileged (see README). */
const FALLBACK_CAPS = ['SYS_ADMIN', 'SYS_PTRACE', 'DAC_READ_SEARCH'];

/**
 * ONE long-lived helper container per layertop run, answering many requests over its attached stream.
 * It dies with layertop whatever the exit: StdinOnce closes its stdin when our connection drops,
 * its loop ends, and AutoRemove deletes it. close() removes it at once on orderly exits.
 */
export class HelperSession {
  state: HelperState = 'starting';
  /** The PID whose /proc/<pid>/root is the engine's mount namespace (0: the helper's own view). */
  hostPid = 0;
  /** How the loops run: in a container (privileged, or with capabilities), or as local processes. */
  mode: 'privileged' | 'capabilities' | 'local' = 'privileged';
  /** dockerd and containerd processes the helper saw on the engine host, with their arguments. */
  processes: { pid: number; comm: string; args: string[] }[] = [];
  /** The engine's data root, once known (HelperOptions.dataRoot). */
  private dataRoot: string | undefined;
  /** The engine host's find has GNU -printf: walks take one host process and one lstat per entry. */
  hostFind = false;
  private lanes: HelperLane[] = [];
  private container: Dockerode.Container | undefined;
  /** The create request in flight: a close() during it removes what it creates (Ctrl-C at start). */
  private creating: Promise<Dockerode.Container> | undefined;
  private closing: Promise<void> | undefined;

  private constructor(
    private readonly client: EngineClient,
    private readonly options: HelperOptions,
  ) {}

  get containerId(): string | undefined {
    return this.container?.id;
  }

  static async start(client: EngineClient, options: HelperOptions = {}): Promise<HelperSession> {
    const session = new HelperSession(client, options);
    options.onSession?.(session);
    try {
      await session.launch();
      mark('helper-main-ready');
      // The extra lanes join as they become ready (an exec each, 50-80 ms at scale): the session
      // is ready once the main lane knows where the engine is, and its first requests go there.
      void session.addLanes().then(() => mark('helper-lanes'));
      session.dataRoot = await options.dataRoot;
      await session.locateEngineNamespace();
      if (options.local) {
        // The start time first: the engine-id read below is then proven to be the watched
        // process's (an engine that restarted between the two fails the watch's first look).
        const started = session.engineProcessStart();
        session.checkLocalEngine(await options.local.engineId);
        session.watchEngineProcess(started);
      }
      await session.probeHostFind();
      mark('helper-ready');
    } catch (err) {
      await session.close();
      throw err;
    }
    return session;
  }

  private get image(): string {
    return this.options.image ?? 'busybox';
  }

  private async ensureImage(): Promise<void> {
    const { docker } = this.client;
    try {
      await docker.getImage(this.image).inspect();
      return;
    } catch (err) {
      if ((err as { statusCode?: number }).statusCode !== 404) {
        throw new EngineError(describeEngineError(err, this.client.endpoint.host));
      }
    }
    try {
      const stream = await docker.pull(this.image);
      await new Promise<void>((res, rej) => docker.modem.followProgress(stream, (e) => (e ? rej(e) : res())));
    } catch (err) {
      throw new HelperError(
        `the helper image "${this.image}" is not on the engine and could not be pulled (${(err as Error).message.split('\n')[0]}); ` +
          `load it with \`docker pull ${this.image}\` (or \`docker load\`), or pass --helper-image NAME`,
      );
    }
  }

  private async launch(): Promise<void> {
    if (this.options.local) {
      this.mode = 'local';
      this.mainLane = this.newLane(this.spawnLocalLoop(), false);
      await this.waitReady(this.mainLane);
      this.state = 'ready';
      return;
    }
    if (this.options.keepSeconds && (await this.joinKept())) return;
    try {
      await this.createPrivilegedOrNot();
    } catch (err) {
      // Created without asking first whether the image is there (a request less at every
      // start): the engine's "No such image" is that answer; then it is pulled (or the reason
      // said), and created again.
      if (!isNoSuchImage(err)) throw err;
      await this.ensureImage();
      await this.createPrivilegedOrNot();
    }
  }

  private async createPrivilegedOrNot(): Promise<void> {
    try {
      await this.createAndStart(!this.options.noPrivileged);
    } catch (err) {
      if (this.options.noPrivileged || isNoSuchImage(err)) throw err;
      // Some engines refuse --privileged (a bounding set without CAP_SYS_RESOURCE, rootless, ...).
      this.options.onLog?.(
        `helper: --privileged refused (${(err as Error).message.split('\n')[0]}); using capabilities`,
      );
      await this.removeContainer();
      await this.createAndStart(false);
    }
  }

  private async createAndStart(privileged: boolean): Promise<void> {
    const { docker } = this.client;
    if (this.state === 'closed') throw new HelperError('the helper session was closed during start-up');
    // A container this attempt creates is removed on any failure until it is started.
    this.keptRunning = false;
    this.mode = privileged ? 'privileged' : 'capabilities';
    const hostConfig: Dockerode.HostConfig = {
      PidMode: 'host',
      // The host's network, not a namespace of its own: making and tearing down a network
      // namespace was 175 ms of every start (`docker start` median 520 ms with --network none,
      // 345 ms with host, 5 runs each, Docker 26.1.5). It grants nothing the helper lacks: with
      // --pid=host and CAP_SYS_ADMIN it can enter the host's namespaces anyway, and no op of it
      // opens a socket.
      NetworkMode: 'host',
      AutoRemove: true,
      // Replies travel on the attached stream; with the engine's default log driver dockerd also
      // wrote every one to a JSON log on the very disk layertop measures (12 MB after three
      // scans here) and spent CPU encoding it. Attaching does not need a log.
      LogConfig: { Type: 'none', Config: {} },
      // The helper's scratch files (lists it walks, names) live in memory: on its writable layer
      // they were a few KB of the very disk it measures, present while it measured itself.
      Tmpfs: { '/tmp': 'rw,mode=1777' },
      ...(privileged
        ? { Privileged: true }
        : { CapAdd: FALLBACK_CAPS, SecurityOpt: ['seccomp=unconfined', 'apparmor=unconfined'] }),
    };
    mark('helper-create');
    const keep = this.options.keepSeconds;
    this.creating = docker.createContainer({
      // Named after layertop so that `docker ps` says what it is; the PID tells runs apart.
      name: `layertop-helper-${keep ? 'kept-' : ''}${process.pid}-${randomBytes(3).toString('hex')}`,
      Image: this.image,
      // A kept helper's main process is the keeper, with no stream: every loop is an exec.
      Entrypoint: keep ? ['sh', '-c', HELPER_KEEPER, 'lt-keeper', String(keep)] : ['sh', '-c', HELPER_MAIN],
      Cmd: [],
      OpenStdin: !keep,
      StdinOnce: !keep,
      AttachStdin: !keep,
      AttachStdout: !keep,
      AttachStderr: !keep,
      Tty: false,
      Labels: {
        [HELPER_LABEL]: '1',
        ...(keep
          ? {
              [KEEP_LABEL]: this.keepKey,
              [MODE_LABEL]: this.mode,
              [KEPT_BY_LABEL]: `${hostname()}:${process.pid}`,
            }
          : { [OWNER_LABEL]: `${hostname()}:${process.pid}` }),
      },
      HostConfig: hostConfig,
    });
    try {
      this.container = await this.creating;
    } finally {
      this.creating = undefined;
    }
    mark('helper-created');
    if ((this.state as HelperState) === 'closed') {
      // close() ran while the container was being created (Ctrl-C during start-up).
      await this.removeContainer();
      throw new HelperError('the helper session was closed during start-up');
    }
    if (keep) {
      await this.container.start();
      mark('helper-started');
      // Started: another run may join it from now on, so this run never removes it. If its first
      // loop fails, it goes by itself (its keeper waits 30 s, or SECONDS, for a loop that never comes).
      this.keptRunning = true;
      if ((this.state as HelperState) === 'closed')
        throw new HelperError('the helper session was closed during start-up');
      this.mainLane = await this.execLane(this.container);
      this.state = 'ready';
      return;
    }
    const stream = (await this.container.attach({
      stream: true,
      stdin: true,
      stdout: true,
      stderr: true,
      hijack: true,
    })) as unknown as Duplex;
    const lane = this.newLane(stream);
    this.mainLane = lane;
    await this.container.start();
    mark('helper-started');
    if ((this.state as HelperState) === 'closed')
      throw new HelperError('the helper session was closed during start-up');
    await this.waitReady(lane);
    this.state = 'ready';
  }

  /** The request loop's command: a kept helper's loops register with its keeper. */
  private get loopCmd(): string[] {
    return this.options.keepSeconds ? ['sh', '-c', HELPER_MAIN, 'lt', 'keep'] : ['sh', '-c', HELPER_MAIN];
  }

  /**
   * Which kept helpers this run may join: the same loop and keeper programs, the same image, and
   * --privileged not refused by a test hook (a different layertop version starts its own).
   */
  private get keepKey(): string {
    return createHash('sha256')
      .update([HELPER_MAIN, HELPER_KEEPER, this.image, this.options.noPrivileged ? 'caps' : 'any'].join('\0'))
      .digest('hex')
      .slice(0, 16);
  }

  /** A kept helper whose keeper runs (this run must never remove it: others may join it). */
  private keptRunning = false;

  /**
   * Joins a running kept helper (the newest first): true once its loop is ready. One that is
   * closing (its loop leaves at once) or gone meanwhile is passed over.
   */
  private async joinKept(): Promise<boolean> {
    const { docker } = this.client;
    // No list (the engine refused it): a helper of this run's own, as without a kept one.
    const list = (await docker
      .listContainers({
        filters: { label: [`${KEEP_LABEL}=${this.keepKey}`], status: ['running'] },
      })
      .catch(() => [])) as { Id: string; Created: number; Labels?: Record<string, string> }[];
    for (const c of list.sort((a, b) => b.Created - a.Created)) {
      if (this.state === 'closed') throw new HelperError('the helper session was closed during start-up');
      const container = docker.getContainer(c.Id);
      try {
        const lane = await this.execLane(container);
        this.container = container;
        this.keptRunning = true;
        this.mainLane = lane;
        this.mode = c.Labels?.[MODE_LABEL] === 'capabilities' ? 'capabilities' : 'privileged';
        this.state = 'ready';
        mark('helper-joined');
        return true;
      } catch (err) {
        if ((this.state as HelperState) === 'closed') throw err;
        this.options.onLog?.(
          `helper: kept helper ${c.Id.slice(0, 12)} not joined (${(err as Error).message})`,
        );
      }
    }
    return false;
  }

  /** An exec of the request loop in the container, its stream attached (not yet ready). */
  private async execLoop(container: Dockerode.Container): Promise<Duplex> {
    const exec = await container.exec({
      Cmd: this.loopCmd,
      AttachStdin: true,
      AttachStdout: true,
      AttachStderr: true,
      Tty: false,
    });
    return (await exec.start({ hijack: true, stdin: true })) as unknown as Duplex;
  }

  /** A request loop exec'd into the container, ready; one that fails is dropped. */
  private async execLane(container: Dockerode.Container): Promise<HelperLane> {
    const stream = await this.execLoop(container);
    if (this.state === 'closed') {
      stream.destroy();
      throw new HelperError('the helper session was closed during start-up');
    }
    const lane = this.newLane(stream);
    try {
      await this.waitReady(lane);
    } catch (err) {
      lane.close();
      this.lanes = this.lanes.filter((l) => l !== lane);
      throw err;
    }
    return lane;
  }

  private newLane(stream: Duplex, framed = true): HelperLane {
    const lane = new HelperLane(stream, (l) => this.onLaneLost(l), this.options.onLog, framed);
    this.lanes.push(lane);
    return lane;
  }

  private async waitReady(lane: HelperLane): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, rej) => {
      timer = setTimeout(() => rej(new HelperError('the helper did not answer within 20 s')), 20_000);
    });
    try {
      await Promise.race([lane.ready, timeout]);
    } catch (err) {
      if (err instanceof HelperError && /lost/.test(err.message)) {
        throw new HelperError('the helper exited during start-up');
      }
      throw err;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Extra lanes: execs running the same loop, so that big walks use every core. */
  private async addLanes(): Promise<void> {
    const want = this.options.lanes ?? 2;
    const container = this.container;
    if (!container && !this.options.local) return;
    this.joining = Math.max(0, want - 1);
    await Promise.all(
      Array.from({ length: Math.max(0, want - 1) }, async () => {
        let joined = false;
        try {
          const stream = container ? await this.execLoop(container) : this.spawnLocalLoop();
          this.joining--;
          joined = true;
          // Closed meanwhile: the lane would join a session that no longer closes it.
          if (this.state === 'closed') {
            stream.destroy();
            return;
          }
          await this.waitReady(this.newLane(stream, Boolean(container)));
          this.dispatch();
        } catch (err) {
          if (!joined) this.joining--;
          // One lane is enough to work; more only make it faster.
          this.options.onLog?.(`helper: extra lane unavailable (${(err as Error).message})`);
        }
      }),
    );
    this.lanes = this.lanes.filter((l) => l.alive);
  }

  private onLaneLost(lane: HelperLane): void {
    this.lanes = this.lanes.filter((l) => l !== lane);
    // The attached main process is the container's life: when it goes, the session is lost.
    if (lane === this.mainLane || this.lanes.length === 0) {
      if (this.state === 'ready') {
        this.state = 'lost';
        queueMicrotask(() => this.options.onLost?.(this));
      }
      for (const l of [...this.lanes])
        l.lose(new HelperError('the helper session was lost (did the engine stop or restart?)'));
    }
    // Waiting requests go to the lanes left, or fail with the reason.
    queueMicrotask(() => this.dispatch());
  }

  private mainLane: HelperLane | undefined;

  /** Lanes still joining (see start): counted, so that work is split for them as well. */
  private joining = 0;

  /** Number of requests that can run at once. */
  get parallelism(): number {
    return Math.max(1, this.lanes.length + this.joining);
  }

  /**
   * Sends one request; resolves with its reply whatever the exit status. Requests wait in one
   * queue and go to whichever lane is idle first, so a quick request never sits behind a long
   * walk while another lane has nothing to do (and its timeout starts when it starts).
   */
  request(
    op: HelperOp,
    args: readonly (string | Buffer)[] = [],
    timeoutMs = 120_000,
    pid = this.hostPid,
    /** Takes stdout as it arrives, in pieces valid during the call; the reply's stdout is empty. */
    sink?: (chunk: Buffer) => void,
  ): Promise<HelperReply> {
    if (this.state !== 'ready' || !this.lanes.length) return Promise.reject(this.unavailable());
    return new Promise<HelperReply>((resolve, reject) => {
      // A request that cannot even start in time (every lane still busy with a late one) fails.
      // A short limit is the run's (fread's 20 s), not the wait for a lane, which a scan's walks
      // can hold for longer: the wait is the default's two minutes at least.
      const startWithin = Math.max(timeoutMs, 120_000);
      const timer = setTimeout(() => {
        const i = this.queue.indexOf(job);
        if (i < 0) return;
        this.queue.splice(i, 1);
        reject(
          new HelperError(
            `helper request "${op}" could not start within ${Math.round(startWithin / 1000)} s`,
          ),
        );
      }, startWithin);
      timer.unref();
      const job = { op, args, timeoutMs, pid, resolve, reject, timer, sink };
      this.queue.push(job);
      this.dispatch();
    });
  }

  private queue: {
    op: string;
    args: readonly (string | Buffer)[];
    timeoutMs: number;
    pid: number;
    resolve: (r: HelperReply) => void;
    reject: (e: Error) => void;
    timer: NodeJS.Timeout;
    sink: ((chunk: Buffer) => void) | undefined;
  }[] = [];

  private unavailable(): HelperError {
    const why = this.state === 'lost' ? 'lost (did the engine stop or restart?)' : this.state;
    return new HelperError(`the helper session is ${why}`);
  }

  private dispatch(): void {
    if (this.state !== 'ready' || !this.lanes.length) {
      for (const job of this.queue.splice(0)) {
        clearTimeout(job.timer);
        job.reject(this.unavailable());
      }
      return;
    }
    for (const lane of this.lanes) {
      if (!this.queue.length) return;
      if (lane.load > 0 || !lane.alive || !lane.isReady) continue;
      const job = this.queue.shift();
      if (!job) return;
      clearTimeout(job.timer);
      lane
        .request(job.op, job.args, job.timeoutMs, job.pid, job.sink)
        .then(job.resolve, job.reject)
        .finally(() => this.dispatch());
    }
  }

  /** Like request(), but a non-zero exit status becomes an error carrying the helper's stderr. */
  async run(
    op: HelperOp,
    args: readonly (string | Buffer)[] = [],
    timeoutMs?: number,
    /** Takes stdout as it arrives (see request); the list then goes in one request, unsplit. */
    sink?: (chunk: Buffer) => void,
  ): Promise<Buffer> {
    const r = sink
      ? await this.request(op, args, timeoutMs, this.hostPid, sink)
      : PER_PATH_OPS.test(op)
        ? await this.requestChunked(op, args, timeoutMs)
        : await this.request(op, args, timeoutMs);
    if (r.status !== 0) {
      const why = r.status === 124 || r.status === 143 ? 'timed out' : r.stderr.toString('utf8').trim();
      throw new HelperError(`helper ${op} failed (${r.status}): ${why}`);
    }
    return r.stdout;
  }

  /**
   * Reads whole files (trusted paths: the layer store's, image configs). A file that vanished or
   * changed while it was read (another prune deleting, an engine writing) tears the reply: see
   * {@link untorn}.
   */
  async readFiles(paths: readonly string[]): Promise<(Buffer | undefined)[]> {
    return this.untorn(paths, async (p) => parseRead(await this.run('read', p), p.length));
  }

  /** stat of trusted paths, asked again when torn like {@link readFiles}. */
  async statFiles(paths: readonly string[]): Promise<(FileStat | undefined)[]> {
    return this.untorn(paths, async (p) => parseStat(await this.run('stat', p), p.length));
  }

  /**
   * Asks for a list again when its reply was torn by a file vanishing meanwhile. While another
   * prune deletes hundreds of files, every whole-list retry can tear on a different one: after two
   * tries the list is halved (the halves that stay whole are done), down to single paths; a single
   * path that still tears and no longer exists is absent (undefined), one that exists but keeps
   * changing is an error, never a guess.
   */
  private async untorn<T>(
    paths: readonly string[],
    ask: (paths: readonly string[]) => Promise<(T | undefined)[]>,
  ): Promise<(T | undefined)[]> {
    for (let attempt = 1; attempt <= 2; attempt++) {
      try {
        return await ask(paths);
      } catch (err) {
        if (!(err instanceof TornReadError)) throw err;
        if (attempt === 2 && paths.length === 1) {
          // A stat torn too means the file went between the test and the stat: gone as well.
          const gone = await this.run('stat', paths).then(
            (out) => parseStat(out, 1)[0] === undefined,
            (e: unknown) => (e instanceof TornReadError ? true : Promise.reject(e)),
          );
          if (gone) return [undefined];
          throw err;
        }
      }
    }
    const mid = Math.ceil(paths.length / 2);
    const head = await this.untorn(paths.slice(0, mid), ask);
    const tail = await this.untorn(paths.slice(mid), ask);
    return [...head, ...tail];
  }

  /**
   * Ops whose output is a section per run of the op (read, stat, rdev, access, du: their parsers
   * read any number of runs) take lists of any length: split into requests that each fit one run
   * (BULK_ARGS_MAX), sent in order, their outputs joined. Walks cannot be split like that: their
   * callers batch them (measure.ts), and a list too long for one run is refused.
   */
  private async requestChunked(
    op: HelperOp,
    args: readonly (string | Buffer)[],
    timeoutMs?: number,
  ): Promise<HelperReply> {
    const chunks = chunkArgs(args, BULK_ARGS_MAX - 4096);
    if (chunks.length <= 1) return this.request(op, args, timeoutMs);
    const replies = await Promise.all(chunks.map((c) => this.request(op, c, timeoutMs)));
    const failed = replies.find((r) => r.status !== 0);
    return {
      id: replies[0]?.id ?? 0,
      status: failed?.status ?? 0,
      stdout: Buffer.concat(replies.map((r) => r.stdout)),
      stderr: Buffer.concat(replies.map((r) => r.stderr)),
    };
  }

  /** Local loops (HelperOptions.local) and the scratch directory they share. */
  private children: ChildProcess[] = [];
  /** Loops (unreaped) whose sessions killLocal found empty: their exit need not look again. */
  private emptySessions = new Set<number>();
  private localTmp: string | undefined;

  /**
   * One request loop as a process of this run: the same program as in the container, run by the
   * host's own sh (dash on Debian: lists then go the bulk way, see helper-main.sh) and tools.
   */
  private spawnLocalLoop(): Duplex {
    try {
      // In /tmp itself, not the caller's TMPDIR (`sudo -E` keeps a user's, where that user could
      // swap the directory whose ops file root then sources): a new directory of mode 0700.
      this.localTmp ??= mkdtempSync(join(LOCAL_TMP_BASE, 'layertop-helper-'));
    } catch (err) {
      throw new HelperError(`no scratch directory for the local helper (${(err as Error).message})`);
    }
    const child = spawn('/bin/sh', ['-c', HELPER_MAIN, 'lt', 'local'], {
      stdio: ['pipe', 'pipe', 'pipe'],
      cwd: '/',
      // A session of its own (setsid): close() ends everything it started (endSessions), and the
      // terminal's Ctrl-C goes to layertop, which then closes it (as it removes a container).
      detached: true,
      // Nothing of the caller's environment: a PATH, the locale and TMPDIR of layertop's choosing.
      env: { PATH: LOCAL_PATH, LC_ALL: 'C', TMPDIR: this.localTmp },
    });
    this.children.push(child);
    child.stderr?.on('data', (d: Buffer) =>
      this.options.onLog?.(`helper stderr: ${d.toString('utf8').trim()}`),
    );
    const stream = Duplex.from({ readable: child.stdout, writable: child.stdin });
    // A loop that cannot start (no /bin/sh) or dies: its lane is lost, with the reason logged.
    child.on('error', (err) => {
      this.options.onLog?.(`helper: local loop failed (${err.message})`);
      stream.destroy();
    });
    child.on('exit', () => {
      stream.destroy();
      // What the loop started ends with it, at once: its session ID is still held until node
      // reaps the loop (this event), so none of another session can be taken for it. Not again
      // where killLocal found that session empty already (a look at every process: 5-10 ms at
      // the end of every scan, per loop).
      const pid = child.pid;
      if (pid && !this.emptySessions.delete(pid)) endSessions([pid]);
    });
    return stream;
  }

  /**
   * A local session is lost with the engine's process, as a helper container is (the explorer then
   * starts a new one once the engine is back): its loops would otherwise go on reading through the
   * /proc/<pid>/root of a process that is gone, or is another process by now.
   */
  private engineProcessStart(): string {
    const pid = this.hostPid;
    const started = processStart(pid);
    if (started === undefined)
      throw new HelperError(
        `the local helper cannot watch the engine's process ${pid} (no /proc/${pid}/stat)`,
      );
    return started;
  }

  private watchEngineProcess(started: string): void {
    const pid = this.hostPid;
    if (processStart(pid) !== started)
      throw new HelperError(`the engine's process ${pid} changed while the local helper started`);
    const timer = setInterval(() => {
      if (this.state === 'closed' || this.state === 'lost') clearInterval(timer);
      else if (processStart(pid) !== started) {
        clearInterval(timer);
        for (const l of [...this.lanes])
          l.lose(new HelperError('the helper session was lost (did the engine stop or restart?)'));
        this.killLocal();
      }
    }, 1_000);
    timer.unref();
  }

  /**
   * A local session measures only the engine it was asked about: the data root its loops found
   * (through the dockerd they chose) must hold that engine's engine-id (written by dockerd since
   * 23.0). Another engine's data root at the same path (a VM's engine behind a forwarded socket,
   * a second engine on the host) fails here, and the caller starts a container instead.
   */
  private checkLocalEngine(engineId: string | undefined): void {
    const root = this.dataRoot;
    let found: string | undefined;
    try {
      if (root && engineId)
        found = readFileSync(`/proc/${this.hostPid}/root${root}/engine-id`, 'utf8').trim();
    } catch {
      found = undefined;
    }
    if (!engineId || !found || found !== engineId)
      throw new LocalEngineMismatch(
        `the local helper found no engine-id ${engineId ?? '(none in /info)'} in ${root ?? '(no data root)'}`,
      );
  }

  /**
   * Finds the dockerd whose mount namespace holds the data root: with --pid=host the helper sees
   * host PIDs. Prefer the dockerd whose command line names the data root, then any dockerd that
   * can see it, then PID 1. --target-pid overrides.
   */
  private async locateEngineNamespace(): Promise<void> {
    const out = (await this.run('procs', [], 20_000)).toString('latin1');
    const procs = out
      .split('\n')
      .filter(Boolean)
      .map((line) => {
        const [pid, comm, ...rest] = line.split(' ');
        return { pid: Number(pid), comm: comm ?? '', args: rest.join(' ').split('\x01') };
      });
    this.processes = procs;
    if (this.options.targetPid !== undefined) {
      this.hostPid = this.options.targetPid;
      await this.checkRoot();
      return;
    }
    const dataRoot = this.dataRoot;
    const dockerds = procs.filter((p) => p.comm === 'dockerd');
    const named = dataRoot
      ? dockerds.filter((p) => p.args.some((a) => a === dataRoot || a === `--data-root=${dataRoot}`))
      : [];
    // A local helper takes a dockerd it found, never PID 1: run in a container that mounts the
    // engine's socket and data root, PID 1 is that container's own init, which sees the files but
    // not the engine's mount namespace (the container then measures exactly instead).
    const candidates = [
      ...named,
      ...dockerds.filter((p) => !named.includes(p)),
      ...(this.options.local ? [] : [{ pid: 1 }]),
    ];
    for (const c of candidates) {
      this.hostPid = c.pid;
      if (!dataRoot) return;
      const ok = (await this.run('access', [dataRoot])).toString().trim() === '1';
      if (ok) return;
    }
    throw new HelperError(
      `the helper cannot reach the engine's data root ${dataRoot ?? ''} through any dockerd${this.options.local ? '' : ' or PID 1'}; ` +
        'pass --target-pid PID (the PID of dockerd on the engine host)',
    );
  }

  /** Probed once: GNU find on the engine host (Debian, most Linux servers); busybox hosts say no. */
  private async probeHostFind(): Promise<void> {
    if (this.options.hostTools === false || !this.hostPid) return;
    const r = await this.request('gprobe', [], 20_000);
    this.hostFind = r.status === 0 && /^0 \d+ \d+ \d+ \d+ \d+ d \d+\0\0\0$/.test(r.stdout.toString('latin1'));
    this.options.onLog?.(`helper: host find ${this.hostFind ? 'has' : 'lacks'} -printf`);
  }

  private async checkRoot(): Promise<void> {
    const dataRoot = this.dataRoot;
    if (!dataRoot) return;
    const ok = (await this.run('access', [dataRoot])).toString().trim() === '1';
    if (!ok) throw new HelperError(`PID ${this.hostPid} does not see the data root ${dataRoot}`);
  }

  private async removeContainer(): Promise<void> {
    const c = this.container;
    this.container = undefined;
    for (const job of this.queue.splice(0)) {
      clearTimeout(job.timer);
      job.reject(new HelperError('the helper session was closed'));
    }
    const lanes = this.lanes;
    this.lanes = [];
    this.mainLane = undefined;
    // Removed before its streams close: closing them first ended the helper's loop, AutoRemove
    // began, and this removal was refused as "in progress" and returned at once, so layertop
    // exited while the engine was still removing it (a `docker system df -v` just after failed
    // on the containerd store: "snapshot ... does not exist").
    try {
      // A kept helper stays for the next run (its keeper removes it once idle): this run only
      // closes its own loops (finally), which then end and leave it.
      if (c && !this.keptRunning) {
        await c.remove({ force: true });
        mark('helper-removed');
      }
    } catch (err) {
      // Already being removed: wait (briefly) until it is gone. Already gone, or the engine is
      // unreachable: nothing to wait for (the reaper handles leftovers).
      if ((err as { statusCode?: number }).statusCode === 409 && c)
        await Promise.race([
          c.wait({ condition: 'removed' }).catch(() => undefined),
          new Promise((r) => setTimeout(r, 5_000).unref()),
        ]);
    } finally {
      for (const l of lanes) l.close();
      this.killLocal();
    }
  }

  /** Ends the local loops and whatever they run (their sessions), then their scratch files. */
  private killLocal(): void {
    // Each loop leads a session of its own (spawn's detached: setsid). Everything it started is in
    // that session, also what left its process group (GNU timeout makes a group of its own: a kill
    // of the loop's group alone left its xargs and find walking). Only loops not yet reaped: their
    // PIDs, and so their session IDs, cannot belong to anyone else; a loop reaped already had its
    // session ended then (spawnLocalLoop's exit handler).
    const live = this.children
      .splice(0)
      .filter((c) => c.exitCode === null && c.signalCode === null && c.pid)
      .map((c) => c.pid as number);
    if (endSessions(live)) for (const pid of live) this.emptySessions.add(pid);
    try {
      // Retried: a loop killed a moment ago may still finish the system call that adds an entry
      // (ENOTEMPTY: a SIGTERM mid-walk at scale left the directory once in two tries).
      if (this.localTmp)
        rmSync(this.localTmp, { recursive: true, force: true, maxRetries: 5, retryDelay: 20 });
    } catch {
      // a scratch directory that cannot go now is removed by the last loop, or left in /tmp
    }
    this.localTmp = undefined;
  }

  /** Stops and removes the helper. Safe to call more than once. */
  close(): Promise<void> {
    if (this.closing && this.container) this.closing = this.closing.then(() => this.removeContainer());
    if (!this.closing) {
      this.state = 'closed';
      const pending = this.creating;
      this.closing = (async () => {
        await this.removeContainer();
        // Closed while the engine was still creating the container: wait for it and remove it
        // here, so that the exit which awaits close() never leaves it behind in "Created".
        const late = await pending?.catch(() => undefined);
        if (late) await late.remove({ force: true }).catch(() => undefined);
      })();
    }
    return this.closing;
  }
}

/**
 * Removes helpers left by layertop processes that no longer exist on this machine.
 * Helpers owned by a live process, or by another machine, are left alone.
 */
export async function reapStaleHelpers(client: EngineClient): Promise<number> {
  const list = (await client.docker.listContainers({
    all: true,
    filters: { label: [HELPER_LABEL] },
  })) as { Id: string; State?: string; Labels?: Record<string, string> }[];
  let removed = 0;
  for (const c of list) {
    // A kept helper outlives its creator on purpose (its keeper removes it once idle); only one
    // that never ran (its creator killed between the create and the start) goes like any. Not
    // one paused: its keeper ran, and runs that joined it may still hold its loops.
    const kept = c.Labels?.[KEEP_LABEL] !== undefined;
    if (kept && c.State !== 'created') continue;
    const owner = (kept ? c.Labels?.[KEPT_BY_LABEL] : c.Labels?.[OWNER_LABEL]) ?? '';
    const sep = owner.lastIndexOf(':');
    const host = owner.slice(0, sep);
    const pid = Number(owner.slice(sep + 1));
    if (host !== hostname() || !Number.isInteger(pid) || pid === process.pid) continue;
    if (processAlive(pid)) continue;
    try {
      await client.docker.getContainer(c.Id).remove({ force: true });
      removed++;
    } catch {
      // removed meanwhile
    }
  }
  return removed;
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
