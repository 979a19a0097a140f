import { dirname } from 'node:path';
import { digestHex } from '../../model/digest.js';
import type { ImageInput } from '../../model/types.js';
import { timeSlices } from '../../process/time-slices.js';
import { mark } from '../../process/timing.js';
import type { ApiInfo } from '../docker/api-types.js';
import { compareApi } from '../docker/docker-client.js';
import { type PageSource, spillDirs } from '../helper/file-pages.js';
import { OneFileReader, parseList, parseStat, stampTime, TornReadError } from '../helper/helper-read.js';
import type { HelperSession } from '../helper/helper-session.js';
import type { MeasureTarget } from '../helper/measure.js';
import { SizeCache } from '../helper/size-cache.js';
import { BoltDb, BoltFormatError } from './bbolt.js';
import { containerdRecordStorage, type RecordStorage } from './buildkit-records.js';
import {
  allSnapshotIds,
  containerdOrphans,
  knownBlobDigests,
  type SnapshotInfo,
  snapshotMap,
  snapshotsByOwnName,
} from './containerd-meta.js';
import type { StorageLayout } from './storage-layout.js';

const hex = digestHex;

/**
 * Where this engine's containerd keeps its state, decided from what the helper can read:
 * dockerd started with --containerd=<socket> uses a separate containerd (the usual package
 * install): its root comes from that containerd's --root, or the `root` of its --config file,
 * or /var/lib/containerd. Otherwise dockerd runs its own under <DockerRootDir>/containerd/daemon.
 */
export async function containerdRoot(helper: HelperSession, info: ApiInfo): Promise<string> {
  const dockerd = helper.processes.find((p) => p.pid === helper.hostPid && p.comm === 'dockerd');
  const args = dockerd?.args ?? [];
  let socket: string | undefined;
  args.forEach((a, i) => {
    if (a.startsWith('--containerd=')) socket = a.slice('--containerd='.length);
    else if (a === '--containerd') socket = args[i + 1];
  });
  if (!socket) return `${info.DockerRootDir}/containerd/daemon`;
  for (const p of helper.processes.filter((x) => x.comm === 'containerd')) {
    const flag = (name: string) => {
      const i = p.args.findIndex((a) => a === name || a.startsWith(`${name}=`));
      if (i < 0) return undefined;
      const a = p.args[i] as string;
      return a.includes('=') ? a.slice(a.indexOf('=') + 1) : p.args[i + 1];
    };
    const config = flag('--config') ?? flag('-c');
    let root = flag('--root');
    let address = flag('--address') ?? flag('-a');
    if (config && (!root || !address)) {
      const [text] = await helper.readFiles([config]);
      const toml = text?.toString('utf8') ?? '';
      root ??= /^\s*root\s*=\s*"([^"]+)"/m.exec(toml)?.[1];
      address ??= /\[grpc\][^[]*?address\s*=\s*"([^"]+)"/s.exec(toml)?.[1];
    }
    if ((address ?? '/run/containerd/containerd.sock') === socket) return root ?? '/var/lib/containerd';
  }
  return '/var/lib/containerd';
}

/**
 * The last copy of each metadata file read in this process, with the stat it was read at. The
 * copy itself is kept (in a temporary file, see readOneFile: no memory); its parsed buckets only
 * while someone uses them (a WeakRef): they were 50 MB of the explorer's heap at the containerd
 * scale engine, alive after the scan that needed them, and walking the copy again is cheap.
 */
interface Remembered {
  stamp: string;
  pages: PageSource;
  db: WeakRef<BoltDb>;
  /** Held until the layout that reads it is done (releaseBolts): a scan walks each bucket once. */
  held: BoltDb | undefined;
}
const boltMemo = new WeakMap<HelperSession, Map<string, Remembered>>();

/** The layout is done: this helper's parsed copies stay only while something else uses them. */
export function releaseBolts(helper: HelperSession): void {
  for (const r of boltMemo.get(helper)?.values() ?? []) r.held = undefined;
}

