// Parses the helper's `measure` output (see helper-script.ts): per requested directory a "C +|?"
// marker (and "T +|?" with a content subdirectory), then per section the roots' "<C|T> <dev> <ino>"
// lines and one line per entry "<dev> <inode> <nlink> <size> <blocks> <raw mode hex>". No names
// travel, so no file name, however hostile, can forge a line; a root's own (dev, inode) line marks
// where its entries begin.

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
