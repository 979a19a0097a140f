import { chainIds } from '../model/chain-id.js';
import {
  type ApiHistoryEntry,
  layerCommandsFromApiHistory,
  layerSizesFromApiHistory,
} from '../model/history.js';
import { buildScanModel, NOT_MEASURED_YET, type ScanInputs, type ScanModel } from '../model/report.js';
import type {
  BuildCacheRecord,
  ContainerInput,
  EngineFacts,
  ImageInput,
  LayerFacts,
  VolumeInput,
} from '../model/types.js';
import { mark } from '../process/timing.js';
import { engineKeyOf, factKeyOf } from './cache-keys.js';
import type { ApiBuildCache, ApiDfImage, ApiInfo, ApiSystemDf } from './docker/api-types.js';
import { compareApi, type EngineClient } from './docker/docker-client.js';
import { askInventoryEarly, getInfo, type Inventory, mapLimit, readInventory } from './docker/inventory.js';
import { HelperError, type HelperSession } from './helper/helper-session.js';
import { type MeasureProgress, type MeasureTarget, measureDirs, type RideAlong } from './helper/measure.js';
import type { DirMeasure } from './helper/measure-parse.js';
import type { SizeCache } from './helper/size-cache.js';
import { commandsOfConfig, configFileBytes, readCommands, rememberedCommands } from './image-facts.js';
import { finishLedger, knownPieces, type LedgerPlan, type LogConfig, startLedger } from './ledger-walk.js';
import { answerReflectsStamp } from './list-proof.js';
import { type ImageListStamp, type StorageBackend, storageBackend, storageKind } from './storage/backend.js';
import type { StoreImageFacts } from './storage/go-image-config.js';
import type { StorageLayout } from './storage/storage-layout.js';

export { storageKind };

export function engineFacts(client: EngineClient, info: ApiInfo): EngineFacts {
  return {
    host: client.endpoint.host,
    version: info.ServerVersion ?? client.serverVersion,
    apiVersion: client.apiVersion,
    storage: storageKind(info),
    dataRoot: info.DockerRootDir,
  };
}

export interface ScanOptions {
  /** The helper, or its start still under way: the API is asked meanwhile (resolving undefined: it could not start). */
  helper?: HelperSession | Promise<HelperSession | undefined> | undefined;
  cache?: SizeCache | undefined;
  onProgress?: ((p: MeasureProgress) => void) | undefined;
  info?: ApiInfo | undefined;
  /** Without a helper: why there is none (`--no-helper`, it could not start), said with the disk figures. */
  noHelperReason?: string | undefined;
  /**
   * Called once the scan needs the helper no more (before the model is built): a command that
   * exits after the scan removes it meanwhile (about 100 ms at scale) instead of after.
   */
  onHelperDone?: (() => void) | undefined;
  /**
   * Ask the engine for every image's tag time (LastTagTime). It changes whenever a tag moves onto
   * the image, so it is never taken from the size cache; without this a scan inspects only the
   * images whose layers it does not know yet, and marks the tag times unknown (tagTimesUnknown).
   * The prune rules that decide by them (--keep-last, --unused-for) ask.
   */
  tagTimes?: boolean | undefined;
  /**
   * Called at most once, before any walk's figure, with a tree from the API's lists and the
   * store's own layer sizes (Docker's; every disk figure unknown): the explorer's first launch
   * shows it while the walks run. Only where the store keeps layer sizes (overlay2's layer store;
   * never on the containerd store), and never after the scan's own model. Undefined: no preview
   * could be made (a layer without its size, the read failed), so another first tree is wanted.
   */
  onPreview?: ((model: ScanModel | undefined) => void) | undefined;
  /**
   * Called once the engine has answered the scan's lists, with how many images it listed: the
   * explorer's first screen says what it waits for (on the containerd store the engine computes
   * its image list anew at each call: 15-20 s at 1,300 images, measured while the walks run).
   */
  onEngineLists?: ((counts: { images: number }) => void) | undefined;
}

const ANON_LABEL = 'com.docker.volume.anonymous';

const byText = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

// Written once when a container is created, never after (the init layer is a read-only lower
// layer of the container's mount; the layer store's mounts/<id> holds the layer IDs): measured
// once and remembered by their directory, like image layers.
const INIT_LAYER = 'init-layer';

const targetKey = (t: MeasureTarget) => `${t.sub ?? ''}:${t.dir}`;

/** The chain IDs of every layer of the given layer lists. */
function chainSet(layers: ReadonlyMap<string, readonly string[]>): Set<string> {
  const chains = new Set<string>();
  for (const l of layers.values()) for (const c of chainIds(l)) chains.add(c);
  return chains;
}

/**
 * What a scan walks that needs only the API's answer: container and volume directories, BuildKit's
 * state, and what the backend keeps per image and container (overlay2's layer and image stores).
 * Started before the storage layout is read.
 */
function apiTargets(inputs: ScanInputs, root: string, backend: StorageBackend): MeasureTarget[] {
  return [
    ...inputs.containers.map((c) => ({ dir: `${root}/containers/${c.id}` })),
    ...inputs.volumes.map((v) => ({ dir: `${root}/volumes/${v.name}` })),
    { dir: `${root}/buildkit` },
    ...backend.apiTargets(
      inputs.images,
      inputs.containers.map((c) => c.id),
    ),
  ];
}