/**
 * Lets go of the copies remembered for this helper (a `files` run needs them for its layout only:
 * containerd's 100 MB meta.db at scale, and its parsed buckets, stayed alive through the listing
 * of a 400,000-file layer and made its peak).
 */
export function forgetBolts(helper: HelperSession): void {
  boltMemo.delete(helper);
}

/** Lets go of this helper's copy of one file (its reader took what it needed from it). */
export function forgetBolt(helper: HelperSession, path: string): void {
  boltMemo.get(helper)?.delete(path);
}

/**
 * One whole file through the `read` op, received straight into one temporary file under
 * layertop's cache directory (OneFileReader, PageSink): the bbolt reader then reads only the pages
 * it walks, and the kernel, not this process, holds the copy.
 */
async function readOneFile(helper: HelperSession, path: string): Promise<PageSource | undefined> {
  const reader = new OneFileReader(spillDirs(dirname(SizeCache.defaultFile())));
  try {
    await helper.run('read', [path], 120_000, (chunk) => reader.push(chunk));
    return reader.finish();
  } catch (err) {
    reader.discard();
    throw err;
  }
}

/** Size, inode and change time of a file: when they are unchanged, so is the file. */
async function stamp(helper: HelperSession, path: string): Promise<string | undefined> {
  const [st] = parseStat(await helper.run('stat', [path]), 1);
  return st ? `${st.dev}:${st.ino}:${st.size}:${stampTime(st.ctime)}` : undefined;
}

/**
 * Copies a bbolt file through the helper and parses it; a torn copy is read again, until
 * `patienceMs` has passed (an engine busy removing things commits many times a second: between
 * two commits there is room for a copy, but it can take a few tries).
 */
export async function readBolt(
  helper: HelperSession,
  path: string,
  patienceMs = 15_000,
  /** The file's stamp when the caller just took it. */
  known?: string,
  /**
   * Keep the copy for this helper's next read of an unchanged file. Callers that keep what they
   * take from it by the same stamp (overlay2's BuildKit files, in the size cache) say no: the
   * explorer held their parsed buckets (60,000 buffers at 1,800 records) for nothing.
   */
  remember = true,
  /** Hold the parsed copy until the layout is done (releaseBolts): the scan's prefetch and the
   *  layout do; readers between them find it held, readers after it must not hold it again. */
  hold = true,
): Promise<BoltDb> {
  // A read of the same file under way (the prefetch, say) is waited for, not doubled (100 MB at
  // the containerd scale engine); then this call stamps the file as ever and takes the copy only
  // if the file has not changed since.
  const reads = inFlight.get(helper) ?? new Map<string, Promise<unknown>>();
  inFlight.set(helper, reads);
  const running = reads.get(path);
  if (running) await running.catch(() => undefined);
  const mine = readBoltOnce(helper, path, patienceMs, known, remember, hold);
  reads.set(path, mine);
  try {
    return await mine;
  } finally {
    if (reads.get(path) === mine) reads.delete(path);
  }
}

const inFlight = new WeakMap<HelperSession, Map<string, Promise<unknown>>>();

