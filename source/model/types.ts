// The data the model works on. Everything here is plain data: the engine layer fills it,
// the model derives sizes from it, the CLI and the TUI only render it.

/** One image as the engine describes it, plus what layertop read from its config. */
export interface ImageInput {
  id: string;
  tags: string[];
  created: number;
  /** Uncompressed layer digests, bottom to top (RootFS.Layers). */
  diffIds: string[];
  /** Build commands of the layer-creating history entries, bottom to top, aligned with diffIds. */
  layerCommands: (string | undefined)[];
  /** The engine's /system/df figures, kept to compare against. */
  engineSize?: number;
  engineSharedSize?: number;
  /** Bytes the image holds outside its layers (containerd store: compressed blobs). */
  contentBytes?: number;
  contentDiskBytes?: number;
  /** The content-store blobs behind contentDiskBytes, so blobs shared by images count once. */
  blobs?: {
    digest: string;
    size?: number;
    diskBytes: number;
    /** false: on disk and freed with the image, but outside Docker's size (attestations before API 1.47). */
    inDockerSize?: boolean;
  }[];
  /** Disk bytes of the image's own metadata outside layers and blobs (overlay2: imagedb files). */
  metaDiskBytes?: number;
  labels?: Record<string, string>;
  /** When a tag last moved onto it (pull, build, tag), seconds; undefined when never. */
  lastTagged?: number;
}

/** What layertop knows of one layer directory. */
export interface LayerFacts {
  chainId: string;
  /** The engine's own byte count for the layer (layerdb `size` / snapshot usage). */
  size: number;
  /** What the engine's metadata records, where it differs in kind from `size` (containerd usage). */
  engineSize?: number;
  /** The directory on the engine host that holds the layer, when known. */
  path?: string;
  /** Apparent bytes measured by layertop, counted the way Docker counts them. */
  measuredSize?: number;
  /** Allocated bytes on disk of the whole layer directory (blocks, hard links once). */
  diskBytes?: number;
  /** Disk bytes of the layer's metadata that goes with it (overlay2: layerdb/sha256/<chainID>). */
  metaDiskBytes?: number;
}

export interface ContainerInput {
  id: string;
  name: string;
  imageId: string;
  image: string;
  state: string;
  created: number;
  labels?: Record<string, string>;
  /** Docker's SizeRw. */
  sizeRw?: number;
  /** Writable layer directory, init layer directory and their measured disk bytes. */
  path?: string;
  initPath?: string;
  diskBytes?: number;
  /** Bytes of the container's own metadata (logs, config: containers/<id>; overlay2: layerdb/mounts/<id>). */
  metaDiskBytes?: number;
  volumes: string[];
  /**
   * The networks it is attached to: as it names each (a name, or the ID or ID prefix it was created
   * with; a created container's network ID is not known until it starts) and each one's ID once it
   * ran. Absent where the engine gave no network settings (and in scans saved before).
   */
  networks?: string[];
}

export interface VolumeInput {
  name: string;
  size: number;
  diskBytes?: number;
  anonymous: boolean;
  refCount: number;
  labels?: Record<string, string>;
  created?: number;
}

export interface NetworkInput {
  id: string;
  name: string;
  driver: string;
  builtin: boolean;
  containers: number;
  created?: number;
  labels?: Record<string, string>;
}

/** One record of BuildKit's cache, as `/system/df` lists it, with what layertop measured. */
export interface BuildCacheRecord {
  id: string;
  parents: string[];
  /** regular, source.local, exec.cachemount, frontend, internal, source.git.checkout */
  type: string;
  /** The build step (or context, or cache mount) that made it. */
  description: string;
  inUse: boolean;
  /** BuildKit: its layers are an image's (and so are its ancestors'): removing it frees no layer. */
  shared: boolean;
  /** Docker's size: the snapshot's usage (apparent bytes) plus its blobs. */
  size: number;
  /** Seconds since the epoch. */
  created: number;
  lastUsed: number | null;
  usageCount: number;
  /** The layer-store layer (chain ID) the record holds, when BuildKit's metadata names one. */
  chainId?: string;
  /**
   * The directories that go with this record alone (the image's own layer directories are not
   * among them). Undefined: layertop could not read BuildKit's metadata (no helper): unknown.
   */
  dirs?: string[];
  /** containerd store: the content blob BuildKit's lease for this record holds (an image's too, maybe). */
  blobDigest?: string;
  /** containerd store: the compressed layer blob only this record holds (it goes with it). */
  blob?: { path: string; diskBytes: number };
  /** Measured disk bytes of `dirs` and `blob`; undefined: not measured. */
  diskBytes?: number;
}

export interface BuildCacheInput {
  records: number;
  size: number;
  /** Every record with its measurement (absent in scans saved before layertop read records). */
  items?: BuildCacheRecord[];
  /** Build-cache directories no listed record owns (BuildKit's hidden duplicates): they go with all. */
  unattributedDiskBytes?: number;
  diskBytes?: number;
  /**
   * What `docker builder prune -a` gives back: the cache's snapshot directories. BuildKit's own
   * bolt databases and content store stay (measured: they do not shrink), so they are not counted.
   */
  freedDiskBytes?: number;
}

export type StorageKind = 'overlay2' | 'containerd';

export interface EngineFacts {
  host: string;
  version: string;
  apiVersion: string;
  storage: StorageKind;
  dataRoot: string;
}
