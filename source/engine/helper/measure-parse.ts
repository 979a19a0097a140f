// Parses the helper's `measure` output (see helper-script.ts): per requested directory a "C +|?"
// marker (and "T +|?" with a content subdirectory), then per section the roots' "<C|T> <dev> <ino>"
// lines and one line per entry "<dev> <inode> <nlink> <size> <blocks> <raw mode hex>". No names
// travel, so no file name, however hostile, can forge a line; a root's own (dev, inode) line marks
// where its entries begin.
import { stampTime } from './helper-read.js';

export interface DirMeasure {
  /** Apparent bytes as Docker counts a layer: non-directories, each inode once. */
  apparentBytes: number;
  /** Allocated bytes of everything (du -s -B1): blocks × 512, directories included, hard links once. */
  diskBytes: number;
  /** Allocated bytes of the content subdirectory alone (containerd's own usage figure for a snapshot). */
  contentDiskBytes: number;
  entries: number;
  missing: boolean;
  /** find reported an error (an unreadable entry): the figures are a lower bound. */
  partial: boolean;
}

const S_IFMT = 0xf000;
const S_IFDIR = 0x4000;

interface Acc {
  seenDisk: Set<string>;
  seenApparent: Set<string>;
  m: DirMeasure;
}

/**
 * Parses the output for `count` directories, in request order. With `split` (measure:<sub>) the
 * content section counts towards apparent and disk bytes, the top section towards disk bytes only;
 * without it the one section counts towards both.
 */
export function parseMeasure(output: string, count: number, split: boolean): DirMeasure[] {
  const accs: Acc[] = Array.from({ length: count }, () => ({
    seenDisk: new Set<string>(),
    seenApparent: new Set<string>(),
    m: { apparentBytes: 0, diskBytes: 0, contentDiskBytes: 0, entries: 0, missing: false, partial: false },
  }));
  const present: Record<'C' | 'T', number[]> = { C: [], T: [] };
  const markers: Record<'C' | 'T', number> = { C: 0, T: 0 };
  const roots: Record<'C' | 'T', string[]> = { C: [], T: [] };
  let section: 'C' | 'T' | undefined;
  let current = -1;

  for (const line of output.split('\n')) {
    if (line === '') continue;
    if (line === '=C' || line === '=T') {
      section = line[1] as 'C' | 'T';
      current = -1;
      continue;
    }
    if (line === '!') {
      for (const a of accs) a.m.partial = true;
      continue;
    }
    const first = line[0];
    if ((first === 'C' || first === 'T') && line[1] === ' ') {
      const kind = first;
      const rest = line.slice(2);
      if (section === undefined) {
        const i = markers[kind]++;
        if (rest === '+') present[kind].push(i);
        else if (accs[i]) accs[i].m.missing = true;
      } else {
        roots[kind].push(rest);
      }
      continue;
    }
    if (!section) continue;
    const parts = line.split(' ');
    const rootList = roots[section];
    const owners = present[section];
    if (parts.length !== 6) {
      const owner = accs[owners[current] ?? -1];
      if (owner) owner.m.partial = true;
      continue;
    }
    const [dev = '', ino = '', nlinkS = '', sizeS = '', blocksS = '', modeS = ''] = parts;
    const mode = Number.parseInt(modeS, 16);
    const isDir = (mode & S_IFMT) === S_IFDIR;
    if (isDir && rootList[current + 1] === `${dev} ${ino}`) current++;
    const acc = accs[owners[current] ?? -1];
    if (!acc) continue;
    // A mount point (a running container's merged view): not this file system's, as for du -x.
    if (isDir && dev !== rootList[current]?.split(' ')[0]) continue;
    const size = Number(sizeS);
    const blocks = Number(blocksS);
    const nlink = Number(nlinkS);
    if (!Number.isFinite(size) || !Number.isFinite(blocks) || Number.isNaN(mode)) {
      acc.m.partial = true;
      continue;
    }
    acc.m.entries++;
    // Only names with more than one link can repeat an inode: the sets stay small on big layers.
    const linked = !isDir && nlink > 1;
    const key = linked ? `${dev}:${ino}` : '';
    if (!linked || !acc.seenDisk.has(key)) {
      if (linked) acc.seenDisk.add(key);
      acc.m.diskBytes += blocks * 512;
      if (section === 'C') acc.m.contentDiskBytes += blocks * 512;
    }
    if (section === 'C' && !isDir && (!linked || !acc.seenApparent.has(key))) {
      if (linked) acc.seenApparent.add(key);
      acc.m.apparentBytes += size;
    }
  }
  // A top directory whose content subdirectory is missing is not a layer directory at all.
  if (split) for (const a of accs) if (a.m.entries === 0 && !a.m.missing) a.m.missing = true;
  return accs.map((a) => a.m);
}