async function readBoltOnce(
  helper: HelperSession,
  path: string,
  patienceMs: number,
  known: string | undefined,
  remember: boolean,
  hold: boolean,
): Promise<BoltDb> {
  const memo = boltMemo.get(helper) ?? new Map<string, Remembered>();
  boltMemo.set(helper, memo);
  let before: string | undefined = known;
  try {
    before ??= await stamp(helper, path);
    // No such file (no BuildKit state yet, say): nothing to wait for.
    if (before === undefined) throw new BoltFormatError(`${path} does not exist`);
  } catch (err) {
    if (!(err instanceof TornReadError)) throw err;
  }
  const hit = memo.get(path);
  if (before && hit?.stamp === before) {
    let db = hit.db.deref();
    if (!db) {
      // The same copy parsed again (it parsed before: it is whole).
      db = new BoltDb(hit.pages);
      hit.db = new WeakRef(db);
    }
    if (hold) hit.held = db;
    return db;
  }
  let last: Error | undefined;
  const deadline = Date.now() + patienceMs;
  // A copy the parser rejects although the file stood still is not torn: asked twice more, then
  // the error stands (waiting would not change it; only a file that keeps changing is waited for).
  let stillRejected = 0;
  for (let i = 0; ; i++) {
    try {
      const buf = await readOneFile(helper, path);
      if (!buf) throw new BoltFormatError(`cannot read ${path}`);
      // The engine may commit while the copy is made (it writes pages in place, then the meta
      // page): a copy is whole only if the file did not change meanwhile. A torn copy can parse
      // and still lack snapshots, and every layer it lacks would measure 0 (suspected in a CI
      // run on containerd 2.1: a dry run freed 1.9 MB where the same engine's next scan said
      // 423 MB).
      const after = await stamp(helper, path);
      if (before && after !== before) {
        before = after;
        buf.close?.();
        throw new TornReadError(`${path} changed while it was read`);
      }
      before ??= after;
      let db: BoltDb;
      try {
        db = new BoltDb(buf);
      } catch (err) {
        // Nobody else has this copy: its disk space goes now, not at a garbage collection.
        buf.close?.();
        throw err;
      }
      const old = memo.get(path);
      // A replaced copy nothing can read any more (no parse of it alive, none held) goes now too.
      if (old && old.pages !== buf && !old.held && !old.db.deref()) old.pages.close?.();
      if (before && remember)
        memo.set(path, { stamp: before, pages: buf, db: new WeakRef(db), held: hold ? db : undefined });
      else memo.delete(path);
      return db;
    } catch (err) {
      if (!(err instanceof BoltFormatError || err instanceof TornReadError)) throw err;
      last = err;
      if (err instanceof BoltFormatError && ++stillRejected >= 3) break;
      if (Date.now() >= deadline) break;
      await new Promise((r) => setTimeout(r, Math.min(250, 20 * 2 ** i)));
    }
  }
  throw new BoltFormatError(`containerd metadata ${path} could not be read consistently: ${last?.message}`);
}

interface Descriptor {
  mediaType?: string;
  digest: string;
  size: number;
  platform?: { os?: string; architecture?: string };
  annotations?: Record<string, string>;
}

export interface ImageBlobs {
  /** The image's content-store blobs as Docker counts them: platform manifests, configs, layers. */
  blobs: Descriptor[];
  /**
   * BuildKit's attestation manifests (provenance, SBOM: platform unknown/unknown), with their
   * configs and in-toto layers. On disk and removed with the image always; in Docker's `Size`
   * only from API 1.47 on (see {@link dockerCountsAttestations}).
   */
  attestations: Descriptor[];
  configDigest: string | undefined;
}

/**
 * Whether the engine counts attestation manifests in an image's `Size` (`/images/json`,
 * `/system/df`). Docker 26.1 (API 1.45) skips them; the multi-platform image list (moby#47526,
 * API 1.47) sums every manifest of the index, attestations included: Docker 28.5 (API 1.51) adds
 * each image's attestation manifest, config and layers (1,762-1,918 B per BuildKit image).
 * Keyed on the engine's own API version, which names its release whatever was negotiated.
 */
export function dockerCountsAttestations(engineApiVersion: string): boolean {
  return compareApi(engineApiVersion, '1.47') >= 0;
}

const isImageBlobs = (v: unknown): v is ImageBlobs =>
  typeof v === 'object' &&
  v !== null &&
  Array.isArray((v as ImageBlobs).blobs) &&
  Array.isArray((v as ImageBlobs).attestations);

