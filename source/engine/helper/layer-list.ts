// Lists every entry of a layer directory through the helper, names as bytes (latin1 strings, one
// char per byte, so nothing is lost), in two steps: the names at once (rows can show), then the
// stats in batches, then symlink targets, then which directories are opaque.
import { randomBytes } from 'node:crypto';
import type { EntryType, LayerEntry } from '../../model/overlay.js';
import { BULK_ARGS_MAX, chunkByBytes } from './helper-frames.js';
import type { HelperOp } from './helper-ops.js';
import { TornReadError } from './helper-read.js';
import type { HelperSession } from './helper-session.js';

const S_IFMT = 0o170000;
const asArg = (s: string) => Buffer.from(s, 'latin1');
// File types by the S_IFMT bits of st_mode (a Map: numeric object keys get rewritten by tools).
const TYPES = new Map<number, EntryType>([
  [0o100000, 'file'],
  [0o040000, 'dir'],
  [0o120000, 'symlink'],
  [0o020000, 'char'],
  [0o060000, 'block'],
  [0o010000, 'fifo'],
  [0o140000, 'socket'],
]);

/** Splits the `names` op's output ("./a\0./a/b\0") into layer-relative byte-string paths. */
export function parseNames(buf: Buffer): string[] {
  const out: string[] = [];
  let start = 0;
  for (let i = 0; i < buf.length; i++) {
    if (buf[i] !== 0) continue;
    const name = buf.toString('latin1', start, i);
    start = i + 1;
    if (name.startsWith('./')) out.push(name.slice(2));
  }
  return out;
}

export interface RawStat {
  dev: string;
  ino: number;
  nlink: number;
  size: number;
  blocks: number;
  mode: number;
  rdevMajor: number;
  rdevMinor: number;
  uid: number;
  gid: number;
  /** Modification time, whole seconds since the epoch. */
  mtime: number;
}

/** Fields before the name in a `tree` stat line. */
const TREE_FIELDS = 11;

function parseStatLine(line: string): RawStat {
  const [
    dev = '',
    ino = '0',
    nlink = '1',
    size = '0',
    blocks = '0',
    mode = '0',
    maj = '0',
    min = '0',
    uid = '0',
    gid = '0',
    mtime = '0',
  ] = line.split(' ');
  return {
    dev,
    ino: Number(ino),
    nlink: Number(nlink),
    size: Number(size),
    blocks: Number(blocks),
    mode: Number.parseInt(mode, 16),
    rdevMajor: Number.parseInt(maj, 16),
    rdevMinor: Number.parseInt(min, 16),
    uid: Number(uid),
    gid: Number(gid),
    mtime: Number(mtime),
  };
}

export function entryOf(path: string, st: RawStat): LayerEntry & { blocks: number; dev: string } {
  let type = TYPES.get(st.mode & S_IFMT) ?? 'file';
  // overlayfs whiteout: a character device 0/0.
  if (type === 'char' && st.rdevMajor === 0 && st.rdevMinor === 0) type = 'whiteout';
  return {
    path,
    type,
    size: type === 'dir' ? 0 : st.size,
    ino: st.ino,
    nlink: st.nlink,
    mode: st.mode & 0o7777,
    blocks: st.blocks,
    dev: st.dev,
    uid: st.uid,
    gid: st.gid,
    mtime: st.mtime,
  };
}

export type ListedEntry = LayerEntry & { blocks?: number };

/**
 * Parses the `tree` op's reply (see helper-script.ts): the names ("./rel", NUL-terminated, then an
 * empty one), then a stat line per name: exact names, their stats, symlink targets.
 */
