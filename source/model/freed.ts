import { freedBytes, imagesHeldByContainers, layersOf } from './removal.js';
import type { ScanModel } from './report.js';

export interface RemovalSet {
  images: readonly string[];
  containers: readonly string[];
  /** The build cache goes too (it can hold an image's layers: then only with it do they come back). */
  buildCache?: boolean | undefined;
}

/**
 * Disk bytes that come back if the given images and containers are removed (see removal.ts):
 * shared layers still used elsewhere count for nothing. Null: not measured (no helper).
 */
export function freedIfRemoved(model: ScanModel, removal: RemovalSet): number | null {
  return (
    freedBytes(model, {
      images: new Set(removal.images),
      containers: new Set(removal.containers),
      volumes: new Set(),
      buildCache: removal.buildCache === true,
    })?.total ?? null
  );
}

/**
 * The layers of the given images (used by no other image) that BuildKit's cache holds: removing
 * the images alone frees none of them; with the build cache they come back. Disk bytes null: not
 * measured.
 */
export function heldByBuildCache(
  model: ScanModel,
  images: readonly string[],
): { layers: number; diskBytes: number | null } {
  const held = model.inputs.buildCacheLayers;
  // As removal.ts counts: images a remaining container keeps are not removed at all.
  const kept = imagesHeldByContainers(model, new Set());
  const ids = new Set(images.filter((i) => !kept.has(i)));
  let layers = 0;
  let diskBytes: number | null = model.report.diskUnknown === null ? 0 : null;
  for (const node of layersOf(model.graph, ids)) {
    if (!held?.has(node.chainId) || node.images.length === 0 || !node.images.every((i) => ids.has(i)))
      continue;
    layers++;
    if (diskBytes !== null)
      diskBytes += (node.diskBytes ?? 0) + (model.inputs.layerFacts.get(node.chainId)?.metaDiskBytes ?? 0);
  }
  return { layers, diskBytes };
}
