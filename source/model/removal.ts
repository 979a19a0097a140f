// The disk bytes that come back when a set of containers, images, volumes and the build cache is
// removed, attributed to the items that free them. Every figure in the prune preview, the marked-set
// total and "freed if removed" in the details pane is computed here. Pure.
import { recordsDiskBytes } from './build-cache.js';
import type { LayerNode } from './layer-graph.js';
import type { ScanModel } from './report.js';

export interface Removal {
  containers: ReadonlySet<string>;
  images: ReadonlySet<string>;
  volumes: ReadonlySet<string>;
  /** true: all of the build cache; a set: those records (by ID). */
  buildCache: boolean | ReadonlySet<string>;
}

export interface FreedBytes {
  total: number;
  /** container ID → writable + init layer + its metadata (logs, config). */
  containers: Map<string, number>;
  /** image ID → layers, blobs and metadata that only this image holds. */
  images: Map<string, number>;
  /** Layers and blobs that come back only because several removed images go together. */
  sharedByRemovedImages: number;
  volumes: Map<string, number>;
  buildCache: number;
  /** The records' own bytes are unknown (BuildKit's metadata could not be read): so is the total. */
  buildCacheUnknown?: boolean;
}

/** Images that cannot go because a container that stays uses them (Docker refuses without force). */
export function imagesHeldByContainers(
  model: ScanModel,
  removedContainers: ReadonlySet<string>,
): Set<string> {
  const held = new Set<string>();
  for (const c of model.inputs.containers) if (!removedContainers.has(c.id)) held.add(c.imageId);
  for (const id of Object.keys(model.inputs.reservedImages ?? {})) held.add(id);
  return held;
}

/**
 * A layer comes back only when every image that uses it goes (a surviving container always keeps
 * its image, so it keeps the layers too) and the build cache does not hold it (or goes as well);
 * a content blob only when no surviving image lists it.
 * Each layer and blob is counted once. Null when the disk was not measured (no helper): unknown.
 */
export function freedBytes(model: ScanModel, removal: Removal): FreedBytes | null {
  if (model.report.diskUnknown !== null) return null;
  const { inputs, graph } = model;
  const held = imagesHeldByContainers(model, removal.containers);
  const images = new Set([...removal.images].filter((id) => !held.has(id)));
  const out: FreedBytes = {
    total: 0,
    containers: new Map(),
    images: new Map(),
    sharedByRemovedImages: 0,
    volumes: new Map(),
    buildCache: 0,
  };
  for (const c of inputs.containers) {
    if (!removal.containers.has(c.id)) continue;
    out.containers.set(c.id, (c.diskBytes ?? 0) + (c.metaDiskBytes ?? 0));
  }
  const addImage = (id: string, bytes: number) => out.images.set(id, (out.images.get(id) ?? 0) + bytes);
  for (const img of inputs.images) if (images.has(img.id)) addImage(img.id, img.metaDiskBytes ?? 0);
  const cacheHeld = layersHeldByCache(model, removal.buildCache);
  // Only the removed images' own layers can come back: those are looked at, each once (the
  // details pane asks this for one image at every key; every layer of the engine was 1 ms of it
  // at 3,112 layers).
  for (const node of layersOf(graph, images)) {
    if (node.images.length === 0 || !node.images.every((id) => images.has(id))) continue;
    if (cacheHeld?.has(node.chainId)) continue;
    const bytes = (node.diskBytes ?? 0) + (inputs.layerFacts.get(node.chainId)?.metaDiskBytes ?? 0);
    if (node.images.length === 1) addImage(node.images[0] as string, bytes);
    else out.sharedByRemovedImages += bytes;
  }
  // Content-store blobs (containerd store): freed when no surviving image lists them.
  const keptBlobs = new Set<string>();
  // A blob a build-cache record that stays holds (its lease) stays too.
  for (const r of inputs.buildCache.items ?? [])
    if (r.blobDigest && !recordGoes(removal.buildCache, r.id)) keptBlobs.add(r.blobDigest);
  const blobOwners = new Map<string, { diskBytes: number; owners: string[] }>();
  for (const img of inputs.images) {
    for (const b of img.blobs ?? []) {
      if (!images.has(img.id)) keptBlobs.add(b.digest);
      else {
        const e = blobOwners.get(b.digest) ?? { diskBytes: b.diskBytes, owners: [] };
        if (!e.owners.includes(img.id)) e.owners.push(img.id);
        blobOwners.set(b.digest, e);
      }
    }
    if (!img.blobs && images.has(img.id)) addImage(img.id, img.contentDiskBytes ?? 0);
  }
  for (const [digest, e] of blobOwners) {
    if (keptBlobs.has(digest)) continue;
    if (e.owners.length === 1) addImage(e.owners[0] as string, e.diskBytes);
    else out.sharedByRemovedImages += e.diskBytes;
  }
  for (const v of inputs.volumes) if (removal.volumes.has(v.name)) out.volumes.set(v.name, v.diskBytes ?? 0);
  if (removal.buildCache === true)
    out.buildCache = inputs.buildCache.freedDiskBytes ?? inputs.buildCache.diskBytes ?? 0;
  else if (removal.buildCache !== false && removal.buildCache.size > 0) {
    const bytes = recordsDiskBytes(
      inputs.buildCache.items ?? [],
      removal.buildCache,
      inputs.buildCache.unattributedDiskBytes,
    );
    if (bytes === null) out.buildCacheUnknown = true;
    out.buildCache = bytes ?? 0;
  }
  const sum = (m: Map<string, number>) => [...m.values()].reduce((a, b) => a + b, 0);
  out.total =
    sum(out.containers) + sum(out.images) + out.sharedByRemovedImages + sum(out.volumes) + out.buildCache;
  return out;
}

/** Every layer of the given images, each once (for a few images, far fewer than the engine's). */
export function layersOf(graph: ScanModel['graph'], images: ReadonlySet<string>): LayerNode[] {
  const seen = new Set<string>();
  const out: LayerNode[] = [];
  for (const id of images)
    for (const c of graph.imageChains.get(id) ?? []) {
      if (seen.has(c)) continue;
      seen.add(c);
      const node = graph.layers.get(c);
      if (node) out.push(node);
    }
  return out;
}

/**
 * The layers BuildKit still holds after this removal: none when all of the cache goes; without the
 * removed records' layers when some go (each record holds the layer its metadata names).
 */
function layersHeldByCache(model: ScanModel, cache: Removal['buildCache']): ReadonlySet<string> | undefined {
  const held = model.inputs.buildCacheLayers;
  if (cache === true || !held) return cache === true ? undefined : held;
  if (cache === false || cache.size === 0) return held;
  const items = model.inputs.buildCache.items ?? [];
  const stays = new Set(items.filter((r) => !cache.has(r.id) && r.chainId).map((r) => r.chainId));
  const goes = new Set(
    items.filter((r) => cache.has(r.id) && r.chainId && !stays.has(r.chainId)).map((r) => r.chainId),
  );
  return new Set([...held].filter((c) => !goes.has(c)));
}

const recordGoes = (cache: Removal['buildCache'], id: string): boolean =>
  cache === true || (cache !== false && cache.has(id));
