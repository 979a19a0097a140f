// What layertop reads from containerd's bbolt metadata (pure: it takes parsed databases).
// meta.db:      v1/<namespace>/snapshots/<snapshotter>/<key>/name  -> the snapshotter's own key
// metadata.db:  v1/snapshots/<snapshotter key>/{id, kind, size, inodes, parent}
// The snapshot directory is snapshots/<id>. Keys in namespace "moby": image layers are
// "sha256:<chainID>", a container's writable layer is its ID, its init layer "<ID>-init"; anything
// else (BuildKit's random keys, "-view" snapshots) belongs to build cache.
import { createHash } from 'node:crypto';
import { PIECE_BYTES } from '../../process/text-pieces.js';
import type { ApiDfImage } from '../docker/api-types.js';
import { type BoltBucket, type BoltDb, uvarint, varint } from './bbolt.js';
import type { StoreImageFacts } from './go-image-config.js';

export interface SnapshotInfo {
  key: string;
  id: number;
  /** containerd's kind: 1 view, 2 active, 3 committed. */
  kind: number;
  /** containerd's recorded usage for committed snapshots (blocks of fs/), when present. */
  size: number | undefined;
  /** containerd's recorded inode count for committed snapshots: how much walking it takes. */
  inodes?: number | undefined;
}

type BackendSnapshot = Omit<SnapshotInfo, 'key'>;

/** One snapshot of the snapshotter's own database (v1/snapshots/<name>), undefined without an id. */
function backendSnapshot(bucket: BoltBucket): BackendSnapshot | undefined {
  const id = bucket.value('id');
  if (!id) return undefined;
  const size = bucket.value('size');
  const inodes = bucket.value('inodes');
  return {
    id: uvarint(id),
    kind: bucket.value('kind')?.[0] ?? 0,
    size: size ? varint(size) : undefined,
    inodes: inodes ? varint(inodes) : undefined,
  };
}

export function snapshotMap(
  meta: BoltDb,
  snapshotterDb: BoltDb,
  namespace = 'moby',
  snapshotter = 'overlayfs',
): Map<string, SnapshotInfo> {
  const out = new Map<string, SnapshotInfo>();
  const keys = meta.root.bucket('v1')?.bucket(namespace)?.bucket('snapshots')?.bucket(snapshotter);
  const backend = snapshotterDb.root.bucket('v1')?.bucket('snapshots');
  if (!keys || !backend) return out;
  const byName = new Map<string, BackendSnapshot>();
  for (const [name, v] of backend.entries()) {
    const info = 'bucket' in v ? backendSnapshot(v.bucket) : undefined;
    if (info) byName.set(name.toString('utf8'), info);
  }
  for (const [key, v] of keys.entries()) {
    if (!('bucket' in v)) continue;
    const name = v.bucket.value('name')?.toString('utf8');
    const info = name ? byName.get(name) : undefined;
    if (info) out.set(key.toString('utf8'), { key: key.toString('utf8'), ...info });
  }
  return out;
}

/**
 * The namespace's snapshots by key from the snapshotter's own database alone: containerd names
 * each backend snapshot "<namespace>/<n>/<key>" (metadata/snapshot.go, createKey), so a `files`
 * run needs no copy of meta.db (100 MB at the containerd scale engine, the peak of listing a
 * 400,000-file layer). A key met under two names (a removed snapshot its garbage collection has not
 * yet deleted, beside the live one) is ambiguous: only meta.db says which is live.
 */
export function snapshotsByOwnName(
  snapshotterDb: BoltDb,
  namespace = 'moby',
): { map: Map<string, SnapshotInfo>; ambiguous: Set<string> } {
  const map = new Map<string, SnapshotInfo>();
  const ambiguous = new Set<string>();
  const prefix = `${namespace}/`;
  for (const [name, v] of snapshotterDb.root.bucket('v1')?.bucket('snapshots')?.entries() ?? []) {
    if (!('bucket' in v)) continue;
    const full = name.toString('utf8');
    if (!full.startsWith(prefix)) continue;
    const slash = full.indexOf('/', prefix.length);
    if (slash < 0 || !/^\d+$/.test(full.slice(prefix.length, slash))) continue;
    const key = full.slice(slash + 1);
    const info = backendSnapshot(v.bucket);
    if (!info) continue;
    if (map.has(key)) ambiguous.add(key);
    map.set(key, { key, ...info });
  }
  for (const k of ambiguous) map.delete(k);
  return { map, ambiguous };
}

