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
 * Content bytes (compressed blobs on the containerd store) count as unique unless another image
 * lists the same blob (a base layer's blob is listed by every image built on it): then, like a
 * shared layer, they come back only with the last image that lists them (removal.ts).
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
  // By image ID: an ID listed twice (a list read across a change) is one image, as removal.ts has it.
  const blobImages = new Map<string, Set<string>>();
  for (const image of images)
    for (const b of image.blobs ?? []) {
      const ids = blobImages.get(b.digest);
      if (ids) ids.add(image.id);
      else blobImages.set(b.digest, new Set([image.id]));
    }
  return images.map((image) => {
    const chain = graph.imageChains.get(image.id) ?? [];
    let size = 0;
    let sharedSize = 0;
    let diskBytes = image.contentDiskBytes ?? 0;
    let uniqueDiskBytes = image.contentDiskBytes ?? 0;
    // contentDiskBytes is the sum of its blobs, each once (containerd-backend.ts, measureContent).
    const own = new Set<string>();
    for (const b of image.blobs ?? []) {
      if (own.has(b.digest)) continue;
      own.add(b.digest);
      if ((blobImages.get(b.digest)?.size ?? 0) > 1) uniqueDiskBytes -= b.diskBytes;
    }
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