function baseInputs(client: EngineClient, inv: Inventory): ScanInputs {
  const images: ImageInput[] = inv.images.map((img) => {
    const inspect = inv.inspects.get(img.Id);
    const diffIds = inspect?.RootFS?.Layers ?? [];
    // Go's zero time ("0001-01-01T00:00:00Z") means never tagged.
    const tagged = Date.parse(inspect?.Metadata?.LastTagTime ?? '') / 1000;
    return {
      ...(tagged > 0 ? { lastTagged: tagged } : {}),
      id: img.Id,
      tags: (img.RepoTags ?? []).filter((t) => t !== '<none>:<none>'),
      created: img.Created,
      diffIds,
      layerCommands: new Array(diffIds.length).fill(undefined),
      // -1: a list made from the store's records, whose sizes the layout gives (storeListSizes).
      ...(img.Size >= 0 ? { engineSize: img.Size } : {}),
      // -1: not asked of the engine (readInventory); the scan fills in Docker's rule from its graph.
      ...(img.SharedSize >= 0 ? { engineSharedSize: img.SharedSize } : {}),
      labels: img.Labels ?? {},
    };
  });
  const containers: ContainerInput[] = inv.containers.map((c) => ({
    id: c.Id,
    name: (c.Names?.[0] ?? c.Id.slice(0, 12)).replace(/^\//, ''),
    imageId: c.ImageID,
    image: c.Image,
    state: c.State,
    created: c.Created,
    labels: c.Labels ?? {},
    sizeRw: c.SizeRw,
    volumes: (c.Mounts ?? []).filter((m) => m.Type === 'volume' && m.Name).map((m) => m.Name as string),
    // Each network as the container names it (the name, or the ID or ID prefix it was created
    // with) and, once it ran, the network's ID. Absent where the engine gives no settings.
    ...(c.NetworkSettings?.Networks
      ? {
          networks: [
            ...new Set(
              Object.entries(c.NetworkSettings.Networks).flatMap(([key, n]) => [
                key,
                ...(n?.NetworkID ? [n.NetworkID] : []),
              ]),
            ),
          ].sort(byText),
        }
      : {}),
  }));
  const volumes: VolumeInput[] = inv.volumes.map((v) => ({
    name: v.Name,
    size: Math.max(0, v.UsageData?.Size ?? 0),
    // Docker 23+ (API 1.42) prunes only volumes its label marks anonymous: an unlabelled one (made
    // anonymous before 23, or named with 64 hex digits) is kept there, and layertop keeps it too.
    // Older engines label none: there the name's shape is the only sign.
    anonymous:
      v.Labels?.[ANON_LABEL] !== undefined ||
      (compareApi(client.engineApiVersion, '1.42') < 0 && /^[0-9a-f]{64}$/.test(v.Name)),
    refCount: v.UsageData?.RefCount ?? 0,
    labels: v.Labels ?? {},
    ...(v.CreatedAt ? { created: Date.parse(v.CreatedAt) / 1000 } : {}),
  }));
  // One order whatever the API's (it varies from call to call for equal creation times, volumes
  // and networks): newest first as `docker images` and `docker ps`, volumes and networks by name.
  // Two scans of the same engine then print the same JSON.
  const newestFirst = (a: { created?: number; id: string }, b: { created?: number; id: string }) =>
    (b.created ?? 0) - (a.created ?? 0) || byText(a.id, b.id);
  images.sort(newestFirst);
  containers.sort(newestFirst);
  volumes.sort((a, b) => byText(a.name, b.name));
  const bc = inv.df.BuildCache ?? [];
  const reservedImages: Record<string, string> = {};
  for (const h of inv.helpers) reservedImages[h.imageId] = "used by layertop's helper (running)";
  const layerFacts = new Map<string, LayerFacts>();
  return {
    engine: engineFacts(client, inv.info),
    reservedImages,
    images,
    layerFacts,
    containers,
    volumes,
    networks: [...inv.networks]
      .sort((a, b) => byText(a.Name, b.Name))
      .map((n) => ({
        id: n.Id,
        name: n.Name,
        driver: n.Driver,
        // As Docker's own prune: its predefined networks, and swarm's ingress.
        builtin: ['bridge', 'host', 'none', 'ingress'].includes(n.Name),
        containers: Object.keys(n.Containers ?? {}).length,
        labels: n.Labels ?? {},
        ...(n.Created ? { created: Date.parse(n.Created) / 1000 } : {}),
      })),
    // docker system df counts build cache records that are not shared with images.
    buildCache: {
      records: bc.length,
      size: bc.filter((r) => !r.Shared).reduce((a, r) => a + r.Size, 0),
      items: bc.map(cacheRecord).sort((a, b) => byText(a.id, b.id)),
    },
  };
}

/** A build-cache record as /system/df lists it (Docker's " Parents" JSON tag has a space). */
function cacheRecord(r: ApiBuildCache): BuildCacheRecord {
  const parents = r.Parents ?? (r as unknown as Record<string, string[] | null | undefined>)[' Parents'];
  // To the sub-microsecond (BuildKit orders records by these times; two can fall in one millisecond).
  const time = (t: string | null | undefined) => {
    if (!t) return Number.NaN;
    const frac = /\.(\d+)/.exec(t)?.[1] ?? '';
    return Math.floor(Date.parse(t) / 1000) + (frac ? Number(`0.${frac}`) : 0);
  };
  const lastUsed = time(r.LastUsedAt);
  return {
    id: r.ID,
    parents: parents ?? (r.Parent ? [r.Parent] : []),
    type: r.Type,
    description: r.Description ?? '',
    inUse: r.InUse,
    shared: r.Shared,
    size: r.Size,
    created: time(r.CreatedAt) || 0,
    lastUsed: Number.isNaN(lastUsed) ? null : lastUsed,
    usageCount: r.UsageCount ?? 0,
  };
}

/**
 * The engine's own bytes per layer and the build commands, from GET /images/{id}/history: what a
 * scan without the helper shows (the layer store's size on overlay2, the snapshot's usage on the
 * containerd store, as `docker history` prints them).
 */
async function historyFacts(client: EngineClient, inputs: ScanInputs): Promise<void> {
  await mapLimit(inputs.images, 8, async (img) => {
    let history: ApiHistoryEntry[];
    try {
      history = (await client.docker.getImage(img.id).history()) as ApiHistoryEntry[];
    } catch {
      return; // image removed meanwhile: no commands, no sizes
    }
    img.layerCommands = layerCommandsFromApiHistory(history, img.diffIds.length);
    const sizes = layerSizesFromApiHistory(history, img.diffIds.length);
    chainIds(img.diffIds).forEach((chainId, i) => {
      const size = sizes[i];
      if (size !== undefined && !inputs.layerFacts.has(chainId))
        inputs.layerFacts.set(chainId, { chainId, size });
    });
  });
}

/**
 * API-only inputs: what the first frame shows before the helper has measured anything. With a
 * size cache, the layer lists it inspected are remembered exactly as a full scan remembers them
 * (scanEngine: the same fact, trusted the same way), so the full scan that follows it on a first
 * launch does not inspect every image again (1,322 inspects at scale).
 */
export async function scanFromApi(
  client: EngineClient,
  info?: ApiInfo,
  cache?: SizeCache,
): Promise<ScanModel> {
  const inv = await readInventory(client, info ?? (await getInfo(client)));
  const engineId = engineKeyOf(client, inv.info);
  // Not on the containerd store: there only the store's own files' answer is remembered (see
  // scanEngine; the engine's is another platform's for an index whose own manifest is not there).
  if (storageKind(inv.info) !== 'containerd')
    for (const [id, i] of inv.inspects)
      cache?.setFact(factKeyOf(engineId, 'layers', id), i.RootFS?.Layers ?? []);
  const inputs = baseInputs(client, inv);
  // An inspect skipped (the layers known) or without its Metadata: that image's tag time is unknown.
  if ([...inv.inspects.values()].some((i) => !i.Metadata)) inputs.tagTimesUnknown = true;
  await historyFacts(client, inputs);
  inputs.diskUnknown = NOT_MEASURED_YET;
  mark('scan-ledger');
  return buildScanModel(inputs);
}

const isStrings = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === 'string');
/** The ledger's listing that rides along with a walk (measure.ts: its roots take up to 150 KB). */
const LEDGER_ALONG_MAX = 32 * 1024;

const isLogConfigs = (v: unknown): v is Record<string, LogConfig> =>
  typeof v === 'object' && v !== null && Object.values(v).every(isLogConfig);
const isLogConfig = (v: unknown): v is LogConfig =>
  typeof v === 'object' &&
  v !== null &&
  typeof (v as LogConfig).driver === 'string' &&
  typeof (v as LogConfig).options === 'object' &&
  (v as LogConfig).options !== null &&
  Object.values((v as LogConfig).options).every((o) => typeof o === 'string');
const isLedgerPlan = (v: unknown): v is LedgerPlan =>
  typeof v === 'object' &&
  v !== null &&
  isStrings((v as LedgerPlan).listed) &&
  isStrings((v as LedgerPlan).walked) &&
  [...(v as LedgerPlan).listed, ...(v as LedgerPlan).walked].every((p) => p.startsWith('/'));
const isTargets = (v: unknown): v is MeasureTarget[] =>
  Array.isArray(v) &&
  v.every(
    (t) =>
      typeof t === 'object' &&
      t !== null &&
      typeof (t as MeasureTarget).dir === 'string' &&
      [undefined, 'diff', 'fs'].includes((t as MeasureTarget).sub),
  );

/**
 * Phase "targets": every directory the scan measures, from the layout (layers, writable and init
 * layers, build cache, leftovers, layer metadata) and what the API alone named (`early`).
 */
