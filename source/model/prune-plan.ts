// What `docker system prune -a [--volumes] [--filter ...]` would remove, in Docker's own order and
// rules, and the disk bytes that would really come back. Pure: it works on a scan model.
// (Groundwork for the cleanup assistant: the engine calls, the preview and the run come next.)
import type { ScanModel } from './report.js';
import type { ContainerInput, ImageInput, NetworkInput, VolumeInput } from './types.js';

export interface PruneFilters {
  /** Only objects created before this time (seconds since the epoch). */
  until?: number;
  /** label=KEY or label=KEY=VALUE: all must match. */
  label?: string[];
  /** label!=KEY or label!=KEY=VALUE: none may match. */
  notLabel?: string[];
}

export interface PruneOptions {
  /** -a: every unused image, not only dangling ones. */
  all: boolean;
  /** --volumes: anonymous volumes no remaining container uses. */
  volumes: boolean;
  filters?: PruneFilters;
}

export interface PrunePlan {
  containers: ContainerInput[];
  networks: NetworkInput[];
  volumes: VolumeInput[];
  images: ImageInput[];
  buildCache: boolean;
  /** Images kept, and why. */
  kept: { image: ImageInput; reason: string }[];
  predictedFreedBytes: number;
  /** Docker's own figures for the same removals (apparent bytes), for comparison. */
  dockerEstimateBytes: number;
}

/** Containers Docker never prunes. */
const ALIVE = new Set(['running', 'paused', 'restarting']);

function labelMatches(labels: Record<string, string> | undefined, expr: string): boolean {
  const eq = expr.indexOf('=');
  const key = eq < 0 ? expr : expr.slice(0, eq);
  if (!labels || !(key in labels)) return false;
  return eq < 0 || labels[key] === expr.slice(eq + 1);
}

export function passesFilters(
  obj: { created?: number | undefined; labels?: Record<string, string> | undefined },
  f: PruneFilters | undefined,
  useLabels = true,
): boolean {
  if (!f) return true;
  if (f.until !== undefined && obj.created !== undefined && obj.created >= f.until) return false;
  if (useLabels) {
    for (const l of f.label ?? []) if (!labelMatches(obj.labels, l)) return false;
    for (const l of f.notLabel ?? []) if (labelMatches(obj.labels, l)) return false;
  }
  return true;
}

/** Disk bytes of content-store blobs that only the removed images reference (each blob once). */
export function freedBlobBytes(images: readonly ImageInput[], removed: ReadonlySet<string>): number {
  const keptBlobs = new Set<string>();
  for (const img of images)
    if (!removed.has(img.id)) for (const b of img.blobs ?? []) keptBlobs.add(b.digest);
  const counted = new Set<string>();
  let bytes = 0;
  for (const img of images) {
    if (!removed.has(img.id)) continue;
    if (!img.blobs) {
      bytes += img.contentDiskBytes ?? 0;
      continue;
    }
    for (const b of img.blobs) {
      if (keptBlobs.has(b.digest) || counted.has(b.digest)) continue;
      counted.add(b.digest);
      bytes += b.diskBytes;
    }
  }
  return bytes;
}

export function planPrune(model: ScanModel, options: PruneOptions): PrunePlan {
  const { inputs } = model;
  const f = options.filters;
  // 1. Stopped containers (Docker's order: containers first, so their images become unused).
  const containers = inputs.containers.filter((c) => !ALIVE.has(c.state) && passesFilters(c, f));
  const removedContainers = new Set(containers.map((c) => c.id));
  const remaining = inputs.containers.filter((c) => !removedContainers.has(c.id));
  // 2. Networks no remaining container uses; the built-in ones never.
  const networks = inputs.networks.filter((n) => !n.builtin && n.containers === 0 && passesFilters(n, f));
  // 3. Volumes only with --volumes, anonymous only, unused by remaining containers.
  const usedVolumes = new Set(remaining.flatMap((c) => c.volumes));
  const volumes = options.volumes
    ? inputs.volumes.filter((v) => v.anonymous && !usedVolumes.has(v.name) && passesFilters(v, f))
    : [];
  // 4. Images no remaining container uses (with -a); without -a only dangling ones.
  const inUse = new Set(remaining.map((c) => c.imageId));
  const kept: PrunePlan['kept'] = [];
  const images: ImageInput[] = [];
  for (const img of inputs.images) {
    if (inUse.has(img.id)) {
      const users = remaining.filter((c) => c.imageId === img.id).map((c) => `${c.name} (${c.state})`);
      kept.push({ image: img, reason: `used by ${users.join(', ')}` });
    } else if (!options.all && img.tags.length > 0) kept.push({ image: img, reason: 'tagged (no -a)' });
    else if (!passesFilters(img, f)) kept.push({ image: img, reason: 'excluded by a filter' });
    else images.push(img);
  }
  const removedImages = new Set(images.map((i) => i.id));
  // 5. Build cache: all of it. Docker ignores label filters for build cache; until still applies,
  // which layertop cannot check per record yet, so an until filter keeps the build cache out.
  const buildCache = f?.until === undefined;

  let bytes = 0;
  let docker = 0;
  for (const c of containers) {
    bytes += (c.diskBytes ?? 0) + (c.metaDiskBytes ?? 0);
    docker += c.sizeRw ?? 0;
  }
  for (const node of model.graph.layers.values()) {
    if (node.images.length > 0 && node.images.every((id) => removedImages.has(id)))
      bytes += node.diskBytes ?? 0;
  }
  bytes += freedBlobBytes(inputs.images, removedImages);
  for (const img of images) docker += (img.engineSize ?? 0) - (img.engineSharedSize ?? 0);
  for (const v of volumes) {
    bytes += v.diskBytes ?? 0;
    docker += v.size;
  }
  if (buildCache) {
    bytes += inputs.buildCache.diskBytes ?? 0;
    docker += inputs.buildCache.size;
  }
  return {
    containers,
    networks,
    volumes,
    images,
    buildCache,
    kept,
    predictedFreedBytes: bytes,
    dockerEstimateBytes: docker,
  };
}
