import { freedBlobBytes } from './prune-plan.js';
import type { ScanModel } from './report.js';

export interface RemovalSet {
  images: readonly string[];
  containers: readonly string[];
}

/**
 * Disk bytes that come back if the given images and containers are removed: a layer is freed only
 * when every image that uses it is removed and no surviving container runs on it; a container
 * frees its writable and init layers and its metadata directory. Shared layers still used
 * elsewhere count for nothing.
 */
export function freedIfRemoved(model: ScanModel, removal: RemovalSet): number {
  const images = new Set(removal.images);
  const containers = new Set(removal.containers);
  let bytes = 0;
  const survivingImageUse = new Set<string>();
  for (const c of model.inputs.containers) {
    if (containers.has(c.id)) bytes += (c.diskBytes ?? 0) + (c.metaDiskBytes ?? 0);
    else survivingImageUse.add(c.imageId);
  }
  // An image a surviving container runs on cannot be removed (Docker refuses without force).
  const removable = new Set([...images].filter((id) => !survivingImageUse.has(id)));
  for (const node of model.graph.layers.values()) {
    if (node.images.length > 0 && node.images.every((id) => removable.has(id))) bytes += node.diskBytes ?? 0;
  }
  return bytes + freedBlobBytes(model.inputs.images, removable);
}
