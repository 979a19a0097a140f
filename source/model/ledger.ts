// The disk ledger, pure: every byte of the data root in exactly one category. The engine hands over
// a partition of the data root (engine/ledger-walk.ts): the directories and files the scan measured,
// each with what it is, and every other entry beside them measured whole; nothing is counted twice
// and nothing is left out, so the pieces add up to the data root as `du -sx` counts it. What no
// rule here recognises is "unexplained", never guessed into a category.

export type LedgerKey =
  | 'images'
  | 'containers'
  | 'logs'
  | 'volumes'
  | 'buildCache'
  | 'leftovers'
  | 'otherStore'
  | 'engine';

export const LEDGER_LABELS: Record<LedgerKey, string> = {
  images: 'Images (layers and image metadata)',
  containers: 'Containers (writable and init layers, config)',
  logs: 'Container logs',
  volumes: 'Volumes',
  buildCache: 'Build cache (BuildKit)',
  leftovers: 'Leftovers (nothing references them)',
  otherStore: 'The other image store (not in use)',
  engine: "The engine's own files",
};

const ORDER: LedgerKey[] = [
  'images',
  'containers',
  'logs',
  'volumes',
  'buildCache',
  'leftovers',
  'otherStore',
  'engine',
];

/** One measured piece of the data root: a path relative to it (no leading "/"), its allocated bytes. */
export interface LedgerPiece {
  path: string;
  bytes: number;
  /** What the scan knows the piece to be; without one, the path rules below decide. */
  key?: LedgerKey;
  id?: string;
  name?: string;
  /** Logs: the container's log driver and its options (max-size, max-file). */
  logDriver?: string;
  logOptions?: Record<string, string>;
  /** Volumes: the containers that use it, and whether it holds a buildx builder's state. */
  usedBy?: string[];
  builder?: boolean;
}

export interface LedgerItem {
  id?: string;
  name?: string;
  path: string;
  bytes: number;
  logDriver?: string;
  logOptions?: Record<string, string>;
  usedBy?: string[];
  builder?: boolean;
}

export interface LedgerCategory {
  key: LedgerKey;
  label: string;
  bytes: number;
  /** Largest first. */
  items: LedgerItem[];
}

export interface Ledger {
  dataRoot: string;
  /** The data root's allocated bytes: the sum of the partition, as `du -sx -B1` counts it. */
  totalBytes: number;
  categories: LedgerCategory[];
  unexplainedBytes: number;
  /** The paths behind `unexplainedBytes`, largest first. */
  unexplained: LedgerItem[];
}

export interface LedgerInput {
  dataRoot: string;
  /** overlay2 (graph driver) or the containerd image store: decides which store is the "other". */
  imageStore: 'graphdriver' | 'containerd';
  pieces: LedgerPiece[];
}

// The engine's own top-level entries (moby's daemon layout): databases, networks, swarm, plugins,
// runtimes, its containerd's state, scratch space; on the containerd store `rootfs`, where it mounts
// each running container's view (`rootfs/overlayfs/<ID>`: mount points, whose contents du -x and the
// ledger do not enter).
const ENGINE_TOP = new Set([
  'rootfs',
  'network',
  'swarm',
  'plugins',
  'runtimes',
  'tmp',
  'trust',
  'engine-id',
  'containerd',
  'exec-root',
  'volumes/metadata.db',
]);

/** The engine's own entries in volumes/ (moby's local volume driver). */
const VOLUMES_OWN = new Set(['metadata.db', 'backingFsBlockDev']);

/** The category of a piece the scan did not name, by where it sits in moby's data root layout. */
export function classifyPath(path: string, imageStore: LedgerInput['imageStore']): LedgerKey | undefined {
  // The data root directory's own blocks.
  if (path === '.') return 'engine';
  const parts = path.split('/');
  const top = parts[0] ?? '';
  // overlay2's layer store, and its image and layer metadata (image/overlay2): the images' own
  // when overlay2 is the store in use, the other store's after a switch to the containerd store.
  const graph = imageStore === 'graphdriver' ? 'images' : 'otherStore';
  if (top === 'overlay2') {
    // A layer directory the scan does not know (no layer, container or build cache record names
    // it) is a leftover; "l" holds the layers' short links, "." the directory's own blocks.
    if (imageStore === 'graphdriver' && parts.length === 2 && parts[1] !== 'l' && parts[1] !== '.')
      return 'leftovers';
    return graph;
  }
  // image/ holds the graph driver's image and layer stores (image/overlay2); the directory itself goes with them.
  if (top === 'image')
    return parts[1] === 'overlay2' || parts[1] === '.' || parts.length === 1 ? graph : 'otherStore';
  if (top === 'containers') return 'containers';
  // volumes/ holds the volumes, and the engine's own: the volume store's database, the device node
  // it makes for quotas (backingFsBlockDev), the directory's own blocks. Those are no volume: the
  // Disk view offered "volumes" itself as a volume to remove.
  if (top === 'volumes')
    return parts.length === 1 || parts[1] === '.' || VOLUMES_OWN.has(parts[1] ?? '') ? 'engine' : 'volumes';
  if (top === 'buildkit') return 'buildCache';
  // The containerd store's content and snapshots under the engine's own containerd: the images'
  // when that store is in use, the other store's when overlay2 is.
  if (top === 'containerd') {
    const store = imageStore === 'containerd' ? 'images' : 'otherStore';
    // The snapshotter's own bolt database is written at every container's (and every helper's)
    // create and remove, and a bolt file never shrinks: no prune gives it back, so while that store
    // is in use it is the engine's, like volumes/metadata.db. A CI run saw it grow by 5 pages
    // between two scans of an unchanged engine.
    if (
      store === 'images' &&
      /^containerd\/daemon\/io\.containerd\.snapshotter\.v1\.[^/]+\/metadata\.db$/.test(path)
    )
      return 'engine';
    if (/io\.containerd\.(content|snapshotter)\.v1\./.test(path)) return store;
    return 'engine';
  }
  if (ENGINE_TOP.has(top) || ENGINE_TOP.has(path)) return 'engine';
  return undefined;
}

/** Sums the pieces by category; what no rule names is unexplained. */
export function buildLedger(input: LedgerInput): Ledger {
  const byKey = new Map<LedgerKey, LedgerItem[]>();
  const unexplained: LedgerItem[] = [];
  let total = 0;
  for (const p of input.pieces) {
    total += p.bytes;
    const key = p.key ?? classifyPath(p.path, input.imageStore);
    const { key: _k, ...item } = p;
    if (!key) unexplained.push(item);
    else {
      const list = byKey.get(key);
      if (list) list.push(item);
      else byKey.set(key, [item]);
    }
  }
  const largest = (a: LedgerItem, b: LedgerItem) => b.bytes - a.bytes || (a.path < b.path ? -1 : 1);
  const categories = ORDER.map((key) => {
    const items = (byKey.get(key) ?? []).sort(largest);
    return { key, label: LEDGER_LABELS[key], bytes: items.reduce((a, i) => a + i.bytes, 0), items };
  });
  unexplained.sort(largest);
  return {
    dataRoot: input.dataRoot,
    totalBytes: total,
    categories,
    unexplainedBytes: unexplained.reduce((a, i) => a + i.bytes, 0),
    unexplained,
  };
}