export function parseTree(buf: Buffer, token: string): ListedEntry[] {
  const text = buf.toString('latin1');
  const names: string[] = [];
  let pos = 0;
  for (;;) {
    const nul = text.indexOf('\0', pos);
    if (nul < 0) throw new TornReadError('helper tree: malformed reply');
    if (nul === pos) {
      pos++;
      break;
    }
    names.push(text.slice(pos, nul));
    pos = nul + 1;
  }
  const torn = () => new TornReadError('helper tree: the directory changed while listed');
  const entries: ListedEntry[] = new Array(names.length);
  for (let i = 0; i < names.length; i++) {
    const name = names[i] as string;
    let end = pos;
    for (let k = 0; k < TREE_FIELDS; k++) {
      end = text.indexOf(' ', end) + 1;
      if (end === 0) throw torn();
    }
    const entry = entryOf(name.slice(2), parseStatLine(text.slice(pos, end - 1)));
    // busybox quotes ('./x'), GNU with literal quoting does not (./x): names always start "./".
    const q = text.charCodeAt(end) === 0x27 ? "'" : '';
    const head = `${q}${name}${q}`;
    if (!text.startsWith(head, end)) throw torn();
    pos = end + head.length;
    if (entry.type === 'symlink') {
      const arrow = ` -> ${q}`;
      if (!text.startsWith(arrow, pos)) throw torn();
      pos += arrow.length;
      entry.linkTarget = text.slice(pos, pos + entry.size);
      pos += entry.size + q.length;
    }
    // The request's token, then the line's end: a target longer than its size said (swapped
    // between stat's two looks) cannot end a line here, whatever it holds.
    const end_ = ` ${token}\n`;
    if (!text.startsWith(end_, pos)) throw torn();
    pos += end_.length;
    entries[i] = entry;
  }
  if (pos !== text.length) throw torn();
  // busybox find enters a directory by its path again after it looked at it: a directory a
  // running container swaps for a symlink in between is walked on the other side (names and
  // figures, never contents: those are read only inside the layer, see fread). Its entries then
  // sit below what the stats say is a symlink (or is gone): the walk is refused and made again.
  const dirs = new Set<string>();
  for (const e of entries) if (e.type === 'dir') dirs.add(e.path);
  for (const e of entries) {
    const slash = e.path.lastIndexOf('/');
    if (slash > 0 && !dirs.has(e.path.slice(0, slash))) throw torn();
  }
  return entries;
}

// GNU find's type letters (%y).
const LETTERS = new Map<string, number>([
  ['f', 0o100000],
  ['d', 0o040000],
  ['l', 0o120000],
  ['c', 0o020000],
  ['b', 0o060000],
  ['p', 0o010000],
  ['s', 0o140000],
]);

/** GNU find's type letters (%y) by byte. */
const LETTER_BITS = new Map<number, number>([...LETTERS].map(([l, bits]) => [l.charCodeAt(0), bits]));

/**
 * Parses the `gtree` op's reply (the host's GNU find, see helper-script.ts) as it arrives: per
 * entry "<dev> <ino> <nlink> <size> <blocks> <perm octal> <type> <uid> <gid> <mtime s.frac>" NUL
 * name NUL target NUL. Device entries come back with rdev unknown (-1): the caller asks for those.
 * Fields are read from the bytes (no string per field) and each name is its own string, so a walk
 * of 400,000 entries holds its entries and nothing of the reply.
 */
export class GnuTreeParser {
  readonly entries: ListedEntry[] = [];
  private carry: Buffer | undefined;
  private readonly devs = new Map<number, string>();

  push(chunk: Buffer): void {
    const buf = this.carry ? Buffer.concat([this.carry, chunk]) : chunk;
    let pos = 0;
    for (;;) {
      const a = buf.indexOf(0, pos);
      const b = a < 0 ? -1 : buf.indexOf(0, a + 1);
      const c = b < 0 ? -1 : buf.indexOf(0, b + 1);
      if (c < 0) break;
      this.entries.push(this.record(buf, pos, a, b, c));
      pos = c + 1;
    }
    this.carry = pos < buf.length ? Buffer.from(buf.subarray(pos)) : undefined;
  }

  /** Every entry; a record cut short is a malformed reply. */
  finish(): ListedEntry[] {
    if (this.carry) throw new TornReadError('helper tree: malformed reply');
    return this.entries;
  }

