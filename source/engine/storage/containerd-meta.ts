// What layertop reads from containerd's bbolt metadata (pure: it takes parsed databases).
// meta.db:      v1/<namespace>/snapshots/<snapshotter>/<key>/name  -> the snapshotter's own key
// metadata.db:  v1/snapshots/<snapshotter key>/{id, kind, size, inodes, parent}
// The snapshot directory is snapshots/<id>. Keys in namespace "moby": image layers are
// "sha256:<chainID>", a container's writable layer is its ID, its init layer "<ID>-init"; anything
// else (BuildKit's random keys, "-view" snapshots) belongs to build cache.
import { type BoltDb, uvarint, varint } from './bbolt.js';

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
  const byName = new Map<
    string,
    { id: number; kind: number; size: number | undefined; inodes: number | undefined }
  >();
  for (const [name, v] of backend.entries()) {
    if (!('bucket' in v)) continue;
    const id = v.bucket.value('id');
    if (!id) continue;
    const size = v.bucket.value('size');
    const inodes = v.bucket.value('inodes');
    byName.set(name.toString('utf8'), {
      id: uvarint(id),
      kind: v.bucket.value('kind')?.[0] ?? 0,
      size: size ? varint(size) : undefined,
      inodes: inodes ? varint(inodes) : undefined,
    });
  }
  for (const [key, v] of keys.entries()) {
    if (!('bucket' in v)) continue;
    const name = v.bucket.value('name')?.toString('utf8');
    const info = name ? byName.get(name) : undefined;
    if (info) out.set(key.toString('utf8'), { key: key.toString('utf8'), ...info });
  }
  return out;
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
