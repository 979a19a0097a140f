// `layertop files`: one layer's diff, or the merged view at that layer, as text or JSON.
import { listLayers, releaseLayoutCopies, resolveFilesTarget } from '../engine/files.js';
import { HelperError, type HelperSession } from '../engine/helper/helper-session.js';
import { listLayerDir } from '../engine/helper/layer-list.js';
import { digestHex } from '../model/digest.js';
import { escapeBytes, escapeText } from '../model/escape.js';
import { filePathJson, linkTargetJson } from '../model/file-path.js';
import { layerDiff, sortedView, wastedBytes } from '../model/overlay.js';
import { counted } from '../model/size-text.js';
import { mark } from '../process/timing.js';
import { type CliArgs, UsageError } from './args.js';
import { ChunkedWriter, writeJsonWithList } from './chunked-output.js';
import { sizeText } from './format.js';
import { openSession } from './open-session.js';

const LETTER = { added: 'A', modified: 'M', deleted: 'D', opaque: 'O' } as const;

/** Shown escaped: a name's bytes never reach the terminal raw. */
const shown = (path: string) => escapeBytes(Buffer.from(path, 'latin1'));

export function layerIndex(spec: string | undefined, ids: readonly string[]): number {
  if (spec === undefined) return ids.length - 1;
  if (/^-?\d+$/.test(spec)) {
    const n = Number(spec);
    const i = n < 0 ? ids.length + n : n;
    if (i < 0 || i >= ids.length)
      throw new UsageError(`--layer ${spec}: there are ${ids.length} layers (0..${ids.length - 1})`);
    return i;
  }
  const hits = ids
    .map((id, i) => [digestHex(id), i] as const)
    .filter(([id]) => id.startsWith(digestHex(spec)));
  if (hits.length !== 1)
    throw new UsageError(`--layer ${spec}: ${hits.length ? 'ambiguous' : 'no such layer'}`);
  return hits[0]?.[1] ?? 0;
}

/** A layer by its number, as --layer takes it, with where it sits: "layer 100 (the top of 101; 0 is the bottom)". */
export function layerText(k: number, count: number): string {
  const where = k === count - 1 ? 'the top' : k === 0 ? 'the bottom' : `${count - 1 - k} below the top`;
  return `layer ${k} (${where} of ${count}; 0 is the bottom)`;
}