  private record(buf: Buffer, pos: number, a: number, b: number, c: number): ListedEntry {
    // The ten fields' bounds, split at spaces.
    const starts: number[] = [pos];
    for (let i = pos; i < a; i++) if (buf[i] === 0x20) starts.push(i + 1);
    if (starts.length !== 10) throw new TornReadError('helper tree: malformed reply');
    const end = (k: number) => (k === 9 ? a : (starts[k + 1] as number) - 1);
    const num = (k: number, base = 10) => {
      let n = 0;
      const e = end(k);
      if (e <= (starts[k] as number)) throw new TornReadError('helper tree: malformed reply');
      for (let i = starts[k] as number; i < e; i++) {
        const d = (buf[i] as number) - 0x30;
        if (d < 0 || d >= base) throw new TornReadError('helper tree: malformed reply');
        n = n * base + d;
      }
      return n;
    };
    const devNum = num(0);
    let dev = this.devs.get(devNum);
    if (dev === undefined) {
      dev = buf.toString('latin1', pos, end(0));
      this.devs.set(devNum, dev);
    }
    const letterAt = starts[6] as number;
    const typeBits = end(6) === letterAt + 1 ? LETTER_BITS.get(buf[letterAt] as number) : undefined;
    const mtimeText = buf.toString('latin1', starts[9] as number, a);
    if (typeBits === undefined || mtimeText === '') throw new TornReadError('helper tree: malformed reply');
    const entry = entryOf(buf.toString('latin1', a + 1, b), {
      dev,
      ino: num(1),
      nlink: num(2),
      size: num(3),
      blocks: num(4),
      mode: typeBits | num(5, 8),
      rdevMajor: -1,
      rdevMinor: -1,
      uid: num(7),
      gid: num(8),
      // %T@ is "seconds.fraction": whole seconds, as busybox stat's %Y gives them.
      mtime: Math.floor(Number(mtimeText)),
    });
    if (entry.type === 'symlink') entry.linkTarget = buf.toString('latin1', b + 1, c);
    return entry;
  }
}

/** Parses a whole `gtree` reply (see {@link GnuTreeParser}). */
export function parseGnuTree(buf: Buffer): ListedEntry[] {
  const p = new GnuTreeParser();
  p.push(buf);
  return p.finish();
}

/**
 * Parses the `gtrees` op's reply: `count` roots' walks back to back, each led by its root's own
 * entry (the only one with an empty name). Fewer or more roots than asked: torn (a root went).
 */
export function parseGnuTrees(buf: Buffer, count: number): ListedEntry[][] {
  return groupByRoot(parseGnuTree(buf), count);
}

/** One walk of several roots cut at each root's own entry (the only one with an empty name). */
function groupByRoot(all: readonly ListedEntry[], count: number): ListedEntry[][] {
  const out: ListedEntry[][] = [];
  for (const e of all) {
    if (e.path === '') {
      out.push([]);
      continue;
    }
    const group = out.at(-1);
    if (!group) throw new TornReadError('helper tree: malformed reply');
    group.push(e);
  }
  if (out.length !== count) throw new TornReadError('helper tree: a layer went while it was listed');
  return out;
}

/** Parses the `rdev` op's reply: "<mode hex> <major hex> <minor hex>" per path, undefined where it is gone. */
export function parseRdev(buf: Buffer, count: number): ([number, number] | undefined)[] {
  const out: ([number, number] | undefined)[] = [];
  const lines = buf.toString('latin1').split('\n');
  let i = 0;
  while (out.length < count && i < lines.length) {
    const n = Number(lines[i++]);
    if (!Number.isInteger(n) || n <= 0) break;
    const flags = lines.slice(i, i + n);
    i += n;
    if (lines[i++] !== '=') throw new TornReadError('helper rdev: malformed reply');
    for (const f of flags) {
      if (f !== '+') {
        out.push(undefined);
        continue;
      }
      const [mode = '', maj = '', min = ''] = (lines[i++] ?? '').split(' ');
      // The type as stat saw it, after the op's test: a device swapped for anything else meanwhile
      // (a running container's layer) would otherwise read as device 0/0, a whiteout.
      const type = Number.parseInt(mode, 16) & 0xf000;
      if (type !== 0x2000 && type !== 0x6000)
        throw new TornReadError('helper rdev: an entry changed while it was read');
      const pair: [number, number] = [Number.parseInt(maj, 16), Number.parseInt(min, 16)];
      if (!pair.every(Number.isInteger)) throw new TornReadError('helper rdev: malformed reply');
      out.push(pair);
    }
  }
  if (out.length !== count) throw new TornReadError('helper rdev: the directory changed while listed');
  return out;
}

async function listWithHostFind(helper: HelperSession, dir: string): Promise<ListedEntry[]> {
  const parser = new GnuTreeParser();
  const r = await helper.request('gtree', [dir], 600_000, undefined, (chunk) => parser.push(chunk));
  // find reports entries that vanish mid-walk (a running container's layer): read it again.
  if (r.status !== 0)
    throw new TornReadError(`helper tree: ${r.stderr.toString('utf8').trim().split('\n')[0]}`);
  return withDevices(helper, dir, parser.finish());
}

