import { PageSink, type PageSource } from './file-pages.js';

/** A file changed while the helper read it: read it again. */
export class TornReadError extends Error {
  override name = 'TornReadError';
}

/**
 * Parses the `read` op: per run of the op (xargs splits long lists), the number of paths; per
 * path "+" or "-"; "="; the sizes of the readable ones; "="; their bytes back to back; "="; the
 * sizes again. Unreadable paths give undefined.
 */
export function parseRead(buf: Buffer, count: number): (Buffer | undefined)[] {
  let pos = 0;
  const line = (): string | undefined => {
    const nl = buf.indexOf(0x0a, pos);
    if (nl < 0) return undefined;
    const s = buf.subarray(pos, nl).toString('latin1');
    pos = nl + 1;
    return s;
  };
  const out: (Buffer | undefined)[] = [];
  while (out.length < count) {
    const n = Number(line());
    if (!Number.isInteger(n) || n <= 0) throw new TornReadError('helper read: malformed reply');
    const flags: boolean[] = [];
    for (let i = 0; i < n; i++) flags.push(line() === '+');
    if (line() !== '=') throw new TornReadError('helper read: malformed reply');
    const readable = flags.filter(Boolean).length;
    const sizes: number[] = [];
    for (let i = 0; i < readable; i++) sizes.push(Number(line()));
    if (line() !== '=') throw new TornReadError('helper read: a file vanished while it was read');
    let k = 0;
    for (const ok of flags) {
      if (!ok) {
        out.push(undefined);
        continue;
      }
      const size = sizes[k++] ?? 0;
      out.push(Buffer.from(buf.subarray(pos, pos + size)));
      pos += size;
    }
    if (line() !== '=') throw new TornReadError('helper read: a file changed size while it was read');
    for (let i = 0; i < readable; i++) {
      if (Number(line()) !== sizes[i])
        throw new TornReadError('helper read: a file changed size while it was read');
    }
  }
  return out;
}

/**
 * The `read` op's reply for ONE path, taken as it arrives (HelperSession.request's sink) into one
 * {@link PageSink} of the size the reply announces: a 100 MB containerd metadata file is held once,
 * not as the reply's pieces, their join and the file's copy (over 700 MB at the containerd scale
 * engine), and in a temporary file under `spillTo` when one can be written there.
 */
export class OneFileReader {
  private head = Buffer.alloc(0);
  private body: PageSink | undefined;
  private tail = Buffer.alloc(0);
  private state: 'head' | 'body' | 'tail' = 'head';
  private readable = false;

  constructor(private readonly spillTo: readonly string[] = []) {}

  push(chunk: Buffer): void {
    if (this.state === 'head') {
      this.head = Buffer.concat([this.head, chunk]);
      const lines = this.head.toString('latin1').split('\n');
      // "1" "+" "=" "<size>" "=" then the bytes; or "1" "-" "=" "=" then nothing.
      if (lines.length < 4) return;
      if (lines[0] !== '1' || (lines[1] !== '+' && lines[1] !== '-') || lines[2] !== '=')
        throw new TornReadError('helper read: malformed reply');
      this.readable = lines[1] === '+';
      const headLines = this.readable ? 5 : 4;
      if (lines.length <= headLines) return;
      const size = this.readable ? Number(lines[3]) : 0;
      if (!Number.isSafeInteger(size) || size < 0 || lines[headLines - 1] !== '=')
        throw new TornReadError('helper read: a file vanished while it was read');
      const used = lines.slice(0, headLines).reduce((n, l) => n + l.length + 1, 0);
      const rest = this.head.subarray(used);
      this.head = Buffer.alloc(0);
      this.body = new PageSink(size, this.spillTo);
      this.state = 'body';
      if (rest.length) this.push(rest);
      return;
    }
    if (this.state === 'body' && this.body) {
      const n = this.body.append(chunk);
      if (this.body.remaining > 0) return;
      this.state = 'tail';
      chunk = chunk.subarray(n);
    }
    this.tail = Buffer.concat([this.tail, chunk]);
  }

  /** Whether the body went to a temporary file (tests, timing). */
  get onDisk(): boolean {
    return this.body?.onDisk ?? false;
  }

  /** The file's bytes (undefined: not readable), once the reply is whole and adds up. */
  finish(): PageSource | undefined {
    if (this.state !== 'tail' && !(this.state === 'body' && this.body?.size === 0))
      throw new TornReadError('helper read: the reply ended early');
    const size = this.body?.size ?? 0;
    const expect = this.readable ? `=\n${size}\n` : '=\n';
    if (this.tail.toString('latin1') !== expect)
      throw new TornReadError('helper read: a file changed size while it was read');
    if (this.body?.lost) throw new TornReadError('helper read: the copy could not be kept');
    return this.readable && this.body ? this.body.pages() : undefined;
  }

  /** Lets go of a copy that will not be finished (the request failed). */
  discard(): void {
    this.body?.discard();
  }
}

/** Parses the directory lists of the `liststat` op: NUL-separated entries, each directory's list closed by an empty entry. */
export function parseList(buf: Buffer): Buffer[][] {
  return parseLists(buf).lists;
}