/** Snapshot ids of the snapshotter that no key of the namespace owns (other namespaces, leftovers). */
export function allSnapshotIds(snapshotterDb: BoltDb): number[] {
  const backend = snapshotterDb.root.bucket('v1')?.bucket('snapshots');
  const ids: number[] = [];
  for (const [, v] of backend?.entries() ?? []) {
    const id = 'bucket' in v ? v.bucket.value('id') : undefined;
    if (id) ids.push(uvarint(id));
  }
  return ids;
}

/** Every content blob some namespace of containerd's metadata records (images, BuildKit, leases). */
export function knownBlobDigests(meta: BoltDb): Set<string> {
  const out = new Set<string>();
  for (const [, ns] of meta.root.bucket('v1')?.entries() ?? []) {
    if (!('bucket' in ns)) continue;
    for (const [digest] of ns.bucket.bucket('content')?.bucket('blob')?.entries() ?? [])
      out.add(digest.toString('utf8'));
  }
  return out;
}

/**
 * Leftovers of the containerd store: snapshot directories whose id the snapshotter's metadata
 * does not have (containerd renames a new snapshot's directory to its id only after recording it,
 * so a numbered directory without a record was left by a crash or an interrupted removal), and
 * blob files that no namespace records (containerd's garbage collector removes recorded blobs
 * nothing uses; it never sees these). Names that are not a snapshot id or a digest (containerd's
 * own "new-" directories in progress) are not considered.
 */
export function containerdOrphans(
  snapshotDirs: readonly string[],
  blobFiles: readonly string[],
  snapshotIds: readonly number[],
  knownBlobs: ReadonlySet<string>,
): { snapshots: string[]; blobs: string[] } {
  const ids = new Set(snapshotIds.map(String));
  return {
    snapshots: snapshotDirs.filter((d) => /^[1-9][0-9]*$/.test(d) && !ids.has(d)),
    blobs: blobFiles.filter((f) => /^[0-9a-f]{64}$/.test(f) && !knownBlobs.has(`sha256:${f}`)),
  };
}

/**
 * What the engine's image list (GET /images/json) is made of on the containerd store, as one
 * fingerprint over containerd's metadata: every image record of the namespace (name, target,
 * labels, times), every image layer's snapshot record (a committed snapshot's usage, which is the
 * image's size, is recorded once at its commit), and every content blob's digest. The
 * list's other facts (created, labels) come from the config blobs, which a digest names. With
 * `targets`: each image ID (its target's digest) with its names.
 * Measured on Docker 26.1 and 28.5: the list's answer holds nothing else (Containers is -1).
 */
export function imageListFingerprint(
  meta: BoltDb,
  namespace = 'moby',
):
  | {
      fingerprint: string;
      targets: Map<string, string[]>;
      layerSnapshots: Set<string>;
      blobs: Set<string>;
      /**
       * Some image record is one the list made here does not cover: the classic builder's parent
       * label (the engine then hides some dangling images), a target that is neither a manifest
       * nor an index.
       */
      unsure: boolean;
    }
  | undefined {
  // Each piece with its length first: no two different inputs feed the same bytes. Gathered and
  // hashed a batch at a time (an update per piece was most of the time: 100,000 pieces at scale;
  // one Buffer of them all, 1.7 MB per rescan at scale, raised malloc's threshold: see
  // text-pieces).
  const hash = createHash('sha256');
  let pieces: Buffer[] = [];
  let batched = 0;
  const feed = (b: Buffer) => {
    const n = Buffer.allocUnsafe(4);
    n.writeUInt32LE(b.length);
    pieces.push(n, b);
    batched += 4 + b.length;
    if (batched < PIECE_BYTES) return;
    hash.update(Buffer.concat(pieces, batched));
    pieces = [];
    batched = 0;
  };
  const feedBucket = (b: BoltBucket) => {
    for (const [k, v] of b.entries()) {
      feed(k);
      if ('bucket' in v) {
        feed(BUCKET_MARK);
        feedBucket(v.bucket);
        feed(BUCKET_END);
      } else feed(v.value);
    }
  };
  const ns = meta.root.bucket('v1')?.bucket(namespace);
  // No namespace yet (an engine that never stored an image): nothing to prove a list with; its
  // first image would not change a fingerprint of nothing.
  if (!ns) return undefined;
  const targets = new Map<string, string[]>();
  let unsure = false;
  feed(Buffer.from('images'));
  for (const [name, v] of ns.bucket('images')?.entries() ?? []) {
    if (!('bucket' in v)) continue;
    feed(name);
    feedBucket(v.bucket);
    if (v.bucket.bucket('labels')?.value(CLASSIC_BUILDER_PARENT)?.length) unsure = true;
    const type = v.bucket.bucket('target')?.value('mediatype')?.toString('utf8');
    if (!type || !TARGET_TYPES.includes(type)) unsure = true;
    const digest = v.bucket.bucket('target')?.value('digest')?.toString('utf8');
    if (!digest) continue;
    const names = targets.get(digest) ?? [];
    names.push(name.toString('utf8'));
    targets.set(digest, names);
  }
  feed(Buffer.from('snapshots'));
  const layerSnapshots = new Set<string>();
  for (const [, snapshotter] of ns.bucket('snapshots')?.entries() ?? []) {
    if (!('bucket' in snapshotter)) continue;
    for (const [key, v] of snapshotter.bucket.entries()) {
      // Image layers only: containers' and BuildKit's snapshots come and go without the list changing.
      if (!('bucket' in v) || !key.toString('latin1').startsWith('sha256:')) continue;
      layerSnapshots.add(key.toString('latin1'));
      feed(key);
      // Its own record (the snapshotter's key, its parent, when it was made), not its `children`:
      // every container made on the layer, layertop's helper too, adds one there.
      for (const field of ['name', 'parent', 'createdat']) feed(v.bucket.value(field) ?? EMPTY);
    }
  }
  feed(Buffer.from('content'));
  // Digests only: a digest names its bytes; the blob's labels and times are not the list's
  // (containerd's garbage collector rewrites those).
  const blobs = new Set<string>();
  for (const [digest] of ns.bucket('content')?.bucket('blob')?.entries() ?? []) {
    blobs.add(digest.toString('latin1'));
    feed(digest);
  }
  return {
    fingerprint: hash.update(Buffer.concat(pieces, batched)).digest('hex'),
    targets,
    layerSnapshots,
    blobs,
    unsure,
  };
}

