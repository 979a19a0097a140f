// A frozen engine (a stopped dockerd, a VM that hangs) answers nothing and refuses nothing: every
// request just waits. The watchdog pings the engine on a connection of its own, with a deadline,
// and calls onFrozen once when it has missed `misses` pings in a row, so a command can say so and
// exit instead of hanging for minutes.
import { type EngineClient, plainAgentFor } from './docker-client.js';
import { modemOptions } from './endpoint.js';

export interface WatchOptions {
  /** Between pings (ms). */
  intervalMs?: number;
  /** A ping that takes longer counts as missed (ms). */
  deadlineMs?: number;
  /** Missed pings in a row before the engine counts as not answering. */
  misses?: number;
  onFrozen: (seconds: number) => void;
  /** Called when a ping succeeds again after a miss (the explorer shows recovery). */
  onAnswering?: () => void;
}

export interface Watch {
  stop: () => void;
}

export async function watchEngine(client: EngineClient, options: WatchOptions): Promise<Watch> {
  const { default: Docker } = await import('dockerode');
  const interval = options.intervalMs ?? 3_000;
  const deadline = options.deadlineMs ?? 4_000;
  const misses = options.misses ?? 2;
  // Its own connection: the pings must not queue behind the requests that hang. Its own plain
  // agent too (see plainAgent): the first ping of a cold scan at scale spent 39 ms of the main
  // thread in Node's server-name check.
  const agent = await plainAgentFor(client.endpoint);
  const pinger = new Docker({
    ...modemOptions(client.endpoint),
    ...(agent ? { agent } : {}),
    timeout: deadline,
  });
  let missed = 0;
  let since = 0;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const once = async () => {
    let ok = false;
    const t0 = Date.now();
    try {
      await Promise.race([
        pinger.ping(),
        new Promise((_, rej) => setTimeout(() => rej(new Error('deadline')), deadline).unref()),
      ]);
      ok = true;
    } catch {
      ok = false;
    }
    if (stopped) return;
    if (ok) {
      if (missed) options.onAnswering?.();
      missed = 0;
    } else {
      if (!missed) since = t0;
      missed++;
      if (missed === misses) options.onFrozen(Math.round((Date.now() - since) / 1000));
    }
    timer = setTimeout(() => void once(), interval);
    timer.unref();
  };
  timer = setTimeout(() => void once(), interval);
  timer.unref();
  return {
    stop: () => {
      stopped = true;
      clearTimeout(timer);
    },
  };
}
