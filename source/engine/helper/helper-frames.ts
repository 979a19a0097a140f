// Parsers for the helper's attached stream. Pure and incremental: bytes go in as they arrive,
// complete units come out. Kept apart from the session so they are unit-tested on hand-made bytes.

/** Splits Docker's multiplexed attach stream (8-byte headers: type, 0, 0, 0, uint32 BE length). */
export class DockerDemuxer {
  private buf: Buffer = Buffer.alloc(0);
  constructor(private readonly onChunk: (stream: 'stdout' | 'stderr', data: Buffer) => void) {}

  push(data: Buffer): void {
    if (this.buf.length >= 8) {
      // The frame begun in an earlier chunk is completed from this one, copying only that frame
      // (Docker's frames are at most 32 KB): joining every chunk to the rest of the last copied
      // everything that came through once more.
      const need = this.buf.readUInt32BE(4) + 8 - this.buf.length;
      if (data.length < need) {
        this.buf = Buffer.concat([this.buf, data]);
        return;
      }
      this.buf = Buffer.concat([this.buf, data.subarray(0, need)]);
      this.drain();
      data = data.subarray(need);
    } else if (this.buf.length) data = Buffer.concat([this.buf, data]); // a header split in two
    this.buf = data;
    this.drain();
  }

  private drain(): void {
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

const SIZED = /^LT1 (\d+) (\d+) (\d+) (\d+)$/;
const STREAMED = /^LT2 (\d+)$/;
const TRAILER = /^ (\d+) (\d+)$/;

/** A streamed reply's body: chunks kept as they come, searched for the end marker as they come. */
interface Streamed {
  id: number;
  marker: Buffer;
  chunks: Buffer[];
  size: number;
  /** The last marker.length - 1 bytes seen: a marker can straddle two chunks. */
  tail: Buffer;
  /** Takes the body as it comes instead of `chunks` (see {@link ReplyParser.expect}). */
  sink?: ((chunk: Buffer) => void) | undefined;
}

/**
 * Reassembles the helper's replies: `LT2 <id>\n<stdout><nonce> <status> <err bytes>\n<stderr>`,
 * where the nonce is the request's own (see {@link ReplyParser.expect}), and sized frames
 * `LT1 <id> <status> <out bytes> <err bytes>\n<out><err>` (the ready line).
 */
export class ReplyParser {
  private buf: Buffer = Buffer.alloc(0);
  private pending:
    | { id: number; status: number; out: number; err: number; stdout?: Buffer | undefined }
    | undefined;
  private streamed: Streamed | undefined;
  /** A streamed body is complete; its trailer line is next. */
  private body: { id: number; stdout: Buffer } | undefined;
  private readonly nonces = new Map<
    number,
    { nonce: string; sink?: ((chunk: Buffer) => void) | undefined }
  >();

  constructor(
    private readonly onReply: (reply: HelperReply) => void,
    private readonly onGarbage: (text: string) => void,
  ) {}

  /**
   * The end marker of request `id`'s streamed reply. With `sink`, the body goes to it in pieces
   * as it arrives (views valid only during the call) and the reply's stdout is empty: a walk of
   * 400,000 entries is parsed as it comes instead of held whole, copied and decoded.
   */
  expect(id: number, nonce: string, sink?: (chunk: Buffer) => void): void {
    this.nonces.set(id, { nonce, sink });
  }

  /**
   * Feeds a streamed body; returns the bytes after its end marker, or undefined while it goes on.
   * The body goes to its sink, or to `chunks`, as views of what arrives: only the few bytes a
   * marker could start in are held back and copied (joining each chunk to them copied every byte
   * of a walk's or a file's reply once more, in the explorer's thread).
   */
  private feed(s: Streamed, data: Buffer): Buffer | undefined {
    const take = (piece: Buffer) => {
      if (!piece.length) return;
      if (s.sink) s.sink(piece);
      else {
        s.chunks.push(piece);
        s.size += piece.length;
      }
    };
    const m = s.marker.length;
    const done = () => {
      this.streamed = undefined;
      // A single chunk is a view of the caller's buffer: copied; a joined one is already fresh.
      const stdout = s.sink
        ? Buffer.alloc(0)
        : s.chunks.length === 1
          ? Buffer.from(s.chunks[0] as Buffer)
          : Buffer.concat(s.chunks, s.size);
      this.body = { id: s.id, stdout };
    };
    if (s.tail.length) {
      if (data.length < m - 1) {
        // Too short to rule out a marker that starts in the tail and ends beyond it: joined.
        const probe = Buffer.concat([s.tail, data]);
        s.tail = Buffer.alloc(0);
        return this.feed(s, probe);
      }
      // A marker across the boundary starts in the tail and ends in data's first m - 1 bytes.
      const edge = Buffer.concat([s.tail, data.subarray(0, m - 1)]);
      const at = edge.indexOf(s.marker);
      if (at >= 0) {
        take(Buffer.from(s.tail.subarray(0, at)));
        s.tail = Buffer.alloc(0);
        done();
        return data.subarray(at + m - (edge.length - (m - 1)));
      }
      take(s.tail);
      s.tail = Buffer.alloc(0);
    }
    const at = data.indexOf(s.marker);
    if (at >= 0) {
      take(data.subarray(0, at));
      done();
      return data.subarray(at + m);
    }
    const keep = Math.min(data.length, m - 1);
    take(data.subarray(0, data.length - keep));
    s.tail = Buffer.from(data.subarray(data.length - keep));
    return undefined;
  }

  push(data: Buffer): void {
    if (this.streamed) {
      const rest = this.feed(this.streamed, data);
      if (!rest) return;
      data = rest;
    }
    this.buf = this.buf.length === 0 ? data : Buffer.concat([this.buf, data]);
    for (;;) {
      if (!this.pending) {
        const nl = this.buf.indexOf(0x0a);
        if (nl < 0) return;
        const line = this.buf.subarray(0, nl).toString('latin1');
        this.buf = this.buf.subarray(nl + 1);
        const body = this.body;
        if (body) {
          this.body = undefined;
          const t = TRAILER.exec(line);
          if (t)
            this.pending = {
              id: body.id,
              status: Number(t[1]),
              out: 0,
              err: Number(t[2]),
              stdout: body.stdout,
            };
          else this.onGarbage(`bad reply trailer ${JSON.stringify(line)}`);
          continue;
        }
        const m = SIZED.exec(line);
        const s = m ? undefined : STREAMED.exec(line);
        const expected = s ? this.nonces.get(Number(s[1])) : undefined;
        const nonce = expected?.nonce;
        if (m) {
          this.pending = { id: Number(m[1]), status: Number(m[2]), out: Number(m[3]), err: Number(m[4]) };
        } else if (s && nonce) {
          const id = Number(s[1]);
          this.nonces.delete(id);
          const st: Streamed = {
            id,
            marker: Buffer.from(nonce, 'latin1'),
            chunks: [],
            size: 0,
            tail: Buffer.alloc(0),
            sink: expected?.sink,
          };
          this.streamed = st;
          const rest = this.buf;
          this.buf = Buffer.alloc(0);
          const after = this.feed(st, rest);
          if (!after) return;
          this.buf = after;
          continue;
        } else {
          // Anything else on stdout is the shell complaining before a frame: surface it, keep going.
          this.onGarbage(line);
          continue;
        }
      }
      const { id, status, out, err } = this.pending;
      if (this.buf.length < out + err) return;
      const stdout = this.pending.stdout ?? Buffer.from(this.buf.subarray(0, out));
      const stderr = Buffer.from(this.buf.subarray(out, out + err));
      this.buf = this.buf.subarray(out + err);
      this.pending = undefined;
      this.onReply({ id, status, stdout, stderr });
    }
  }
}

/** Argument lists up to this size travel raw after the line; the op runs in the loop's own shell. */
// The loop's `read` takes a system call per byte (about 3 µs each here); a bigger list is copied
// whole by `head -c` and handed to xargs, three programs (about 9 ms) whatever its size.
export const RAW_ARGS_MAX = 3072;

/**
 * The most bytes of arguments one bulk request may carry: the loop hands them to `xargs -s 262144`
 * (busybox's own default would start a new run every 32 KiB), so with room for the op's own words
 * the list reaches the op in ONE run. A bigger list is refused here, never split silently: a walk
 * split over two runs printed two status sections, and 323 of 3,043 layers read as 0 bytes.
 */
export const BULK_ARGS_MAX = 200 * 1024;

/** Cuts a list into runs whose sizes (each item's `bytes`) add up to at most `max`, in order. */
export function chunkByBytes<T>(items: readonly T[], bytes: (item: T) => number, max: number): T[][] {
  const out: T[][] = [];
  let cur: T[] = [];
  let sum = 0;
  for (const item of items) {
    const n = bytes(item);
    if (cur.length && sum + n > max) {
      out.push(cur);
      cur = [];
      sum = 0;
    }
    cur.push(item);
    sum += n;
  }
  if (cur.length) out.push(cur);
  return out;
}

/** Prefixes a raw request may declare (tags 0-7); an argument tagged "=" is literal. */
export const MAX_PREFIXES = 8;

/**
 * The shared directories worth declaring once: raw arguments cost the loop a system call per
 * byte, and a scan's paths repeat long directory names (the data root, imagedb/metadata/sha256/)
 * before 64-digit IDs. Each path's directory part is a candidate; the ones that save most win.
 */
export function prefixTable(parts: readonly Buffer[]): Buffer[] {
  const seen = new Map<string, { prefix: Buffer; n: number }>();
  for (const p of parts) {
    const slash = p.lastIndexOf(0x2f);
    if (slash < 1) continue;
    const prefix = p.subarray(0, slash + 1);
    const key = prefix.toString('latin1');
    const e = seen.get(key);
    if (e) e.n++;
    else seen.set(key, { prefix, n: 1 });
  }
  // Declaring costs the prefix once plus its NUL; each use then saves its length.
  return [...seen.values()]
    .map((e) => ({ prefix: e.prefix, saved: (e.n - 1) * e.prefix.length - 1 }))
    .filter((e) => e.saved > 0)
    .sort((a, b) => b.saved - a.saved)
    .slice(0, MAX_PREFIXES)
    .map((e) => e.prefix);
}

/** The ops that run under the bulk way's `timeout` (see helper-main.sh): their lists never go as lines. */
const TIMED_OPS = /^(fread:|du$)/;

/**
 * `<head> <bytes> <nonce>\n` and then `text` as UTF-8, made in one Buffer: a walk's list is about
 * 190 kB at scale, and a Buffer of it joined to its header's was two more such blocks of malloc's
 * heap per request (see text-pieces on why blocks of that size stay resident).
 */
function headed(op: string, head: string, nonce: string, text: string): Buffer {
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > BULK_ARGS_MAX)
    throw new Error(`helper: ${op} got ${bytes} bytes of arguments, over ${BULK_ARGS_MAX} for one run`);
  const line = `${head} ${bytes} ${nonce}\n`;
  const out = Buffer.allocUnsafe(line.length + bytes);
  out.write(line, 0, 'latin1');
  out.write(text, line.length, 'utf8');
  return out;
}

/**
 * Encodes a request: `<id> <op> <timeout s> <pid> <payload> <count> <nonce> [<prefixes>]\n`.
 * Small argument lists travel raw after the line (payload "+"): the declared prefixes, then each
 * argument tagged with one byte, "0"-"7" (that prefix + the rest) or "=" (the rest as is), all
 * NUL-terminated; the loop reads them with `read -d ''` and runs the op as a function, with no
 * process to start. Other lists (payload "-", count = their length in bytes) follow the line as
 * lines, which the loop splits at newlines into its arguments and runs the op as a function too;
 * a list with an empty argument or one holding a newline, and fread's and du's (payload "="),
 * follows as the plain NUL-separated list, which `head -c` copies whole and `xargs -0` turns into
 * argv, in runs (under `timeout` for fread and du: see helper-main.sh). Either way no path is
 * ever parsed as shell code.
 */
export function encodeRequest(
  id: number,
  op: string,
  timeoutSec: number,
  pid: number,
  args: readonly (string | Buffer)[],
  /** Ends the streamed reply (see ReplyParser.expect): random, so no output can fake it. */
  nonce: string,
  /** The loop's shell reads NUL-terminated arguments (see HELPER_MAIN); false: always the bulk way. */
  raw = true,
): Buffer {
  if (!/^[A-Za-z0-9]{16,}$/.test(nonce)) throw new Error('helper: bad nonce');
  if (!/^[a-z]+(:[A-Za-z0-9+/=]+)?(:live)?$/.test(op))
    throw new Error(`helper: bad op ${JSON.stringify(op)}`);
  const head = `${id} ${op} ${Math.max(1, Math.ceil(timeoutSec))} ${pid}`;
  // fread opens a file a running container may have swapped for a FIFO in the instant after its
  // check: its open would wait forever. The bulk way runs the op under `timeout` (the raw way runs
  // it in the loop's own shell, where nothing could end it).
  if (op.startsWith('fread:')) raw = false;
  // Only a list whose names alone fit could go raw (each is at least its last component, a tag
  // and a NUL): a scan's walk of thousands of paths goes the bulk way at once, as one string
  // encoded once (a Buffer per path and the raw attempt took 10-20 ms per request at scale, in
  // the explorer's thread).
  let least = 0;
  for (const a of args) {
    least += a.length - (typeof a === 'string' ? a.lastIndexOf('/') : a.lastIndexOf(0x2f)) + 1;
    if (least > RAW_ARGS_MAX) break;
  }
  if (least > RAW_ARGS_MAX && args.every((a) => typeof a === 'string')) {
    if (args.some((a) => (a as string).includes('\0')))
      throw new Error('helper: a path cannot contain a NUL byte');
    const strings = args as readonly string[];
    if (!TIMED_OPS.test(op) && strings.every((a) => a.length > 0 && !a.includes('\n')))
      return headed(op, `${head} -`, nonce, `${strings.join('\n')}\n`);
    return headed(op, `${head} =`, nonce, `${strings.join('\0')}\0`);
  }
  // Paths are bytes: a Buffer argument goes through unchanged (names that are not valid UTF-8).
  const parts = args.map((a) => (typeof a === 'string' ? Buffer.from(a, 'utf8') : a));
  for (const p of parts) {
    if (p.includes(0)) throw new Error('helper: a path cannot contain a NUL byte');
  }
  const nul = Buffer.from([0]);
  // No arguments: nothing to read, so the op runs in the loop's own shell whatever that shell's
  // read can do (under dash, the bulk way's xargs and sh cost 20-25 ms per request: procs and
  // gprobe at every start of a local helper). fread is never without arguments.
  if (!parts.length && !op.startsWith('fread:')) return Buffer.from(`${head} + 0 ${nonce} 0\n`);
  if (raw && least <= RAW_ARGS_MAX) {
    const table = prefixTable(parts);
    const tagged = parts.map((p) => {
      const slash = p.lastIndexOf(0x2f);
      const i =
        slash < 1 ? -1 : table.findIndex((t) => t.length === slash + 1 && p.subarray(0, slash + 1).equals(t));
      return i < 0 ? [Buffer.from('='), p, nul] : [Buffer.from(String(i)), p.subarray(slash + 1), nul];
    });
    const body = Buffer.concat([...table.flatMap((t) => [t, nul]), ...tagged.flat()]);
    if (body.length <= RAW_ARGS_MAX)
      return Buffer.concat([Buffer.from(`${head} + ${parts.length} ${nonce} ${table.length}\n`), body]);
  }
  const lines = !TIMED_OPS.test(op) && parts.every((p) => p.length > 0 && !p.includes(0x0a));
  const sep = Buffer.from([lines ? 0x0a : 0]);
  const list = Buffer.concat(parts.flatMap((p) => [p, sep]));
  if (list.length > BULK_ARGS_MAX)
    throw new Error(`helper: ${op} got ${list.length} bytes of arguments, over ${BULK_ARGS_MAX} for one run`);
  return Buffer.concat([Buffer.from(`${head} ${lines ? '-' : '='} ${list.length} ${nonce}\n`), list]);
}
