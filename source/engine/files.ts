// The files of an image or a container, layer by layer, through the helper: which directories
// hold them (the storage backend's layout), every entry of each, and which directories are opaque.
import { chainIds } from '../model/chain-id.js';
import { applyLayer, type LayerDiffEntry, type MergedEntry, opaqueCandidates } from '../model/overlay.js';
import { engineKeyOf } from './cache-keys.js';
import type { ApiImageInspect, ApiInfo } from './docker/api-types.js';
import type { EngineClient } from './docker/docker-client.js';
import { EngineError } from './docker/engine-error.js';
import { isLiveLayer } from './file-read.js';
import type { HelperSession } from './helper/helper-session.js';
import { type ListedEntry, listLayerDirs, probeOpaqueMany } from './helper/layer-list.js';
import type { SizeCache } from './helper/size-cache.js';
import { storageBackend } from './storage/backend.js';
import { forgetBolts } from './storage/storage-containerd.js';

export interface FilesLayer {
  /** chainID for image layers; "init" and "rw" for a container's own layers. */
  id: string;
  label: string;
  /** The directory holding the layer's files on the engine host. */
  dir: string;
}

export interface FilesTarget {
  kind: 'image' | 'container';
  id: string;
  name: string;
  layers: FilesLayer[];
  /**
   * A running container's live merged view: overlay2's `merged` mount, or the containerd store's
   * rootfs mount (<DockerRootDir>/rootfs/<snapshotter>/<container ID>, where dockerd mounts it).
   */
  mergedDir?: string | undefined;
}

async function imageOf(client: EngineClient, ref: string): Promise<ApiImageInspect | undefined> {
  try {
    return (await client.docker.getImage(ref).inspect()) as ApiImageInspect;
  } catch {
    return undefined;
  }
}

/**
 * Lets go of the storage metadata a target's resolution read (containerd's bolt copies: 100 MB
 * at scale), for a run that lists once and exits: they stayed alive through the listing of a
 * 400,000-file layer and made its peak. The explorer keeps them for its next scan.
 */
export function releaseLayoutCopies(helper: HelperSession): void {
  forgetBolts(helper);
}

type ApiHistory = { CreatedBy?: string; Size?: number }[];

/**
 * Resolves an image (tag, ID, ID prefix) or a container (name, ID, ID prefix) to its layer
 * directories. The engine is asked first, the helper (which may still be starting) only for the
 * layout: on the containerd store at scale the inspect and the history took 0.35 s, after the
 * helper's start before.
 */