export async function filesCommand(args: CliArgs): Promise<number> {
  if (args.noHelper) throw new UsageError('files reads the layers through the helper: drop --no-helper');
  const { client, info, helper: starting, cache } = await openSession(args);
  // --no-helper was refused above: the helper is starting.
  mark('connected');
  const helperReady = starting as Promise<HelperSession>;
  // The engine's part of resolving the target goes on while the helper starts.
  const resolving = resolveFilesTarget(client, helperReady, info, args.target ?? '', cache);
  resolving.catch(() => {}); // awaited below; a failure surfaces there
  const helper = await helperReady;
  mark('helper');
  let closing: Promise<void> | undefined;
  try {
    const target = await resolving;
    releaseLayoutCopies(helper);
    mark('resolved');
    const ids = target.layers.map((l) => l.id);
    const out = new ChunkedWriter(undefined, args.json === true);
    const k = layerIndex(args.layer, ids);
    const {
      layers,
      merged,
      opaqueKnown,
      diff: applied,
    } = await listLayers(
      helper,
      target,
      args.merged ? k : target.layers.length - 1,
      undefined,
      args.merged ? undefined : k,
    );
    mark('listed');
    // The helper goes while the output is made and written (its removal, 0.2-0.3 s, was after it):
    // a running container's live view is its last read.
    const live = Boolean(args.merged && target.mergedDir && k === target.layers.length - 1);
    if (!live) closing = helper.close();
    // listLayers' union is of exactly these layers: wastedBytes need not merge them again.
    const wasted = wastedBytes(layers, merged);
    const layer = target.layers[k];
    const head = {
      target: { kind: target.kind, id: target.id, name: target.name },
      layer: {
        index: k,
        id: layer?.id,
        createdBy: layer?.label ?? null,
        wastedBytes: wasted.perLayer[k] ?? 0,
      },
      wastedBytes: wasted.total,
      view: args.merged ? 'merged' : 'diff',
      opaqueKnown,
    };
    if (!opaqueKnown)
      process.stderr.write(
        'layertop: the engine refused the opaque-directory probe: opaque directories are not known\n',
      );
    if (args.merged) {
      let rows = sortedView(merged);
      if (live && target.mergedDir) {
        // A running container: its live view as the kernel shows it (the overlay mount), each
        // entry attributed to the layer layertop's own union says it comes from.
        const entries = await listLayerDir(helper, target.mergedDir, true);
        closing = helper.close();
        rows = entries
          .map((e) => ({ path: e.path, entry: e, layer: merged.get(e.path)?.layer ?? k }))
          .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
      }
      if (args.json) {
        writeJsonWithList(out, { ...head, live }, 'entries', rows, (r) => ({
          ...filePathJson(r.path),
          type: r.entry.type,
          size: r.entry.size,
          ...linkTargetJson(r.entry.linkTarget),
          mode: r.entry.mode ?? null,
          uid: r.entry.uid ?? null,
          gid: r.entry.gid ?? null,
          mtime: r.entry.mtime ?? null,
          layer: ids[r.layer] ?? null,
        }));
      } else {
        out.write(
          `${escapeText(target.name)}: ${live ? 'live view of the running container' : `merged view at ${layerText(k, ids.length)}`} (${counted(rows.length, 'entry', 'entries')})\n` +
            // The first column: the layer each entry comes from (0 = bottom), which `--layer` takes.
            `LYR TYPE         SIZE  PATH\n`,
        );
        for (const r of rows)
          out.write(
            `${String(r.layer).padStart(3)} ${r.entry.type.padEnd(8)} ${sizeText(r.entry.size).padStart(8)}  /${shown(r.path)}${r.entry.linkTarget !== undefined ? ` -> ${shown(r.entry.linkTarget)}` : ''}\n`,
          );
        out.end();
      }
      return 0;
    }
    // The diff as listLayers applied it, in path order (as layerDiff gives it).
    const diff = (applied ?? layerDiff(layers, k)).sort((a, b) => (a.entry.path < b.entry.path ? -1 : 1));
    mark('diffed');
    if (args.json) {
      writeJsonWithList(out, head, 'entries', diff, (d) => ({
        ...filePathJson(d.entry.path),
        type: d.entry.type,
        size: d.entry.size,
        ...linkTargetJson(d.entry.linkTarget),
        mode: d.entry.mode ?? null,
        uid: d.entry.uid ?? null,
        gid: d.entry.gid ?? null,
        mtime: d.entry.mtime ?? null,
        layer: ids[k] ?? null,
        status: d.status,
      }));
      mark('written');
      return 0;
    }
    out.write(
      `${escapeText(target.name)}: ${layerText(k, ids.length)} ${escapeText(layer?.label ?? '')}\n` +
        `${counted(diff.length, 'entry', 'entries')}; wasted here ${sizeText(head.layer.wastedBytes)} (image: ${sizeText(wasted.total)})\n`,
    );
    mark('written-head');
    for (const d of diff)
      out.write(
        `${LETTER[d.status]} ${d.entry.type.padEnd(8)} ${sizeText(d.entry.size).padStart(8)}  /${shown(d.entry.path)}${d.entry.linkTarget !== undefined ? ` -> ${shown(d.entry.linkTarget)}` : ''}\n`,
      );
    out.end();
    return 0;
  } catch (err) {
    if (err instanceof HelperError) throw err;
    throw err;
  } finally {
    await (closing ?? helper.close());
  }
}
