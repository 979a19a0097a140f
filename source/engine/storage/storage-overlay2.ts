import { createHash } from 'node:crypto';
import { digestHex } from '../../model/digest.js';
import { timeSlices } from '../../process/time-slices.js';
import { parseList, stampTime } from '../helper/helper-read.js';
import type { HelperSession } from '../helper/helper-session.js';
import {
  parseSweptIds,
  parseSweptSplits,
  SweepFormatError,
  type SweptChain,
} from '../helper/layerdb-sweep.js';
import type { MeasureTarget } from '../helper/measure.js';
import type { SizeCache } from '../helper/size-cache.js';
import { BoltFormatError } from './bbolt.js';
import { overlay2RecordStorage, overlay2SnapshotDirs, type RecordStorage } from './buildkit-records.js';
import type { StorageLayout } from './storage-layout.js';

const hex = digestHex;

/** Where the layer and image stores keep the metadata of a layer, an image, a container. */
export function overlay2Meta(dataRoot: string): NonNullable<StorageLayout['meta']> {
  const layerdb = `${dataRoot}/image/overlay2/layerdb`;
  return {
    layerDir: (chainId) => `${layerdb}/sha256/${hex(chainId)}`,
    imageDir: (id) => `${dataRoot}/image/overlay2/imagedb/metadata/sha256/${hex(id)}`,
    imageFile: (id) => `${dataRoot}/image/overlay2/imagedb/content/sha256/${hex(id)}`,
    containerDir: (id) => `${layerdb}/mounts/${id}`,
  };
}

/** What the overlay2 layout reads that does not depend on the API inventory: started first. */
export interface Overlay2Prefetch {
  /**
   * The names under overlay2/, under the layer store's mounts/ (one per container, or leftover)
   * and under its sha256/ (one per layer the store has, whether an image uses it or not).
   */
  listing: Promise<{ dirs: string[]; mounts: string[]; chains: string[]; raw: Buffer[][] }>;
}

const isNameList = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === 'string');

/** What the storage listing reads: the stamp file, then the listed directories (see liststat). */
export function overlay2ListingPaths(dataRoot: string): { stampFile: string; dirs: string[] } {
  return {
    stampFile: `${dataRoot}/buildkit/snapshots.db`,
    dirs: [
      `${dataRoot}/overlay2`,
      `${dataRoot}/image/overlay2/layerdb/mounts`,
      `${dataRoot}/image/overlay2/layerdb/sha256`,
    ],
  };
}

/** How many directories the storage listing lists (overlay2ListingPaths). */
const LISTED = 3;