export async function resolveFilesTarget(
  client: EngineClient,
  helperReady: HelperSession | Promise<HelperSession>,
  info: ApiInfo,
  ref: string,
  /**
   * The session's size cache: the layer store's answers a scan remembered (a layer's directory,
   * trusted only while the storage listing still has it) are not read again (0.1 s of a 101-layer
   * image at scale). Only read here: a run that lists files never rewrites the cache file.
   */
  cache?: SizeCache,
): Promise<FilesTarget> {
  // The size cache's bulk (SizeCache.open reads only its first line at once) is parsed while the
  // helper starts: the layout below needs it, and parsed there it was 0.1 s on the critical path.
  void cache?.loaded();
  let container: { Id: string; Name: string; Image: string; State?: { Running?: boolean } } | undefined;
  // What the layout reads whatever the target (containerd's snapshotter database: 0.24 s at
  // scale) is read as soon as the helper is up, beside the engine's answers.
  const backend = storageBackend(info, client.engineApiVersion);
  const reading = Promise.all([backend, helperReady]).then(([b, h]) => {
    const reader = b.reader(h, { purpose: 'files', cache, engineId: engineKeyOf(client, info) });
    reader.prepare?.();
    return reader;
  });
  reading.catch(() => {}); // awaited below; a failure surfaces there
  // The history asked by the same name beside the inspect (an image's, the usual case); it is
  // taken only if it is the inspected image's (a tag moved between the two is asked again by ID).
  const historyOf = (name: string) =>
    client.docker
      .getImage(name)
      .history()
      .catch(() => []) as Promise<ApiHistory>;
  const early = historyOf(ref);
  let image = await imageOf(client, ref);
  // An ID prefix that names an image can name a container too ("1"): said, never one picked.
  if (image && /^[0-9a-f]{1,63}$/.test(ref) && image.Id?.replace(/^sha256:/, '').startsWith(ref)) {
    const other = (await client.docker
      .getContainer(ref)
      .inspect()
      .catch(() => undefined)) as { Id: string; Name: string } | undefined;
    if (other)
      throw new EngineError(
        `"${ref}" names both image ${image.Id.replace(/^sha256:/, '').slice(0, 12)} and container ${other.Name.replace(/^\//, '')} (${other.Id.slice(0, 12)}): give more of the ID, or a name`,
      );
  }
  if (!image) {
    try {
      container = (await client.docker.getContainer(ref).inspect()) as typeof container;
    } catch {
      throw new EngineError(`no image or container "${ref}" on this engine`);
    }
    image = await imageOf(client, container?.Image ?? '');
  }
  const diffIds = image?.RootFS?.Layers ?? [];
  const chains = chainIds(diffIds);
  const asked = await early;
  // The history's newest entry names the image by ID ("Id" of the top entry): the same image, or
  // asked again by ID.
  const top = (asked[0] as { Id?: string } | undefined)?.Id;
  const history = !container && image?.Id && top === image.Id ? asked : await historyOf(image?.Id ?? '');
  const { layerCommandsFromApiHistory } = await import('../model/history.js');
  const commands = layerCommandsFromApiHistory(history, diffIds.length);
  const ids = container ? [container.Id] : [];
  const layout = await (await reading).layout({ chainIds: chains, containerIds: ids, images: [] });
  const content = (dir: string) => `${dir}/${layout.contentSub}`;
  const layers: FilesLayer[] = chains.map((c, i) => {
    const l = layout.layers.get(c);
    if (!l) throw new EngineError(`layer ${c} of ${ref} has no directory on this engine`);
    return { id: c, label: commands[i] ?? '', dir: content(l.path) };
  });
  if (!container) return { kind: 'image', id: image?.Id ?? ref, name: ref, layers };
  const paths = layout.containers.get(container.Id);
  if (paths?.initPath)
    layers.push({ id: 'init', label: "the container's init layer", dir: content(paths.initPath) });
  if (paths?.path)
    layers.push({ id: 'rw', label: "the container's writable layer", dir: content(paths.path) });
  return {
    kind: 'container',
    id: container.Id,
    name: container.Name.replace(/^\//, ''),
    layers,
    mergedDir: container.State?.Running ? (await backend).mergedDir(container.Id, paths?.path) : undefined,
  };
}

export interface ListedLayers {
  layers: ListedEntry[][];
  /** The merged view of every listed layer (0..upTo). */
  merged: Map<string, MergedEntry>;
  /** False where the engine refused the opaque-directory probe: opacity unknown. */
  opaqueKnown: boolean;
  /** The diff of layer `diffOf` as it was applied (unsorted), when asked for. */
  diff?: LayerDiffEntry[];
}

/**
 * Lists layers 0..upTo bottom to top; before each layer is applied, asks which of its directories
 * are opaque (only those that have something below them). The layers are walked a few per
 * request, and ONE probe asks about every layer's directories that have something below them in
 * ANY lower layer (a superset of what the union below holds, which only whiteouts and opaque
 * directories make smaller); the layers are then applied in order, each marking opaque only its
 * exact candidates (a 101-layer image took 100 probes one after the other, then 100 at once).
 */
export async function listLayers(
  helper: HelperSession,
  target: FilesTarget,
  upTo = target.layers.length - 1,
  onLayer?: (index: number, entries: ListedEntry[]) => void,
  /** Keep this layer's diff as applied: a second union of the layers below it is not built. */
  diffOf?: number,
): Promise<ListedLayers> {
  const dirs = target.layers.slice(0, upTo + 1).map((l) => l.dir);
  const layers = await listLayerDirs(
    helper,
    dirs,
    dirs.map((_, k) => isLiveLayer(target, k)),
  );
  const wide = wideCandidates(layers);
  // One request for every layer's probe (layer 0 has nothing below it to hide).
  const probes = await probeOpaqueMany(
    helper,
    dirs.map((dir, k) => ({
      dir,
      candidates: k > 0 ? (wide[k] ?? []) : [],
      // An image's layer (named by its chain ID): nothing writes to it (a container's init and
      // writable layers, "init" and "rw", can change).
      immutable: /^sha256:[0-9a-f]{64}$/.test(target.layers[k]?.id ?? ''),
    })),
  );
  const merged = new Map<string, MergedEntry>();
  let opaqueKnown = true;
  let kept: LayerDiffEntry[] | undefined;
  for (let k = 0; k < layers.length; k++) {
    const entries = layers[k] ?? [];
    if (k > 0) {
      const candidates = new Set(opaqueCandidates(merged, entries));
      const opaque = probes[k];
      if (!opaque) opaqueKnown = false;
      for (const e of entries) if (candidates.has(e.path) && opaque?.has(e.path)) e.opaque = true;
    }
    const diff = applyLayer(merged, entries, k);
    if (k === diffOf) kept = diff;
    onLayer?.(k, entries);
  }
  return { layers, merged, opaqueKnown, ...(kept ? { diff: kept } : {}) };
}

/**
 * Per layer, its directories that are a directory with something below them in some lower layer,
 * whatever removed them since (a superset of {@link opaqueCandidates} against the true union).
 */
function wideCandidates(layers: readonly (readonly ListedEntry[])[]): string[][] {
  const dirs = new Set<string>();
  const withChildren = new Set<string>();
  return layers.map((entries) => {
    const out = entries
      .filter((e) => e.type === 'dir' && dirs.has(e.path) && withChildren.has(e.path))
      .map((e) => e.path);
    for (const e of entries) {
      if (e.type === 'dir') dirs.add(e.path);
      const slash = e.path.lastIndexOf('/');
      if (slash > 0) withChildren.add(e.path.slice(0, slash));
    }
    return out;
  });
}
