// The data root as a partition for the disk ledger (model/ledger.ts), from what the scan already
// measured plus what it did not: the directories the scan walked are pieces as they are; every
// directory above them is listed, and each entry beside them is walked whole like the scan's own,
// plus each listed directory's own blocks. So every byte under the data root lands in exactly one
// piece without walking a layer twice, in two helper round trips. A container's directory is
// listed too, so that its log files are pieces of their own. (A file hard-linked from two pieces
// would count in both; the data roots seen hold none across pieces, and the tests compare the
// total with du.)
import { chainIds } from '../model/chain-id.js';
import { shortId } from '../model/digest.js';
import type { LedgerKey, LedgerPiece } from '../model/ledger.js';
import type { ScanInputs } from '../model/report.js';
import { counted } from '../model/size-text.js';
import { timeSlices } from '../process/time-slices.js';
import { BULK_ARGS_MAX } from './helper/helper-frames.js';
import { type FileStat, parseList } from './helper/helper-read.js';
import { chunkArgs, HelperError, type HelperSession } from './helper/helper-session.js';
import { measureDirs } from './helper/measure.js';
import type { DirMeasure } from './helper/measure-parse.js';
import type { StorageLayout } from './storage/storage-layout.js';

/** What the scan knows a measured path to be. */
export interface KnownPiece {
  key: LedgerKey;
  id?: string;
  name?: string;
  usedBy?: string[];
  builder?: boolean;
}

export interface LedgerContainer {
  id: string;
  name: string;
}

/** A log file of a container's directory: json-file's <id>-json.log(.N)(.gz), local's local-logs/. */
const isLog = (id: string, name: string) =>
  name === 'local-logs' || name === 'container-cached.log' || name.startsWith(`${id}-json.log`);

/** What {@link startLedger} found: the pieces it measured itself, and the entries the scan measures. */
export interface LedgerStart {
  root: string;
  pieces: LedgerPiece[];
  /** Listed entries that are the scan's own targets (relative paths): their bytes come from the scan. */
  targetEntries: string[];
  /**
   * Targets missing from a listing the scan took before the API named them (relative paths): in
   * the ledger if the scan found them ({@link finishLedger}'s `present`), as its walks tell only at
   * the end, while this start may run beside them.
   */
  lateTargets: string[];
  byContainerDir: Map<string, LedgerContainer>;
  logConfigs: Map<string, LogConfig>;
  /** Log configs read by this ledger that the container itself names (to remember: they never change). */
  readLogConfigs: Map<string, LogConfig>;
  /** What this ledger listed and walked (absolute paths): the next scan takes them along early. */
  plan: LedgerPlan;
}

/** What the scan read for the ledger before it started (all by absolute path), and what it knows. */
export interface LedgerEarly {
  /** Entries walked already (the first walk took the last plan's along): not walked again. */
  walked?: ReadonlyMap<string, DirMeasure>;
  /** Listed directories' own stats, taken at the scan's start (undefined: not there then). */
  stats?: ReadonlyMap<string, FileStat | undefined>;
  /** Containers' log configs known from an earlier scan (a container's never changes). */
  logConfigs?: (containerId: string) => LogConfig | undefined;
}

export interface LogConfig {
  driver: string;
  options: Record<string, string>;
}

/** The ledger's own reads, by absolute path: directories listed, entries walked whole. */
export interface LedgerPlan {
  listed: string[];
  walked: string[];
}

/**
 * The first part of the ledger, which needs only the list of what the scan measures (`targets`,
 * absolute paths), not their figures: so it runs beside the scan's own walks. Every directory
 * above a target is listed (one request); every other entry beside them is walked whole, each
 * listed directory's own blocks are read, and the log configs of containers with logs, side by
 * side. Paths outside the root (containerd's own root elsewhere) are not the data root's.
 */
/**
 * The names a directory's listing ("./name" entries, as liststat gives them) lacks, each once: a
 * listing taken earlier than the scan's targets were named (see startLedger's lateTargets).
 */
