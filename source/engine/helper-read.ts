/** A file changed while the helper read it: read it again. */
export class TornReadError extends Error {
  override name = 'TornReadError';
}

/**
 * Parses the `read` op: per path "+" or "-", "=", the sizes of the readable ones, "=", their bytes
 * back to back, "=", the sizes again. Unreadable paths give undefined.
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
  const flags: boolean[] = [];
  for (let i = 0; i < count; i++) flags.push(line() === '+');
  if (line() !== '=') throw new TornReadError('helper read: malformed reply');
  const readable = flags.filter(Boolean).length;
  const sizes: number[] = [];
  for (let i = 0; i < readable; i++) sizes.push(Number(line()));
  if (line() !== '=') throw new TornReadError('helper read: a file vanished while it was read');
  const out: (Buffer | undefined)[] = [];
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
