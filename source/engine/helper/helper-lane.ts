import { randomBytes } from 'node:crypto';
import type { Duplex } from 'node:stream';
import { mark } from '../../process/timing.js';
import { DockerDemuxer, encodeRequest, type HelperReply, ReplyParser } from './helper-frames.js';

const TRACE_OPS = Boolean(process.env.LAYERTOP_TIMING_OPS && process.env.LAYERTOP_TIMING_FILE);
/** An argument's last 30 characters (bytes, latin1), escaped as JSON: how a trace names it. */
const traceEnd = (a: string | Buffer | undefined) =>
  JSON.stringify(Buffer.isBuffer(a) ? a.subarray(-30).toString('latin1') : (a ?? '').slice(-30));

export class HelperError extends Error {
  override name = 'HelperError';
}

interface Pending {
  resolve: (r: HelperReply) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
  /** Timed out: the caller has its error, but the loop is still busy with it until it replies. */
  late?: boolean;
}

/**
 * One request/reply stream to a helper shell loop: the container's attached main process, or an
 * exec into it. Requests on one lane run one after another; lanes run side by side.
 */
export class HelperLane {
  private nextId = 1;
  private pending = new Map<number, Pending>();
  private readonly replies: ReplyParser;
  private readyResolve!: () => void;
  private readyReject!: (e: Error) => void;
  readonly ready: Promise<void>;
  alive = true;
  /** The loop said it is ready: requests may go. */
  isReady = false;
  /** The loop's shell reads raw NUL-terminated arguments (busybox ash; not dash). */
  rawArgs = false;

  constructor(
    private readonly stream: Duplex,
    private readonly onLost: (lane: HelperLane) => void,
    onLog?: (line: string) => void,
    /** Docker's multiplexed frames (an attach or exec); false: a local process's plain stdout. */
    framed = true,
  ) {
    this.ready = new Promise((res, rej) => {
      this.readyResolve = res;
      this.readyReject = rej;
    });
    this.ready.catch(() => {});
    const replies = new ReplyParser(
      (r) => this.onReply(r),
      (line) => onLog?.(`helper: ${line}`),
    );
    this.replies = replies;
    const demux = new DockerDemuxer((which, data) => {
      if (which === 'stdout') replies.push(data);
      else onLog?.(`helper stderr: ${data.toString('utf8').trim()}`);
    });
    stream.on('data', framed ? (d: Buffer) => demux.push(d) : (d: Buffer) => replies.push(d));
    const lost = () =>
      this.lose(new HelperError('the helper session was lost (did the engine stop or restart?)'));
    stream.on('end', lost);
    stream.on('close', lost);
    stream.on('error', lost);
  }

  get load(): number {
    return this.pending.size;
  }

  private onReply(reply: HelperReply): void {
    if (reply.id === 0) {
      this.isReady = true;
      this.rawArgs = reply.stdout.toString('latin1') === 'ready raw';
      this.readyResolve();
      return;
    }
    const p = this.pending.get(reply.id);
    if (!p) return;
    this.pending.delete(reply.id);
    clearTimeout(p.timer);
    // A reply after its timeout only frees the lane.
    if (!p.late) p.resolve(reply);
  }

  lose(err: Error): void {
    if (!this.alive) return;
    this.alive = false;
    this.readyReject(err);
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      if (!p.late) p.reject(err);
    }
    this.pending.clear();
    this.onLost(this);
  }

  request(
    op: string,
    args: readonly (string | Buffer)[],
    timeoutMs: number,
    pid: number,
    /** Takes stdout as it arrives (see ReplyParser.expect); the reply's stdout is then empty. */
    sink?: (chunk: Buffer) => void,
  ): Promise<HelperReply> {
    if (!this.alive) return Promise.reject(new HelperError('the helper session was lost'));
    const id = this.nextId++;
    const nonce = randomBytes(16).toString('hex');
    let line: Buffer;
    try {
      line = encodeRequest(id, op, timeoutMs / 1000, pid, args, nonce, this.rawArgs);
    } catch (err) {
      return Promise.reject(new HelperError((err as Error).message));
    }
    // A sink that throws (a parser refusing what it reads) must not break this lane's stream: its
    // first error is kept, the rest of the reply is only skipped, and the request fails with it.
    let sinkError: unknown;
    const safeSink =
      sink &&
      ((chunk: Buffer) => {
        if (sinkError !== undefined) return;
        try {
          sink(chunk);
        } catch (err) {
          sinkError = err;
        }
      });
    this.replies.expect(id, nonce, safeSink);
    // LAYERTOP_TIMING_OPS=1 (with LAYERTOP_TIMING_FILE): each request's send and reply, to see
    // which of a command's helper round trips are on its critical path.
    // The first and last argument's ends tell one request from another (which walk, which files).
    // Escaped (JSON): the trace is read a line at a time, split at spaces, and a name may hold anything.
    const traced = TRACE_OPS
      ? `op ${op} #${id} ${args.length} ${traceEnd(args[0])}|${traceEnd(args.at(-1))}`
      : undefined;
    if (traced) mark(`${traced} sent`);
    return new Promise<HelperReply>((res, reject) => {
      const resolve = (r: HelperReply) => {
        if (traced) mark(`${traced} done ${r.stdout.length}`);
        return sinkError !== undefined ? reject(sinkError) : res(r);
      };
      const timer = setTimeout(() => {
        const p = this.pending.get(id);
        if (p) p.late = true;
        reject(new HelperError(`helper request "${op}" timed out after ${Math.round(timeoutMs / 1000)} s`));
      }, timeoutMs + 2_000);
      this.pending.set(id, { resolve, reject, timer });
      this.stream.write(line);
    });
  }

  close(): void {
    this.lose(new HelperError('the helper session was closed'));
    this.stream.destroy();
  }
}
