import { type ImageSizes, imageSizes } from './image-sizes.js';
import { buildLayerGraph, type LayerGraph } from './layer-graph.js';
import { buildLedger, type Ledger, type LedgerInput } from './ledger.js';
import type {
  BuildCacheInput,
  BuildCacheRecord,
  ContainerInput,
  EngineFacts,
  ImageInput,
  LayerFacts,
  NetworkInput,
  VolumeInput,
} from './types.js';

export interface LeftoversInput {
  directories: string[];
  diskBytes: number;
  /** Each one's disk bytes as measured; null when the walk found nothing there. */
  items?: { path: string; diskBytes: number | null }[];
}

/** ScanInputs.diskUnknown of a tree shown before the walks (the API's, or a scan's preview). */
export const NOT_MEASURED_YET = 'not measured yet';

export interface ScanInputs {
  engine: EngineFacts;
  images: ImageInput[];
  layerFacts: Map<string, LayerFacts>;
  containers: ContainerInput[];
  volumes: VolumeInput[];
  networks: NetworkInput[];
  buildCache: BuildCacheInput;
  /**
   * Layer directories of containers the engine no longer lists (a removal that could not delete
   * them): they hold disk, and no prune gives it back.
   */
  leftovers?: LeftoversInput | undefined;
  /** Disk bytes of the whole data root (and containerd's root where it is separate), when measured. */
  dataRootDiskBytes?: number | undefined;
  /** Layers (chainIDs) the build cache holds: they come back only when the build cache goes too. */
  buildCacheLayers?: Set<string> | undefined;
  /** Images in use by containers layertop does not list (its own helper), with the reason. */
  reservedImages?: Record<string, string> | undefined;
  /** Every directory the helper walked (or found in the size cache) for this scan. */
  measuredDirs?: string[] | undefined;
  /**
   * Set when no helper measured this scan, saying why (`--no-helper`, it could not start, not yet):
   * every disk figure is then unknown (null), never 0, and the bytes are Docker's own.
   */
  diskUnknown?: string | undefined;
  /** The data root partitioned into measured pieces, for the disk ledger (absent without the helper). */
  ledger?: LedgerInput | undefined;
  /** Why there is no ledger although the disk was measured (its walk failed). */
  ledgerUnknown?: string | undefined;
  /**
   * Set when some image's tag time (Docker's LastTagTime: when a tag last moved onto it) was not
   * asked of the engine (a scan that took the image's layers from the size cache): `lastTagged`
   * is then unknown, not "never", and no rule may decide by it (prune-plan.ts).
   */
  tagTimesUnknown?: boolean | undefined;
}

export interface ImageReport extends ImageSizes {
  engineSize: number | undefined;
  engineSharedSize: number | undefined;
  created: number;
}

export interface LayerReport {
  chainId: string;
  diffId: string;
  parent: string | null;
  path: string | null;
  size: number;
  measuredSize: number | null;
  diskBytes: number | null;
  images: string[];
  /** Containers running on an image that uses this layer. */
  containers: string[];
  createdBy: string | null;
}

export interface ContainerReport {
  id: string;
  name: string;
  image: string;
  imageId: string;
  state: string;
  sizeRw: number | null;
  diskBytes: number | null;
  /** Writable and init layer directories on the engine host. */
  path: string | null;
  initPath: string | null;
}

/** A build-cache record in the report: what is unknown is null (see {@link recordReport}). */
export type BuildCacheRecordReport = Omit<BuildCacheRecord, 'diskBytes' | 'dirs'> & {
  diskBytes: number | null;
  dirs: string[] | null;
};

/** A record's unknown figures as null: its bytes when a directory was not measured, or no helper ran. */
export const recordReport = (r: BuildCacheRecord, measured = true): BuildCacheRecordReport => ({
  ...r,
  dirs: r.dirs ?? null,
  diskBytes: measured ? (r.diskBytes ?? null) : null,
});

export interface ScanReport {
  engine: EngineFacts;
  /** Why every disk figure below is null (no helper measured the disk); null when measured. */
  diskUnknown: string | null;
  images: ImageReport[];
  layers: LayerReport[];
  containers: ContainerReport[];
  /** Every disk figure of it null where unknown (never left out: a reader checks for null). */
  buildCache: Omit<BuildCacheInput, 'diskBytes' | 'items' | 'unattributedDiskBytes' | 'freedDiskBytes'> & {
    diskBytes: number | null;
    unattributedDiskBytes: number | null;
    freedDiskBytes: number | null;
    items?: BuildCacheRecordReport[];
  };
  /** What nothing references (model/leftovers.ts says what each is; `layertop leftovers` deletes them). */
  leftovers: {
    directories: string[];
    diskBytes: number | null;
    items: { path: string; diskBytes: number | null }[];
  };
  volumes: { name: string; size: number; diskBytes: number | null }[];
  networks: { id: string; name: string; driver: string; containers: number }[];
  /** Every byte of the data root in one category (model/ledger.ts); null without the helper. */
  ledger: Ledger | null;
  /** Why `ledger` is null: no helper, or its walk failed (the rest of the scan stands). */
  ledgerUnknown: string | null;
  totals: {
    images: number;
    layers: number;
    layersSize: number;
    layersDiskBytes: number | null;
    containersDiskBytes: number | null;
    dataRootDiskBytes: number | null;
  };
}

