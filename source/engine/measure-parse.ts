// Parses the helper's `measure` output: per directory, "@" then one line per entry
// "<inode> <nlink> <size> <blocks> <raw mode hex>"; the measure:<sub> form puts "=" between the
// directory's own entries and those of its content subdirectory (diff/ or fs/). No names travel,
// so no file name, however hostile, can forge a line.

export interface DirMeasure {
  /** Apparent bytes as Docker counts a layer: non-directories, each inode once. */
  apparentBytes: number;
  /** Allocated bytes of everything (du -s -B1): blocks × 512, directories included, hard links once. */
  diskBytes: number;
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

function addLine(acc: Acc, line: string, content: boolean): void {
  const parts = line.split(' ');
  if (parts.length !== 5) {
    acc.m.partial = true;
    return;
  }
  const [ino = '', nlinkS = '', sizeS = '', blocksS = '', modeS = ''] = parts;
  const nlink = Number(nlinkS);
  const size = Number(sizeS);
  const blocks = Number(blocksS);
  const mode = Number.parseInt(modeS, 16);
  if (!Number.isFinite(size) || !Number.isFinite(blocks) || Number.isNaN(mode)) {
    acc.m.partial = true;
    return;
  }
  const isDir = (mode & S_IFMT) === S_IFDIR;
  acc.m.entries++;
  if (isDir || nlink <= 1 || !acc.seenDisk.has(ino)) {
    if (!isDir && nlink > 1) acc.seenDisk.add(ino);
    acc.m.diskBytes += blocks * 512;
  }
  if (content && !isDir && !acc.seenApparent.has(ino)) {
    acc.seenApparent.add(ino);
    acc.m.apparentBytes += size;
  }
}

/**
 * Parses the output for a list of directories, in request order.
 * With `split` (measure:<sub>), only entries after "=" count towards apparent bytes;
 * without it every entry does.
 */
export function parseMeasure(output: string, split: boolean): DirMeasure[] {
  const result: DirMeasure[] = [];
  let acc: Acc | undefined;
  let content = !split;
  for (const line of output.split('\n')) {
    if (line === '@') {
      acc = {
        seenDisk: new Set(),
        seenApparent: new Set(),
        m: { apparentBytes: 0, diskBytes: 0, entries: 0, missing: false, partial: false },
      };
      result.push(acc.m);
      content = !split;
      continue;
    }
    if (!acc || line === '') continue;
    if (line === '=') content = true;
    else if (line === '?') acc.m.missing = true;
    else if (line === '!') acc.m.partial = true;
    else addLine(acc, line, content);
  }
  return result;
}
