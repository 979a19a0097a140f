import { readFileSync } from 'node:fs';
import { mark } from '../process/timing.js';
import type { ApiInfo } from './docker/api-types.js';
import { connectEngine, type EngineClient } from './docker/docker-client.js';
import { type Endpoint, resolveEndpoint } from './docker/endpoint.js';
import { getInfo } from './docker/inventory.js';
import { type Watch, watchEngine } from './docker/watchdog.js';
import { HelperError, type HelperOptions, HelperSession, reapStaleHelpers } from './helper/helper-session.js';
import { SizeCache } from './helper/size-cache.js';

export interface SessionOptions {
  host?: string | undefined;
  context?: string | undefined;
  helperImage?: string | undefined;
  targetPid?: number | undefined;
  /** Keep the helper this many idle seconds for the next run, and join a kept one (--keep-helper). */
  keepHelper?: number | undefined;
  /**
   * Where the helper's loops run (--helper-mode): `local`, processes of this run (root on the
   * engine's host); `container` (the default here), the helper container; `auto` (the CLI's
   * default), local where it can be, else the container.
   */
  helperMode?: HelperMode | undefined;
  noHelper?: boolean | undefined;
  noHostTools?: boolean | undefined;
  onLog?: ((line: string) => void) | undefined;
  onSession?: ((session: HelperSession) => void) | undefined;
  /** The helper was lost (its container gone, or the engine). */
  onLost?: ((session: HelperSession) => void) | undefined;
  /**
   * This engine stopped answering: in place of the process-wide handler (onEngineFrozen), so a
   * fleet loses that engine only.
   */
  onFrozen?: ((message: string) => void) | undefined;
}

export interface EngineSession {
  endpoint: Endpoint;
  client: EngineClient;
  info: ApiInfo;
  helper: HelperSession | undefined;
}

export type HelperMode = 'auto' | 'local' | 'container';

/**
 * Why this run cannot read the engine's storage itself (undefined: it can try). Local reading needs
 * root on Linux, an engine behind a unix socket (on this kernel: not tcp, not ssh), and nothing
 * that asks for a container (--helper-image, --keep-helper).
 */
export function localHelperRefusal(endpoint: Endpoint, options: SessionOptions): string | undefined {
  if (process.platform !== 'linux') return 'layertop does not run on Linux';
  if (process.getuid?.() !== 0) return 'layertop does not run as root';
  if (!endpoint.modem.socketPath || endpoint.ssh)
    return `the engine (${endpoint.host}) is not on a local socket`;
  if (!hasLocalCapabilities()) return 'layertop lacks the capabilities the helper has (root in a container?)';
  if (options.helperImage) return '--helper-image asks for a container';
  if (options.keepHelper) return '--keep-helper keeps a container';
  return undefined;
}

/** CAP_DAC_READ_SEARCH, CAP_SYS_PTRACE, CAP_SYS_ADMIN: what the helper container is given. */
const LOCAL_CAPS = [2, 19, 21];

/** This process has the helper's capabilities in its effective set (/proc/self/status CapEff). */
function hasLocalCapabilities(): boolean {
  try {
    const m = /^CapEff:\s*([0-9a-f]+)$/m.exec(readFileSync('/proc/self/status', 'latin1'));
    if (!m?.[1]) return false;
    const eff = BigInt(`0x${m[1]}`);
    return LOCAL_CAPS.every((bit) => ((eff >> BigInt(bit)) & 1n) === 1n);
  } catch {
    return false;
  }
}

let frozenHandler: ((message: string) => void) | undefined;

/**
 * For commands that must not hang (the CLI): every engine this process connects to is watched
 * (watchdog.ts) and `handler` gets one clear message when it stops answering. The explorer does
 * not set it: it shows the state and waits for the engine instead.
 */
export function onEngineFrozen(handler: (message: string) => void): void {
  frozenHandler = handler;
}