/** A walk's output that does not add up: never used, never cached (the caller walks again). */
export class MeasureOutputError extends Error {
  override name = 'MeasureOutputError';
}

/**
 * Parses the `gmeasure` output (the host's GNU find, see helper-script.ts): per requested path
 * "S <content> <top>" (a layer directory with a content subdirectory) or "W <present>" (measured
 * whole); per directory whose entries are measured each ("--each"), "E <present>" and then
 * "e <name>" per entry; "=G", then one line per entry "<depth> <size> <blocks> <type>[ <dev>:<ino>| C]".
 * Depth 0 starts the next present root (S and W roots in order, then each "e" entry); in an S root
 * the depth-1 directory flagged C is the content subdirectory, and everything below it until the
 * next entry of depth <= 1 is content. A W root is content through and through (Docker bytes and
 * disk bytes). A big layer has tens of thousands of lines: they are read by char codes, without
 * splitting.
 */
export function parseGnuMeasure(output: string, count: number): DirMeasure[] {
  return parseGnuMeasureEach(output, count).measures;
}

const emptyMeasure = (): DirMeasure => ({
  apparentBytes: 0,
  diskBytes: 0,
  contentDiskBytes: 0,
  entries: 0,
  missing: false,
  partial: false,
});

/** What a `gmeasure` walk gives: see {@link parseGnuMeasureEach}. */
export interface GnuMeasureResult {
  measures: DirMeasure[];
  each: (Map<string, DirMeasure> | undefined)[];
  stamp: string | undefined;
}

/**
 * {@link parseGnuMeasure}, with the entries of each "--each" directory by name (undefined: absent)
 * and the stamp of the file the op was asked to stamp ("<dev>:<ino>:<size>:<time>"), if it was there.
 */
export function parseGnuMeasureEach(output: string, count: number): GnuMeasureResult {
  const p = new GnuMeasureStream(count);
  p.pushText(output);
  return p.finish();
}

// Where the last readNum stopped: a module variable, not a closure made per entry line (that was
// 52 MB of the 262 MB a cold scan allocated at scale, 400,000 lines of one layer, and the young
// generation's collections it caused).
let numEnd = 0;

/** The decimal number at s[pos, end), -1 when there is none; numEnd is set to where it stops. */
function readNum(s: string, pos: number, end: number): number {
  let n = 0;
  const from = pos;
  for (let c = s.charCodeAt(pos); pos < end && c >= 48 && c <= 57; c = s.charCodeAt(++pos))
    n = n * 10 + (c - 48);
  numEnd = pos;
  return pos > from ? n : -1;
}

/**
 * The `gmeasure` parser fed as the reply arrives (see HelperSession.request's sink): a walk of a
 * 400,000-entry layer is a few megabytes of lines, read a chunk at a time between other events
 * (the explorer answers keys meanwhile) instead of held, joined and decoded whole.
 */
export class GnuMeasureStream {
  private readonly ms: DirMeasure[];
  private stamp: string | undefined;
  private readonly each: (Map<string, DirMeasure> | undefined)[] = [];
  private readonly split: boolean[] = [];
  // The present roots in walk order, and whether each is a layer directory (S).
  private readonly walked: DirMeasure[] = [];
  private readonly walkedSplit: boolean[] = [];
  private head = true;
  private carry = '';
  private current = -1;
  // The stamped file is walked as a root of its own after the requested ones (see the op).
  private stampRoots = 0;
  private m: DirMeasure | undefined;
  private isSplit = false;
  private inContent = false;
  private rootDev = '';
  private seenDisk = new Set<string>();
  private seenApparent = new Set<string>();

  constructor(private readonly count: number) {
    this.ms = Array.from({ length: count }, emptyMeasure);
  }

  /** A piece of the reply (latin1: one char per byte). */
  push(chunk: Buffer): void {
    this.pushText(chunk.toString('latin1'));
  }

  pushText(piece: string): void {
    let text = this.carry + piece;
    let pos = 0;
    if (this.head) {
      for (;;) {
        const nl = text.indexOf('\n', pos);
        // A header line cut short waits for the rest (at the very end it is ignored, as ever).
        if (nl < 0) {
          this.carry = text.slice(pos);
          return;
        }
        const line = text.slice(pos, nl);
        pos = nl + 1;
        if (line === '=G') {
          this.head = false;
          break;
        }
        this.headLine(line);
      }
      text = text.slice(pos);
      pos = 0;
    }
    const last = text.lastIndexOf('\n');
    while (pos <= last) {
      const end = text.indexOf('\n', pos);
      this.entryLine(text, pos, end);
      pos = end + 1;
    }
    this.carry = text.slice(pos);
  }