function layoutTargets(
  layout: StorageLayout,
  containers: readonly { id: string }[],
  early: readonly MeasureTarget[],
): MeasureTarget[] {
  const targets: MeasureTarget[] = [];
  for (const [chainId, l] of layout.layers)
    targets.push({ dir: l.path, sub: layout.contentSub, cacheKey: chainId, estimate: l.work });
  for (const c of containers) {
    const paths = layout.containers.get(c.id);
    if (paths?.path) targets.push({ dir: paths.path, sub: layout.contentSub });
    if (paths?.initPath) targets.push({ dir: paths.initPath, sub: layout.contentSub, cacheKey: INIT_LAYER });
  }
  for (const d of layout.buildCacheDirs) targets.push({ dir: d, cacheKey: layout.immutableDirs?.get(d) });
  for (const d of layout.leftoverDirs ?? []) targets.push({ dir: d });
  const meta = layout.meta;
  // Layer metadata (tar-split, diff, size files) never changes once written: cacheable.
  if (meta)
    for (const chainId of layout.layers.keys())
      targets.push({ dir: meta.layerDir(chainId), cacheKey: `layerdb:${chainId}` });
  // And what the API alone named (the layout's extra targets, BuildKit's state, among them).
  const listed = new Set(targets.map(targetKey));
  for (const t of [...early, ...layout.extraTargets]) {
    if (!listed.has(targetKey(t))) targets.push(t);
    listed.add(targetKey(t));
  }
  return targets;
}

/**
 * Each build-cache record's own directories and their bytes: those of its directories that are
 * build cache (an image's layer directory is not the record's to free). What no listed record
 * owns goes with the whole cache only.
 */
function attributeRecords(
  inputs: ScanInputs,
  layout: StorageLayout,
  disk: (dir: string) => number | undefined,
): void {
  const storage = layout.buildCacheRecords;
  const items = inputs.buildCache.items;
  if (!storage || !items) return;
  const cacheDirs = new Set(layout.buildCacheDirs);
  const owned = new Set<string>();
  for (const r of items) {
    const s = storage.get(r.id);
    // A record BuildKit's metadata does not have (made between the API's list and the read):
    // its bytes are unknown, not 0.
    if (!s) continue;
    const dirs = s.dirs.filter((d) => cacheDirs.has(d) && !owned.has(d));
    for (const d of dirs) owned.add(d);
    r.dirs = dirs;
    if (s.chainId) r.chainId = s.chainId;
    if (s.blob) r.blobDigest = s.blob;
    if (s.blobPath && s.blobDiskBytes !== undefined)
      r.blob = { path: s.blobPath, diskBytes: s.blobDiskBytes };
    const bytes = dirs.map(disk);
    // A directory the walk could not measure leaves the record's bytes unknown, not 0.
    if (bytes.every((b) => b !== undefined))
      r.diskBytes = bytes.reduce((a, b) => a + b, 0) + (s.blobDiskBytes ?? 0);
  }
  const rest = layout.buildCacheDirs.filter((d) => !owned.has(d)).map(disk);
  if (rest.every((b) => b !== undefined))
    inputs.buildCache.unattributedDiskBytes = rest.reduce((a, b) => a + b, 0);
}

/**
 * Phase "attribute": the measured bytes to what holds them (layers, images' metadata, containers,
 * volumes, build cache, leftovers), and each layer's engine size by the backend's rule.
 */
function attribute(
  inputs: ScanInputs,
  layout: StorageLayout,
  measured: ReadonlyMap<string, DirMeasure>,
  backend: StorageBackend,
  dataRoot: string,
  configBytes: readonly number[] | undefined,
): void {
  const meta = layout.meta;
  if (meta) {
    inputs.images.forEach((img, i) => {
      img.metaDiskBytes = (configBytes?.[i] ?? 0) + (measured.get(meta.imageDir(img.id))?.diskBytes ?? 0);
    });
  }
  const disk = (dir: string | undefined): number | undefined =>
    dir ? measured.get(dir)?.diskBytes : undefined;
  const get = (dir: string): DirMeasure | undefined => measured.get(dir);

  for (const [chainId, l] of layout.layers) {
    const m = get(l.path);
    const measured = m && !m.missing ? m : undefined;
    // The engine's own figure for a layer (the backend's rule when its layout has none).
    // layertop's own measurements sit beside it (measuredSize, diskBytes); a block can settle
    // after the containerd store's commit.
    const size = l.size ?? backend.layerSize(measured) ?? 0;
    inputs.layerFacts.set(chainId, {
      chainId,
      size,
      path: l.path,
      ...(measured ? { measuredSize: measured.apparentBytes, diskBytes: measured.diskBytes } : {}),
      ...(l.size !== undefined ? { engineSize: l.size } : {}),
      ...(meta ? { metaDiskBytes: disk(meta.layerDir(chainId)) ?? 0 } : {}),
    });
  }
  for (const c of inputs.containers) {
    const paths = layout.containers.get(c.id);
    c.path = paths?.path;
    c.initPath = paths?.initPath;
    c.diskBytes = (disk(paths?.path) ?? 0) + (disk(paths?.initPath) ?? 0);
    c.metaDiskBytes =
      (disk(`${dataRoot}/containers/${c.id}`) ?? 0) + (meta ? (disk(meta.containerDir(c.id)) ?? 0) : 0);
  }
  for (const v of inputs.volumes) v.diskBytes = disk(`${dataRoot}/volumes/${v.name}`) ?? 0;
  const cacheDirs = layout.buildCacheDirs.reduce((a, d) => a + (disk(d) ?? 0), 0);
  const cacheBlobs = layout.buildCacheBlobBytes ?? 0;
  inputs.buildCache.diskBytes =
    cacheDirs + cacheBlobs + layout.extraTargets.reduce((a, t) => a + (disk(t.dir) ?? 0), 0);
  inputs.buildCache.freedDiskBytes = cacheDirs + cacheBlobs;
  attributeRecords(inputs, layout, disk);
  const leftovers = layout.leftoverDirs ?? [];
  inputs.leftovers = {
    directories: leftovers,
    diskBytes: leftovers.reduce((a, d) => a + (disk(d) ?? 0), 0),
    items: leftovers.map((path) => ({ path, diskBytes: disk(path) ?? null })),
  };
}

interface ImageListFact {
  fingerprint: string;
  images: ApiDfImage[];
}
const isImageListFact = (v: unknown): v is ImageListFact =>
  typeof v === 'object' &&
  v !== null &&
  typeof (v as ImageListFact).fingerprint === 'string' &&
  Array.isArray((v as ImageListFact).images) &&
  (v as ImageListFact).images.every((i) => typeof i?.Id === 'string' && typeof i.Size === 'number');

/**
 * Remembers the engine's image list with its stamp: only an answer that reflects the stamped
 * state, when the state stood still from then to a stamp read after the answer (`after`), and
 * when the answer is the one that state makes (every image and its tags: ImageListStamp.matches).
 * An answer reflects the stamped state when the engine was asked for it after that stamp was read
 * (`before`, the proof that failed), or before it by less than the state had already stood still
 * (ImageListStamp.stillMs, answerReflectsStamp): a cold scan on overlay2 asks at once, before its helper can read the
 * stamp, and its first warm scan then had to ask the engine again and write the whole size cache
 * (1.45 s against 1.08 s for the warm scans after it at the scale engine). `stampAt`: when
 * `before` came (performance.now()). Only a speed-up: whatever fails, nothing is kept.
 */