/** {@link parseList} for the first `count` lists only, with the offset where they end. */
export function parseLists(
  buf: Buffer,
  count = Number.POSITIVE_INFINITY,
): { lists: Buffer[][]; end: number } {
  const lists: Buffer[][] = [];
  let current: Buffer[] = [];
  let start = 0;
  // indexOf finds each NUL natively: a loop over every byte in JS was most of a listing's cost.
  while (lists.length < count) {
    const j = buf.indexOf(0, start);
    if (j < 0) break;
    if (j === start) {
      lists.push(current);
      current = [];
      start = j + 2; // the pair of NULs that closes a list
    } else {
      // A view, not a copy: the reply is never written to again, and a copy per name (two
      // Buffers and a copy each) was a fifth of a listing's parse.
      current.push(buf.subarray(start, j));
      start = j + 1;
    }
  }
  return { lists, end: Math.min(start, buf.length) };
}

/**
 * {@link parseLists} of the first `count` lists fed as the reply arrives: each byte is looked at
 * once (parsing the whole prefix again at every piece cost a warm scan 40 ms at 3,200 entries).
 */
export class ListsReader {
  private buf = Buffer.alloc(0);
  private at = 0;
  private start = 0;
  private current: Buffer[] = [];
  readonly lists: Buffer[][] = [];

  constructor(private readonly count: number) {}

  /** Takes a piece; once the lists are complete, returns what follows them (maybe empty). */
  push(chunk: Buffer): Buffer | undefined {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : Buffer.from(chunk);
    const buf = this.buf;
    // Each NUL found natively (indexOf): a JS loop over every byte took 40 ms of a warm scan's
    // main thread at scale (the storage listing rides along with the first walk).
    while (this.lists.length < this.count) {
      const j = buf.indexOf(0, this.at);
      if (j < 0) {
        this.at = buf.length;
        return this.wait();
      }
      if (j === this.start) {
        // The empty item closing a list; its pair's second NUL must be here too.
        if (j + 1 >= buf.length) {
          this.at = j;
          return this.wait();
        }
        this.lists.push(this.current);
        this.current = [];
        this.at = j + 2;
        this.start = j + 2;
      } else {
        // A view (see parseLists): `buf` is replaced, never written to, when more comes.
        this.current.push(buf.subarray(this.start, j));
        this.at = j + 1;
        this.start = j + 1;
      }
    }
    const rest = buf.subarray(this.start);
    this.buf = Buffer.alloc(0);
    return rest;
  }

  /** Keeps only the item under way: the bytes before it are read already. */
  private wait(): undefined {
    this.buf = this.buf.subarray(this.start);
    this.at -= this.start;
    this.start = 0;
    return undefined;
  }
}

/**
 * A change time as a stamp compares it: "<seconds since the epoch>.<nanoseconds>", from stat's %z
 * ("2026-11-27 14:48:52.887713625 +0000") or GNU find's %C@ ("1795790932.8877136250").
 */
export function stampTime(text: string): string {
  const z = /^(\d{4})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d)(?:\.(\d+))? ([+-])(\d\d)(\d\d)$/.exec(text);
  if (z) {
    const [, y, mo, d, h, mi, s, frac = '', sign, oh, om] = z;
    const offset = (sign === '-' ? -1 : 1) * (Number(oh) * 3600 + Number(om) * 60);
    const sec =
      Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s)) / 1000 - offset;
    return `${sec}.${frac.padEnd(9, '0').slice(0, 9)}`;
  }
  const at = /^(\d+)(?:\.(\d+))?$/.exec(text);
  if (at) return `${at[1]}.${(at[2] ?? '').padEnd(9, '0').slice(0, 9)}`;
  return text;
}

export interface FileStat {
  dev: string;
  ino: string;
  nlink: number;
  size: number;
  blocks: number;
  mode: number;
  /** Last status change, as stat's %z prints it (to the nanosecond): compared, never computed. */
  ctime: string;
}

/** Parses the `stat` op: per run, the number of paths; per path "+" or "-"; "="; one line per "+". */
export function parseStat(buf: Buffer, count: number): (FileStat | undefined)[] {
  const lines = buf.toString('latin1').split('\n');
  const out: (FileStat | undefined)[] = [];
  let pos = 0;
  while (out.length < count) {
    const n = Number(lines[pos++]);
    if (!Number.isInteger(n) || n <= 0) throw new TornReadError('helper stat: malformed reply');
    const flags = lines.slice(pos, pos + n).map((l) => l === '+');
    pos += n;
    if (lines[pos++] !== '=') throw new TornReadError('helper stat: malformed reply');
    for (const ok of flags) {
      if (!ok) {
        out.push(undefined);
        continue;
      }
      const fields = (lines[pos++] ?? '').split(' ');
      // A file that vanished between the test and the stat leaves the lines out of step.
      if (fields.length < 7) throw new TornReadError('helper stat: a file changed while it was read');
      const [dev = '', ino = '', nlink = '0', size = '0', blocks = '0', mode = '0'] = fields;
      const ctime = fields.slice(6).join(' ');
      out.push({
        dev,
        ino,
        nlink: Number(nlink),
        size: Number(size),
        blocks: Number(blocks),
        mode: Number.parseInt(mode, 16),
        ctime,
      });
    }
  }
  return out;
}