/** Device entries of a GNU walk get their numbers (find cannot print them): whiteouts are 0/0. */
async function withDevices(
  helper: HelperSession,
  dir: string,
  entries: ListedEntry[],
): Promise<ListedEntry[]> {
  // Siblings next to each other: the helper enters each parent directory once (see rdev).
  const parent = (p: string) => p.slice(0, Math.max(0, p.lastIndexOf('/')));
  const devices = entries
    .filter((e) => e.type === 'char' || e.type === 'block')
    .sort((a, b) => (parent(a.path) < parent(b.path) ? -1 : parent(a.path) > parent(b.path) ? 1 : 0));
  if (devices.length) {
    // The root travels in the op, the paths inside it apart: the helper resolves them inside the
    // layer without following a symlink a container may have swapped in since the walk.
    const op: HelperOp = `rdev:${Buffer.from(dir, 'latin1').toString('base64')}`;
    const paths = devices.map((e) => Buffer.from(e.path, 'latin1'));
    const rdevs = parseRdev(await helper.run(op, paths), paths.length);
    devices.forEach((e, i) => {
      const rd = rdevs[i];
      if (!rd) throw new TornReadError('helper tree: the directory changed while listed');
      // overlayfs whiteout: a character device 0/0.
      if (e.type === 'char' && rd[0] === 0 && rd[1] === 0) e.type = 'whiteout';
    });
  }
  return entries;
}

/**
 * Every entry of one layer directory (its content: overlay2 `diff`, containerd `fs`). `live`: one
 * a running container writes to (its writable layer, its live view), which busybox's find, where
 * the host has no GNU find, walks through a view that follows no symlink (the ops' ":live").
 */
export async function listLayerDir(helper: HelperSession, dir: string, live = false): Promise<ListedEntry[]> {
  for (let attempt = 0; ; attempt++) {
    try {
      if (helper.hostFind) return await listWithHostFind(helper, dir);
      const token = randomBytes(8).toString('hex');
      return parseTree(await helper.run(live ? 'tree:live' : 'tree', [dir, token], 600_000), token);
    } catch (err) {
      // A writable layer can change between the walks: read it again, a few times at most.
      if (!(err instanceof TornReadError) || attempt >= 2) throw err;
    }
  }
}

/** Roots per `gtrees` request: its arguments stay a small list (read by the loop itself). */
const ROOTS_PER_WALK = 64;

/**
 * Every entry of several layer directories, in order: with the host's GNU find, one walk per
 * lane's share of the roots instead of one per root (a process each cost more than the walks of
 * small layers); a batch that tears (a root went, a file vanished) is listed root by root.
 */
export async function listLayerDirs(
  helper: HelperSession,
  dirs: readonly string[],
  /** Which of them a running container writes to (see listLayerDir). */
  live: readonly boolean[] = [],
): Promise<ListedEntry[][]> {
  if (!helper.hostFind || dirs.length < 2)
    return Promise.all(dirs.map((d, i) => listLayerDir(helper, d, live[i] ?? false)));
  const per = Math.min(ROOTS_PER_WALK, Math.ceil(dirs.length / helper.parallelism));
  const batches: string[][] = [];
  for (let i = 0; i < dirs.length; i += per) batches.push(dirs.slice(i, i + per));
  const lists = await Promise.all(
    batches.map(async (batch, b) => {
      try {
        const parser = new GnuTreeParser();
        const r = await helper.request('gtrees', batch, 600_000, undefined, (chunk) => parser.push(chunk));
        if (r.status !== 0) throw new TornReadError('helper tree: a batch walk failed');
        const groups = groupByRoot(parser.finish(), batch.length);
        return await Promise.all(groups.map((g, i) => withDevices(helper, batch[i] as string, g)));
      } catch (err) {
        if (!(err instanceof TornReadError)) throw err;
        return Promise.all(batch.map((d, i) => listLayerDir(helper, d, live[b * per + i] ?? false)));
      }
    }),
  );
  return lists.flat();
}

/**
 * {@link probeOpaque} for several layers in one request (one private namespace for all). Per
 * layer the opaque candidates found, or undefined for every layer where the engine refused it.
 */