async function rememberImageList(
  inv: Inventory,
  listStamp: Promise<ImageListStamp | undefined>,
  stampAt: () => number | undefined,
  backend: StorageBackend,
  helper: HelperSession,
  cache: SizeCache | undefined,
  key: string,
): Promise<void> {
  if (inv.imagesFrom === 'known') return;
  // An engine answer asked before its stamp can pass only where the backend asks at once and
  // the answer's asking was timed: elsewhere no stamp is worth waiting for here.
  if (inv.imagesFrom === 'engine' && (!backend.imageListFirstAtOnce || inv.imagesAskedAt === undefined))
    return;
  try {
    const before = await listStamp;
    if (!answerReflectsStamp(inv.imagesFrom, inv.imagesAskedAt, stampAt(), before?.stillMs)) return;
    const after = await backend.imageListStamp?.(helper);
    const images = inv.df.Images ?? [];
    if (
      before &&
      after &&
      before.fingerprint === after.fingerprint &&
      before.settled !== false &&
      (await after.matches(images))
    )
      cache?.setFact(key, { fingerprint: after.fingerprint, images } satisfies ImageListFact);
  } catch {
    // Not remembered: the next scan asks the engine. A lost helper surfaces in the scan's own requests.
  }
}

/**
 * Whether two image lists hold the same images with the same tags (order aside; `<none>:<none>`,
 * which some engines give an untagged image, counts as no tag).
 */
export function sameImagesAndTags(a: readonly ApiDfImage[], b: readonly ApiDfImage[]): boolean {
  if (a.length !== b.length) return false;
  const tags = (i: ApiDfImage) =>
    (i.RepoTags ?? [])
      .filter((t) => t !== '<none>:<none>')
      .sort()
      .join('\n');
  const byId = new Map(a.map((i) => [i.Id, tags(i)]));
  // Each ID once on both sides: [x, y] is not [x, x].
  return (
    byId.size === a.length &&
    new Set(b.map((i) => i.Id)).size === b.length &&
    b.every((i) => byId.get(i.Id) === tags(i))
  );
}

/**
 * The engine's Size of each image of a list made from the store's records (ImageListStamp.fromStore),
 * by the engine's own rule on that store (moby's image_list.go: the content it counts, then the
 * usage containerd recorded for each snapshot of the image's chain when it committed it): set in
 * the list and as each image's engineSize. An image whose content or any layer's recorded usage
 * the layout does not give keeps none (unknown, not a guess). Whether every image got one.
 */
function storeListSizes(list: ApiDfImage[], images: ImageInput[], layout: StorageLayout): boolean {
  const byId = new Map(images.map((i) => [i.id, i]));
  let all = true;
  for (const entry of list) {
    const img = byId.get(entry.Id);
    let size = img?.blobs?.length ? (img.contentBytes ?? undefined) : undefined;
    for (const chain of img ? chainIds(img.diffIds) : []) {
      const recorded = layout.layers.get(chain)?.size;
      size = size === undefined || recorded === undefined ? undefined : size + recorded;
    }
    if (img && size !== undefined) {
      entry.Size = size;
      img.engineSize = size;
    } else {
      all = false;
      if (img) delete img.engineSize;
    }
  }
  return all;
}

/**
 * Docker's Size of the images a list made from the store's records could not size (an image
 * removed while the scan ran, content the layout did not read): the engine's own answer, asked
 * only then. An image it no longer lists keeps none (unknown).
 */
async function engineSizes(client: EngineClient, images: ImageInput[]): Promise<void> {
  try {
    const answer = (await client.docker.listImages()) as unknown as ApiDfImage[];
    const sizes = new Map(answer.map((i) => [i.Id, i.Size]));
    for (const img of images) {
      const size = sizes.get(img.id);
      if (img.engineSize === undefined && size !== undefined && size >= 0) img.engineSize = size;
    }
  } catch {
    // Unknown, as they were: the scan's own figures do not depend on them.
  }
}

/**
 * Remembers a list made from the store's records with the stamp it was made from: the same state
 * makes the same list (and sizes: each snapshot's usage is recorded once, each blob named by its
 * digest), as with an answer of the engine's.
 */
async function rememberStoreList(
  listStamp: Promise<ImageListStamp | undefined>,
  cache: SizeCache | undefined,
  key: string,
  images: ApiDfImage[],
): Promise<void> {
  const stamp = await listStamp.catch(() => undefined);
  if (stamp && stamp.settled !== false && images.every((i) => i.Size >= 0))
    cache?.setFact(key, { fingerprint: stamp.fingerprint, images } satisfies ImageListFact);
}

/**
 * For openSession's beforeCache, where a scan with the helper comes next: the engine's lists that
 * scan asks first are asked at once (askInventoryEarly), beside the size cache's read. The image
 * list is not among them: it waits for its proof (see scanEngine), or, in a cold scan on
 * overlay2, is asked as soon as the cache says there is nothing to prove.
 */
export function askScanListsEarly(client: EngineClient, _info: ApiInfo, maxAgeMs?: number): void {
  askInventoryEarly(client, false, maxAgeMs);
}

/** How long the image list waits for the store's layer lists once it is in (see knownLayers). */
const CONTENT_WAIT_MS = 3_000;

/** `p`'s value, or undefined if it takes longer than `ms` (the timer never holds the process). */
function withinMs<T>(p: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p,
    new Promise<undefined>((r) => {
      timer = setTimeout(() => r(undefined), ms);
      timer.unref();
    }),
  ]).finally(() => clearTimeout(timer));
}

/**
 * The full scan: API inventory, storage layout through the helper, and measured sizes.
 *
 * With a size cache, everything that cannot change is remembered across runs: image layers'
 * sizes, an image's layer list, build commands and config file size (an image ID is its config's
 * digest), a layer's directory. A warm scan then asks the engine's API what exists now and walks
 * only what can change (writable layers, container and volume directories, metadata).
 *
 * Phases: the API inventory beside the helper's start and the walks the last scan foresaw; the
 * backend's layout beside the walks the API alone names (apiTargets); every target (layoutTargets);
 * the remaining walks beside the build commands and config sizes; the bytes to what holds them
 * (attribute); the model (buildScanModel).
 */
export async function scanEngine(client: EngineClient, options: ScanOptions): Promise<ScanModel> {
  const info = options.info ?? (await getInfo(client));
  // The keys this scan uses, once a day per engine: what a complete scan did not use is forgotten
  // at its end (SizeCache.sweep).
  const cache = options.helper ? options.cache : undefined;
  const engineId = engineKeyOf(client, info);
  // Not noted on an engine's first scan (no walks remembered, see scanNoting): little of it can be
  // in the cache to forget (what an unfinished scan, the API tree or `files` left, or facts of a
  // shape this version no longer reads), and that waits for the next sweep, a day later. Noting
  // every key cost a cold scan at scale 40 ms of its thread. Only the sweep's stamp is set.
  const due = cache?.sweepDue(engineId) ?? false;
  const first = due && !cache?.fact(factKeyOf(engineId, 'mutable', 'targets'), isTargets);
  const used = due && !first ? cache?.track() : undefined;
  // A preview comes only while the scan runs: never after its model, nor after it failed.
  let settled = false;
  try {
    // `options` as given, not copied: the explorer's noHelperReason is a getter, read later.
    return await scanNoting(client, options, info, first ? 'nothing' : used?.keys, () => !settled);
  } finally {
    settled = true;
    used?.stop();
  }
}