  private headLine(line: string): void {
    if (line.startsWith('e ')) {
      const m = emptyMeasure();
      this.each.at(-1)?.set(line.slice(2), m);
      this.walked.push(m);
      this.walkedSplit.push(false);
      return;
    }
    const [kind, a, b] = line.split(' ');
    if (kind === 'E') {
      this.each.push(a === '+' ? new Map() : undefined);
      return;
    }
    if (kind !== 'S' && kind !== 'W') return;
    const i = this.split.length;
    const m = this.ms[i];
    this.split.push(kind === 'S');
    if (!m) return;
    if (a !== '+') m.missing = true;
    if ((kind === 'S' ? b : a) === '+') {
      this.walked.push(m);
      this.walkedSplit.push(kind === 'S');
    }
  }

  /** One entry line, output[pos, end). */
  private entryLine(output: string, start: number, end: number): void {
    let pos = start;
    if (output.charCodeAt(pos) === 0x21 /* ! */) {
      for (const x of [...this.ms, ...this.walked]) x.partial = true;
      return;
    }
    const depth = readNum(output, pos, end);
    pos = numEnd;
    const ok1 = output.charCodeAt(pos++) === 0x20;
    const size = readNum(output, pos, end);
    pos = numEnd;
    const ok2 = output.charCodeAt(pos++) === 0x20;
    const blocks = readNum(output, pos, end);
    pos = numEnd;
    const ok3 = output.charCodeAt(pos++) === 0x20;
    const type = pos < end ? output.charCodeAt(pos) : -1;
    pos++;
    const rest = pos < end ? output.slice(pos, end) : '';
    // The stamped file's line (see the op's --list): " T <dev> <ino> <change time>".
    const stamped = rest.startsWith(' T ');
    if (stamped) {
      const [dev, ino, ctime = ''] = rest.slice(3).split(' ');
      this.stamp = `${dev}:${ino}:${size}:${stampTime(ctime)}`;
    }
    const isDir = type === 0x64 && !stamped; /* d */
    // A directory's line ends in its device (after " C" for a content subdirectory).
    const flagged = isDir && rest.startsWith(' C ');
    const dirDev = isDir ? rest.slice(flagged ? 3 : 1) : '';
    if (depth === 0) {
      if (stamped) this.stampRoots++;
      this.current++;
      this.m = this.walked[this.current];
      this.isSplit = this.walkedSplit[this.current] ?? false;
      this.inContent = !this.isSplit;
      this.seenDisk = new Set();
      this.seenApparent = new Set();
      this.rootDev = dirDev;
    }
    const m = this.m;
    if (!m) return;
    if (depth < 0 || size < 0 || blocks < 0 || !ok1 || !ok2 || !ok3) {
      m.partial = true;
      return;
    }
    if (depth === 1 && this.isSplit) this.inContent = flagged;
    // A mount point (a running container's merged view): not this file system's, as for du -x.
    if (isDir && depth > 0 && dirDev !== this.rootDev) return;
    m.entries++;
    // Only names with more than one link carry an identity: the sets stay small on big layers.
    const key = !isDir && !stamped && rest.startsWith(' ') ? rest.slice(1) : '';
    if (!key || !this.seenDisk.has(key)) {
      if (key) this.seenDisk.add(key);
      m.diskBytes += blocks * 512;
      if (this.inContent) m.contentDiskBytes += blocks * 512;
    }
    if (this.inContent && !isDir && (!key || !this.seenApparent.has(key))) {
      if (key) this.seenApparent.add(key);
      m.apparentBytes += size;
    }
  }

  /** The figures, once the whole reply is in; a walk that does not add up is an error. */
  finish(): GnuMeasureResult {
    // A last entry line without its newline still counts (a header line cut short does not).
    if (!this.head && this.carry) this.entryLine(this.carry, 0, this.carry.length);
    this.carry = '';
    const { ms, split, count, walked } = this;
    // The output must add up: a status line per requested path, and a walk for every present root
    // (a list that reached the op in two runs, or a root that vanished mid-walk, does not).
    if (split.length !== count)
      throw new MeasureOutputError(`the walk announced ${split.length} of ${count} paths`);
    if (this.current + 1 - this.stampRoots !== walked.length && !ms.some((x) => x.partial))
      throw new MeasureOutputError(
        `the walk covered ${this.current + 1 - this.stampRoots} of ${walked.length} present roots`,
      );
    // A top directory whose content subdirectory is missing is not a layer directory at all.
    ms.forEach((x, i) => {
      if (split[i] && x.entries === 0) x.missing = true;
    });
    return { measures: ms, each: this.each, stamp: this.stamp };
  }
}
