// One file of a layer, or of a running container's live merged view, read through the helper:
// the explorer's preview and `layertop cat` both read here. The root (a layer's directory or a
// merged view, built by layertop from the engine's metadata) and the path inside it (names an
// image or a running container controls) travel apart, and the helper resolves the path inside
// the root without following any symlink (indir/infile and the fread op in helper-script.ts). A
// container that swaps a listed file or directory for a symlink gets a refusal, never the host's
// file; a symlink is never read: callers show its target from the listing instead.
import type { FilesTarget } from './files.js';
import { HelperError, type HelperSession } from './helper/helper-session.js';

export interface FileSource {
  /** A layer's directory or a container's merged view on the engine host (trusted). */
  root: string;
  /** The path inside it, relative, as bytes (a latin1 string: one char per byte). */
  path: string;
  /**
   * The root is one a container writes to (its writable layer or its live view): the file is
   * opened where no symlink is followed and no device can be opened (the fread op's ":live").
   */
  live?: boolean;
}

export type ReadRefusal = 'gone' | 'missing' | 'outside' | 'not-regular' | 'changed' | 'unprotected';

/** The helper refused to read (or could not find) the file: the message says why, for people. */
export class FileReadError extends Error {
  override name = 'FileReadError';
  constructor(
    readonly reason: ReadRefusal,
    message: string,
  ) {
    super(message);
  }
}

/** The fread op's exit statuses (see indir and infile in helper-script.ts). */
const REFUSALS = new Map<number, [ReadRefusal, string]>([
  [3, ['gone', 'the layer directory is gone (was the image or container removed?)']],
  [4, ['missing', 'no such file in the layer']],
  [6, ['outside', 'a directory on its path is not a real directory inside the layer (a symlink?)']],
  [7, ['not-regular', 'not a regular file inside the layer (a symlink?)']],
  [
    9,
    [
      'unprotected',
      "the engine host cannot open a container's file safely (it needs a private mount namespace and Linux 5.10's nosymfollow): read it with docker cp",
    ],
  ],
]);

export interface FilePart {
  /** "<dev> <ino>" of the file read: one read of a big file takes every part from the same file. */
  identity: string;
  /** The file's size when it was opened. */
  size: number;
  bytes: Buffer;
}

/** Offsets past 0 go in whole blocks of this many bytes (the helper's dd skips by bytes, reads blocks). */
export const PART_BLOCK = 65536;
/** `cat` reads a file in parts of this size: never more than this in memory at once. */
export const CAT_PART_BYTES = 16 * PART_BLOCK;

/**
 * A read of at most 1 MiB that takes longer is stuck, not slow: a running container that swaps a
 * pipe in for the file between the helper's check and its open holds the open (the type checked
 * again after it refuses the pipe), and the default two minutes held a helper lane and the preview.
 */
export const FREAD_TIMEOUT_MS = 20_000;

/** At most `length` bytes of one regular file from byte `offset`, in one request. */
export async function readFilePart(
  helper: HelperSession,
  src: FileSource,
  offset: number,
  length: number,
): Promise<FilePart> {
  if (!Number.isInteger(offset) || !Number.isInteger(length) || offset < 0 || length < 1)
    throw new RangeError(`bad range ${offset}+${length}`);
  if (offset % PART_BLOCK || (offset > 0 && length % PART_BLOCK))
    throw new RangeError(`a part past byte 0 starts and ends on a ${PART_BLOCK}-byte block`);
  const rel = src.path.replace(/^\/+/, '');
  const r = await helper.request(
    `fread:${offset}+${length}${src.live ? ':live' : ''}`,
    [Buffer.from(src.root, 'latin1'), Buffer.from(rel, 'latin1')],
    FREAD_TIMEOUT_MS,
  );
  if (r.status !== 0) {
    const refusal = REFUSALS.get(r.status);
    if (refusal) throw new FileReadError(refusal[0], refusal[1]);
    const why =
      r.status === 124 || r.status === 143
        ? `timed out after ${FREAD_TIMEOUT_MS / 1000} s${src.live ? ' (a running container can put a pipe where the file was)' : ''}`
        : r.stderr.toString('utf8').trim();
    throw new HelperError(`helper fread failed (${r.status}): ${why}`);
  }
  const nl = r.stdout.indexOf(0x0a);
  const m = /^(\d+) (\d+) 8[0-9a-f]{3} (\d+)$/.exec(r.stdout.toString('latin1', 0, Math.max(0, nl)));
  if (nl < 0 || !m) throw new HelperError('helper fread: malformed reply');
  return { identity: `${m[1]} ${m[2]}`, size: Number(m[3]), bytes: r.stdout.subarray(nl + 1) };
}

/** The first `bytes` bytes of a file (a preview): one request. */
export function readFileHead(helper: HelperSession, src: FileSource, bytes: number): Promise<FilePart> {
  return readFilePart(helper, src, 0, bytes);
}

/**
 * A whole file, part after part (each a request of at most `part` bytes, so a huge file never sits
 * in memory): every part must come from the same file (device and inode), or the read fails.
 */
export async function* readFileParts(
  helper: HelperSession,
  src: FileSource,
  part = CAT_PART_BYTES,
): AsyncGenerator<Buffer> {
  let offset = 0;
  let identity: string | undefined;
  for (;;) {
    const p = await readFilePart(helper, src, offset, part);
    identity ??= p.identity;
    if (p.identity !== identity)
      throw new FileReadError('changed', 'the file was replaced while it was read');
    if (p.bytes.length) yield p.bytes;
    offset += p.bytes.length;
    if (p.bytes.length < part) return;
  }
}

/** A container's writable layer: the container writes to it while it runs (not to its init layer). */
export const isLiveLayer = (target: FilesTarget, k: number): boolean =>
  target.kind === 'container' && target.layers[k]?.id === 'rw';

/** Where layer `layer` of a target holds `path`: that layer's own directory. */
export function layerSource(target: FilesTarget, layer: number, path: string): FileSource {
  const dir = target.layers[layer]?.dir;
  if (!dir) throw new FileReadError('gone', `layer ${layer} has no directory on this engine`);
  return { root: dir, path, ...(isLiveLayer(target, layer) ? { live: true } : {}) };
}