/** An index entry for an attestation manifest (BuildKit marks them two ways). */
const isAttestation = (m: Descriptor) =>
  m.annotations?.['vnd.docker.reference.type'] === 'attestation-manifest' || m.platform?.os === 'unknown';

/**
 * Walks an image's index and manifests in the content store, through the helper. An image ID
 * names its index or manifest, whose content never changes: with a cache, an image whose every
 * manifest was found is remembered and not read again.
 */
async function imageBlobs(
  helper: HelperSession,
  blobDir: string,
  allImages: readonly ImageInput[],
  cache?: { store: SizeCache | undefined; key: (imageId: string) => string },
): Promise<Map<string, ImageBlobs>> {
  const out = new Map<string, ImageBlobs>();
  const images: ImageInput[] = [];
  for (const img of allImages) {
    const hit = cache?.store?.fact(cache.key(img.id), isImageBlobs);
    if (hit) out.set(img.id, hit);
    else images.push(img);
  }
  const incomplete = new Set<string>();
  const read = async (digests: string[]) =>
    // Another prune may be deleting blobs meanwhile: readFiles asks again around them.
    digests.length ? helper.readFiles(digests.map((d) => `${blobDir}/${hex(d)}`)) : [];
  const tops = await read(images.map((i) => i.id));
  const pendingManifests: { image: string; desc: Descriptor; attestation: boolean }[] = [];
  images.forEach((img, i) => {
    const raw = tops[i];
    const entry: ImageBlobs = { blobs: [], attestations: [], configDigest: undefined };
    out.set(img.id, entry);
    if (!raw) return;
    try {
      const doc = JSON.parse(raw.toString('utf8')) as {
        manifests?: Descriptor[];
        config?: Descriptor;
        layers?: Descriptor[];
      };
      // Docker sizes an image as its platform manifest, config and layers: an index is not counted.
      if (!doc.manifests) entry.blobs.push({ digest: img.id, size: raw.length });
      if (doc.manifests) {
        for (const m of doc.manifests)
          pendingManifests.push({ image: img.id, desc: m, attestation: isAttestation(m) });
      } else {
        if (doc.config) {
          entry.blobs.push(doc.config);
          entry.configDigest = doc.config.digest;
        }
        for (const l of doc.layers ?? []) entry.blobs.push(l);
      }
    } catch {
      // not JSON: leave it at the top blob
    }
  });
  const manifests = await read(pendingManifests.map((m) => m.desc.digest));
  pendingManifests.forEach(({ image, desc, attestation }, i) => {
    const raw = manifests[i];
    const entry = out.get(image);
    if (!raw || !entry) {
      // A manifest for another platform that was never fetched (a later pull may add it).
      incomplete.add(image);
      return;
    }
    const list = attestation ? entry.attestations : entry.blobs;
    list.push(desc);
    try {
      const doc = JSON.parse(raw.toString('utf8')) as { config?: Descriptor; layers?: Descriptor[] };
      if (doc.config) list.push(doc.config);
      for (const l of doc.layers ?? []) list.push(l);
      if (!attestation && doc.config && !entry.configDigest) entry.configDigest = doc.config.digest;
    } catch {
      // ignore
    }
  });
  images.forEach((img, i) => {
    const entry = out.get(img.id);
    if (entry && tops[i] && !incomplete.has(img.id)) cache?.store?.setFact(cache.key(img.id), entry);
  });
  return out;
}

/** Reads (and keeps, see readBolt) the metadata files containerdLayout reads, ahead of it. */
export async function prefetchMetadata(
  helper: HelperSession,
  info: ApiInfo,
  /** A files run reads the snapshotter's own database only (see containerdLayout's onlyAsked). */
  snapshotterOnly = false,
): Promise<void> {
  const root = await containerdRoot(helper, info);
  await Promise.all(
    [
      ...(snapshotterOnly ? [] : [`${root}/io.containerd.metadata.v1.bolt/meta.db`]),
      `${root}/io.containerd.snapshotter.v1.overlayfs/metadata.db`,
      ...(snapshotterOnly ? [] : [`${info.DockerRootDir}/buildkit/containerd-overlayfs/metadata_v2.db`]),
    ].map((p) => readBolt(helper, p).catch(() => undefined)),
  );
}

