import type { MeasureTarget } from '../helper/measure.js';
import type { RecordStorage } from './buildkit-records.js';

/** Where a storage backend keeps each thing on the engine host. */
export interface StorageLayout {
  kind: 'overlay2' | 'containerd';
  dataRoot: string;
  /** chainID → layer directory and the engine's own byte count for it. */
  layers: Map<string, { path: string; size: number | undefined; work?: number }>;
  /** container ID → writable and init layer directories. */
  containers: Map<string, { path?: string | undefined; initPath?: string | undefined }>;
  /** Directories that only build cache (or nothing) holds: they go with `docker builder prune`. */
  buildCacheDirs: string[];
  /** Build-cache directories known to be immutable (committed snapshots), with a cache key. */
  immutableDirs?: Map<string, string>;
  /** Sub directory holding a layer's files: diff (overlay2) or fs (containerd snapshots). */
  contentSub: 'diff' | 'fs';
  /** image ID → where its config JSON lives on the host. */
  imageConfigPath: (imageId: string) => string;
  /**
   * Metadata that goes with a layer, an image or a container when it is removed (overlay2's layer
   * and image stores). The containerd store keeps its metadata in bolt files, which never shrink.
   */
  meta?: {
    layerDir: (chainId: string) => string;
    imageDir: (imageId: string) => string;
    imageFile: (imageId: string) => string;
    containerDir: (containerId: string) => string;
  };
  /**
   * Layers (chainIDs) BuildKit's cache holds a reference to: removing their images does not free
   * them while the build cache stays (overlay2: buildkit/snapshots.db).
   */
  buildCacheLayers?: Set<string>;
  /**
   * BuildKit record ID → the directories holding its data (buildkit-records.ts); undefined when
   * BuildKit's metadata could not be read: each record's bytes are then unknown.
   */
  buildCacheRecords?: Map<string, RecordStorage> | undefined;
  /** containerd store: disk bytes of the blobs only build-cache records hold (they go with them). */
  buildCacheBlobBytes?: number;
  /**
   * Directories of containers the engine no longer knows (overlay2: left in the layer store's
   * mounts/ when a removal could not delete them): no prune frees them.
   */
  leftoverDirs?: string[];
  /** Extra targets to measure (build cache metadata, content blobs) with what they belong to. */
  extraTargets: MeasureTarget[];
  /**
   * Directories the layout listed (absolute path → their entries as the helper's liststat gives
   * them, "./name"): the ledger takes these instead of listing them again (overlay2's layer store:
   * its three big directories took 60 ms of a warm scan at 1,300 images).
   */
  listed?: ReadonlyMap<string, readonly Buffer[]>;
}
