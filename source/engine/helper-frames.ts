// Parsers for the helper's attached stream. Pure and incremental: bytes go in as they arrive,
// complete units come out. Kept apart from the session so they are unit-tested on hand-made bytes.

/** Splits Docker's multiplexed attach stream (8-byte headers: type, 0, 0, 0, uint32 BE length). */
export class DockerDemuxer {
  private buf: Buffer = Buffer.alloc(0);
  constructor(private readonly onChunk: (stream: 'stdout' | 'stderr', data: Buffer) => void) {}

  push(data: Buffer): void {
    this.buf = this.buf.length === 0 ? data : Buffer.concat([this.buf, data]);
    while (this.buf.length >= 8) {
      const type = this.buf[0];
      const len = this.buf.readUInt32BE(4);
      if (this.buf.length < 8 + len) return;
      const payload = this.buf.subarray(8, 8 + len);
      this.buf = this.buf.subarray(8 + len);
      this.onChunk(type === 2 ? 'stderr' : 'stdout', payload);
    }
  }
}

export interface HelperReply {
  id: number;
  status: number;
  stdout: Buffer;
  stderr: Buffer;
}

const HEADER = /^LT1 (\d+) (\d+) (\d+) (\d+)$/;

/** Reassembles `LT1 <id> <status> <out> <err>\n<out bytes><err bytes>` frames. */
export class ReplyParser {
  private buf: Buffer = Buffer.alloc(0);
  private pending: { id: number; status: number; out: number; err: number } | undefined;

  constructor(
    private readonly onReply: (reply: HelperReply) => void,
    private readonly onGarbage: (text: string) => void,
  ) {}

  push(data: Buffer): void {
    this.buf = this.buf.length === 0 ? data : Buffer.concat([this.buf, data]);
    for (;;) {
      if (!this.pending) {
        const nl = this.buf.indexOf(0x0a);
        if (nl < 0) return;
        const line = this.buf.subarray(0, nl).toString('latin1');
        this.buf = this.buf.subarray(nl + 1);
        const m = HEADER.exec(line);
        if (!m) {
          // Anything else on stdout is the shell complaining before a frame: surface it, keep going.
          this.onGarbage(line);
          continue;
        }
        this.pending = { id: Number(m[1]), status: Number(m[2]), out: Number(m[3]), err: Number(m[4]) };
      }
      const { id, status, out, err } = this.pending;
      if (this.buf.length < out + err) return;
      const stdout = Buffer.from(this.buf.subarray(0, out));
      const stderr = Buffer.from(this.buf.subarray(out, out + err));
      this.buf = this.buf.subarray(out + err);
      this.pending = undefined;
      this.onReply({ id, status, stdout, stderr });
    }
  }
}

/** Argument lists up to this size travel raw after the line and run in the loop's own subshell. */
// The loop reads raw arguments a byte per system call (about 4 µs a byte here), while the
// base64 path starts three programs (about 15 ms): past 4 KiB base64 is cheaper.
export const RAW_ARGS_MAX = 4096;

/**
 * Encodes a request: `<id> <op> <timeout s> <pid> <payload> <count>\n`. Small argument lists
 * travel raw after the line, each NUL-terminated (payload "+", count = how many): the loop reads
 * them with `read -d ''` and runs the op in a subshell, with no process to start. Big lists
 * travel as base64 of the NUL-separated list (count 0), which `xargs -0` turns into argv in runs,
 * under `timeout`. Either way no path is ever parsed as shell code.
 */
export function encodeRequest(
  id: number,
  op: string,
  timeoutSec: number,
  pid: number,
  args: readonly (string | Buffer)[],
  /** The loop can read raw arguments (see HELPER_MAIN); false: always base64. */
  raw = true,
): Buffer {
  if (!/^[a-z]+(:[A-Za-z0-9+/=]+)?$/.test(op)) throw new Error(`helper: bad op ${JSON.stringify(op)}`);
  // Paths are bytes: a Buffer argument goes through unchanged (names that are not valid UTF-8).
  const parts = args.map((a) => (typeof a === 'string' ? Buffer.from(a, 'utf8') : a));
  for (const p of parts) {
    if (p.includes(0)) throw new Error('helper: a path cannot contain a NUL byte');
  }
  const list = Buffer.concat(parts.flatMap((p) => [p, Buffer.from([0])]));
  const head = `${id} ${op} ${Math.max(1, Math.ceil(timeoutSec))} ${pid}`;
  if (raw && list.length <= RAW_ARGS_MAX)
    return Buffer.concat([Buffer.from(`${head} + ${parts.length}\n`), list]);
  return Buffer.from(`${head} ${list.length ? list.toString('base64') : '-'} 0\n`);
}