export interface ScanModel {
  inputs: ScanInputs;
  graph: LayerGraph;
  report: ScanReport;
}

/** Derives every number layertop shows from the gathered inputs. Pure. */
export function buildScanModel(inputs: ScanInputs): ScanModel {
  const graph = buildLayerGraph(inputs.images, inputs.layerFacts, inputs.containers);
  // Without the helper nothing was measured: a disk figure is unknown (null), never 0.
  const measured = inputs.diskUnknown === undefined;
  const known = (n: number | undefined): number | null => (measured ? (n ?? null) : null);
  const sizes = imageSizes(inputs.images, graph, inputs.containers, measured);
  const images: ImageReport[] = sizes.map((s, i) => {
    const input = inputs.images[i] as ImageInput;
    return {
      ...s,
      engineSize: input.engineSize,
      // Not asked of the engine when the helper measures (readInventory: it cost Docker 1.8 s at
      // 1,300 images): then Docker's own rule (the bytes of layers more than one image uses)
      // applied to the same layers, which the tests hold equal to GET /system/df.
      engineSharedSize: input.engineSharedSize ?? s.sharedSize,
      created: input.created,
    };
  });
  const layers: LayerReport[] = [...graph.layers.values()].map((n) => ({
    chainId: n.chainId,
    diffId: n.diffId,
    parent: n.parent ?? null,
    path: n.path ?? null,
    size: n.size,
    measuredSize: known(n.measuredSize),
    diskBytes: known(n.diskBytes),
    images: n.images,
    containers: inputs.containers.filter((c) => n.images.includes(c.imageId)).map((c) => c.id),
    createdBy: n.createdBy ?? null,
  }));
  const containers: ContainerReport[] = inputs.containers.map((c) => ({
    id: c.id,
    name: c.name,
    image: c.image,
    imageId: c.imageId,
    state: c.state,
    sizeRw: c.sizeRw ?? null,
    diskBytes: known(c.diskBytes),
    path: c.path ?? null,
    initPath: c.initPath ?? null,
  }));
  let layersSize = 0;
  let layersDiskBytes = 0;
  for (const n of graph.layers.values()) {
    layersSize += n.size;
    layersDiskBytes += n.diskBytes ?? 0;
  }
  const ledger = measured && inputs.ledger ? buildLedger(inputs.ledger) : null;
  return {
    inputs,
    graph,
    report: {
      engine: inputs.engine,
      diskUnknown: inputs.diskUnknown ?? null,
      images,
      layers,
      containers,
      buildCache: {
        records: inputs.buildCache.records,
        size: inputs.buildCache.size,
        diskBytes: known(inputs.buildCache.diskBytes),
        unattributedDiskBytes: known(inputs.buildCache.unattributedDiskBytes),
        freedDiskBytes: known(inputs.buildCache.freedDiskBytes),
        ...(inputs.buildCache.items
          ? { items: inputs.buildCache.items.map((r) => recordReport(r, measured)) }
          : {}),
      },
      leftovers: {
        directories: inputs.leftovers?.directories ?? [],
        diskBytes: inputs.leftovers?.diskBytes ?? (measured ? 0 : null),
        items:
          inputs.leftovers?.items ??
          (inputs.leftovers?.directories ?? []).map((path) => ({ path, diskBytes: null })),
      },
      volumes: inputs.volumes.map((v) => ({ name: v.name, size: v.size, diskBytes: known(v.diskBytes) })),
      networks: inputs.networks.map((n) => ({
        id: n.id,
        name: n.name,
        driver: n.driver,
        containers: n.containers,
      })),
      ledger,
      ledgerUnknown:
        measured && inputs.ledger ? null : (inputs.ledgerUnknown ?? inputs.diskUnknown ?? 'not measured'),
      totals: {
        images: images.length,
        layers: layers.length,
        layersSize,
        layersDiskBytes: measured ? layersDiskBytes : null,
        containersDiskBytes: measured
          ? inputs.containers.reduce((a, c) => a + (c.diskBytes ?? 0) + (c.metaDiskBytes ?? 0), 0)
          : null,
        // The ledger's total: what `du -sx -B1` of the data root gives (the header's "on disk").
        dataRootDiskBytes: ledger?.totalBytes ?? (measured ? (inputs.dataRootDiskBytes ?? null) : null),
      },
    },
  };
}