/** Connects to the engine (no helper yet): enough for the first frame. */
export async function connect(
  options: SessionOptions,
): Promise<{ endpoint: Endpoint; client: EngineClient; info: ApiInfo; watch?: Watch }> {
  const { endpoint, client, watch } = await connectClient(options);
  try {
    const info = await getInfo(client);
    return { endpoint, client, info, ...(watch ? { watch } : {}) };
  } catch (err) {
    watch?.stop();
    throw err;
  }
}

/** The client, its API version negotiated, and the engine watched: before /info. */
async function connectClient(
  options: SessionOptions,
): Promise<{ endpoint: Endpoint; client: EngineClient; watch?: Watch }> {
  const endpoint = resolveEndpoint({ host: options.host, context: options.context });
  const client = await connectEngine(endpoint);
  const handler = options.onFrozen ?? frozenHandler;
  let watch: Watch | undefined;
  if (handler)
    watch = await watchEngine(client, {
      // Over ssh a ping may need a new connection, and its login counts against the deadline.
      ...(endpoint.ssh ? { deadlineMs: 10_000 } : {}),
      onFrozen: (s) =>
        handler(
          `the Docker engine at ${endpoint.host} is not answering (no reply for ${s} s): is it frozen or overloaded?`,
        ),
    });
  return { endpoint, client, ...(watch ? { watch } : {}) };
}

/**
 * Starts the one helper of this run, clearing helpers whose layertop process is gone meanwhile:
 * the clearing never touches this run's helper (its owner is this process), so it need not come
 * first, and it is done by the time the helper is ready (35 ms off every start at scale).
 */
export async function startHelper(
  client: EngineClient,
  /** The engine's /info, or its request under way (the container is created meanwhile). */
  info: ApiInfo | Promise<ApiInfo>,
  options: SessionOptions,
): Promise<HelperSession> {
  const reaping = reapStaleHelpers(client).catch(() => 0);
  // Awaited only once the container is up: an /info that fails meanwhile is not left unhandled
  // (the session says why where /info itself is awaited).
  const dataRoot = Promise.resolve(info).then((i) => i.DockerRootDir);
  dataRoot.catch(() => {});
  // What both ways of running the loops share.
  const common: HelperOptions = {
    ...(options.targetPid !== undefined ? { targetPid: options.targetPid } : {}),
    dataRoot,
    ...(options.noHostTools ? { hostTools: false } : {}),
    ...(options.onLog ? { onLog: options.onLog } : {}),
    ...(options.onSession ? { onSession: options.onSession } : {}),
    ...(options.onLost ? { onLost: options.onLost } : {}),
  };
  const mode = options.helperMode ?? 'container';
  const refusal = mode === 'container' ? 'container' : localHelperRefusal(client.endpoint, options);
  if (mode === 'local' && refusal)
    throw new HelperError(`--helper-mode local: ${refusal}; drop it to use the helper container`);
  if (!refusal) {
    // Root on the engine's own host: the loops run here, with no container to create and start
    // (0.4-0.5 s at every run, and nothing privileged left on the engine). The engine must be the
    // one this host's loops find (checkLocalEngine), or a container measures it as usual.
    // Never unhandled: an /info that fails is said where /info itself is awaited.
    const engineId = Promise.resolve(info).then((i) => i.ID);
    engineId.catch(() => {});
    const local = HelperSession.start(client, { ...common, local: { engineId } });
    try {
      return (await Promise.all([local, reaping]))[0];
    } catch (err) {
      // Auto: a local start that fails (another engine's data root, no dockerd found, no /bin/sh) leaves
      // the container to try, as before there was a local mode; one closed meanwhile (Ctrl-C) ends.
      if (mode === 'local' || !(err instanceof HelperError) || /closed/.test(err.message)) throw err;
      options.onLog?.(`helper: local loops unusable (${err.message}); using the helper container`);
    }
  }
  const helper = HelperSession.start(client, {
    ...common,
    ...(options.helperImage ? { image: options.helperImage } : {}),
    ...(options.keepHelper ? { keepSeconds: options.keepHelper } : {}),
  });
  return (await Promise.all([helper, reaping]))[0];
}

