// Lists every entry of a layer directory through the helper, names as bytes (latin1 strings, one
// char per byte, so nothing is lost), in two steps: the names at once (rows can show), then the
// stats in batches, then symlink targets, then which directories are opaque.
import type { EntryType, LayerEntry } from '../model/overlay.js';
import { TornReadError } from './helper-read.js';
import type { HelperSession } from './helper-session.js';

/** Names per lstat request: big enough to keep process start-ups rare, small enough to stream. */
const BATCH = 8000;

const S_IFMT = 0o170000;
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
}

/** Parses the `lstat` op: per path "+" or "-", "=", then one line per "+". */
export function parseLstat(buf: Buffer, count: number): (RawStat | undefined)[] {
  const lines = buf.toString('latin1').split('\n');
  if (lines[count] !== '=') throw new TornReadError('helper lstat: malformed reply');
  const stats = lines.slice(count + 1).filter((l) => l !== '');
  const present = lines.slice(0, count).filter((l) => l === '+').length;
  // A file that vanished between the test and the stat: the lines no longer line up.
  if (stats.length !== present) throw new TornReadError('helper lstat: an entry changed while listed');
  let k = 0;
  return lines.slice(0, count).map((flag) => {
    if (flag !== '+') return undefined;
    const [dev = '', ino = '0', nlink = '1', size = '0', blocks = '0', mode = '0', maj = '0', min = '0'] = (
      stats[k++] ?? ''
    ).split(' ');
    return {
      dev,
      ino: Number(ino),
      nlink: Number(nlink),
      size: Number(size),
      blocks: Number(blocks),
      mode: Number.parseInt(mode, 16),
      rdevMajor: Number.parseInt(maj, 16),
      rdevMinor: Number.parseInt(min, 16),
    };
  });
}

/** Splits the `readlinks` op's output: each target ends with "\n\0". */
export function parseLinks(buf: Buffer, count: number): string[] {
  const out: string[] = [];
  let start = 0;
  for (let i = 0; i < buf.length && out.length < count; i++) {
    if (buf[i] !== 0) continue;
    let end = i;
    if (end > start && buf[end - 1] === 0x0a) end--;
    out.push(buf.toString('latin1', start, end));
    start = i + 1;
  }
  return out;
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
  };
}

export type ListedEntry = LayerEntry & { blocks?: number };

export interface ListOptions {
  /** Called with each batch as it is stat'ed: the first rows can show before the rest. */
  onBatch?: (entries: ListedEntry[], done: number, total: number) => void;
}

const asArg = (s: string) => Buffer.from(s, 'latin1');

/** Every entry of one layer directory (its content: overlay2 `diff`, containerd `fs`). */
export async function listLayerDir(
  helper: HelperSession,
  dir: string,
  options: ListOptions = {},
): Promise<ListedEntry[]> {
  const names = parseNames(await helper.run('names', [dir], 600_000));
  const out: ListedEntry[] = [];
  const batches: string[][] = [];
  for (let i = 0; i < names.length; i += BATCH) batches.push(names.slice(i, i + BATCH));
  // Batches run on the helper's lanes side by side; each is reported as soon as it is in.
  const results = await Promise.all(
    batches.map(async (batch) => {
      const args = batch.map((n) => asArg(`${dir}/${n}`));
      let stats: (RawStat | undefined)[] | undefined;
      for (let attempt = 0; !stats; attempt++) {
        try {
          stats = parseLstat(await helper.run('lstat', args, 600_000), batch.length);
        } catch (err) {
          if (!(err instanceof TornReadError) || attempt >= 2) throw err;
        }
      }
      const entries: ListedEntry[] = [];
      batch.forEach((name, i) => {
        const st = stats?.[i];
        if (st) entries.push(entryOf(name, st));
      });
      const links = entries.filter((e) => e.type === 'symlink');
      if (links.length) {
        const targets = parseLinks(
          await helper.run(
            'readlinks',
            links.map((e) => asArg(`${dir}/${e.path}`)),
          ),
          links.length,
        );
        links.forEach((e, i) => {
          e.linkTarget = targets[i] ?? '';
        });
      }
      options.onBatch?.(entries, 0, names.length);
      return entries;
    }),
  );
  for (const r of results) out.push(...r);
  return out;
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
  const op = `probe:${Buffer.from(dir, 'latin1').toString('base64')}`;
  const res = await helper.request(op, candidates.map(asArg), 120_000);
  if (res.status !== 0) return undefined;
  const flags = res.stdout.toString('latin1').split('\n');
  candidates.forEach((c, i) => {
    if (flags[i] === '1') opaque.add(c);
  });
  return opaque;
}