export function missingEntries(list: readonly Buffer[], names: readonly string[]): string[] {
  if (!names.length) return [];
  const have = new Set(list.map((b) => b.toString('latin1').replace(/^\.\//, '')));
  return [...new Set(names.filter((n) => !have.has(n)))];
}

export async function startLedger(
  helper: HelperSession,
  root: string,
  targets: readonly string[],
  containers: readonly LedgerContainer[],
  /** The engine's default log driver (info.LoggingDriver), for containers that name none. */
  defaultLogDriver?: string,
  /** Directories this scan listed already (StorageLayout.listed): not listed again. */
  known?: ReadonlyMap<string, readonly Buffer[]>,
  early: LedgerEarly = {},
): Promise<LedgerStart> {
  const { walked: walkedEarly, stats: statsEarly, logConfigs: knownLogs } = early;
  const rel = (p: string) => p.slice(root.length + 1);
  const inside = new Set(targets.filter((p) => p.startsWith(`${root}/`)).map(rel));
  // Every directory above a target is listed instead of measured whole; so is each container's
  // directory (its logs), and a target with targets below it.
  const partial = new Set<string>(['']);
  for (const p of inside) {
    // Up from the parent, until a directory already there (its own parents are then there too).
    for (let i = p.lastIndexOf('/'); i > 0; ) {
      const d = p.slice(0, i);
      if (partial.has(d)) break;
      partial.add(d);
      i = d.lastIndexOf('/');
    }
  }
  // The engine's own containerd keeps the containerd store's content and snapshots beside its
  // state: listed, so that they are pieces of their own (the images', or the other store's).
  partial.add('containerd');
  partial.add('containerd/daemon');
  // volumes/ too, with no volume in it: its database and device node are the engine's, not a
  // volume (walked whole it was one piece, "volumes", shown as a volume to remove).
  partial.add('volumes');
  const byContainerDir = new Map<string, LedgerContainer>();
  for (const c of containers) {
    const d = `containers/${c.id}`;
    byContainerDir.set(d, c);
    partial.add(d);
    partial.add('containers');
  }
  const pieces: LedgerPiece[] = [];
  const listedDirs = [...partial].sort();
  // A listing the scan took at its start (known) predates what the API named after it (a container
  // created meanwhile, measured by the scan): its targets not in it are kept aside (lateTargets),
  // so that nothing measured is left out of the ledger. Printable names only (engine IDs).
  const abs = (d: string) => (d ? `${root}/${d}` : root);
  const targetsIn = new Map<string, string[]>();
  for (const p of inside) {
    const slash = p.lastIndexOf('/');
    const dir = slash < 0 ? '' : p.slice(0, slash);
    const name = p.slice(slash + 1);
    if (!/^[\x21-\x7e]+$/.test(name)) continue;
    const names = targetsIn.get(dir);
    if (names) names.push(name);
    else targetsIn.set(dir, [name]);
  }
  // In requests that each fit one run of the op (one directory per container: thousands at scale).
  const asked = listedDirs.filter((d) => !known?.has(abs(d)));
  const replies = await Promise.all(
    chunkArgs(asked.map(abs), BULK_ARGS_MAX - 4096).map((dirs) => helper.run('liststat', ['/', ...dirs])),
  );
  // Each reply's first line is the stamp of "/" (not needed here); the lists follow it.
  const got = replies.flatMap((out) => parseList(out.subarray(out.indexOf(0x0a) + 1)));
  if (got.length < asked.length)
    throw new HelperError(`helper listed ${got.length} of ${asked.length} directories of the data root`);
  const answered = new Map(asked.map((d, i) => [d, got[i] ?? []]));
  const lists = listedDirs.map((d) => answered.get(d) ?? known?.get(abs(d)) ?? []);
  const lateTargets: string[] = [];
  listedDirs.forEach((d, i) => {
    if (answered.has(d)) return;
    for (const name of missingEntries(lists[i] ?? [], targetsIn.get(d) ?? [])) {
      const path = d ? `${d}/${name}` : name;
      if (!partial.has(path)) lateTargets.push(path); // (one listed itself is no piece)
    }
  });
  const unmeasured: string[] = [];
  const targetEntries: string[] = [];
  // A turn of the event loop between directories once a few ms have passed: at scale these
  // loops take 25-35 ms of the explorer's thread (6,400 entries) while it measures.
  const turn = timeSlices();
  for (const [i, dir] of listedDirs.entries()) {
    await turn();
    for (const raw of lists[i] ?? []) {
      const name = raw.toString('latin1').replace(/^\.\//, '');
      const path = dir ? `${dir}/${name}` : name;
      if (partial.has(path)) continue; // listed itself
      if (inside.has(path)) targetEntries.push(path);
      else unmeasured.push(path);
    }
  }
  await turn();
  // The containers with a log file among the unmeasured entries (one pass: thousands at scale).
  const withLogs = new Set<string>();
  for (const u of unmeasured) {
    const m = /^containers\/([0-9a-f]{64})\/([^/]+)$/.exec(u);
    if (m && isLog(m[1] as string, m[2] as string)) withLogs.add(m[1] as string);
  }
  const logged = containers.filter((c) => withLogs.has(c.id));
  // A container's log config is set when it is created and never changes: read once, then known.
  const logConfigs = new Map<string, LogConfig>();
  for (const c of logged) {
    const known = knownLogs?.(c.id);
    if (known) logConfigs.set(c.id, known);
  }
  const toRead = logged.filter((c) => !logConfigs.has(c.id));
  // Side by side: each listed directory's own blocks; every other entry walked whole, as the scan
  // walks (not busybox du, which counts a mount point inside, such as a running container's
  // merged view, where du -x on the host does not); the log configs of containers with logs.
  // The host's GNU find walks a file as well as a directory; busybox's walk takes directories only
  // (a file would be "missing"): there each entry is stat'ed first, files are pieces by their
  // blocks, and only directories are walked.
  let toWalk = unmeasured;
  if (!helper.hostFind && unmeasured.length) {
    const st = await helper.statFiles(unmeasured.map((u) => `${root}/${u}`));
    toWalk = [];
    unmeasured.forEach((u, i) => {
      const s = st[i];
      if (!s) return; // gone meanwhile
      if ((s.mode & 0o170000) === 0o040000) toWalk.push(u);
      else pieces.push({ path: u, bytes: s.blocks * 512 });
    });
  }
  const walkNow = walkedEarly?.size ? toWalk.filter((u) => !walkedEarly.has(abs(u))) : toWalk;
  const statNow = statsEarly?.size ? listedDirs.filter((d) => !statsEarly.has(abs(d))) : listedDirs;
  const [statsNow, walkedNow, configs] = await Promise.all([
    statNow.length ? helper.statFiles(statNow.map(abs)) : Promise.resolve([]),
    walkNow.length
      ? measureDirs(
          helper,
          walkNow.map((u) => ({ dir: `${root}/${u}` })),
          { engineId: root },
        )
      : Promise.resolve(new Map<string, DirMeasure>()),
    toRead.length
      ? helper.readFiles(toRead.map((c) => `${root}/containers/${c.id}/hostconfig.json`))
      : Promise.resolve([]),
  ]);
  const statOf = new Map(statNow.map((d, i) => [d, statsNow[i]]));
  for (const dir of listedDirs) {
    const st = statOf.has(dir) ? statOf.get(dir) : statsEarly?.get(abs(dir));
    // Gone meanwhile (or never there): nothing of it is on disk now.
    if (st) pieces.push({ path: dir ? `${dir}/.` : '.', bytes: st.blocks * 512 });
  }
  for (const u of toWalk) {
    const m = walkedNow.get(abs(u)) ?? walkedEarly?.get(abs(u));
    if (m && !m.missing) pieces.push({ path: u, bytes: m.diskBytes });
  }
  // Each log's driver and its limits, from the container's own hostconfig.json (the engine's file).
  const readLogConfigs = new Map<string, LogConfig>();
  toRead.forEach((c, i) => {
    try {
      const hc = JSON.parse(configs[i]?.toString('utf8') ?? '{}') as {
        LogConfig?: { Type?: string; Config?: Record<string, string> };
      };
      // Only a driver the container names is its own for good (none: the engine's default, which a
      // restart with another daemon.json changes).
      const own = hc.LogConfig?.Type;
      const driver = own || defaultLogDriver || 'json-file';
      logConfigs.set(c.id, { driver, options: hc.LogConfig?.Config ?? {} });
      if (own) readLogConfigs.set(c.id, { driver, options: hc.LogConfig?.Config ?? {} });
    } catch {
      // Unreadable: the driver stays unknown rather than guessed.
    }
  });
  const plan = { listed: listedDirs.map(abs), walked: toWalk.map(abs).sort() };
  return { root, pieces, targetEntries, lateTargets, byContainerDir, logConfigs, readLogConfigs, plan };
}

/**
 * The pieces of the data root: what {@link startLedger} measured, and the scan's targets among the
 * listed entries with the bytes the scan measured (`measured`: absolute path → disk bytes), each
 * with what it is (`known`, the scan's knowledge; a container's files by their container).
 */
export async function finishLedger(
  helper: HelperSession,
  start: LedgerStart,
  measured: ReadonlyMap<string, number>,
  known: ReadonlyMap<string, KnownPiece>,
  /** Whether the scan found a target there (absolute path): a late target it did not is left out. */
  present: (path: string) => boolean = () => true,
): Promise<LedgerPiece[]> {
  const { root, byContainerDir } = start;
  const pieces = [...start.pieces];
  const rest: string[] = [];
  // (An image's metadata directory is a target whether there or not: most images have none.)
  const late = start.lateTargets.filter((t) => present(`${root}/${t}`));
  for (const t of [...start.targetEntries, ...late]) {
    const bytes = measured.get(`${root}/${t}`);
    if (bytes !== undefined) pieces.push({ path: t, bytes });
    else rest.push(t);
  }
  // A listed target the scan has no figure for (a layer directory without its content
  // subdirectory, say) is walked whole here, so that nothing listed is left out.
  if (rest.length) {
    // (A file, such as a leftover blob, when busybox walked: its blocks by stat.)
    const st = await helper.statFiles(rest.map((u) => `${root}/${u}`));
    const dirs: string[] = [];
    rest.forEach((u, i) => {
      const s = st[i];
      if (s && (s.mode & 0o170000) !== 0o040000) pieces.push({ path: u, bytes: s.blocks * 512 });
      else if (s) dirs.push(u);
    });
    const walked = dirs.length
      ? await measureDirs(
          helper,
          dirs.map((u) => ({ dir: `${root}/${u}` })),
          { engineId: root },
        )
      : new Map<string, DirMeasure>();
    for (const u of dirs) {
      const m = walked.get(`${root}/${u}`);
      if (m && !m.missing) pieces.push({ path: u, bytes: m.diskBytes });
    }
  }
  for (const p of pieces) {
    const k = known.get(`${root}/${p.path}`);
    if (k) {
      Object.assign(p, k);
      continue;
    }
    const at = p.path.replace(/\/\.$/, '');
    const dir = at.slice(0, at.lastIndexOf('/'));
    const c = byContainerDir.get(dir) ?? byContainerDir.get(at);
    if (c) {
      const name = at.slice(at.lastIndexOf('/') + 1);
      p.key = at !== `containers/${c.id}` && isLog(c.id, name) ? 'logs' : 'containers';
      p.id = c.id;
      p.name = c.name;
    }
  }
  for (const p of pieces) {
    const c = p.key === 'logs' && p.id ? start.logConfigs.get(p.id) : undefined;
    if (c) {
      p.logDriver = c.driver;
      p.logOptions = c.options;
    }
  }
  return pieces;
}

/** A buildx builder's state volume (docker-container driver): buildx_buildkit_<builder>_state. */
const isBuilderVolume = (name: string) => /^buildx_buildkit_.+_state$/.test(name);

/**
 * What the scan knows each measured path to be, by absolute path: layers (with an image that uses
 * them), image and layer metadata, containers' layers and metadata, volumes, BuildKit's state,
 * leftovers.
 */
export function knownPieces(
  inputs: ScanInputs,
  layout: StorageLayout,
  root: string,
): Map<string, KnownPiece> {
  const known = new Map<string, KnownPiece>();
  // A layer is named by an image that has it, a tagged one where there is one (a dangling
  // image's ID named the shared base layer before: a user trial), and says how many more have it
  // (a base layer under one image's name read as that image's 212MB).
  const tagOf = new Map<string, string>();
  const byDangling = new Set<string>();
  const imagesOf = new Map<string, Set<string>>();
  for (const img of inputs.images) {
    const tag = img.tags[0];
    for (const c of chainIds(img.diffIds)) imagesOf.set(c, (imagesOf.get(c) ?? new Set()).add(img.id));
    for (const c of chainIds(img.diffIds)) {
      if (!tagOf.has(c)) {
        tagOf.set(c, tag ?? shortId(img.id));
        if (tag === undefined) byDangling.add(c);
      } else if (tag !== undefined && byDangling.delete(c)) tagOf.set(c, tag);
    }
  }
  for (const [chainId, l] of layout.layers) {
    const tag = tagOf.get(chainId);
    const others = (imagesOf.get(chainId)?.size ?? 1) - 1;
    const name = tag && others > 0 ? `${tag} and ${counted(others, 'other image', 'other images')}` : tag;
    known.set(l.path, { key: 'images', id: chainId, ...(name ? { name } : {}) });
    if (layout.meta)
      known.set(layout.meta.layerDir(chainId), { key: 'images', id: chainId, ...(name ? { name } : {}) });
  }
  for (const img of inputs.images) {
    const name = img.tags[0] ?? shortId(img.id);
    if (layout.meta) known.set(layout.meta.imageDir(img.id), { key: 'images', id: img.id, name });
  }
  // Every container the layout has, layertop's own helper among them (the API lists it, the
  // scan's inputs do not).
  const names = new Map(inputs.containers.map((c) => [c.id, c.name]));
  for (const [id, p] of layout.containers) {
    const piece: KnownPiece = { key: 'containers', id, name: names.get(id) ?? 'layertop helper' };
    if (p?.path) known.set(p.path, piece);
    if (p?.initPath) known.set(p.initPath, piece);
    if (layout.meta) known.set(layout.meta.containerDir(id), piece);
  }
  for (const v of inputs.volumes) {
    const usedBy = inputs.containers.filter((c) => c.volumes.includes(v.name)).map((c) => c.name);
    known.set(`${root}/volumes/${v.name}`, {
      key: 'volumes',
      name: v.name,
      ...(usedBy.length ? { usedBy } : {}),
      ...(isBuilderVolume(v.name) ? { builder: true } : {}),
    });
  }
  for (const d of layout.buildCacheDirs) known.set(d, { key: 'buildCache' });
  // A blob only a build-cache record holds (containerd store) is build cache, not an image's.
  for (const r of layout.buildCacheRecords?.values() ?? [])
    if (r.blobPath && !known.has(r.blobPath)) known.set(r.blobPath, { key: 'buildCache' });
  for (const t of layout.extraTargets) known.set(t.dir, { key: 'buildCache' });
  known.set(`${root}/buildkit`, { key: 'buildCache' });
  for (const d of layout.leftoverDirs ?? []) known.set(d, { key: 'leftovers' });
  return known;
}
