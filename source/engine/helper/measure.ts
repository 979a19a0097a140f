import { chunkByBytes } from './helper-frames.js';
import type { ContentSub, HelperOp } from './helper-ops.js';
import { ListsReader } from './helper-read.js';
import type { HelperSession } from './helper-session.js';
import {
  type DirMeasure,
  type GnuMeasureResult,
  GnuMeasureStream,
  MeasureOutputError,
  parseMeasure,
} from './measure-parse.js';
import { SizeCache } from './size-cache.js';

export interface MeasureTarget {
  dir: string;
  /** Content subdirectory (diff for overlay2, fs for containerd snapshots); absent: whole dir. */
  sub?: 'diff' | 'fs' | undefined;
  /** Set for immutable directories (image layers, committed snapshots): their sizes are cached
   *  under this key (a chainID, or a containerd snapshot key). */
  cacheKey?: string | undefined;
  /** Expected walk work (about one per entry), to spread big walks over the helper's lanes. */
  estimate?: number | undefined;
}

export interface MeasureProgress {
  done: number;
  total: number;
  bytes: number;
  /**
   * false while the total can still grow (a scan learns what there is to measure as the engine's
   * answers come in: a bar drawn against it went back); undefined: one set of walks, known whole.
   */
  totalKnown?: boolean;
}

export interface MeasureOptions {
  cache?: SizeCache | undefined;
  engineId: string;
  onProgress?: ((p: MeasureProgress) => void) | undefined;
  /** Directories per helper request: large enough to amortize a round trip, small enough for progress. */
  batchSize?: number;
  /**
   * Directories whose entries are all wanted (containers/, volumes/, ...): the host's find then
   * walks each entry of such a directory by name, with no argument per entry to send.
   */
  each?: readonly string[] | undefined;
  /** Reads that ride along with the first walk of the host's find (see RideAlong). */
  alongside?: RideAlong | undefined;
}

/**
 * A storage listing and a file's stamp taken by the first walk's request instead of one of their
 * own (the helper op's --list): in a warm scan that request is the other half of the helper's
 * work, and a request costs more than what it reads. Settled once measureDirs is done; rejected if
 * no walk could take it (the caller then reads them itself).
 */
export interface RideAlong {
  /** The file to stamp: "<dev>:<ino>:<size>:<change time>", undefined when absent. */
  stampFile: string;
  /** Directories whose entries to list, as the liststat op does. */
  dirs: readonly string[];
  resolve: (r: { lists: Buffer[][]; stamp: string | undefined }) => void;
  reject: (err: unknown) => void;
}

/** A path as a find -path pattern that matches exactly it. */
const globEscape = (p: string) => p.replace(/[\\*?[\]]/g, '\\$&');

/** A name the helper lists in an "each" directory: Docker's alphabet for IDs and volume names. */
const EACH_NAME = /^[A-Za-z0-9_-][A-Za-z0-9_.-]*$/;

