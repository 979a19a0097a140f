import { isShared, type LayerGraph } from './layer-graph.js';
import type { ContainerInput, ImageInput } from './types.js';

export interface ImageSizes {
  id: string;
  tags: string[];
  /** Engine bytes of all layers (Docker's `Size`), from layertop's graph. */
  size: number;
  sharedSize: number;
  uniqueSize: number;
  /** Disk bytes of all layer directories (plus content blobs on the containerd store); null: not measured. */
  diskBytes: number | null;
  uniqueDiskBytes: number | null;
  containers: number;
  layers: readonly string[];
}

/**
 * Per-image totals as `docker system df -v` shows them, but computed from layertop's own graph.
 * Content bytes (compressed blobs on the containerd store) belong to one image and count as unique.
 *
 * Not `measured` (no helper): the sizes are Docker's own from `GET /system/df` (on the containerd
 * store they count content-store blobs that only the helper can size), and the disk bytes unknown.
 */
export function imageSizes(
  images: readonly ImageInput[],
  graph: LayerGraph,
  containers: readonly ContainerInput[],
  measured = true,
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
    if (!measured) {
      size = image.engineSize ?? size;
      sharedSize = image.engineSharedSize ?? sharedSize;
    }
    return {
      id: image.id,
      tags: image.tags,
      size,
      sharedSize,
      uniqueSize: size - sharedSize,
      diskBytes: measured ? diskBytes : null,
      uniqueDiskBytes: measured ? uniqueDiskBytes : null,
      containers: containers.filter((c) => c.imageId === image.id).length,
      layers: chain,
    };
  });
}