/** moby's imageLabelClassicBuilderParent: the list hides a dangling image another one names with it. */
const CLASSIC_BUILDER_PARENT = 'org.mobyproject.image.parent';
/** A plain image manifest's media types (OCI, Docker schema 2). */
const MANIFEST_TYPES = [
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
];
/** An image record's target types the list made here covers: a manifest or an index, OCI or Docker's. */
const TARGET_TYPES = [
  ...MANIFEST_TYPES,
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
];

const EMPTY = Buffer.alloc(0);
const BUCKET_MARK = Buffer.from([0xff, 0x00]);
const BUCKET_END = Buffer.from([0xff, 0x01]);

/**
 * A containerd image name as Docker shows it (reference.FamiliarString): without "docker.io/",
 * and without "library/" for an official image.
 */
export function familiarName(name: string): string {
  if (!name.startsWith('docker.io/')) return name;
  const rest = name.slice('docker.io/'.length);
  const official = rest.startsWith('library/') ? rest.slice('library/'.length) : undefined;
  return official !== undefined && !official.includes('/') ? official : rest;
}

/**
 * Whether an image list answer (GET /images/json) is the one these image records make: one image
 * per target digest, each with exactly the tags its names give (names with a digest, dangling
 * images' "moby-dangling@..." among them, are not tags). A list from another state of the records
 * fails; so does one this reading of the names does not explain (then nothing is remembered).
 */
export function imageListMatches(
  images: readonly { Id: string; RepoTags?: string[] | null }[],
  targets: ReadonlyMap<string, readonly string[]>,
): boolean {
  if (images.length !== targets.size) return false;
  const seen = new Set<string>();
  for (const img of images) {
    const names = targets.get(img.Id);
    if (!names || seen.has(img.Id)) return false;
    seen.add(img.Id);
    const tags = (img.RepoTags ?? []).filter((t) => t !== '<none>:<none>').sort();
    const named = names
      .filter((n) => !n.includes('@'))
      .map(familiarName)
      .sort();
    if (tags.length !== named.length || tags.some((t, i) => t !== named[i])) return false;
  }
  return true;
}

/** The OCI architecture name of an engine's `Architecture` (Go's runtime.GOARCH for Linux's uname). */
export function ociArchitecture(unameArch: string | undefined): string | undefined {
  const known: Record<string, string> = {
    x86_64: 'amd64',
    amd64: 'amd64',
    aarch64: 'arm64',
    arm64: 'arm64',
    i386: '386',
    i686: '386',
    s390x: 's390x',
    ppc64le: 'ppc64le',
    riscv64: 'riscv64',
  };
  return unameArch === undefined ? undefined : known[unameArch];
}