/**
 * The walks of a containerd layout foreseen from the metadata alone: each image layer snapshot
 * (named by its chain ID) as layoutTargets makes it, and each other committed snapshot or view
 * (build cache, immutable) as a whole directory. Active snapshots (writable layers) and init
 * layers are left to the layout.
 */
export function snapshotTargets(
  map: ReadonlyMap<string, SnapshotInfo>,
  snapDir: string,
  chainIds: ReadonlySet<string>,
): MeasureTarget[] {
  const path = (id: number) => `${snapDir}/snapshots/${id}`;
  const out: MeasureTarget[] = [];
  const used = new Set<number>();
  for (const [name, s] of map) {
    if (!chainIds.has(name)) continue;
    used.add(s.id);
    out.push({
      dir: path(s.id),
      sub: 'fs',
      cacheKey: name,
      ...(s.inodes !== undefined ? { estimate: s.inodes } : {}),
    });
  }
  const other = new Set<number>();
  for (const [name, s] of map) {
    if (used.has(s.id) || other.has(s.id) || name.endsWith('-init') || (s.kind !== 3 && s.kind !== 1))
      continue;
    other.add(s.id);
    out.push({ dir: path(s.id), cacheKey: `snapshot:${s.key}` });
  }
  return out;
}

/**
 * The containerd image store. Snapshot directories are named by number; which number holds which
 * layer is only in containerd's bbolt metadata, read here from copies taken through the helper
 * (containerd keeps the files locked; nothing here writes to containerd's state).
 */