export function overlay2Prefetch(
  helper: HelperSession,
  dataRoot: string,
  /** The same listing and stamp taken along with a walk (see measureDirs' alongside), if any. */
  fromWalk?: Promise<{ lists: Buffer[][]; stamp: string | undefined }>,
): Overlay2Prefetch {
  const { stampFile, dirs } = overlay2ListingPaths(dataRoot);
  // The directory listings and BuildKit's snapshots.db stamp in one request, unless a walk took
  // them along (then a request of their own only if that walk could not).
  const own = async () => {
    const b = await helper.run('liststat', [stampFile, ...dirs]);
    // "<dev> <ino> <size> <change time, with spaces>" or "-", then the lists.
    const [dev, ino, size, ...ctime] = b.subarray(0, b.indexOf(0x0a)).toString('latin1').split(' ');
    return {
      lists: parseList(b.subarray(b.indexOf(0x0a) + 1)),
      stamp: ctime.length ? `${dev}:${ino}:${size}:${stampTime(ctime.join(' '))}` : undefined,
    };
  };
  const both = fromWalk ? fromWalk.catch(own) : own();
  const listing = both.then(({ lists }) => {
    // Entries come as "./<name>", relative to the listed directory.
    const names = (l: Buffer[] | undefined) => (l ?? []).map((e) => e.toString('utf8').replace(/^\.\//, ''));
    return { dirs: names(lists[0]), mounts: names(lists[1]), chains: names(lists[2]), raw: lists };
  });
  // Awaited later; a failure surfaces there, not as an unhandled rejection.
  listing.catch(() => {});
  return { listing };
}

interface LayerFact {
  cacheId: string;
  size: number | null;
  work: number | null;
}
/** Where a layer's facts are remembered: its cache-id never changes while the layer exists. */
const layerFactKey = (engineId: string, chainId: string) => `${engineId}|overlay2-layer|${chainId}`;
const isLayerFact = (v: unknown): v is LayerFact =>
  typeof v === 'object' && v !== null && typeof (v as LayerFact).cacheId === 'string';
interface MountFact {
  mount: string | null;
  init: string | null;
}
const isMountFact = (v: unknown): v is MountFact => typeof v === 'object' && v !== null && 'mount' in v;
const isMountFacts = (v: unknown): v is Record<string, MountFact> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && Object.values(v).every(isMountFact);

/**
 * A layer directory's name as the engines make them: 64 hex digits (the layer store's), 25 base32
 * characters (BuildKit's), "-init" added for a container's init layer. Never "l" (the short links).
 */
const LAYER_DIR = /^(?:[0-9a-f]{64}|[0-9a-z]{25})(?:-init)?$/;

// A layer's tar-split (its tar headers) grows with its entries: about this many bytes per entry.
const TAR_SPLIT_BYTES_PER_ENTRY = 20;

/**
 * The overlay2 graph driver: the layer store in DockerRootDir/image/overlay2/layerdb maps each
 * chainID to a cache-id, the directory name under DockerRootDir/overlay2; containers' writable and
 * init layers are under layerdb/mounts/<id>. Anything else under overlay2/ (BuildKit's snapshots,
 * leftovers) is held by no image or container.
 *
 * A chainID's cache-id and a container's mount-ids never change while they exist; remembered
 * (with `cache`), they are trusted only while their directory is still listed under overlay2/
 * (a layer removed and pulled again gets a new directory, so a stale answer cannot survive).
 */
export async function overlay2Layout(
  helper: HelperSession,
  dataRoot: string,
  chainIds: readonly string[],
  engineContainerIds: readonly string[],
  options: {
    prefetch?: Overlay2Prefetch;
    cache?: SizeCache | undefined;
    engineId?: string;
    /** Only the layers and containers asked for: nothing else is read or classified. */
    onlyAsked?: boolean;
    /** Containers of this run only (layertop's helper): their mount IDs are not remembered. */
    transientIds?: readonly string[] | undefined;
    /** The layer store's facts already being read for a scan's foresight (overlay2LayerFacts). */
    foreseen?: Promise<LayerFacts> | undefined;
  } = {},
): Promise<StorageLayout> {
  const layerdb = `${dataRoot}/image/overlay2/layerdb`;
  const prefetch = options.prefetch ?? overlay2Prefetch(helper, dataRoot);
  let containerIds = engineContainerIds;
  const { dirs: names, mounts, chains: storeChains, raw } = await prefetch.listing;
  const listed = new Set(names);
  // A container ID in the layer store's mounts/ that the engine no longer lists: its layers were
  // left behind (Docker 26's `docker export` leaks the mount, moby#48516, and the removal then
  // cannot delete them). No prune frees them; they are not build cache.
  const wanted = new Set(containerIds);
  const leftoverIds = options.onlyAsked
    ? []
    : mounts.filter((m) => /^[0-9a-f]{64}$/.test(m) && !wanted.has(m));
  containerIds = [...containerIds, ...leftoverIds];
  const { cache, engineId = '' } = options;
  const layerKey = (c: string) => layerFactKey(engineId, c);
  // Every container's mount IDs in one fact, rewritten with the containers of now: one fact per
  // container (as before) kept those of every removed container, and of every run's helper,
  // forever, and rewrote the whole cache file at every scan.
  const mountsKey = `${engineId}|overlay2-mounts`;
  const kept = cache?.fact(mountsKey, isMountFacts);
  // The old per-container facts go once, when the combined one is first made (the drop walks every
  // fact key: 7,000 at scale, each scan).
  if (!kept) cache?.dropFacts(`${mountsKey}|`);
  const mountFacts = kept ?? {};

  // Layers the layer store has that no image uses (BuildKit holds them, or they wait to go): their
  // directories are build cache, not leftovers. Their cache-ids are read like the images' layers.
  const wantedChains = new Set(chainIds.map(hex));
  const storeOnly = options.onlyAsked
    ? []
    : storeChains.filter((h) => /^[0-9a-f]{64}$/.test(h) && !wantedChains.has(h)).map((h) => `sha256:${h}`);
  const known = new Map<string, LayerFact>();
  // Chains and containers whose answer came from the cache, not from this run's reads.
  const rememberedChains = new Set<string>();
  const rememberedMounts = new Set<string>();
  // A remembered directory name is taken only in a shape the engines make (LAYER_DIR) and only
  // while listed: a cache file someone else could write (a
  // shared LAYERTOP_CACHE_DIR) cannot point a layer at "l" or any other entry of overlay2/.
  for (const c of [...chainIds, ...storeOnly]) {
    const f = cache?.fact(layerKey(c), isLayerFact);
    if (f && LAYER_DIR.test(f.cacheId) && listed.has(f.cacheId)) {
      known.set(c, f);
      rememberedChains.add(c);
    }
  }
  // BuildKit's records (a stat of its two bolt files when unchanged) beside these reads (and the
  // foresight's), not after them: in a warm scan both are a round trip on the way to the layout (25-40 ms each at scale).
  const recordsRun = options.onlyAsked
    ? undefined
    : // "-2": facts saved before a record on an image's layer had that layer's chain ID lacked it.
      overlay2Records(helper, dataRoot, options.cache, `${options.engineId ?? dataRoot}|buildkit-records-2`);
  recordsRun?.catch(() => {}); // awaited below; a failure surfaces there
  // What the foresight read (the same listing, so the same check), unless remembered already.
  const foreseen = await options.foreseen?.catch(() => undefined);
  for (const [c, f] of foreseen?.facts ?? [])
    if (!known.has(c) && LAYER_DIR.test(f.cacheId) && listed.has(f.cacheId)) known.set(c, f);
  const knownMounts = new Map<string, MountFact>();
  for (const id of containerIds) {
    const f = Object.hasOwn(mountFacts, id) ? mountFacts[id] : undefined;
    if (f && [f.mount, f.init].every((d) => d === null || (LAYER_DIR.test(d) && listed.has(d)))) {
      knownMounts.set(id, f);
      rememberedMounts.add(id);
    }
  }
  const newChains = [...chainIds, ...storeOnly].filter((c) => !known.has(c));
  const newContainers = containerIds.filter((id) => !knownMounts.has(id));
  const read = await readLayerFacts(helper, dataRoot, newChains, newContainers, cache, engineId);
  for (const [c, f] of read.facts) known.set(c, f);
  for (const [id, f] of read.mounts) knownMounts.set(id, f);
  // A remembered answer is checked against the listing only, and an interrupted removal leaves
  // the old directory listed: a layer pulled again then has a new directory (a new cache-id under
  // the same chain), which the remembered answer leaves unclaimed, a leftover for `leftovers` to
  // delete under a live image. So while any directory in the layer store's shape is claimed by
  // nobody, every remembered answer is read again (one sweep of the layer store at scale), and a
  // leftover is never found by the cache.
  // A stale answer always leaves a directory unclaimed that was not there before (the layer's new
  // one: a cache-id is random), so the unclaimed names a fresh read already confirmed are
  // remembered, and a leftover that stays (one refused as mounted, say) does not cost every later
  // scan that read again.
  const uncheckedKey = `${engineId}|overlay2-unclaimed-checked`;
  const unclaimedNow = () => {
    const claimed = new Set<string>();
    for (const f of known.values()) claimed.add(f.cacheId);
    for (const f of knownMounts.values()) for (const d of [f.mount, f.init]) if (d) claimed.add(d);
    return names.filter((n) => /^[0-9a-f]{64}(-init)?$/.test(n) && !claimed.has(n));
  };
  if (!options.onlyAsked && (rememberedChains.size || rememberedMounts.size)) {
    const confirmed = new Set(cache?.fact(uncheckedKey, isNameList) ?? []);
    if (unclaimedNow().some((n) => !confirmed.has(n))) {
      const again = await readLayerFacts(
        helper,
        dataRoot,
        [...rememberedChains],
        [...rememberedMounts],
        cache,
        engineId,
      );
      for (const c of rememberedChains) {
        const f = again.facts.get(c);
        if (f) known.set(c, f);
        else known.delete(c);
      }
      for (const id of rememberedMounts) {
        const f = again.mounts.get(id);
        if (f) knownMounts.set(id, f);
        else knownMounts.delete(id);
      }
      cache?.setFact(uncheckedKey, unclaimedNow());
    }
  }
  const transient = new Set(options.transientIds ?? []);
  // A scan names every container: the fact becomes exactly theirs. A run for some containers only
  // (files) adds to it.
  const remembered: Record<string, MountFact> = options.onlyAsked ? { ...mountFacts } : {};
  for (const id of [...containerIds].sort())
    if (!transient.has(id) && knownMounts.get(id)?.mount) remembered[id] = knownMounts.get(id) as MountFact;
  cache?.setFact(mountsKey, remembered);

  const layers: StorageLayout['layers'] = new Map();
  const used = new Set<string>(['l']);
  for (const c of chainIds) {
    const f = known.get(c);
    if (!f) continue;
    used.add(f.cacheId);
    layers.set(c, {
      path: `${dataRoot}/overlay2/${f.cacheId}`,
      size: f.size ?? undefined,
      ...(f.work !== null ? { work: f.work } : {}),
    });
  }
  const containers: StorageLayout['containers'] = new Map();
  const leftovers: string[] = [];
  const leftover = new Set(leftoverIds);
  for (const id of containerIds) {
    const f = knownMounts.get(id);
    if (f?.mount) used.add(f.mount);
    if (f?.init) used.add(f.init);
    const paths = [f?.mount, f?.init].filter((d): d is string => !!d && listed.has(d));
    if (leftover.has(id)) {
      leftovers.push(...paths.map((d) => `${dataRoot}/overlay2/${d}`), `${layerdb}/mounts/${id}`);
      continue;
    }
    containers.set(id, {
      path: f?.mount ? `${dataRoot}/overlay2/${f.mount}` : undefined,
      initPath: f?.init ? `${dataRoot}/overlay2/${f.init}` : undefined,
    });
  }
  // What no image or container uses: a layer the store still has, or one of BuildKit's own
  // snapshots (BuildKit names those with 25 base32 characters, the layer store with 64 hex digits),
  // is build cache; a 64-hex directory that not even the layer store names is a leftover: no
  // prune, builder prune included, ever frees it (an interrupted removal leaves such).
  // Any other name is BuildKit's when its snapshots.db names it (as a snapshot or the key one was
  // committed from); one it does not name is a leftover too (a 25-character directory planted or
  // left there was counted as build cache, and its bytes promised back by a builder prune that
  // never touches it). Without BuildKit's state read, such names stay build cache, as before.
  const storeDirs = new Set(storeOnly.map((c) => known.get(c)?.cacheId).filter((d): d is string => !!d));
  const bk = await recordsRun;
  const records = bk?.records;
  // Asked for some layers only, the rest of the directories are not classified at all.
  const unused = options.onlyAsked ? [] : names.filter((name) => !used.has(name));
  const orphan = (name: string) =>
    /^[0-9a-f]{64}(-init)?$/.test(name)
      ? !storeDirs.has(name)
      : bk?.snapshotDirs !== undefined && !bk.snapshotDirs.has(name);
  const buildCacheDirs = unused.filter((n) => !orphan(n)).map((name) => `${dataRoot}/overlay2/${name}`);
  leftovers.push(...unused.filter(orphan).map((name) => `${dataRoot}/overlay2/${name}`));
  // A layer only BuildKit holds goes with its record, its layer-store metadata too (cache-id,
  // tar-split...: a few pages per layer, measured: 36,864 B for two records).
  // Held by several records (BuildKit reuses a layer's snapshot), it goes only when all of them
  // go: then it is no one record's, and the whole cache's (counted once).
  const storeOnlySet = new Set(storeOnly);
  const holders = new Map<string, RecordStorage[]>();
  for (const r of records?.values() ?? []) {
    if (!r.chainId || !storeOnlySet.has(r.chainId)) continue;
    holders.set(r.chainId, [...(holders.get(r.chainId) ?? []), r]);
  }
  for (const [chainId, rs] of holders) {
    const dir = `${layerdb}/sha256/${hex(chainId)}`;
    if (rs.length === 1) rs[0]?.dirs.push(dir);
    buildCacheDirs.push(dir);
  }
  return {
    kind: 'overlay2',
    dataRoot,
    layers,
    containers,
    buildCacheDirs,
    contentSub: 'diff',
    imageConfigPath: (id) => `${dataRoot}/image/overlay2/imagedb/content/sha256/${hex(id)}`,
    meta: overlay2Meta(dataRoot),
    extraTargets: [{ dir: `${dataRoot}/buildkit` }],
    leftoverDirs: leftovers,
    // Only a listing that came whole (one list per directory asked) stands in for the ledger's.
    ...(raw.length === LISTED
      ? { listed: new Map(overlay2ListingPaths(dataRoot).dirs.map((d, i) => [d, raw[i] ?? []])) }
      : {}),
    // The layers BuildKit holds are its records' (each record's snapshot takes one reference, in
    // memory: moby's builder-next adapters/snapshot). snapshots.db keeps buckets no record names
    // after a builder prune (a FROM image's bucket named by its record's ID): measured, they hold
    // nothing (`builder prune -af` then `prune -a` freed their layers, 216 MB predicted as held).
    // No records (no BuildKit state, or one that does not open): none held, as before.
    buildCacheLayers: new Set(
      [...(records?.values() ?? [])].map((r) => r.chainId).filter((c): c is string => !!c),
    ),
    ...(records ? { buildCacheRecords: records } : {}),
  };
}

/**
 * Each image's layer list (its config's rootfs.diff_ids, as GET /images/{id}/json gives it in
 * RootFS.Layers) from the image store's own config files: a first scan read 1,300 of them in one
 * request where the engine's inspects took 0.65 s and a core. A config is taken only if its bytes
 * hash to the image ID (the graph driver's image ID is its config's digest) and it says
 * "layers"; any other is left out (the caller inspects it). `imageIds`: only these (default:
 * every image the store has).
 */
export async function overlay2ImageLayers(
  helper: HelperSession,
  dataRoot: string,
  imageIds?: readonly string[],
  /** Each config taken, parsed (see StorageBackend.imageLayers). */
  onConfig?: (imageId: string, config: object, layerCount: number) => void,
): Promise<Map<string, string[]>> {
  const dir = `${dataRoot}/image/overlay2/imagedb/content/sha256`;
  let ids = imageIds;
  if (!ids) {
    const b = await helper.run('liststat', ['/', dir]);
    const [list] = parseList(b.subarray(b.indexOf(0x0a) + 1));
    ids = (list ?? [])
      .map((e) => e.toString('latin1').replace(/^\.\//, ''))
      .filter((h) => /^[0-9a-f]{64}$/.test(h))
      .map((h) => `sha256:${h}`);
  }
  const wanted = ids.filter((id) => /^sha256:[0-9a-f]{64}$/.test(id));
  const out = new Map<string, string[]>();
  if (!wanted.length) return out;
  const files = await helper.readFiles(wanted.map((id) => `${dir}/${hex(id)}`));
  wanted.forEach((id, i) => {
    const raw = files[i];
    if (!raw || createHash('sha256').update(raw).digest('hex') !== hex(id)) return;
    let config: { rootfs?: { type?: unknown; diff_ids?: unknown } } | null;
    try {
      config = JSON.parse(raw.toString('utf8'));
    } catch {
      return; // not JSON: the engine's inspect answers for it
    }
    const rootfs = config?.rootfs;
    const diffIds = rootfs?.diff_ids ?? [];
    if (rootfs?.type !== 'layers' || !Array.isArray(diffIds)) return;
    if (!diffIds.every((d): d is string => typeof d === 'string' && /^sha256:[0-9a-f]{64}$/.test(d))) return;
    out.set(id, diffIds);
    try {
      if (config) onConfig?.(id, config, diffIds.length);
    } catch {
      // what the taker could not use it reads again (readCommands)
    }
  });
  return out;
}

/**
 * At least this many chains to read, and they are swept (see sweepLayerStore): below it the read
 * and stat ops' few requests cost no more than the two sweeps (a warm scan's new layers).
 */
const SWEEP_MIN_CHAINS = 256;

/**
 * Every chain's cache-id, size and tar-split size under `dir` (layerdb/sha256) by the host's GNU
 * grep and find, one process each, two requests side by side (the glayerdb op): the read and stat
 * ops took seven requests and 0.8 s of the lanes at the scale engine's 3,112 chains, with several
 * processes and four stats per file. Undefined where the host has no GNU grep, a file went away
 * meanwhile (grep's error) or the output does not parse: the caller then reads the files one by
 * one as before, so the figures never depend on which way they were read.
 */
export async function sweepLayerStore(
  helper: HelperSession,
  dir: string,
): Promise<{ ids: Map<string, SweptChain>; splits: Map<string, number> } | undefined> {
  // grep enters no directory whose name holds a ":" (see the op), its starting one included.
  if (dir.includes(':')) return undefined;
  const [ids, splits] = await Promise.all([
    helper.run('glayerdb', ['ids', dir]).catch(() => undefined),
    helper.run('glayerdb', ['splits', dir]).catch(() => undefined),
  ]);
  if (!ids || !splits) return undefined;
  try {
    return { ids: parseSweptIds(ids, dir), splits: parseSweptSplits(splits, dir) };
  } catch (err) {
    if (err instanceof SweepFormatError) return undefined;
    throw err;
  }
}

/** The layer store's facts read for some chains (and containers' mount IDs), by chain ID / container ID. */
export interface LayerFacts {
  facts: Map<string, LayerFact>;
  mounts: Map<string, MountFact>;
}

/**
 * Reads the cache-id and size of layers (and the tar-split's size, for the walk's estimate) and
 * containers' mount-id and init-id, in one round of requests; remembered in `cache`. A layer with
 * no cache-id file is left out.
 */
export async function readLayerFacts(
  helper: HelperSession,
  dataRoot: string,
  chains: readonly string[],
  containerIds: readonly string[],
  cache: SizeCache | undefined,
  engineId: string,
  /** Exported for tests: the chains from which on the store is swept (see SWEEP_MIN_CHAINS). */
  sweepMin = SWEEP_MIN_CHAINS,
): Promise<LayerFacts> {
  const layerdb = `${dataRoot}/image/overlay2/layerdb`;
  const swept =
    helper.hostFind && chains.length >= sweepMin
      ? await sweepLayerStore(helper, `${layerdb}/sha256`)
      : undefined;
  // What the sweep did not find is read one by one, as without a sweep: a chain whose cache-id
  // it lacks (a chain directory that is a symlink, which grep -r does not enter; a grep that
  // found nothing at all), and a tar-split it lacks (a symlink, which find -type f leaves out and
  // stat sizes as a link). So the figures never depend on which way they were read.
  const unread = swept ? chains.filter((c) => !swept.ids.get(hex(c))?.cacheId?.trim()) : chains;
  const unsized = swept ? chains.filter((c) => swept.splits.get(hex(c)) === undefined) : chains;
  const files: string[] = [];
  for (const c of unread)
    files.push(`${layerdb}/sha256/${hex(c)}/cache-id`, `${layerdb}/sha256/${hex(c)}/size`);
  for (const id of containerIds)
    files.push(`${layerdb}/mounts/${id}/mount-id`, `${layerdb}/mounts/${id}/init-id`);
  const tarSplits = unsized.map((c) => `${layerdb}/sha256/${hex(c)}/tar-split.json.gz`);
  const [readOut, splitStats] = await Promise.all([
    files.length ? helper.readFiles(files) : Promise.resolve([]),
    tarSplits.length ? helper.statFiles(tarSplits) : Promise.resolve([]),
  ]);
  const contents = readOut.map((b) => b?.toString('utf8').trim());
  const read = new Map(unread.map((c, i) => [c, { cacheId: contents[2 * i], size: contents[2 * i + 1] }]));
  const stat = new Map(unsized.map((c, i) => [c, splitStats[i]?.size]));
  const facts = new Map<string, LayerFact>();
  for (const c of chains) {
    const got = read.get(c) ?? swept?.ids.get(hex(c));
    const cacheId = got?.cacheId?.trim();
    const size = got?.size?.trim();
    if (!cacheId) continue;
    const split = stat.has(c) ? stat.get(c) : swept?.splits.get(hex(c));
    const fact: LayerFact = {
      cacheId,
      size: size ? Number(size) : null,
      work: split !== undefined ? Math.ceil(split / TAR_SPLIT_BYTES_PER_ENTRY) : null,
    };
    facts.set(c, fact);
    cache?.setFact(layerFactKey(engineId, c), fact);
  }
  const base = 2 * unread.length;
  const mounts = new Map<string, MountFact>();
  containerIds.forEach((id, i) => {
    mounts.set(id, { mount: contents[base + 2 * i] || null, init: contents[base + 2 * i + 1] || null });
  });
  return { facts, mounts };
}

/**
 * The facts of every layer the layer store lists that the cache does not remember, read before
 * the API answers (a first scan's foresight: see overlay2Foreseen).
 */
export async function overlay2LayerFacts(
  helper: HelperSession,
  dataRoot: string,
  prefetch: Overlay2Prefetch,
  cache: SizeCache | undefined,
  engineId: string,
): Promise<LayerFacts> {
  const { dirs, chains } = await prefetch.listing;
  const listed = new Set(dirs);
  const unknown = chains
    .filter((h) => /^[0-9a-f]{64}$/.test(h))
    .map((h) => `sha256:${h}`)
    .filter((c) => {
      const f = cache?.fact(layerFactKey(engineId, c), isLayerFact);
      return !(f && LAYER_DIR.test(f.cacheId) && listed.has(f.cacheId));
    });
  if (!unknown.length) return { facts: new Map(), mounts: new Map() };
  const read = await readLayerFacts(helper, dataRoot, unknown, [], cache, engineId);
  for (const [c, f] of read.facts)
    if (!LAYER_DIR.test(f.cacheId) || !listed.has(f.cacheId)) read.facts.delete(c);
  return read;
}

/**
 * Docker's own size of each of `chains` from the layer store's size files: those the foresight
 * read (`read`), else remembered; a chain with neither is left out.
 */
export function overlay2EngineSizes(
  read: LayerFacts,
  chains: readonly string[],
  cache: SizeCache | undefined,
  engineId: string,
): Map<string, number> {
  const out = new Map<string, number>();
  for (const c of chains) {
    const f = read.facts.get(c) ?? cache?.fact(layerFactKey(engineId, c), isLayerFact);
    if (typeof f?.size === 'number' && Number.isSafeInteger(f.size) && f.size >= 0) out.set(c, f.size);
  }
  return out;
}

/**
 * The walks of the layers the foresight read, as the layout will name them for an image's layer
 * (its content subdirectory by chain ID, and its layer-store directory): a first scan walks them
 * beside the API's answers. A layer only BuildKit holds is named otherwise by the layout (its whole
 * directory), so a first scan foresees only the images' layers (`only`: many GB of BuildKit's were
 * walked twice otherwise); a later scan foresees every layer it does not remember (mostly a new
 * image's), and such a layer is then walked again, correct if for nothing.
 */
export function overlay2Foreseen(
  dataRoot: string,
  read: LayerFacts,
  /** Only these chains (the images' layers, when a first scan read their configs). */
  only?: ReadonlySet<string>,
): MeasureTarget[] | undefined {
  if (!read.facts.size) return undefined;
  const meta = overlay2Meta(dataRoot);
  const out: MeasureTarget[] = [];
  for (const [c, f] of read.facts) {
    if (only && !only.has(c)) continue;
    out.push({
      dir: `${dataRoot}/overlay2/${f.cacheId}`,
      sub: 'diff',
      cacheKey: c,
      ...(f.work !== null ? { estimate: f.work } : {}),
    });
    out.push({ dir: meta.layerDir(c), cacheKey: `layerdb:${c}` });
  }
  return out;
}

/**
 * Each BuildKit record's directories; undefined when BuildKit has no state (or it is unreadable).
 * A function of BuildKit's two bolt files only: remembered with both files' stamps (same inode,
 * size and change time), and read again when either differs (at scale, 1,800 records: the reads
 * and their parse were 40-60 ms of every warm scan).
 */
async function overlay2Records(
  helper: HelperSession,
  dataRoot: string,
  cache: SizeCache | undefined,
  key: string,
): Promise<{ records: Map<string, RecordStorage>; snapshotDirs?: Set<string> | undefined } | undefined> {
  const { readBolt, forgetBolt } = await import('./storage-containerd.js');
  const files = [`${dataRoot}/buildkit/metadata_v2.db`, `${dataRoot}/buildkit/snapshots.db`];
  const stamps = (await helper.statFiles(files)).map((st) =>
    st ? `${st.dev}:${st.ino}:${st.size}:${stampTime(st.ctime)}` : undefined,
  );
  const [metaStamp, snapStamp] = stamps;
  if (metaStamp === undefined || snapStamp === undefined) return undefined;
  const stampText = stamps.join(' ');
  const known = cache?.fact(key, isRecordsFact);
  // A fresh map every time: the layout adds directories to the records it is given.
  if (known?.stamps === stampText) {
    return {
      records: new Map(
        known.records.map(([id, dirs, chainId]) => [
          id,
          { dirs: [...dirs], ...(chainId ? { chainId } : {}) },
        ]),
      ),
      // A fact saved before the names were kept: unknown (no directory is called a leftover).
      snapshotDirs: known.snapshotDirs ? new Set(known.snapshotDirs) : undefined,
    };
  }
  try {
    const [metadata, snapshots] = await Promise.all([
      // Remembered only without a size cache: with one, the records are (just above).
      // snapshots.db's copy let go once read (with a size cache the records are remembered).
      readBolt(helper, files[0] as string, undefined, metaStamp, !cache),
      readBolt(helper, files[1] as string, undefined, snapStamp).finally(() => {
        if (cache) forgetBolt(helper, files[1] as string);
      }),
    ]);
    // The parse (75 ms at 2,100 records while the walks ran) in slices: the explorer takes keys.
    const records = await overlay2RecordStorage(metadata, snapshots, dataRoot, timeSlices());
    const snapshotDirs = overlay2SnapshotDirs(snapshots);
    cache?.setFact(key, {
      stamps: stampText,
      // Copies: the layout adds directories to the records it returns.
      records: [...records].map(([id, r]) => (r.chainId ? [id, [...r.dirs], r.chainId] : [id, [...r.dirs]])),
      snapshotDirs: [...snapshotDirs],
    } satisfies RecordsFact);
    return { records, snapshotDirs };
  } catch (err) {
    if (err instanceof BoltFormatError) return undefined;
    throw err;
  }
}

interface RecordsFact {
  stamps: string;
  records: ([string, string[]] | [string, string[], string])[];
  /** overlay2SnapshotDirs' names (absent in facts saved before they were kept). */
  snapshotDirs?: string[];
}
const isRecordsFact = (v: unknown): v is RecordsFact =>
  typeof v === 'object' &&
  v !== null &&
  typeof (v as RecordsFact).stamps === 'string' &&
  Array.isArray((v as RecordsFact).records) &&
  ((v as RecordsFact).snapshotDirs === undefined ||
    (Array.isArray((v as RecordsFact).snapshotDirs) &&
      ((v as RecordsFact).snapshotDirs ?? []).every((n) => typeof n === 'string'))) &&
  (v as RecordsFact).records.every(
    (r) =>
      Array.isArray(r) &&
      typeof r[0] === 'string' &&
      Array.isArray(r[1]) &&
      (r[2] === undefined || typeof r[2] === 'string'),
  );
