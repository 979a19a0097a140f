// Which directories each BuildKit cache record owns, from BuildKit's own bbolt metadata (read
// through the helper; nothing here writes BuildKit's state).
//
// metadata_v2.db: _main/<record ID>/cache.snapshot = the record's snapshot key (JSON {"value":...}).
// overlay2 (graph driver mode, <data root>/buildkit): snapshots.db/<key> has `committed` (the
//   active key the snapshot was committed from: its directory overlay2/<that key>) and `chainid`
//   when the snapshot became a layer-store layer. When an image's layer is that layer, the
//   directory is the image's (the layer's cache-id): it is not the record's to free.
// containerd store (<data root>/buildkit/containerd-overlayfs): the key is a snapshot of namespace
//   moby in containerd's metadata, with a "<key>-view" snapshot beside it when one was mounted.
import type { BoltBucket, BoltDb } from './bbolt.js';
import type { SnapshotInfo } from './containerd-meta.js';

export interface RecordStorage {
  /** Every directory that holds this record's data (the caller keeps only build-cache ones). */
  dirs: string[];
  chainId?: string;
  /** containerd store: the record's compressed layer blob (cache.blob), held by BuildKit's lease. */
  blob?: string;
  /** That blob's disk bytes when no image lists it (then it goes with the record), set by the backend. */
  blobDiskBytes?: number;
  blobPath?: string;
}

function jsonValue(b: BoltBucket, key: string): string | undefined {
  const raw = b.value(key);
  if (!raw) return undefined;
  try {
    const v = (JSON.parse(raw.toString('utf8')) as { value?: unknown }).value;
    return typeof v === 'string' ? v : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Record ID → its snapshot key, for every record BuildKit's metadata holds. `turn` is awaited
 * between pages and records (timeSlices): 2,100 records at scale were 75 ms of the explorer's
 * thread in one piece while it measured.
 */
async function recordSnapshots(metadata: BoltDb, turn: () => Promise<void>): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const main = metadata.root.bucket('_main');
  await main?.indexInTurns(turn);
  for (const [k, v] of main?.entries() ?? []) {
    await turn();
    if (!('bucket' in v)) continue;
    const id = k.toString('utf8');
    out.set(id, jsonValue(v.bucket, 'cache.snapshot') ?? id);
  }
  return out;
}

export async function overlay2RecordStorage(
  metadata: BoltDb,
  snapshots: BoltDb,
  dataRoot: string,
  turn: () => Promise<void>,
): Promise<Map<string, RecordStorage>> {
  const out = new Map<string, RecordStorage>();
  await snapshots.root.indexInTurns(turn);
  for (const [id, key] of await recordSnapshots(metadata, turn)) {
    await turn();
    const s = snapshots.root.bucket(key);
    const committed = s?.value('committed')?.toString('utf8');
    // A record on an image's layer (FROM a local image) has that layer's chain ID as its key: the
    // snapshotter takes its reference by that key (moby's builder-next adapters/snapshot), and
    // releases it when the record goes. Its bucket holds no chainid.
    const chainId = s?.value('chainid')?.toString('utf8') ?? (key.startsWith('sha256:') ? key : undefined);
    const names = [key, committed].filter((n): n is string => !!n && !n.startsWith('sha256:'));
    out.set(id, {
      dirs: [...new Set(names)].map((n) => `${dataRoot}/overlay2/${n}`),
      ...(chainId ? { chainId } : {}),
    });
  }
  return out;
}

/**
 * Every overlay2/ directory name BuildKit's snapshots.db knows (graph driver mode): each snapshot's
 * key and the key it was committed from, image layers ("sha256:...") aside. A directory of
 * BuildKit's shape that none of them names is not BuildKit's (nothing of it goes with a builder
 * prune); one named here without a record is (BuildKit's hidden duplicates go with all of it).
 * The root's index must be built (overlay2RecordStorage does it in turns).
 */
export function overlay2SnapshotDirs(snapshots: BoltDb): Set<string> {
  const out = new Set<string>();
  for (const [k, v] of snapshots.root.entries()) {
    if (!('bucket' in v)) continue;
    const names = [k.toString('utf8'), v.bucket.value('committed')?.toString('utf8')];
    for (const n of names) if (n && !n.startsWith('sha256:')) out.add(n);
  }
  return out;
}

export async function containerdRecordStorage(
  metadata: BoltDb,
  snapshotsByKey: ReadonlyMap<string, SnapshotInfo>,
  snapshotPath: (id: number) => string,
  turn: () => Promise<void>,
): Promise<Map<string, RecordStorage>> {
  const out = new Map<string, RecordStorage>();
  const main = metadata.root.bucket('_main');
  for (const [id, key] of await recordSnapshots(metadata, turn)) {
    await turn();
    const dirs = [snapshotsByKey.get(key), snapshotsByKey.get(`${key}-view`)]
      .filter((s): s is SnapshotInfo => s !== undefined)
      .map((s) => snapshotPath(s.id));
    const bucket = main?.bucket(id);
    const blob = bucket ? jsonValue(bucket, 'cache.blob') : undefined;
    out.set(id, {
      dirs,
      // A record on an image's layer (an imported or pulled base) holds that layer's snapshot.
      ...(key.startsWith('sha256:') ? { chainId: key } : {}),
      ...(blob?.startsWith('sha256:') ? { blob } : {}),
    });
  }
  return out;
}