async function scanNoting(
  client: EngineClient,
  options: ScanOptions,
  info: ApiInfo,
  /** The keys to keep at a sweep; 'nothing': this engine had nothing to forget (only stamped). */
  used: ReadonlySet<string> | 'nothing' | undefined,
  running: () => boolean,
): Promise<ScanModel> {
  const cache = options.helper ? options.cache : undefined;
  const engineId = engineKeyOf(client, info);
  const factKey = (kind: string, id: string) => factKeyOf(engineId, kind, id);
  // The API first: it does not need the helper, whose start (a container, its exec lanes) takes
  // as long again. With the helper, shared sizes come from layertop's own graph: the engine is
  // not asked for them (readInventory).
  // The engine's storage backend, chosen once: everything below that differs by backend asks it.
  const backend = await storageBackend(info, client.engineApiVersion);
  // Where the image list's state can be read (the containerd store's metadata), the list is
  // answered from memory while that state is unchanged: on that store the engine computes it
  // anew each time (17 s at 1,300 images on Docker 28.5), and /system/df -v takes as long.
  const listKey = factKey('image-list', `${client.serverVersion}|${client.apiVersion}|${info.Driver}`);
  const listStamp =
    options.helper && cache && backend.imageListStamp
      ? Promise.resolve(options.helper).then((h) => (h ? backend.imageListStamp?.(h) : undefined))
      : undefined;
  listStamp?.catch(() => {}); // no stamp: the engine's answer is used and not remembered
  // When the stamp came: an engine answer asked before it may still be remembered (rememberImageList).
  let stampCame: number | undefined;
  listStamp?.then(
    () => {
      stampCame = performance.now();
    },
    () => {},
  );
  const remembered = listStamp ? cache?.fact(listKey, isImageListFact) : undefined;
  // Layer lists the store's own files hold (the containerd store's content blobs): read for the
  // images no earlier scan remembered, instead of inspecting each (115 ms per image there; 15 s
  // of a cold scan at 1,300 images). Started at once, for every image the store records, when no
  // image list is remembered (a first scan: read while the engine computes its list); else only
  // for the images found missing. Not waited for longer than CONTENT_WAIT_MS once the list is in
  // (a helper whose start stalls): those images are inspected, as without.
  // The configs such a read parses give the build commands too: readCommands then reads none
  // of them again (1,322 configs, 1.6 MB at scale).
  const configCommands = new Map<string, (string | undefined)[]>();
  const commandsFrom = (id: string, config: object, layerCount: number) => {
    const commands = commandsOfConfig(config, layerCount);
    if (commands) configCommands.set(id, commands);
  };
  // The image list's facts of each image the read of every image found whole (ImageListStamp.fromStore).
  const storeFacts = new Map<string, StoreImageFacts>();
  const factsFrom = (id: string, facts: StoreImageFacts) => storeFacts.set(id, facts);
  const fromContent = (ids?: readonly string[]) =>
    Promise.resolve(options.helper)
      .then((h) =>
        h && backend.imageLayers
          ? backend.imageLayers(h, ids, commandsFrom, ids ? undefined : factsFrom)
          : undefined,
      )
      .catch(() => undefined);
  // A first scan is one with no walks remembered (see StorageBackend.imageLayersEarly).
  const layersEarly =
    backend.imageLayersEarly === 'always' ||
    (backend.imageLayersEarly === 'first' && !cache?.fact(factKey('mutable', 'targets'), isTargets));
  // Every image's, once started: at once, or for the list made from the store's records (below).
  let contentAll =
    !remembered && backend.imageLayers && options.helper && !options.tagTimes && layersEarly
      ? fromContent()
      : undefined;
  const contentEarly = contentAll;
  // The list made from the store's records, when it is the one used (its sizes are set after the layout).
  let storeList: ApiDfImage[] | undefined;
  // The engine is asked for the list once this proof is read (at most 3 s: readInventory), with
  // or without a remembered list: an answer asked for after the stamp can be remembered with it.
  // Where the store can say the list itself (ImageListStamp.fromStore), a list not remembered is
  // made from its records and every image's config instead, and the engine is not asked at all.
  const knownImages = listStamp?.then(async (s) => {
    if (
      remembered &&
      s &&
      s.fingerprint === remembered.fingerprint &&
      (s.provenByFingerprint || (await s.matches(remembered.images)))
    )
      return remembered.images;
    // Proven stale: forgotten, so that the next scan waits for its proof (below) and remembers
    // anew; only that very list (a scan beside this one may have remembered a newer one).
    if (remembered && s && cache?.fact(listKey, isImageListFact)?.fingerprint === remembered.fingerprint)
      cache.dropFacts(listKey);
    if (!s?.fromStore || !backend.imageLayers || !options.helper || options.tagTimes) return undefined;
    contentAll ??= fromContent();
    await contentAll;
    const made = s.fromStore(storeFacts);
    if (!made) return undefined;
    storeList = made;
    return made;
  });
  knownImages?.catch(() => {}); // readInventory takes a failed proof as none
  let contentRead: Map<string, string[]> | undefined;
  const knownLayers = async (ids: string[]) => {
    const out = new Map<string, string[]>();
    const missing: string[] = [];
    for (const id of ids) {
      const fact = cache?.fact(factKey('layers', id), isStrings);
      if (fact) out.set(id, fact);
      else missing.push(id);
    }
    if (!missing.length || !backend.imageLayers || !options.helper) return out;
    contentRead = await withinMs(contentAll ?? fromContent(missing), CONTENT_WAIT_MS);
    for (const id of missing) {
      const layers = contentRead?.get(id);
      if (layers) out.set(id, layers);
    }
    return out;
  };
  const invRun = readInventory(
    client,
    info,
    options.tagTimes ? undefined : knownLayers,
    !options.helper,
    knownImages,
    // Nothing remembered, in a cache that outlives this scan: the engine is asked once the stamp
    // is read (up to PROOF_WAIT_MAX_MS), so that its answer can be remembered. With the usual
    // wait (3 s) a machine whose stamp came later (5.6-8.4 s at 1,300 images on Docker 26.1.5
    // here) asked before it, never remembered, and paid the engine's whole list (17-20 s) at
    // every warm scan. Bounded: a stamp that keeps failing (a meta.db torn by a pull, retried for
    // up to 15 s) must not hold the list much longer than the list itself takes.
    // On overlay2 (imageListFirstAtOnce) the list is quick: a cold scan (no walks remembered), or
    // one whose answer cannot be kept (no cache file), asks at once; a later one waits at most
    // FIRST_PROOF_WAIT_MS for its stamp, as with a list remembered.
    remembered
      ? testProofWaitMs()
      : backend.imageListFirstAtOnce
        ? cache?.file && cache.fact(factKey('mutable', 'targets'), isTargets)
          ? FIRST_PROOF_WAIT_MS
          : 0
        : !cache?.file
          ? testProofWaitMs()
          : PROOF_WAIT_MAX_MS,
  );
  invRun.catch(() => {}); // awaited below; a failure surfaces there
  const helper = await options.helper;
  // The walks of things that can change (writable layers, container and volume directories,
  // metadata), as the last scan listed them, start at once, beside the API calls, and the storage
  // listing rides along with them: in the steady state a warm scan is ONE helper request and the
  // API calls. What the API then adds is walked after; what it no longer has is walked for
  // nothing and not used.
  const mutable = cache?.fact(factKey('mutable', 'targets'), isTargets) ?? [];
  let alongside: RideAlong | undefined;
  const listingAlong = backend.listingAlong;
  // The ledger's reads as the last scan made them (its listings and the entries it walked) ride
  // along too: in the steady state its requests were two round trips after the walks (0.25 s of a
  // 1.8 s warm scan at scale); now they are part of the first walk, and only what the API adds is
  // asked after.
  const planKey = factKey('ledger', 'plan');
  const plan =
    helper?.hostFind && mutable.length && listingAlong ? cache?.fact(planKey, isLedgerPlan) : undefined;
  const predicted = plan ? [...mutable, ...plan.walked.map((dir) => ({ dir }))] : mutable;
  let ledgerLists: Promise<Map<string, Buffer[]>> | undefined;
  const fromWalk =
    helper?.hostFind && predicted.length && listingAlong
      ? new Promise<{ lists: Buffer[][]; stamp: string | undefined }>((resolve, reject) => {
          const own = listingAlong.dirs.length;
          // Only a plan whose listing fits the first walk's request beside its roots (one
          // directory per container: thousands of containers would not): else the ledger lists
          // for itself, in requests that fit.
          const listedEarly =
            plan && plan.listed.reduce((a, d) => a + Buffer.byteLength(d) + 1, 0) <= LEDGER_ALONG_MAX
              ? plan.listed
              : [];
          let toLedger: ((lists: Map<string, Buffer[]>) => void) | undefined;
          let ledgerFailed: ((err: unknown) => void) | undefined;
          ledgerLists = new Promise((res, rej) => {
            toLedger = res;
            ledgerFailed = rej;
          });
          alongside = {
            ...listingAlong,
            dirs: [...listingAlong.dirs, ...listedEarly],
            resolve: ({ lists, stamp }) => {
              // One list per directory asked, or none is used (the ledger then asks for its own).
              if (lists.length === own + listedEarly.length)
                toLedger?.(new Map(listedEarly.map((d, i) => [d, lists[own + i] ?? []])));
              else ledgerFailed?.(new Error('the listing came short'));
              resolve({ lists: lists.slice(0, own), stamp });
            },
            reject: (err) => {
              ledgerFailed?.(err);
              reject(err);
            },
          };
        })
      : undefined;
  fromWalk?.catch(() => {}); // the reader falls back to a request of its own
  ledgerLists?.catch(() => {}); // the ledger then lists for itself
  const reader = helper ? backend.reader(helper, { cache, engineId, fromWalk }) : undefined;
  reader?.prepare?.();
  const progress = {
    predicted: { done: 0, total: predicted.length, bytes: 0 },
    early: { done: 0, total: 0, bytes: 0 },
    foreseen: { done: 0, total: 0, bytes: 0 },
    late: { done: 0, total: 0, bytes: 0 },
  };
  // Known once the last set of walks (the late ones, after the layout) is asked: the foreseen ones
  // have started by then or never will.
  let totalKnown = false;
  const report = (part: keyof typeof progress, p: MeasureProgress) => {
    progress[part] = p;
    const all = Object.values(progress);
    options.onProgress?.({
      done: all.reduce((a, x) => a + x.done, 0),
      total: all.reduce((a, x) => a + x.total, 0),
      bytes: all.reduce((a, x) => a + x.bytes, 0),
      totalKnown,
    });
  };
  // Directories whose every entry a scan measures (one per container, volume, image): walked
  // entry by entry without naming each, where the whole set is wanted (the first walks of a scan).
  const root = info.DockerRootDir;
  const eachDirs = [`${root}/containers`, `${root}/volumes`, ...backend.eachDirs];
  const predictedRun =
    helper && predicted.length
      ? measureDirs(helper, predicted, {
          cache,
          engineId,
          each: eachDirs,
          alongside,
          onProgress: (p) => report('predicted', p),
        })
      : Promise.resolve(new Map<string, DirMeasure>());
  predictedRun.catch(() => {}); // awaited below; a failure surfaces there
  // No image list remembered, on a store whose files name every layer (the containerd store):
  // the image layers and the build cache are walked while the engine computes its list (14 s at
  // 1,300 images on Docker 26.1), not after it (2 s more of a cold scan). Cached layers are hits.
  const foresee = backend.foreseenTargets?.bind(backend);
  // Set when the scan went on without them (below): then they never start, so nothing of them
  // outlives the scan (progress, cache entries, requests to a helper being removed).
  let foreseenDropped = false;
  const walkForeseen = (targets: MeasureTarget[] | undefined) => {
    if (!helper || !targets?.length || foreseenDropped) return undefined;
    const run = measureDirs(helper, targets, { cache, engineId, onProgress: (p) => report('foreseen', p) });
    run.catch(() => {}); // awaited below; a failure surfaces there
    return { targets, run };
  };
  const foreseenRun =
    helper && contentEarly && foresee
      ? contentEarly
          .then(async (layers) => {
            if (!layers?.size) return undefined;
            return walkForeseen(await foresee(helper, chainSet(layers)));
          })
          .catch(() => undefined)
      : helper && reader?.foresee && !(layersEarly && !contentEarly)
        ? // Layers no earlier scan walked, found from the store's own files (overlay2's layer
          // store's listing and cache-id files): walked beside the API's answers, not after them.
          // A first scan's configs say which layers are the images': only those (see overlay2Foreseen);
          // none when they could not be read (else BuildKit's layers would be walked twice), nor
          // on a first scan that reads no configs (tag times asked: every image is inspected).
          reader
            .foresee(contentEarly?.then((layers) => (layers ? chainSet(layers) : new Set<string>())))
            .then(walkForeseen)
            .catch(() => undefined)
        : undefined;
  // The listed directories' own blocks too, in a request of their own queued behind the first walks.
  const statsEarly =
    helper && plan
      ? helper.statFiles(plan.listed).then((st) => new Map(plan.listed.map((d, i) => [d, st[i]])))
      : undefined;
  statsEarly?.catch(() => {}); // the ledger then stats for itself
  // The size cache's bulk (all but the facts above: cache.loaded), parsed once the first walks
  // are out, beside them and the API's answers, not before them.
  // Then the engine noted as seen (what is not seen for long is forgotten: SizeCache.touchEngine).
  setImmediate(() => void cache?.loaded().then(() => cache.touchEngine(engineId)));
  const inv = await invRun;
  // The list made from the store's records came before any answer of the engine's, and is used.
  if (storeList && inv.imagesFrom !== 'known') storeList = undefined;
  if (storeList) mark('api-images-store');
  mark('scan-api');
  if (running()) options.onEngineLists?.({ images: inv.images.length });
  await breathe();
  // The API may have answered before this run's helper container existed: it is layertop's too
  // (its layers are no leftovers, its image stays).
  const own = helper?.containerId;
  if (own && !inv.helpers.some((h) => h.id === own)) {
    const c = (await client.docker.getContainer(own).inspect()) as { Image: string };
    inv.helpers.push({ id: own, imageId: c.Image });
  }
  for (const [id, i] of inv.inspects) {
    if (backend.inspectedLayersUnsure && !contentRead?.has(id)) continue;
    cache?.setFact(factKey('layers', id), i.RootFS?.Layers ?? []);
  }
  const inputs = baseInputs(client, inv);
  // An inspect skipped (the layers known) or without its Metadata: that image's tag time is unknown.
  if ([...inv.inspects.values()].some((i) => !i.Metadata)) inputs.tagTimesUnknown = true;
  if (!helper) {
    // Docker's own figures only: per layer from the history, per image from /system/df; every disk
    // figure unknown (null), never 0.
    if (options.helper) {
      // A helper was to start (it could not): the list was asked without Docker's shared sizes,
      // which layertop's graph would have counted from measured layers. Docker's, asked now (the
      // graph's count from history sizes equals them on the test engines, so no test tells the
      // two apart; it need not elsewhere: a failed history call counts its layers as 0).
      const df = (await client.docker.df()) as ApiSystemDf;
      const shared = new Map((df.Images ?? []).map((i) => [i.Id, i.SharedSize]));
      for (const img of inputs.images) {
        const s = shared.get(img.id);
        if (s !== undefined && s >= 0) img.engineSharedSize = s;
      }
    }
    await historyFacts(client, inputs);
    inputs.diskUnknown = options.noHelperReason ?? 'the helper is not running';
    return buildScanModel(inputs);
  }

  const allChains = new Set<string>();
  for (const img of inputs.images) for (const c of chainIds(img.diffIds)) allChains.add(c);
  // The explorer's tree before any walk's figure (ScanOptions.onPreview).
  const onPreview = options.onPreview;
  if (onPreview && reader?.engineLayerSizes) {
    const commandsNow = (img: ImageInput) => {
      const read = configCommands.get(img.id);
      const fromConfig = read?.length === img.diffIds.length ? read : undefined;
      return rememberedCommands(img, cache, (id) => factKey('commands', id)) ?? fromConfig;
    };
    const preview = previewFrom(inputs, commandsNow);
    const chains = [...allChains];
    reader
      .engineLayerSizes(chains)
      .then((sizes) => {
        if (!running()) return;
        // Only a whole tree: a layer without Docker's size would read 0.
        if (chains.some((c) => !sizes.has(c))) return onPreview(undefined);
        for (const c of chains) preview.layerFacts.set(c, { chainId: c, size: sizes.get(c) as number });
        mark('scan-preview');
        onPreview(buildScanModel(preview));
      })
      .catch(() => running() && onPreview(undefined));
  }
  // The helper's own layers are in use too: they must not look like build cache.
  const containerIds = [...inputs.containers.map((c) => c.id), ...inv.helpers.map((h) => h.id)];
  // Walks that need nothing but the API's answer start now, beside the layout's reads.
  const early = apiTargets(inputs, root, backend);
  const foreseen = new Set(predicted.map(targetKey));
  const unforeseen = early.filter((t) => !foreseen.has(targetKey(t)));
  const earlyRun = measureDirs(helper, unforeseen, {
    cache,
    engineId,
    // Only when nothing was foreseen: then the whole set is wanted, not just what is new (a
    // new volume must not walk every other volume again).
    each: predicted.length ? undefined : eachDirs,
    onProgress: (p) => report('early', p),
  });
  earlyRun.catch(() => {}); // awaited below; a failure surfaces there

  const layout = await (reader as NonNullable<typeof reader>).layout({
    chainIds: [...allChains],
    containerIds,
    transientIds: inv.helpers.map((h) => h.id),
    images: inputs.images,
  });
  mark('scan-layout');
  await breathe();
  // Each image's own content outside its layers (the containerd store's blobs).
  for (const img of inputs.images) {
    const content = layout.imageContent?.get(img.id);
    if (!content) continue;
    img.contentBytes = content.bytes;
    img.contentDiskBytes = content.diskBytes;
    img.blobs = content.blobs;
  }
  // Remembering an engine answer reads the stamp again and checks every image against the store
  // (130-160 ms of helper requests at scale): it goes beside the walks, and only the cache's save
  // waits for it (below).
  let remembering: Promise<void> | undefined;
  if (storeList) {
    if (storeListSizes(storeList, inputs.images, layout)) {
      if (listStamp) await rememberStoreList(listStamp, cache, listKey, storeList);
    } else await engineSizes(client, inputs.images);
  } else if (listStamp)
    remembering = rememberImageList(inv, listStamp, () => stampCame, backend, helper, cache, listKey);

  inputs.buildCacheLayers = layout.buildCacheLayers;
  const meta = layout.meta;
  const targets = layoutTargets(layout, inputs.containers, early);

  // The rest of the walks, the build commands and the image config files' sizes go side by side.
  // The foreseen walks count only if their targets are known by now (else they are walked again:
  // correct, if for nothing).
  const fore = foreseenRun ? await withinMs(foreseenRun, 0) : undefined;
  foreseenDropped = !fore;
  const started = new Set([...predicted, ...early, ...(fore?.targets ?? [])].map(targetKey));
  const late = targets.filter((t) => !started.has(targetKey(t)));
  // The layout's end, the targets and the sets above were 70 ms in a row at scale (a cold scan
  // in the explorer, beside a render and a collection): keys are taken here, and after the sort below.
  await breathe();
  // What can change, for the next scan to start walking at once.
  // Sorted: the API lists containers and volumes in no fixed order, and an unchanged set must not
  // rewrite the cache file.
  cache?.setFact(
    factKey('mutable', 'targets'),
    targets
      .filter((t) => !t.cacheKey)
      .map((t) => (t.sub ? { dir: t.dir, sub: t.sub } : { dir: t.dir }))
      .sort((a, b) => byText(targetKey(a), targetKey(b))),
  );
  await breathe();
  // This run's helper's own directories, which the ledger walks (new at every run: never in the
  // last plan), beside the late walks rather than after them.
  const helperDirs: string[] = [];
  for (const h of inv.helpers) {
    const paths = layout.containers.get(h.id);
    for (const d of [`${root}/containers/${h.id}`, meta?.containerDir(h.id), paths?.path, paths?.initPath])
      if (d) helperDirs.push(d);
  }
  // Every container's log config in one fact, rewritten with the containers of now (one fact per
  // container would keep every removed container's for ever).
  const logKey = factKey('log-configs', 'all');
  const knownLogs = cache?.fact(logKey, isLogConfigs) ?? {};
  const logConfigs = (id: string) => (Object.hasOwn(knownLogs, id) ? knownLogs[id] : undefined);
  // A first scan (nothing remembered to walk at once, so no last plan either): nothing of the
  // ledger rides along with the walks, and its own reads start now, beside them (they need only
  // the list of targets), on a lane the walks leave idle before the longest ends. After them, a
  // cold scan at scale waited 0.35 s more for them. Any later scan as before (see below).
  const ledgerFirst =
    plan || mutable.length
      ? undefined
      : startLedger(
          helper,
          root,
          targets.map((t) => t.dir),
          inputs.containers,
          info.LoggingDriver,
          layout.listed,
          { logConfigs },
        );
  ledgerFirst?.catch(() => {}); // awaited below; a failure surfaces there
  const [predictedMeasured, earlyMeasured, lateMeasured, , configBytes, helperMeasured, foreMeasured] =
    await Promise.all([
      predictedRun,
      earlyRun,
      measureDirs(helper, late, {
        cache,
        engineId,
        onProgress: (p) => {
          totalKnown = true;
          report('late', p);
        },
      }),
      readCommands(helper, inputs.images, layout, cache, (id) => factKey('commands', id), configCommands),
      meta
        ? configFileBytes(helper, inputs.images, meta.imageFile, cache, (id) => factKey('config-disk', id))
        : undefined,
      // Only where GNU find walks files and directories alike, as the ledger's own walk would.
      helper.hostFind && plan
        ? measureDirs(
            helper,
            helperDirs.map((dir) => ({ dir })),
            { engineId },
          )
        : new Map<string, DirMeasure>(),
      fore?.run ?? new Map<string, DirMeasure>(),
    ]);
  mark('scan-walks');
  // What rode along with the first walk for the ledger: its listings and its walked entries.
  const ledgerEarly = ledgerFirst ? undefined : await ledgerLists?.catch(() => undefined);
  const earlyWalked = new Map<string, DirMeasure>(helperMeasured);
  if (ledgerEarly)
    for (const d of plan?.walked ?? []) {
      const m = predictedMeasured.get(d);
      if (m) earlyWalked.set(d, m);
    }
  // With a last plan, the ledger's own reads (only what did not ride along) come after the walks.
  // Started beside them, the warm scan at scale took the same 0.74 s and the explorer's peak memory
  // grew (both walks' buffers alive at once): npm run bench, 2026-12-01.
  const ledgerRun =
    ledgerFirst ??
    startLedger(
      helper,
      root,
      targets.map((t) => t.dir),
      inputs.containers,
      info.LoggingDriver,
      ledgerEarly ? new Map([...(layout.listed ?? []), ...ledgerEarly]) : layout.listed,
      { walked: earlyWalked, stats: await statsEarly?.catch(() => undefined), logConfigs },
    );
  const present = (dir: string) => {
    const m =
      predictedMeasured.get(dir) ?? foreMeasured.get(dir) ?? earlyMeasured.get(dir) ?? lateMeasured.get(dir);
    return !m?.missing;
  };

  ledgerRun.catch(() => {}); // awaited below; a failure surfaces there
  // The cache file (5 MB at scale) is written while the ledger's requests are out, in slices of a
  // few ms (SizeCache.save): in the explorer a key pressed meanwhile is answered between them.
  // A ledger started beside the walks has none out by now: the file is written once, below.
  await remembering; // it never rejects
  // A remembered list the engine was asked past (its proof late, or no wait for it): that proof's
  // verdict, a stale list dropped (knownImages), lands before the save, or it stays for the next
  // scan (CI run 50: rememberImageList no longer waited for the stamp there, since 4f1426f).
  if (remembered && inv.imagesFrom !== 'known') await knownImages?.catch(() => undefined);
  // The engine's own answer, where it is the list used, proves a remembered list stale by itself
  // when their images or tags differ, whatever came of the proof: a proof that could not be read
  // (a meta.db read torn by the change itself) dropped nothing, and the stale list stayed for the
  // next scan (CI run 54, the containerd store, a tag added just before the scan).
  // Only that very list (the same object: a list this scan or one beside it remembered since is
  // another), and only on the engine's answer ('engine', or 'after-proof' where the proof said
  // nothing).
  if (
    remembered &&
    inv.imagesFrom !== 'known' &&
    cache?.fact(listKey, isImageListFact) === remembered &&
    !sameImagesAndTags(remembered.images, inv.df.Images ?? [])
  )
    cache.dropFacts(listKey);
  const firstSave = ledgerFirst ? undefined : cache?.save();
  const wanted = new Set(targets.map(targetKey));
  const measured = new Map<string, DirMeasure>();
  for (const t of predicted) {
    const m = predictedMeasured.get(t.dir);
    if (m && wanted.has(targetKey(t))) measured.set(t.dir, m);
  }
  for (const t of fore?.targets ?? []) {
    const m = foreMeasured.get(t.dir);
    if (m && wanted.has(targetKey(t))) measured.set(t.dir, m);
  }
  for (const [d, m] of [...earlyMeasured, ...lateMeasured]) measured.set(d, m);
  inputs.measuredDirs = targets.map((t) => t.dir);
  attribute(inputs, layout, measured, backend, info.DockerRootDir, configBytes);
  // Then the ledger's end and the cache's save: at scale these were 150 ms in a row with it.
  await breathe();
  // The disk ledger: the data root partitioned around what was measured (engine/ledger-walk.ts).
  const onDisk = new Map<string, number>();
  for (const [d, m] of measured) if (!m.missing) onDisk.set(d, m.diskBytes);
  // A ledger that cannot be made leaves the rest of the scan standing: it is unknown, with why.
  try {
    const started = await ledgerRun;
    inputs.ledger = {
      dataRoot: root,
      imageStore: layout.kind === 'overlay2' ? 'graphdriver' : 'containerd',
      pieces: await finishLedger(helper, started, onDisk, knownPieces(inputs, layout, root), present),
    };
    // For the next scan's first walk (see planKey), without this run's helper (its directories
    // are new at every run): written only when it changed, so the steady state writes the cache
    // file once.
    const transient = new Set(helperDirs);
    cache?.setFact(planKey, {
      ...started.plan,
      walked: started.plan.walked.filter((w) => !transient.has(w)),
    });
    const logs: Record<string, LogConfig> = {};
    for (const c of [...inputs.containers].sort((a, b) => byText(a.id, b.id))) {
      const cfg =
        started.readLogConfigs.get(c.id) ?? (Object.hasOwn(knownLogs, c.id) ? knownLogs[c.id] : undefined);
      if (cfg) logs[c.id] = cfg;
    }
    cache?.setFact(logKey, logs);
    // A complete scan: what it did not use belongs to images, layers and containers that are gone.
    if (used === 'nothing') cache?.stampSweep(engineId);
    else if (used) cache?.sweep(engineId, used);
    await cache?.save();
  } catch (err) {
    if (!(err instanceof HelperError)) throw err;
    inputs.ledgerUnknown = `the ledger's walk failed: ${err.message}`;
  }
  // Done before the scan returns (a CLI may exit right after); it never rejects.
  await (firstSave ?? cache?.save());
  mark('scan-ledger');
  if (options.onHelperDone) {
    options.onHelperDone();
    // A turn of the event loop, so that what the callback starts (the helper's removal: a
    // request to the engine) is on its way before the model is built, which takes the thread.
    await new Promise((r) => setTimeout(r, 1));
  } else await breathe();
  return buildScanModel(inputs);
}