export type ImageTop =
  /** A manifest: its config names the layers. */
  | { kind: 'manifest'; config: string }
  /** An index: the one manifest of the engine's platform. */
  | { kind: 'index'; manifest: string }
  /** Neither, or an index without exactly one manifest of the platform: the API is asked. */
  | { kind: 'unknown' };

const DIGEST = /^sha256:[0-9a-f]{64}$/;

/**
 * What an image's top blob (the target its ID names: an index or a manifest) says about where its
 * layer list is. From an index, only a manifest of exactly the engine's OS and architecture, and
 * only when there is one such (several, as arm variants would be, are left to the engine: it
 * picks among them by rules not repeated here). Attestation manifests (platform unknown/unknown)
 * never match.
 */
export function imageTop(raw: Buffer, platform: { os: string; architecture: string | undefined }): ImageTop {
  let doc: { manifests?: unknown; config?: { digest?: unknown } };
  try {
    doc = JSON.parse(raw.toString('utf8')) as typeof doc;
  } catch {
    return { kind: 'unknown' };
  }
  if (Array.isArray(doc.manifests)) {
    if (!platform.architecture) return { kind: 'unknown' };
    // With an amd64 level (v2-v4) beside a plain amd64, which one the engine takes depends on its
    // platform matcher (newer ones may prefer the highest level the host's CPU runs; not verified
    // here) and on the host: the engine is asked.
    if (
      platform.architecture === 'amd64' &&
      (doc.manifests as Descriptor[]).some(
        (m) =>
          m?.platform?.os === platform.os &&
          m.platform.architecture === 'amd64' &&
          !hostVariant('amd64', m.platform.variant),
      )
    )
      return { kind: 'unknown' };
    const matching = (doc.manifests as Descriptor[]).filter(
      (m) =>
        m?.platform?.os === platform.os &&
        m.platform.architecture === platform.architecture &&
        hostVariant(m.platform.architecture, m.platform.variant) &&
        typeof m.digest === 'string' &&
        DIGEST.test(m.digest),
    );
    return matching.length === 1
      ? { kind: 'index', manifest: (matching[0] as Descriptor).digest }
      : { kind: 'unknown' };
  }
  const config = doc.config?.digest;
  return typeof config === 'string' && DIGEST.test(config)
    ? { kind: 'manifest', config }
    : { kind: 'unknown' };
}

interface Descriptor {
  digest: string;
  platform?: { os?: string; architecture?: string; variant?: string };
}

/**
 * Whether a manifest's variant is the plain one of its architecture: none (or v1) on amd64, none
 * or v8 on arm64, none elsewhere. Which of several variants an engine prefers differs between
 * engines (amd64 levels, see imageTop) and hosts: anything else is left to the engine.
 */
function hostVariant(architecture: string | undefined, variant: string | undefined): boolean {
  if (variant === undefined || variant === '') return true;
  if (architecture === 'amd64') return variant === 'v1';
  if (architecture === 'arm64') return variant === 'v8';
  return false;
}

/** The config of a manifest blob (a manifest read for an index), undefined if it names none. */
export function manifestConfig(raw: Buffer): string | undefined {
  const top = imageTop(raw, { os: '', architecture: undefined });
  return top.kind === 'manifest' ? top.config : undefined;
}

const IMAGE_CONFIG_TYPES = [
  'application/vnd.oci.image.config.v1+json',
  'application/vnd.docker.container.image.v1+json',
];
const isLayerType = (t: unknown) =>
  typeof t === 'string' &&
  (t.startsWith('application/vnd.oci.image.layer.') || t.startsWith('application/vnd.docker.image.rootfs.'));

/**
 * The blobs a plain image manifest names (its config and layers): what moby's
 * CheckContentAvailable requires present besides the manifest itself. Undefined for anything
 * else: not a manifest, one malformed, or one moby may take for a pseudo image or another kind
 * (a config or layer of another media type).
 */