export async function probeOpaqueMany(
  helper: HelperSession,
  layers: readonly {
    dir: string;
    candidates: readonly string[];
    /** Nothing writes to it (an image's layer) and its candidates come from its own listing. */
    immutable?: boolean;
  }[],
): Promise<(Set<string> | undefined)[]> {
  const asked = layers.filter((l) => l.candidates.length);
  if (!asked.length) return layers.map(() => new Set<string>());
  const found = new Map<(typeof asked)[number], Set<string> | undefined>();
  // Image layers first from their xattrs, by the host's GNU tar where the host has GNU tools;
  // what that does not answer exactly is probed below.
  if (helper.hostFind)
    await readOpaqueXattrs(
      helper,
      asked.filter((l) => l.immutable),
      found,
    );
  await probeByMounts(
    helper,
    asked.filter((l) => !found.has(l)),
    found,
  );
  return layers.map((l) => (l.candidates.length ? found.get(l) : new Set<string>()));
}

type OpaqueAsk = { dir: string; candidates: readonly string[] };

/**
 * The `gopaque` op: the candidates' trusted.overlay.opaque as the host's GNU tar archives them,
 * every layer in one host process (the probes' overlay mounts took 0.49 s for a 101-layer image).
 * Only for layers nothing writes to: their candidates are directories of their own listing, so no
 * component on the way can have become a symlink since (tar would follow one).
 */
async function readOpaqueXattrs<T extends OpaqueAsk>(
  helper: HelperSession,
  layers: readonly T[],
  found: Map<T, Set<string> | undefined>,
): Promise<void> {
  if (!layers.length) return;
  const argsOf = (l: T) => [asArg('-C'), asArg(l.dir), ...l.candidates.map((c) => asArg(`./${c}`))];
  await Promise.all(
    laneRequests(layers, argsOf, helper.parallelism).map(async (group) => {
      const res = await helper.request('gopaque', group.flatMap(argsOf), 120_000).catch(() => undefined);
      // Any word from tar is a no: it warns and still exits 0 where it cannot list a directory's
      // xattrs (or was built without them), and then every member would read as not opaque.
      if (res?.status !== 0 || res.stderr.length) return;
      const flags = parseOpaqueTar(
        res.stdout,
        group.flatMap((l) => l.candidates),
      );
      if (flags) spreadFlags(group, flags, found);
    }),
  );
}

/**
 * Whole layers per request (a layer's group never splits: each request is one run of its op),
 * shared out over the helper's lanes, each request under the argument limit.
 */
function laneRequests<T>(layers: readonly T[], argsOf: (l: T) => readonly Buffer[], lanes: number): T[][] {
  const bytes = (l: T) => argsOf(l).reduce((n, a) => n + a.length + 1, 0);
  const per = Math.ceil(layers.length / lanes);
  const requests: T[][] = [];
  for (let i = 0; i < layers.length; i += per)
    requests.push(...chunkByBytes(layers.slice(i, i + per), bytes, BULK_ARGS_MAX - 4096));
  return requests;
}

/** One answer per candidate, in the order asked, handed back to each layer as its opaque set. */
function spreadFlags<T extends OpaqueAsk>(
  group: readonly T[],
  flags: readonly boolean[],
  found: Map<T, Set<string> | undefined>,
): void {
  let i = 0;
  for (const l of group) {
    const opaque = new Set<string>();
    for (const c of l.candidates) if (flags[i++]) opaque.add(c);
    found.set(l, opaque);
  }
}

/**
 * Reads the `gopaque` op's archive: per member, in order, whether its extended header says
 * trusted.overlay.opaque=y. Undefined unless the members are exactly the candidates asked, in
 * order, each a directory, every header's checksum right and the archive whole: never a guess.
 */
export function parseOpaqueTar(buf: Buffer, asked: readonly string[]): boolean[] | undefined {
  const out: boolean[] = [];
  let off = 0;
  let pax: Map<string, string> | undefined;
  for (;;) {
    if (off + 512 > buf.length) return undefined; // no end-of-archive block: cut short
    const h = buf.subarray(off, off + 512);
    if (h.every((b) => b === 0)) break;
    let sum = 0;
    for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 32 : (h[i] ?? 0);
    if (sum !== octal(h, 148, 8)) return undefined;
    const size = octal(h, 124, 12);
    const type = String.fromCharCode(h[156] ?? 0);
    const start = off + 512;
    off = start + Math.ceil(size / 512) * 512;
    if (Number.isNaN(size) || off > buf.length) return undefined;
    if (type === 'x') {
      pax = paxRecords(buf.subarray(start, start + size));
      if (!pax) return undefined;
      continue;
    }
    if (type === 'g') continue;
    const name = pax?.get('path') ?? ustarName(h);
    const want = asked[out.length];
    if (type !== '5' || want === undefined || name !== `./${want}/`) return undefined;
    out.push(pax?.get('SCHILY.xattr.trusted.overlay.opaque') === 'y');
    pax = undefined;
  }
  return out.length === asked.length ? out : undefined;
}

