import type * as Fuzzysort from 'fuzzysort';
import fuzzysort from 'fuzzysort';
import { shortId } from '../../model/digest.js';
import { escapeText } from '../../model/escape.js';
import type { ScanModel } from '../../model/report.js';
import type { ImageInput } from '../../model/types.js';
import { BUILD_CACHE_KEY, buildRows, type Row } from '../tree/tree-rows.js';

export interface SearchHit {
  row: Row;
  /** What matched, escaped for display. */
  label: string;
  /** [start, end) ranges of `label` to highlight. */
  ranges: [number, number][];
  score: number;
  /**
   * Which one it is, where the label alone does not say (a build command many layers share: 40
   * hits of "COPY f99 /c/99" read the same): the layer's short ID and an image that has it.
   */
  context?: string;
}

/** The first tagged image that has the layer (else its first image's short ID), "+N" for the others. */
function layerImages(model: ScanModel, byId: ReadonlyMap<string, ImageInput>, chainId: string): string {
  const images = model.graph.layers.get(chainId)?.images ?? [];
  let tag: string | undefined;
  for (const id of images) {
    tag = byId.get(id)?.tags[0];
    if (tag) break;
  }
  const name = tag ? escapeText(tag) : images[0] ? shortId(images[0]) : '';
  const more = images.length > 1 ? ` +${images.length - 1}` : '';
  return name ? `${name}${more}` : '';
}

/** A layer's short ID and an image that has it. */
function layerContext(model: ScanModel, byId: ReadonlyMap<string, ImageInput>, chainId: string): string {
  const images = layerImages(model, byId, chainId);
  return `${shortId(chainId)}${images ? ` · ${images}` : ''}`;
}

/** Context longer than this is cut: the label after it must stay on an 80-column line. */
const CONTEXT_MAX = 40;
const cut = (text: string): string =>
  text.length > CONTEXT_MAX ? `${text.slice(0, CONTEXT_MAX - 1)}…` : text;

/**
 * What tells the user which row a hit is, where its label alone does not (see SearchHit.context):
 * a build command or step names its layer or record; an ID names what it is the ID of (an
 * untagged image says so: it has no other name); a container names its image and state.
 */
function hitContext(
  model: ScanModel,
  byId: ReadonlyMap<string, ImageInput>,
  kind: string,
  row: Row,
): string | undefined {
  switch (kind) {
    case 'command':
      return row.chainId ? layerContext(model, byId, row.chainId) : undefined;
    case 'layer id': {
      if (!row.chainId) return undefined;
      const cmd = model.graph.layers.get(row.chainId)?.createdBy;
      const images = layerImages(model, byId, row.chainId);
      return cut([cmd ? escapeText(cmd) : '(no build command)', images].filter(Boolean).join(' · '));
    }
    case 'image id': {
      const tags = row.imageId ? (byId.get(row.imageId)?.tags ?? []) : [];
      return tags[0]
        ? cut(`${escapeText(tags[0])}${tags.length > 1 ? ` +${tags.length - 1}` : ''}`)
        : 'untagged (dangling)';
    }
    case 'container': {
      const c = model.inputs.containers.find((x) => `container:${x.id}` === row.key);
      return c ? cut(`${escapeText(c.image)} (${escapeText(c.state)})`) : undefined;
    }
    case 'build step':
      return row.recordId?.slice(0, 12);
    case 'cache id': {
      const step = model.inputs.buildCache.items?.find(
        (r) => `cache-record:${r.id}` === row.key,
      )?.description;
      return step ? cut(escapeText(step)) : undefined;
    }
  }
  return undefined;
}

interface Target {
  text: string;
  rowKey: string;
  kind: string;
}

interface Index {
  byKey: Map<string, Row>;
  imageById: Map<string, ImageInput>;
  /**
   * fuzzysort's immutable snapshot of every target: prepared in the background in slices of a few
   * ms, with each target's word beginnings indexed. Plain prepared targets computed those at the
   * first search, so the first typed character took 20 ms more than the next (issue 14, 3,100
   * layers).
   */
  targets: Fuzzysort.SnapshotKey<Target>;
}

/**
 * Per model, built at its first search: the fully expanded tree's rows by key (reveal() expands
 * the path to a hit) and every target, escaped and prepared. At scale (3,100 layers) building
 * them took most of each keystroke.
 */
const indexes = new WeakMap<ScanModel, Index>();

