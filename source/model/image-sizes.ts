import { isShared, type LayerGraph } from './layer-graph.js';
import type { ContainerInput, ImageInput } from './types.js';

export interface ImageSizes {
  id: string;
  tags: string[];
  /** Engine bytes of all layers (Docker's `Size`), from layertop's graph. */
  size: number;
  sharedSize: number;
  uniqueSize: number;
  /** Disk bytes of all layer directories (plus content blobs on the containerd store). */
  diskBytes: number;
  uniqueDiskBytes: number;
  containers: number;
  layers: string[];
}

/**
 * Per-image totals as `docker system df -v` shows them, but computed from layertop's own graph.
 * Content bytes (compressed blobs on the containerd store) belong to one image and count as unique.
 */
export function imageSizes(
  images: readonly ImageInput[],
  graph: LayerGraph,
  containers: readonly ContainerInput[],
): ImageSizes[] {
  return images.map((image) => {
    const chain = graph.imageChains.get(image.id) ?? [];
    let size = 0;
    let sharedSize = 0;
    let diskBytes = image.contentDiskBytes ?? 0;
    let uniqueDiskBytes = image.contentDiskBytes ?? 0;
    size += image.contentBytes ?? 0;
    for (const chainId of chain) {
      const node = graph.layers.get(chainId);
      if (!node) continue;
      size += node.size;
      diskBytes += node.diskBytes ?? 0;
      if (isShared(node)) sharedSize += node.size;
      else uniqueDiskBytes += node.diskBytes ?? 0;
    }
    return {
      id: image.id,
      tags: image.tags,
      size,
      sharedSize,
      uniqueSize: size - sharedSize,
      diskBytes,
      uniqueDiskBytes,
      containers: containers.filter((c) => c.imageId === image.id).length,
      layers: chain,
    };
  });
}