export async function containerdLayout(
  helper: HelperSession,
  info: ApiInfo,
  chainIds: readonly string[],
  containerIds: readonly string[],
  images: readonly ImageInput[],
  options: { cache?: SizeCache | undefined; engineId?: string; onlyAsked?: boolean } = {},
): Promise<StorageLayout & { blobs: Map<string, ImageBlobs>; blobDir: string; containerdRoot: string }> {
  const root = await containerdRoot(helper, info);
  const snapDir = `${root}/io.containerd.snapshotter.v1.overlayfs`;
  const blobDir = `${root}/io.containerd.content.v1.content/blobs/sha256`;
  // The directories listed first: a snapshot or blob recorded after the listing is then in the
  // metadata read after it, so nothing new can look like a leftover.
  const listing = options.onlyAsked
    ? Buffer.from('-\n')
    : await helper.run('liststat', ['/', `${snapDir}/snapshots`, blobDir]);
  const metaPath = `${root}/io.containerd.metadata.v1.bolt/meta.db`;
  let map: Map<string, SnapshotInfo> | undefined;
  let orphans: { snapshots: string[]; blobs: string[] } = { snapshots: [], blobs: [] };
  if (options.onlyAsked) {
    // A run asked about some layers only (files): the snapshotter's own names answer it, unless
    // one of the asked keys is ambiguous there. Nothing was listed: no leftovers to find.
    const own = snapshotsByOwnName(await readBolt(helper, `${snapDir}/metadata.db`));
    const asked = [...chainIds, ...containerIds.flatMap((id) => [id, `${id}-init`])];
    // A layer or writable layer the names do not have (a snapshot another namespace's name
    // holds, say) is asked of meta.db too; a missing init layer is no reason (not every
    // container has one).
    const missing = [...chainIds, ...containerIds].some((k) => !own.map.has(k));
    if (!missing && !asked.some((k) => own.ambiguous.has(k))) map = own.map;
  }
  if (!map) {
    const [meta, snaps] = await Promise.all([
      readBolt(helper, metaPath),
      readBolt(helper, `${snapDir}/metadata.db`),
    ]);
    const [snapNames, blobNames] = parseList(listing.subarray(listing.indexOf(0x0a) + 1)).map((l) =>
      l.map((e) => e.toString('latin1').replace(/^\.\//, '')),
    );
    if (!options.onlyAsked)
      orphans = containerdOrphans(
        snapNames ?? [],
        blobNames ?? [],
        allSnapshotIds(snaps),
        knownBlobDigests(meta),
      );
    map = snapshotMap(meta, snaps);
  }
  mark('cd-bolts');
  const path = (id: number) => `${snapDir}/snapshots/${id}`;
  const used = new Set<number>();
  const layers: StorageLayout['layers'] = new Map();
  for (const c of chainIds) {
    const s = map.get(c);
    if (!s) continue;
    used.add(s.id);
    layers.set(c, { path: path(s.id), size: s.size, ...(s.inodes !== undefined ? { work: s.inodes } : {}) });
  }
  const containers: StorageLayout['containers'] = new Map();
  for (const id of containerIds) {
    const rw = map.get(id);
    const init = map.get(`${id}-init`);
    if (rw) used.add(rw.id);
    if (init) used.add(init.id);
    containers.set(id, { path: rw ? path(rw.id) : undefined, initPath: init ? path(init.id) : undefined });
  }
  // Every other snapshot of this namespace is build cache (BuildKit's keys and views).
  const buildCacheDirs = [...new Set(options.onlyAsked ? [] : [...map.values()].map((s) => s.id))]
    .filter((id) => !used.has(id))
    .map(path);
  // Committed snapshots never change, nor do views (kind 1: the overlay snapshotter mounts a view
  // read-only, its own directory holds nothing written); containerd never reuses a snapshot id:
  // cacheable. BuildKit keeps a view beside most records: 1,790 at scale, walked at every warm
  // scan before (1.9 s of the helper's time).
  const immutableDirs = new Map<string, string>();
  for (const s of map.values())
    if ((s.kind === 3 || s.kind === 1) && !used.has(s.id)) immutableDirs.set(path(s.id), `snapshot:${s.key}`);
  // BuildKit's record metadata sits under the data root (buildkit/containerd-<snapshotter>).
  let buildCacheRecords: Map<string, RecordStorage> | undefined;
  if (!options.onlyAsked) {
    try {
      const md = await readBolt(helper, `${info.DockerRootDir}/buildkit/containerd-overlayfs/metadata_v2.db`);
      buildCacheRecords = await containerdRecordStorage(md, map, path, timeSlices());
    } catch (err) {
      if (!(err instanceof BoltFormatError)) throw err;
    }
  }
  mark('cd-records');
  const blobs = await imageBlobs(helper, blobDir, images, {
    store: options.cache,
    key: (id) => `${options.engineId ?? ''}|containerd-blobs|${id}`,
  });
  return {
    kind: 'containerd',
    dataRoot: info.DockerRootDir,
    containerdRoot: root,
    layers,
    containers,
    buildCacheDirs,
    immutableDirs,
    contentSub: 'fs',
    imageConfigPath: (id) => {
      const digest = blobs.get(id)?.configDigest ?? id;
      return `${blobDir}/${hex(digest)}`;
    },
    extraTargets: [{ dir: `${info.DockerRootDir}/buildkit` }],
    buildCacheRecords,
    // The image layers BuildKit's records hold (their snapshot is the layer's own): removing the
    // image does not free them while the record stays.
    ...(buildCacheRecords
      ? {
          buildCacheLayers: new Set(
            [...buildCacheRecords.values()].map((r) => r.chainId).filter((c): c is string => !!c),
          ),
        }
      : {}),
    leftoverDirs: [
      ...orphans.snapshots.map((d) => `${snapDir}/snapshots/${d}`),
      ...orphans.blobs.map((h) => `${blobDir}/${h}`),
    ],
    blobs,
    blobDir,
  };
}
