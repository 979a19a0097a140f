// `layertop cat`: one file as a layer holds it (default: the top layer, as `files`) or as the
// merged view at that layer holds it, read through the same engine code as the explorer's preview
// (engine/file-read.ts: the path resolved inside the layer, never through a symlink), part after
// part. Raw bytes when stdout is not a terminal, escaped when it is.
import { EngineError } from '../engine/docker/engine-error.js';
import {
  FileReadError,
  type FileSource,
  isLiveLayer,
  layerSource,
  readFileParts,
} from '../engine/file-read.js';
import { type FilesTarget, listLayers, resolveFilesTarget } from '../engine/files.js';
import type { HelperSession } from '../engine/helper/helper-session.js';
import { listLayerDir } from '../engine/helper/layer-list.js';
import { escapeBytes } from '../model/escape.js';
import type { LayerEntry } from '../model/overlay.js';
import { type CliArgs, UsageError } from './args.js';
import { layerIndex } from './files-command.js';
import { openSession } from './open-session.js';

/** A name's bytes, escaped: for messages (a name can hold newlines and terminal escapes). */
const shown = (path: string) => escapeBytes(Buffer.from(path, 'latin1'));

/** The path as the listings name it: bytes (a latin1 string), relative, no empty or "." parts. */
export function catPath(arg: string): string {
  const parts = Buffer.from(arg, 'utf8')
    .toString('latin1')
    .split('/')
    .filter((p) => p !== '' && p !== '.');
  if (parts.includes('..')) throw new UsageError('cat: a path with ".." is not taken (name the file itself)');
  if (!parts.length) throw new UsageError('cat needs the path of a file');
  return parts.join('/');
}

interface Found {
  entry: LayerEntry | undefined;
  source: FileSource;
  /** Where the answer comes from, for messages. */
  where: string;
  /** The layer whose whiteout deleted the path, if that is why it is not there. */
  deletedIn?: number | undefined;
}

/** The entry at `path` in the view asked for, and where its bytes are read. */
async function find(
  helper: HelperSession,
  target: FilesTarget,
  k: number,
  path: string,
  merged: boolean,
): Promise<Found> {
  if (!merged) {
    const entries = await listLayerDir(helper, target.layers[k]?.dir ?? '', isLiveLayer(target, k));
    const entry = entries.find((e) => e.path === path);
    return {
      entry,
      source: layerSource(target, k, path),
      where: `layer ${k}'s own files (--merged: the view at that layer)`,
      deletedIn: entry?.type === 'whiteout' ? k : undefined,
    };
  }
  if (target.mergedDir && k === target.layers.length - 1) {
    // A running container: its live view, as the kernel shows it (the overlay mount).
    const entries = await listLayerDir(helper, target.mergedDir, true);
    return {
      entry: entries.find((e) => e.path === path),
      source: { root: target.mergedDir, path, live: true },
      where: 'the live view of the running container',
    };
  }
  const { layers, merged: view } = await listLayers(helper, target, k);
  const hit = view.get(path);
  let deletedIn: number | undefined;
  if (!hit)
    for (let j = k; j >= 0 && deletedIn === undefined; j--) {
      const own = layers[j]?.find((e) => e.path === path);
      if (own?.type === 'whiteout') deletedIn = j;
      else if (own) break;
    }
  return {
    entry: hit?.entry,
    source: layerSource(target, hit?.layer ?? k, path),
    where: `the merged view at layer ${k}`,
    deletedIn,
  };
}

/** Bytes for a terminal: each line escaped, newlines kept; a UTF-8 character cut by a part waits. */
export class TerminalEscaper {
  private carry: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): string {
    const b = this.carry.length ? Buffer.concat([this.carry, chunk]) : chunk;
    const keep = incompleteTail(b);
    this.carry = Buffer.from(b.subarray(b.length - keep));
    return escapeLines(b.subarray(0, b.length - keep));
  }

  end(): string {
    const rest = escapeLines(this.carry);
    this.carry = Buffer.alloc(0);
    return rest;
  }
}

function escapeLines(b: Buffer): string {
  let out = '';
  let start = 0;
  for (let i = b.indexOf(0x0a); i >= 0; i = b.indexOf(0x0a, start)) {
    out += `${escapeBytes(b.subarray(start, i))}\n`;
    start = i + 1;
  }
  return out + escapeBytes(b.subarray(start));
}

/** Bytes at the end that begin a UTF-8 sequence the buffer does not finish (0 to 3). */
function incompleteTail(b: Buffer): number {
  for (let back = 1; back <= Math.min(3, b.length); back++) {
    const c = b[b.length - back] as number;
    if ((c & 0xc0) === 0x80) continue; // a continuation byte: look further back
    const len = c >= 0xf0 && c <= 0xf4 ? 4 : c >= 0xe0 ? 3 : c >= 0xc2 && c < 0xe0 ? 2 : 1;
    return len > back ? back : 0;
  }
  return 0;
}

const write = (data: string | Buffer) =>
  new Promise<void>((resolve, reject) =>
    process.stdout.write(data, (err) => (err ? reject(err) : resolve())),
  );

export async function catCommand(args: CliArgs): Promise<number> {
  if (args.noHelper) throw new UsageError('cat reads the layers through the helper: drop --no-helper');
  const path = catPath(args.path ?? '');
  const { client, info, helper: starting, cache } = await openSession(args);
  // --no-helper was refused above: the helper is starting.
  const helperReady = starting as Promise<HelperSession>;
  // The engine's part of resolving the target goes on while the helper starts.
  const resolving = resolveFilesTarget(client, helperReady, info, args.target ?? '', cache);
  resolving.catch(() => {}); // awaited below; a failure surfaces there
  const helper = await helperReady;
  try {
    const target = await resolving;
    const k = layerIndex(
      args.layer,
      target.layers.map((l) => l.id),
    );
    const found = await find(helper, target, k, path, args.merged);
    const name = `/${shown(path)}`;
    const tty = process.stdout.isTTY === true;
    const entry = found.entry;
    if (found.deletedIn !== undefined)
      throw new EngineError(`${name}: deleted in layer ${found.deletedIn} (a whiteout)`);
    if (!entry) throw new EngineError(`${name}: no such file in ${found.where}`);
    if (entry.type === 'symlink') {
      // A symlink is never followed: its target is what it holds.
      const t = Buffer.from(entry.linkTarget ?? '', 'latin1');
      await write(tty ? `${escapeBytes(t)}\n` : Buffer.concat([t, Buffer.from('\n')]));
      return 0;
    }
    if (entry.type === 'dir') throw new EngineError(`${name}: is a directory`);
    if (entry.type !== 'file') throw new EngineError(`${name}: not a regular file (a ${entry.type})`);
    const escaper = tty ? new TerminalEscaper() : undefined;
    try {
      for await (const part of readFileParts(helper, found.source))
        await write(escaper ? escaper.push(part) : part);
    } catch (err) {
      if (err instanceof FileReadError) throw new EngineError(`${name}: ${err.message}`);
      throw err;
    }
    if (escaper) await write(escaper.end());
    return 0;
  } finally {
    await helper.close();
  }
}