/**
 * A copy of the scan's inputs as the API gave them (the scan fills its own in later), with the
 * build commands known so far and no layer facts yet: a preview's, every disk figure unknown.
 */
function previewFrom(
  inputs: ScanInputs,
  commands: (img: ImageInput) => (string | undefined)[] | undefined,
): ScanInputs {
  return {
    ...inputs,
    images: inputs.images.map((img) => ({
      ...img,
      layerCommands: commands(img) ?? img.diffIds.map(() => undefined),
    })),
    layerFacts: new Map(),
    containers: inputs.containers.map((c) => ({ ...c })),
    volumes: inputs.volumes.map((v) => ({ ...v })),
    buildCache: { ...inputs.buildCache, items: inputs.buildCache.items?.map((r) => ({ ...r })) },
    diskUnknown: NOT_MEASURED_YET,
  };
}

/**
 * One turn of the event loop: input and replies that arrived meanwhile are handled before the
 * next stretch of work that holds the thread (the explorer measures while it takes keys: at scale
 * the end of a scan was 250 ms of such work in a row, and a key pressed then waited for all of it).
 */
const breathe = () => new Promise<void>((r) => setImmediate(r));

/** How long a scan with nothing remembered waits for its image list's proof (see scanEngine). */
const PROOF_WAIT_MAX_MS = 15_000;
/** The same where the engine's list is quick (overlay2: 0.15 s at 1,300 images): as with a list. */
const FIRST_PROOF_WAIT_MS = 3_000;

/**
 * Test hook (LAYERTOP_TEST_MODE only): the usual wait for the image list's proof (3 s, not the
 * longer one above), to play a machine whose proof comes late; undefined: readInventory's own.
 */
function testProofWaitMs(): number | undefined {
  const v = process.env.LAYERTOP_TEST_PROOF_WAIT_MS;
  return process.env.LAYERTOP_TEST_MODE && v !== undefined && /^\d{1,6}$/.test(v) ? Number(v) : undefined;
}