/** A header's octal number field (NUL- or space-ended); NaN if it is not one. */
function octal(h: Buffer, at: number, len: number): number {
  const text = h.toString('latin1', at, at + len).replace(/[\0 ]+$/, '');
  return /^[0-7]+$/.test(text) ? Number.parseInt(text, 8) : Number.NaN;
}

/** ustar's name, with its prefix field where it has one (bytes as latin1). */
function ustarName(h: Buffer): string {
  const field = (at: number, len: number) => {
    const end = h.indexOf(0, at);
    return h.toString('latin1', at, end >= 0 && end < at + len ? end : at + len);
  };
  const prefix = field(345, 155);
  return prefix ? `${prefix}/${field(0, 100)}` : field(0, 100);
}

/** An extended header's records ("<length> <key>=<value>\n"), values as bytes (latin1). */
function paxRecords(data: Buffer): Map<string, string> | undefined {
  const out = new Map<string, string>();
  let at = 0;
  while (at < data.length) {
    const space = data.indexOf(0x20, at);
    if (space < 0) return undefined;
    const len = Number(data.toString('latin1', at, space));
    if (!Number.isInteger(len) || len <= space - at + 1 || at + len > data.length) return undefined;
    const record = data.toString('latin1', space + 1, at + len - 1);
    const eq = record.indexOf('=');
    if (eq < 0 || data[at + len - 1] !== 0x0a) return undefined;
    out.set(record.slice(0, eq), record.slice(eq + 1));
    at += len;
  }
  return out;
}

/** The `probes` op (overlay mounts) for layers the xattrs did not answer; see probeOpaqueMany. */
async function probeByMounts<T extends OpaqueAsk>(
  helper: HelperSession,
  asked: readonly T[],
  found: Map<T, Set<string> | undefined>,
): Promise<void> {
  if (!asked.length) return;
  const argsOf = (l: T) => [asArg(l.dir), asArg(String(l.candidates.length)), ...l.candidates.map(asArg)];
  // Over the lanes: each overlay mount costs the kernel a few milliseconds.
  await Promise.all(
    laneRequests(asked, argsOf, helper.parallelism).map(async (group) => {
      const total = group.reduce((n, l) => n + l.candidates.length, 0);
      const res = await helper
        .request('probes', group.flatMap(argsOf), 120_000 + 100 * total)
        .catch(() => undefined);
      const flags = res?.stdout.toString('latin1').split('\n');
      // Every candidate answered, or this request's layers are asked one by one (a layer the
      // engine will not mount must not make the others unknown); never a guess from a short reply.
      if (res?.status === 0 && flags?.length === total + 1) {
        spreadFlags(
          group,
          flags.map((f) => f === '1'),
          found,
        );
        return;
      }
      for (const l of group)
        found.set(l, await probeOpaque(helper, l.dir, l.candidates).catch(() => undefined));
    }),
  );
}

/** Names only (fast): what can show before the sizes are in. `live`: see listLayerDir. */
export async function listNames(helper: HelperSession, dir: string, live = false): Promise<string[]> {
  return parseNames(
    await helper.run(helper.hostFind ? 'gnames' : live ? 'names:live' : 'names', [dir], 600_000),
  );
}

/**
 * Which of the given directories of a layer are opaque (they hide everything below them). Only
 * directories that also exist below need asking. Returns undefined where the engine refuses the
 * probe's mount (then opacity is unknown and said so).
 */
export async function probeOpaque(
  helper: HelperSession,
  dir: string,
  candidates: readonly string[],
): Promise<Set<string> | undefined> {
  const opaque = new Set<string>();
  if (!candidates.length) return opaque;
  // The `probes` op with this one layer (see probeOpaqueMany).
  const args = [asArg(dir), asArg(String(candidates.length)), ...candidates.map(asArg)];
  const res = await helper.request('probes', args, 120_000 + 100 * candidates.length);
  const flags = res.stdout.toString('latin1').split('\n');
  // One answer per candidate, or unknown: a stray line must not shift the answers onto neighbours.
  if (res.status !== 0 || flags.length !== candidates.length + 1) return undefined;
  candidates.forEach((c, i) => {
    if (flags[i] === '1') opaque.add(c);
  });
  return opaque;
}
