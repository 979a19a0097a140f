// The slices of Engine API responses that layertop reads. Typed here once so that nothing untyped
// crosses out of the engine module.

export interface ApiInfo {
  ServerVersion?: string;
  DockerRootDir: string;
  Driver: string;
  DriverStatus?: [string, string][] | null;
  ID?: string;
  Name?: string;
  /** The default log driver for containers that name none. */
  LoggingDriver?: string;
  /** "linux" (or "windows"), and the host's machine as uname names it ("x86_64", "aarch64"). */
  OSType?: string;
  Architecture?: string;
  /** The engine's clock when it answered (RFC 3339, nanoseconds). */
  SystemTime?: string;
}

export interface ApiDfImage {
  Id: string;
  RepoTags?: string[] | null;
  Created: number;
  Size: number;
  SharedSize: number;
  Containers: number;
  Labels?: Record<string, string> | null;
}

export interface ApiDfContainer {
  Id: string;
  Names?: string[];
  Image: string;
  ImageID: string;
  State: string;
  Created: number;
  SizeRw?: number;
  SizeRootFs?: number;
  Labels?: Record<string, string> | null;
  Mounts?: { Type: string; Name?: string }[];
  /** Keyed by network name; NetworkID is "" until the container first starts. */
  NetworkSettings?: { Networks?: Record<string, { NetworkID?: string }> | null } | null;
}

export interface ApiDfVolume {
  Name: string;
  Labels?: Record<string, string> | null;
  Mountpoint: string;
  CreatedAt?: string;
  UsageData?: { Size: number; RefCount: number } | null;
}

export interface ApiBuildCache {
  ID: string;
  Size: number;
  InUse: boolean;
  Shared: boolean;
  Type: string;
  Description?: string;
  /** Docker's JSON tag for it has a leading space (" Parents"); both spellings are read. */
  Parents?: string[] | null;
  Parent?: string;
  CreatedAt?: string;
  LastUsedAt?: string | null;
  UsageCount?: number;
}

export interface ApiSystemDf {
  LayersSize?: number;
  Images?: ApiDfImage[] | null;
  Containers?: ApiDfContainer[] | null;
  Volumes?: ApiDfVolume[] | null;
  BuildCache?: ApiBuildCache[] | null;
}

export interface ApiImageInspect {
  Id: string;
  RepoTags?: string[] | null;
  Created?: string;
  RootFS?: { Type: string; Layers?: string[] };
  Config?: { Labels?: Record<string, string> | null } | null;
  Metadata?: { LastTagTime?: string | null } | null;
}

export interface ApiNetwork {
  Id: string;
  Name: string;
  Driver: string;
  Created?: string;
  Labels?: Record<string, string> | null;
  Containers?: Record<string, unknown> | null;
}
