/** Parses the `read` op: per path "<length>\n<bytes>", or "-1\n" when it could not be read. */
export function parseRead(buf: Buffer, count: number): (Buffer | undefined)[] {
  const out: (Buffer | undefined)[] = [];
  let pos = 0;
  while (out.length < count && pos < buf.length) {
    const nl = buf.indexOf(0x0a, pos);
    if (nl < 0) break;
    const len = Number(buf.subarray(pos, nl).toString('latin1').trim());
    pos = nl + 1;
    if (!Number.isInteger(len) || len < 0) {
      out.push(undefined);
      continue;
    }
    out.push(Buffer.from(buf.subarray(pos, pos + len)));
    pos += len;
  }
  while (out.length < count) out.push(undefined);
  return out;
}

/** Parses the `list` op: NUL-separated entries, each directory's list closed by an empty entry. */
export function parseList(buf: Buffer): Buffer[][] {
  const lists: Buffer[][] = [];
  let current: Buffer[] = [];
  let start = 0;
  for (let i = 0; i < buf.length; i++) {
    if (buf[i] !== 0) continue;
    const item = buf.subarray(start, i);
    start = i + 1;
    if (item.length === 0) {
      lists.push(current);
      current = [];
      i++; // the pair of NULs that closes a list
      start = i + 1;
    } else current.push(Buffer.from(item));
  }
  return lists;
}
