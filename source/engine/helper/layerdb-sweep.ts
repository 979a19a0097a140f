// Parses the glayerdb op's two outputs (see helper-ops.sh): the layer store's cache-id and size
// files of every chain as GNU grep prints them, and every chain's tar-split size as GNU find
// prints it. Strict: a line of any other shape (a path outside the store, a name not 64 hex digits)
// throws, and the caller then reads the files one by one as before.

/** What one chain directory's files hold (each file's lines joined by "\n"); absent: no line. */
export interface SweptChain {
  cacheId?: string;
  size?: string;
}

export class SweepFormatError extends Error {}

const HEX = /^[0-9a-f]{64}$/;

/** The output's lines, as Buffers (a file's bytes are not text until the reader says so). */
function lines(out: Buffer): Buffer[] {
  const list: Buffer[] = [];
  let at = 0;
  while (at < out.length) {
    const nl = out.indexOf(0x0a, at);
    if (nl < 0) throw new SweepFormatError('the sweep ended inside a line');
    list.push(out.subarray(at, nl));
    at = nl + 1;
  }
  return list;
}

/** The chain's 64 hex digits after `prefix` ("<dir>/"), and where they end; throws otherwise. */
function chainAt(line: Buffer, prefix: Buffer): string {
  if (line.length < prefix.length + 65 || !line.subarray(0, prefix.length).equals(prefix))
    throw new SweepFormatError('a line of the sweep is outside the layer store');
  const h = line.toString('latin1', prefix.length, prefix.length + 64);
  if (!HEX.test(h)) throw new SweepFormatError('a line of the sweep names no chain');
  return h;
}

/**
 * grep's "<dir>/<chain>/cache-id:<line>" and "<dir>/<chain>/size:<line>" lines, by chain (its 64
 * hex digits). A file of several lines gives them joined by "\n", as the file holds them (the
 * read op gave the whole file); an empty file gives no line, like a missing one.
 */
export function parseSweptIds(out: Buffer, dir: string): Map<string, SweptChain> {
  const prefix = Buffer.from(`${dir}/`, 'utf8');
  const chains = new Map<string, SweptChain>();
  for (const line of lines(out)) {
    const h = chainAt(line, prefix);
    const at = prefix.length + 64;
    const rest = line.subarray(at);
    const name = rest.subarray(0, 10).equals(CACHE_ID)
      ? 'cacheId'
      : rest.subarray(0, 6).equals(SIZE)
        ? 'size'
        : undefined;
    if (!name) throw new SweepFormatError('a line of the sweep is from another file');
    const text = rest.toString('utf8', name === 'cacheId' ? 10 : 6);
    const c = chains.get(h) ?? {};
    const had = c[name];
    c[name] = had === undefined ? text : `${had}\n${text}`;
    chains.set(h, c);
  }
  return chains;
}
const CACHE_ID = Buffer.from('/cache-id:');
const SIZE = Buffer.from('/size:');

/** find's "<dir>/<chain> <size>" lines: each chain's tar-split size in bytes. */
export function parseSweptSplits(out: Buffer, dir: string): Map<string, number> {
  const prefix = Buffer.from(`${dir}/`, 'utf8');
  const sizes = new Map<string, number>();
  for (const line of lines(out)) {
    const h = chainAt(line, prefix);
    const rest = line.toString('latin1', prefix.length + 64);
    if (!/^ \d{1,15}$/.test(rest) || sizes.has(h))
      throw new SweepFormatError('a size line of the sweep is malformed');
    sizes.set(h, Number(rest.slice(1)));
  }
  return sizes;
}