export interface OpenOptions extends SessionOptions {
  /** No size cache file: everything is measured afresh. */
  noCache?: boolean | undefined;
  /**
   * Runs once the engine has answered /info, before the size cache is read: what the caller will
   * ask the engine first (a scan's lists: askInventoryEarly) is then computed beside that read.
   */
  beforeCache?: ((client: EngineClient, info: ApiInfo) => void) | undefined;
}

/**
 * One open engine session, as every command and the explorer use it: the engine (watched where
 * the process asked for it, see onEngineFrozen), the helper (started at once, beside whatever the
 * caller does next), the size cache.
 */
export interface Session {
  endpoint: Endpoint;
  client: EngineClient;
  info: ApiInfo;
  /** The helper's start, under way (undefined with noHelper); a failure surfaces where it is awaited. */
  helper: Promise<HelperSession> | undefined;
  cache: SizeCache;
  /** A new helper in place of one that was lost or failed (the explorer's recovery), for the
   *  engine as `info` describes it now (default: as it was at the start). */
  restartHelper: (info?: ApiInfo) => Promise<HelperSession>;
  /** Who is told when a ready helper is lost (its container killed, the engine gone). */
  onHelperLost: (listener: (helper: HelperSession) => void) => void;
  /** Removes the helper (every exit path does too, through onSession's clean-up hooks). */
  close: () => Promise<void>;
  /**
   * Set by a caller whose `beforeCache` asked the scan lists at once (the explorer's next launch,
   * cli/main.ts): its first event subscription then asks for the events since this `/info`.
   */
  listsAskedEarly?: boolean;
}

/** Opens a session: connect, then `check` (before any container exists), then the helper starts. */
export async function openSession(
  options: OpenOptions,
  check?: (conn: { endpoint: Endpoint; info: ApiInfo }) => void,
): Promise<Session> {
  const { endpoint, client, watch } = await connectClient(options);
  mark('connected');
  const infoRun = getInfo(client).finally(() => mark('api-info'));
  infoRun.catch(() => {}); // awaited below
  let lost: ((helper: HelperSession) => void) | undefined;
  let starting: HelperSession | undefined;
  const start = (now: ApiInfo | Promise<ApiInfo>) => {
    const h = startHelper(client, now, {
      ...options,
      onLost: (s) => lost?.(s),
      onSession: (s) => {
        starting = s;
        options.onSession?.(s);
      },
    });
    h.catch(() => {}); // awaited by the caller; a failure surfaces there
    return h;
  };
  // The helper first: its create request goes out beside /info (25-30 ms at scale) and while the
  // cache file is read; with a check to pass first (a plan file's engine), only after it.
  let helper = options.noHelper || check ? undefined : start(infoRun);
  let info: ApiInfo;
  try {
    info = await infoRun;
    check?.({ endpoint, info });
  } catch (err) {
    watch?.stop();
    // No engine answer: the helper already under way goes too (nothing left behind), at once: its
    // close during start-up removes what its create makes, without waiting for it to be ready.
    await starting?.close().catch(() => undefined);
    throw err;
  }
  if (!options.noHelper && !helper) helper = start(info);
  options.beforeCache?.(client, info);
  const session: Session = {
    endpoint,
    client,
    info,
    helper,
    // After /info, not beside the connection: its parse (60-130 ms at scale) then held the
    // connection's first answer as long, and the scan's API calls started no sooner (measured).
    cache: await SizeCache.open(options.noCache ? undefined : SizeCache.defaultFile()).finally(() =>
      mark('cache-read'),
    ),
    restartHelper: (now = info) => {
      session.helper = start(now);
      return session.helper;
    },
    onHelperLost: (listener) => {
      lost = listener;
    },
    close: async () => {
      // The watchdog's pings stop with the session (a fleet opens many in one process).
      watch?.stop();
      await (await session.helper?.catch(() => undefined))?.close();
    },
  };
  return session;
}