/** Measures directories through the helper in batches; cached image layers are not walked again. */
export async function measureDirs(
  helper: HelperSession,
  targets: readonly MeasureTarget[],
  options: MeasureOptions,
): Promise<Map<string, DirMeasure>> {
  const out = new Map<string, DirMeasure>();
  const todo: MeasureTarget[] = [];
  let bytes = 0;
  for (const t of targets) {
    const hit = t.cacheKey
      ? options.cache?.get(SizeCache.key(options.engineId, t.cacheKey, t.dir))
      : undefined;
    if (hit) {
      out.set(t.dir, { contentDiskBytes: 0, ...hit, entries: 0, missing: false, partial: false });
      bytes += hit.diskBytes;
    } else todo.push(t);
  }
  const total = targets.length;
  options.onProgress?.({ done: out.size, total, bytes });
  const batches = helper.hostFind
    ? hostFindBatches(groupEach(todo, options.each), helper.parallelism, options.batchSize)
    : busyboxBatches(todo, helper.parallelism, options.batchSize);
  // The first walk takes the reads that ride along, if any.
  const along = options.alongside;
  const carrier = along && batches[0]?.op.startsWith('gmeasure') ? batches[0] : undefined;
  if (along && carrier)
    carrier.args.push('--list', along.stampFile, globEscape(along.stampFile), ...along.dirs);
  let next = 0;
  const worker = async () => {
    while (next < batches.length) {
      const batch = batches[next++] as Batch;
      const { op, list, args, each } = batch;
      // A walk whose output does not add up is walked once more, then fails the scan: a
      // wrong figure is never shown or cached.
      let listed: { lists: Buffer[][] } | undefined;
      let text = '';
      let r: GnuMeasureResult | undefined;
      for (let attempt = 1; ; attempt++) {
        try {
          if (op.startsWith('gmeasure')) {
            ({ listed, r } = await gnuWalk(
              helper,
              op,
              args,
              list.length,
              batch === carrier ? along?.dirs.length : undefined,
            ));
            if (r.each.length !== each.length)
              throw new MeasureOutputError(`the walk listed ${r.each.length} of ${each.length} directories`);
          } else text = (await helper.run(op, args, 600_000)).toString('latin1');
          break;
        } catch (err) {
          if (err instanceof MeasureOutputError && attempt < 2) continue;
          if (batch === carrier) along?.reject(err);
          throw err;
        }
      }
      let parsed: DirMeasure[];
      let chunk = list;
      if (r) {
        if (listed) along?.resolve({ lists: listed.lists, stamp: r.stamp });
        parsed = r.measures;
        // Each member of an "each" directory takes its entry's figures, if it was there.
        chunk = [...list, ...each.flatMap((e) => e.members)];
        each.forEach((e, i) => {
          for (const t of e.members) {
            const m = r.each[i]?.get(t.dir.slice(e.dir.length + 1));
            parsed.push(m ?? { ...gone });
          }
        });
      } else parsed = parseMeasure(text, list.length, op.includes(':'));
      chunk.forEach((t, j) => {
        const m = parsed[j] ?? { ...gone, partial: true };
        out.set(t.dir, m);
        bytes += m.diskBytes;
        if (t.cacheKey && !m.missing && !m.partial) {
          options.cache?.set(SizeCache.key(options.engineId, t.cacheKey, t.dir), {
            apparentBytes: m.apparentBytes,
            diskBytes: m.diskBytes,
            contentDiskBytes: m.contentDiskBytes,
          });
        }
      });
      options.onProgress?.({ done: out.size, total, bytes });
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(helper.parallelism, batches.length) }, worker));
  } finally {
    if (along && !carrier) along.reject(new Error('no walk to take the listing along'));
  }
  return out;
}

interface Batch {
  op: HelperOp;
  list: MeasureTarget[];
  args: string[];
  cost: number;
  /** "each" directories walked in this batch, with the targets they stand for. */
  each: EachDir[];
}

interface EachDir {
  dir: string;
  members: MeasureTarget[];
}

const gone: DirMeasure = {
  apparentBytes: 0,
  diskBytes: 0,
  contentDiskBytes: 0,
  entries: 0,
  missing: true,
  partial: false,
};

/**
 * Whole-directory targets that are entries of an "each" directory (at least two of them, named in
 * Docker's alphabet, not cached) become one stand-in target for that directory.
 */
function groupEach(todo: readonly MeasureTarget[], each: readonly string[] = []): MeasureTarget[] {
  if (!each.length) return [...todo];
  const groups = new Map<string, MeasureTarget[]>(each.map((d) => [d, []]));
  const rest: MeasureTarget[] = [];
  for (const t of todo) {
    const slash = t.dir.lastIndexOf('/');
    const group = !t.sub && !t.cacheKey ? groups.get(t.dir.slice(0, slash)) : undefined;
    if (group && EACH_NAME.test(t.dir.slice(slash + 1))) group.push(t);
    else rest.push(t);
  }
  for (const [dir, members] of groups) {
    if (members.length >= 2) {
      const estimate = members.reduce((a, t) => a + work(t), 0);
      rest.push({ dir, estimate, members } as MeasureTarget & { members: MeasureTarget[] });
    } else rest.push(...members);
  }
  return rest;
}

const membersOf = (t: MeasureTarget) => (t as MeasureTarget & { members?: MeasureTarget[] }).members;

// A directory the engine gives no figure for (a container's, a volume): usually a few entries.
const UNKNOWN_WORK = 20;
const work = (t: MeasureTarget) => (t.estimate ?? UNKNOWN_WORK) + 20;

/**
 * Longest first, each into the lightest of a few batches (lanes × 2, pulled by the lanes as they
 * free up): one huge layer does not hold back a lane that also queues many small walks.
 */
function spread(todo: readonly MeasureTarget[], bins: number): MeasureTarget[][] {
  const out = Array.from({ length: Math.max(1, Math.min(bins, todo.length)) }, () => ({
    list: [] as MeasureTarget[],
    cost: 0,
  }));
  for (const t of [...todo].sort((a, b) => work(b) - work(a))) {
    const bin = out.reduce((x, y) => (y.cost < x.cost ? y : x));
    bin.list.push(t);
    bin.cost += work(t);
  }
  return out
    .filter((b) => b.list.length)
    .sort((a, b) => b.cost - a.cost)
    .map((b) => b.list);
}