export function manifestBlobs(raw: Buffer): string[] | undefined {
  try {
    const doc = JSON.parse(raw.toString('utf8')) as {
      mediaType?: unknown;
      config?: { digest?: unknown; mediaType?: unknown };
      layers?: unknown;
    };
    if (doc.mediaType !== undefined && !MANIFEST_TYPES.includes(doc.mediaType as string)) return undefined;
    const config = doc.config?.digest;
    if (typeof config !== 'string' || !DIGEST.test(config) || !Array.isArray(doc.layers)) return undefined;
    if (!IMAGE_CONFIG_TYPES.includes(doc.config?.mediaType as string)) return undefined;
    const layers = doc.layers as { digest?: unknown; mediaType?: unknown }[];
    if (!layers.every((l) => isLayerType(l?.mediaType))) return undefined;
    const digests = layers.map((l) => l.digest);
    return digests.every((d): d is string => typeof d === 'string' && DIGEST.test(d))
      ? [config, ...digests]
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Whether an index names, besides `chosen`, a manifest the namespace records that is not an
 * attestation: the engine then sizes and may pick among several platforms (its Size sums every
 * available platform's content and snapshots), which the list made here does not.
 */
export function indexHasOthers(raw: Buffer, chosen: string, blobs: ReadonlySet<string>): boolean {
  try {
    const doc = JSON.parse(raw.toString('utf8')) as { manifests?: unknown };
    if (!Array.isArray(doc.manifests)) return true;
    return (doc.manifests as { digest?: unknown; annotations?: Record<string, unknown> }[]).some(
      (m) =>
        m?.digest !== chosen &&
        (typeof m?.digest !== 'string' || blobs.has(m.digest)) &&
        m?.annotations?.['vnd.docker.reference.type'] !== 'attestation-manifest',
    );
  } catch {
    return true;
  }
}

/**
 * An image config's layer list (`rootfs.diff_ids`, what GET /images/{id}/json says as
 * RootFS.Layers), undefined unless it is a well-formed list of digests.
 */
export function configDiffIds(
  raw: Buffer,
  /** For a manifest taken from an index: the config must be of this platform too. */
  platform?: { os: string; architecture: string | undefined },
): string[] | undefined {
  try {
    const cfg = JSON.parse(raw.toString('utf8')) as {
      os?: unknown;
      architecture?: unknown;
      rootfs?: { type?: unknown; diff_ids?: unknown };
    };
    if (platform && (cfg.os !== platform.os || cfg.architecture !== platform.architecture)) return undefined;
    const ids = cfg.rootfs?.diff_ids;
    if (cfg.rootfs?.type !== 'layers' || !Array.isArray(ids)) return undefined;
    return ids.every((d) => typeof d === 'string' && DIGEST.test(d)) ? (ids as string[]) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A containerd image name as Docker stores it: normalized, with a domain (a dot or a port in it,
 * or localhost) and a tag. Docker Hub's names have two path components ("docker.io/library/x").
 */
const NORMALIZED_TAGGED =
  /^(?:localhost|[a-z0-9]+(?:-+[a-z0-9]+)*(?:\.[a-z0-9]+(?:-+[a-z0-9]+)*)+)(?::[0-9]+)?\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

/**
 * The engine's image list (GET /images/json) made from containerd's records, as moby's Images
 * makes it (daemon/containerd/image_list.go, the same on Docker 26.1 and 28.5 for these images):
 * one image per target digest, its tags the familiar forms of its names, Created and Labels from
 * the config of the manifest it is listed by. Only where every image is the plain case: each name
 * a normalized tagged name or the image's own dangling name, no record the fingerprint found
 * `unsure` (a classic builder's parent label, an odd target), every image's facts given (only for
 * one platform's plain manifest whose content is all present: layersFromContent). Anything else:
 * undefined, and the engine is asked. Size is -1: the engine's rule for it (the content it counts
 * plus its layers' recorded usage) needs the layout (scan.ts sets it).
 */
export function imageListFromRecords(
  targets: ReadonlyMap<string, readonly string[]>,
  facts: ReadonlyMap<string, StoreImageFacts>,
  unsure: boolean,
): ApiDfImage[] | undefined {
  if (unsure) return undefined;
  const out: ApiDfImage[] = [];
  for (const [digest, names] of targets) {
    const f = facts.get(digest);
    if (!f || !DIGEST.test(digest)) return undefined;
    const tags: string[] = [];
    for (const name of names) {
      if (name === `moby-dangling@${digest}`) continue;
      if (!NORMALIZED_TAGGED.test(name)) return undefined;
      if (name.startsWith('docker.io/') && !name.slice('docker.io/'.length).includes('/')) return undefined;
      // Docker normalizes index.docker.io to docker.io; a repository name over 255 characters it refuses.
      if (name.startsWith('index.docker.io/') || name.lastIndexOf(':') > 255) return undefined;
      tags.push(familiarName(name));
    }
    out.push({
      Id: digest,
      RepoTags: tags,
      Created: f.created,
      Size: -1,
      SharedSize: -1,
      Containers: -1,
      Labels: f.labels,
    });
  }
  return out;
}
