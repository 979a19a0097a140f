// The one seam between the use cases (scan, files, prune) and the storage backends. A backend is
// chosen once per engine (storageBackend); everything that differs between overlay2 and the
// containerd store is answered behind it, so the use cases hold no backend branches.
import type { ImageInput, StorageKind } from '../../model/types.js';
import type { ApiDfImage, ApiInfo } from '../docker/api-types.js';
import type { HelperSession } from '../helper/helper-session.js';
import type { MeasureTarget } from '../helper/measure.js';
import type { DirMeasure } from '../helper/measure-parse.js';
import type { SizeCache } from '../helper/size-cache.js';
import type { StoreImageFacts } from './go-image-config.js';
import type { StorageLayout } from './storage-layout.js';

/** What a backend needs to say where things are: the layers and containers asked for. */
export interface LayoutRequest {
  chainIds: readonly string[];
  containerIds: readonly string[];
  /** Those of containerIds that exist for this run only (layertop's own helper): nothing of them is remembered. */
  transientIds?: readonly string[];
  /** Images whose own content the backend keeps outside their layers (containerd's blobs). */
  images: readonly ImageInput[];
}

/**
 * What a reader is for: `scan` reads the whole storage (build cache, leftovers: everything not
 * asked for is classified); `files` only the directories of the layers and containers asked for
 * (at scale, the rest of the layer store and BuildKit's records are most of the reading).
 */
export type ReaderPurpose = 'scan' | 'files';

/** One image's content outside its layers (the containerd store's blobs), as measured. */
export interface ImageContent {
  /** The bytes Docker counts in the image's size. */
  bytes: number;
  /** Their allocated bytes, and those of the blobs Docker does not count (attestations before API 1.47). */
  diskBytes: number;
  blobs: NonNullable<ImageInput['blobs']>;
}

/** A backend's reading of one engine, started before the API inventory is in. */
export interface StorageReader {
  /** Starts what the layout can read before the API answers (optional; layout() works without it). */
  prepare?(): void;
  layout(request: LayoutRequest): Promise<StorageLayout & { imageContent?: Map<string, ImageContent> }>;
  /**
   * The layers the store holds whose walks no earlier scan remembered, as targets equal to those
   * the layout gives later, found from the store's own files before the API answers (overlay2: its
   * layer store's listing and cache-id files), so that a first scan walks them beside the
   * API's answers, not after them. `only`: just these chains, when the caller knows the images'
   * layers (else every layer not remembered). Undefined: nothing to foresee.
   */
  foresee?(only?: Promise<ReadonlySet<string> | undefined>): Promise<MeasureTarget[] | undefined>;
  /**
   * Docker's own size of each of these layers (by chain ID) from the store's own files, read with
   * the foresight (overlay2: the layer store's size files), for a tree before any walk's figure
   * (ScanOptions.onPreview). A layer with none is left out. Absent: the store keeps no such figure
   * (the containerd store's come from the walks).
   */
  engineLayerSizes?(chainIds: readonly string[]): Promise<ReadonlyMap<string, number>>;
}

/**
 * The state the engine's image list is made of, where the store keeps it in files the helper can
 * read (containerd's metadata; the graph driver's image and reference stores): equal
 * fingerprints, equal answers of GET /images/json.
 */
export interface ImageListStamp {
  fingerprint: string;
  /** Whether a list (the engine's answer, or a remembered one) is the one this state makes. */
  matches(images: readonly ApiDfImage[]): boolean | Promise<boolean>;
  /**
   * true: a remembered list with this fingerprint is taken without `matches` (which then reads
   * more: only a list about to be remembered is checked).
   */
  provenByFingerprint?: boolean;
  /** false: the state changed too recently for a list to be remembered with this stamp. */
  settled?: boolean;
  /**
   * How long the stamped state had stood still when the stamp was read (ms, the engine host's
   * clock), where the backend can say: an engine answer asked less long than that before the
   * stamp came reflects this very state (see rememberImageList).
   */
  stillMs?: number;
  /**
   * The list this state makes, read from the store's own records (the containerd store, where the
   * engine computes its list anew each time: 15 s at 1,300 images), given each image's facts from
   * its config (StorageBackend.imageLayers' onFacts); undefined where the backend cannot say it
   * for sure (the engine is then asked). Each Size is -1: the scan sets it once its layout gives
   * the engine's byte counts.
   */
  fromStore?(facts: ReadonlyMap<string, StoreImageFacts>): ApiDfImage[] | undefined;
}