// One walk's arguments must reach the op in one run (helper-frames.ts BULK_ARGS_MAX), with room
// for the "each" directories and a listing that ride along.
const MAX_ROOT_BYTES = 150 * 1024;

/** Cuts a batch into pieces whose directory names fit one run of the op. */
const fitOneRun = (bin: readonly MeasureTarget[]) =>
  chunkByBytes(bin, (t) => Buffer.byteLength(t.dir) + 1, MAX_ROOT_BYTES);

/** Host GNU find: one process per batch whatever it holds, so batches mix layers and whole paths. */
function hostFindBatches(todo: readonly MeasureTarget[], lanes: number, batchSize?: number): Batch[] {
  // Small sets (a warm scan's writable layers and metadata) in one process; big ones spread.
  const total = todo.reduce((a, t) => a + work(t), 0);
  const bins = batchSize ? Math.ceil(todo.length / batchSize) : Math.min(lanes * 2, Math.ceil(total / 5_000));
  const out: Batch[] = [];
  const limited = spread(todo, bins).flatMap(fitOneRun);
  for (const bin of limited) {
    const subs = [...new Set(bin.filter((t) => t.sub).map((t) => t.sub as ContentSub | ''))];
    const whole = bin.filter((t) => !t.sub && !membersOf(t));
    const each = bin.flatMap((t) => {
      const members = membersOf(t);
      return members ? [{ dir: t.dir, members }] : [];
    });
    if (!subs.length) subs.push('');
    subs.forEach((sub, i) => {
      const split = bin.filter((t) => t.sub === sub && sub);
      const first = i === 0;
      const list = first ? [...split, ...whole] : split;
      const args = [
        ...split.map((t) => t.dir),
        ...(first && whole.length ? ['--', ...whole.map((t) => t.dir)] : []),
        ...(first && each.length ? ['--each', ...each.map((e) => e.dir)] : []),
      ];
      if (list.length || (first && each.length))
        out.push({
          op: sub ? `gmeasure:${sub}` : 'gmeasure',
          list,
          args,
          cost:
            list.reduce((a, t) => a + work(t), 0) +
            (first ? each.reduce((a, e) => a + e.members.length, 0) : 0),
          each: first ? each : [],
        });
    });
  }
  return out;
}

/** busybox find + stat: one op per content subdirectory kind, as before. */
function busyboxBatches(todo: readonly MeasureTarget[], lanes: number, batchSize?: number): Batch[] {
  const groups = new Map<HelperOp, MeasureTarget[]>();
  for (const t of todo) {
    const op: HelperOp = t.sub ? `measure:${t.sub}` : 'measure';
    const list = groups.get(op);
    if (list) list.push(t);
    else groups.set(op, [t]);
  }
  const out: Batch[] = [];
  for (const [op, list] of groups) {
    const bins = batchSize ? Math.ceil(list.length / batchSize) : lanes * 2;
    for (const bin of spread(list, bins).flatMap(fitOneRun))
      out.push({
        op,
        list: bin,
        args: bin.map((t) => t.dir),
        cost: bin.reduce((a, t) => a + work(t), 0),
        each: [],
      });
  }
  return out.sort((a, b) => b.cost - a.cost);
}

/**
 * One `gmeasure` walk, read as it arrives (GnuMeasureStream): first the listing that rides along,
 * when `lists` says how many directories it has, then the walk's own lines.
 */
async function gnuWalk(
  helper: HelperSession,
  op: HelperOp,
  args: readonly string[],
  count: number,
  lists: number | undefined,
): Promise<{ listed: { lists: Buffer[][] } | undefined; r: GnuMeasureResult }> {
  const stream = new GnuMeasureStream(count);
  let pre: ListsReader | undefined = lists === undefined ? undefined : new ListsReader(lists);
  let listed: { lists: Buffer[][] } | undefined;
  await helper.run(op, args, 600_000, (chunk) => {
    if (!pre) return stream.push(chunk);
    const rest = pre.push(chunk);
    if (!rest) return;
    listed = { lists: pre.lists };
    pre = undefined;
    if (rest.length) stream.push(rest);
  });
  // The reply ended inside the listing: what there is of it (the walk then does not add up).
  if (pre) listed = { lists: pre.lists };
  return { listed, r: stream.finish() };
}