function indexOf(model: ScanModel): Index {
  const known = indexes.get(model);
  if (known) return known;
  // Everything open, the build cache's records too (its row opens only when asked).
  const rows = buildRows(model, new Set([`open:${BUILD_CACHE_KEY}`]), 'tree', 'size');
  const byKey = new Map(rows.map((r) => [r.key, r]));
  const targets: Target[] = [];
  const add = (text: string, rowKey: string, kind: string) => targets.push({ text, rowKey, kind });
  for (const img of model.inputs.images) {
    for (const tag of img.tags) add(escapeText(tag), `image:${img.id}`, 'image');
    add(shortId(img.id), `image:${img.id}`, 'image id');
  }
  for (const node of model.graph.layers.values()) {
    add(shortId(node.chainId), `layer:${node.chainId}`, 'layer id');
    if (node.createdBy) add(escapeText(node.createdBy), `layer:${node.chainId}`, 'command');
  }
  for (const c of model.inputs.containers) add(escapeText(c.name), `container:${c.id}`, 'container');
  for (const r of model.inputs.buildCache.items ?? []) {
    add(r.id.slice(0, 12), `cache-record:${r.id}`, 'cache id');
    if (r.description) add(escapeText(r.description), `cache-record:${r.id}`, 'build step');
  }
  const imageById = new Map(model.inputs.images.map((i) => [i.id, i]));
  const index = { byKey, imageById, targets: fuzzysort.snapshot(targets, { key: 'text' }) };
  indexes.set(model, index);
  return index;
}

/**
 * Lets go of a model's index (10-14 MB at 1,322 images, most of it fuzzysort's prepared targets)
 * while a rescan runs beside it: the model stays on screen, and a search meanwhile builds it again.
 */
export function dropSearchIndex(model: ScanModel): void {
  indexes.delete(model);
}

/** The index held for `model` now, if any (tests: the same one, not one built again). */
export function heldSearchIndex(model: ScanModel): object | undefined {
  return indexes.get(model);
}

/**
 * Whether fuzzysort has finished preparing the model's index in its background slices (4 ms each,
 * between other work). fuzzysort does not say so in its API: its snapshot's own flag is read, and
 * undefined means that flag is gone (another fuzzysort version) and nothing is known.
 */
export function searchIndexReady(model: ScanModel): boolean | undefined {
  const done = (indexes.get(model)?.targets as unknown as { _done?: unknown } | undefined)?._done;
  return typeof done === 'boolean' ? done : undefined;
}

/**
 * Builds the model's search index ahead of the first search (idle time; see Explorer), and once
 * fuzzysort has prepared it in the background, runs one search of a letter and one of a digit:
 * their matching code is then compiled before the first typed character (which took 23-35 ms at
 * scale, every later one 4-16 ms). Not sooner: a search finishes the preparation at once, in one
 * block of the UI's thread (115-135 ms for 9,000 synthetic targets on the test machine; the scale
 * engine's index holds up to about 12,500, two per image, layer and cache record), where a key
 * pressed meanwhile waits.
 * Returns what cancels the warm-up (a new model replaces this one).
 */
export function prepareSearch(model: ScanModel): () => void {
  indexOf(model);
  let timer: NodeJS.Timeout | undefined;
  const warm = () => {
    const ready = searchIndexReady(model);
    if (ready === false) {
      timer = setTimeout(warm, 50);
      timer.unref?.();
    } else if (ready) {
      search(model, 'e');
      search(model, '1');
    }
  };
  warm();
  return () => clearTimeout(timer);
}

/** Fuzzy search over image repository:tag, image ids, layer ids, build commands and build-cache steps. */
export function search(model: ScanModel, query: string, limit = 50): SearchHit[] {
  if (!query.trim()) return [];
  const { byKey, imageById, targets } = indexOf(model);
  const results = fuzzysort.go(query, targets, { limit: limit * 2, threshold: 0.3 });
  const hits: SearchHit[] = [];
  const seen = new Set<string>();
  for (const r of results) {
    const row = byKey.get(r.obj.rowKey);
    if (!row || seen.has(row.key)) continue;
    seen.add(row.key);
    const ranges: [number, number][] = [];
    for (const i of r.indexes) {
      const last = ranges.at(-1);
      if (last && last[1] === i) last[1] = i + 1;
      else ranges.push([i, i + 1]);
    }
    const context = hitContext(model, imageById, r.obj.kind, row);
    hits.push({ row, label: r.obj.text, ranges, score: r.score, ...(context ? { context } : {}) });
    if (hits.length >= limit) break;
  }
  return hits;
}