export interface StorageBackend {
  readonly kind: StorageKind;
  /**
   * The image list's stamp, read now. A scan answers the list from memory when the stamp is
   * unchanged; it asks the engine only once the stamp is read (an answer asked after it can be
   * remembered with it), unless imageListFirstAtOnce.
   */
  imageListStamp?(helper: HelperSession): Promise<ImageListStamp | undefined>;
  /**
   * true: a scan that finds nothing of an earlier scan in its cache (a cold scan) asks the engine
   * for the image list at once, not after the stamp (overlay2: the engine's list is quicker than
   * the helper's start; the answer is remembered when the stamped state stood still since before
   * it was asked, else the next scan waits for its stamp and remembers). false or absent: every
   * scan waits for the stamp (the containerd store: the engine's list takes seconds).
   */
  readonly imageListFirstAtOnce?: boolean;
  /**
   * Each image's layer list (RootFS.Layers) by image ID, read from the store's own files where
   * they hold it (the containerd store's content blobs), for images the store records now: what a
   * scan otherwise asks GET /images/{id}/json for (115 ms per image on the containerd store, 15 s
   * of a cold scan at 1,300 images). An image it cannot say for sure is absent (asked of the API).
   * `imageIds`: only these (default: every image the store records). `onConfig`, when given, is
   * handed each image config this read parsed (the one the layout's imageConfigPath names), with
   * its layer count: the scan takes its build commands from it instead of reading it again.
   */
  imageLayers?(
    helper: HelperSession,
    imageIds?: readonly string[],
    onConfig?: (imageId: string, config: object, layerCount: number) => void,
    /** Handed the image list's facts of each image whose content is all there (see ImageListStamp.fromStore). */
    onFacts?: (imageId: string, facts: StoreImageFacts) => void,
  ): Promise<Map<string, string[]>>;
  /**
   * When a scan reads every image's layers (imageLayers) while the engine lists the images:
   * `always` when no image list is remembered (the containerd store: the engine's list is slow
   * and its inspects cost 115 ms each), `first` only when no earlier scan left its walks (overlay2:
   * a later scan knows its images' layers from the size cache and reads the new images' only).
   */
  readonly imageLayersEarly?: 'always' | 'first';
  /**
   * Only the layer lists read from the store's files are remembered, never an inspect's (the
   * containerd store: the engine's answer for an index whose platform manifest is not there is
   * another platform's, which a later pull of this platform would change under the same image ID).
   */
  readonly inspectedLayersUnsure?: boolean;
  /**
   * The image layers and immutable snapshots a scan will walk, foreseen from the store's own
   * metadata before the API answers (the containerd store: its image list took 14 s at 1,300
   * images, and the walks waited for it). `chainIds`: the image layers the store's files name.
   * Targets equal to those the layout gives later (same directory, sub and cache key).
   */
  foreseenTargets?(helper: HelperSession, chainIds: ReadonlySet<string>): Promise<MeasureTarget[]>;
  /** Directories a scan measures entry by entry (one per image or container), besides containers/ and volumes/. */
  readonly eachDirs: readonly string[];
  /** Metadata a scan can walk from the API's answer alone (overlay2's layer and image stores). */
  apiTargets(images: readonly { id: string }[], containerIds: readonly string[]): MeasureTarget[];
  /**
   * Directories a walk can list along with it (overlay2: the layer store's listing and BuildKit's
   * stamp), so that reading the layout needs no request of its own; undefined: nothing to list.
   */
  readonly listingAlong: { stampFile: string; dirs: string[] } | undefined;
  /** Starts reading what does not depend on the API (see listingAlong for `fromWalk`). */
  reader(
    helper: HelperSession,
    options: {
      cache?: SizeCache | undefined;
      engineId?: string;
      fromWalk?: Promise<{ lists: Buffer[][]; stamp: string | undefined }> | undefined;
      /** Default `scan`. With `files`, buildCacheDirs, leftoverDirs and buildCacheLayers are empty. */
      purpose?: ReaderPurpose;
    },
  ): StorageReader;
  /** The engine's own byte count for a layer the layout gave none for, from layertop's walk. */
  layerSize(measured: DirMeasure | undefined): number | undefined;
  /** Where a running container's merged view is on the host; undefined: not reachable. */
  mergedDir(containerId: string, writablePath: string | undefined): string | undefined;
  /** Roots besides the data root that a removal shrinks (containerd's own root when separate). */
  extraRoots(helper: HelperSession): Promise<string[]>;
  /** The roots leftovers are deleted under (their shapes are relative to one): containerd's own. */
  storeRoots(helper: HelperSession): Promise<string[]>;
  /**
   * What Docker reports reclaimed for the removed images: overlay2 counts the layers it deleted,
   * the containerd store the content blobs that are gone afterwards.
   */
  reportedImageBytes(
    helper: HelperSession | undefined,
    removedImages: readonly ImageInput[],
    deletedLayerBytes: number,
  ): Promise<number>;
}

/** Which backend the engine uses: the containerd store says so in the driver status. */
export function storageKind(info: ApiInfo): StorageKind {
  const driverType = info.DriverStatus?.find(([k]) => k === 'driver-type')?.[1];
  if (driverType?.startsWith('io.containerd.snapshotter')) return 'containerd';
  return 'overlay2';
}

/** The engine's backend, chosen once; `engineApiVersion` names the release (rules that differ by version). */
export async function storageBackend(info: ApiInfo, engineApiVersion: string): Promise<StorageBackend> {
  if (storageKind(info) === 'containerd') {
    const { containerdBackend } = await import('./containerd-backend.js');
    return containerdBackend(info, engineApiVersion);
  }
  const { overlay2Backend } = await import('./overlay2-backend.js');
  return overlay2Backend(info);
}
