// overlay2 behind the StorageBackend seam: the layer store maps layers to directories.
import type { ApiInfo } from '../docker/api-types.js';
import type { HelperSession } from '../helper/helper-session.js';
import type { StorageBackend } from './backend.js';
import { overlay2ImageListStamp } from './overlay2-image-list.js';
import {
  overlay2EngineSizes,
  overlay2Foreseen,
  overlay2ImageLayers,
  overlay2LayerFacts,
  overlay2Layout,
  overlay2ListingPaths,
  overlay2Meta,
  overlay2Prefetch,
} from './storage-overlay2.js';

/** A container's layer-store entry (mount-id, init-id) never changes while it exists: one cache key for all. */
const MOUNT_IDS = 'mount-ids';

export function overlay2Backend(info: ApiInfo): StorageBackend {
  const root = info.DockerRootDir;
  const meta = overlay2Meta(root);
  return {
    kind: 'overlay2',
    eachDirs: [`${root}/image/overlay2/imagedb/metadata/sha256`, `${root}/image/overlay2/layerdb/mounts`],
    apiTargets: (images, containerIds) => [
      ...images.map((img) => ({ dir: meta.imageDir(img.id) })),
      ...containerIds.map((id) => ({ dir: meta.containerDir(id), cacheKey: MOUNT_IDS })),
    ],
    listingAlong: overlay2ListingPaths(root),
    imageLayers: (helper, imageIds, onConfig) => overlay2ImageLayers(helper, root, imageIds, onConfig),
    imageLayersEarly: 'first',
    // Only for the overlay2 driver itself: another graph driver (vfs, btrfs, fuse-overlayfs)
    // keeps its image store under its own name, and image/overlay2 may be an old one, frozen.
    ...(info.Driver === 'overlay2'
      ? { imageListStamp: (helper: HelperSession) => overlay2ImageListStamp(helper, root) }
      : {}),
    // Asked at once when no earlier scan left anything to prove (a cold scan): its engine
    // answers in 0.15 s at 1,300 images, sooner than the helper starts.
    imageListFirstAtOnce: true,
    reader: (helper, { cache, engineId = '', fromWalk, purpose = 'scan' }) => {
      // The listing starts now, before the API's answer is in.
      const prefetch = overlay2Prefetch(helper, root, fromWalk);
      // Read once, when a scan's foresight asks; the layout takes them if that read was started.
      let facts: ReturnType<typeof overlay2LayerFacts> | undefined;
      const layerFacts = () => {
        facts ??= overlay2LayerFacts(helper, root, prefetch, cache, engineId);
        return facts;
      };
      return {
        layout: (r) =>
          overlay2Layout(helper, root, r.chainIds, r.containerIds, {
            transientIds: r.transientIds,
            prefetch,
            cache,
            engineId,
            onlyAsked: purpose === 'files',
            ...(facts ? { foreseen: facts } : {}),
          }),
        ...(purpose === 'scan'
          ? {
              foresee: async (only) => {
                // The facts are read at once, whatever `only` waits for.
                const [read, chains] = await Promise.all([layerFacts(), only]);
                return overlay2Foreseen(root, read, chains);
              },
              engineLayerSizes: async (chains) =>
                overlay2EngineSizes(await layerFacts(), chains, cache, engineId),
            }
          : {}),
      };
    },
    // The layer store counts a layer's apparent bytes (non-directories, each inode once).
    layerSize: (m) => m?.apparentBytes,
    mergedDir: (_id, writable) => writable && `${writable}/merged`,
    extraRoots: async () => [],
    storeRoots: async () => [],
    // The engine reports the sizes of the layers it deleted.
    reportedImageBytes: async (_helper, _images, deletedLayerBytes) => deletedLayerBytes,
  };
}
