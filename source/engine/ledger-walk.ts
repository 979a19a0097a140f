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
import { BULK_ARGS_MAX } from './helper/helper-frames.js';
import { parseList } from './helper/helper-read.js';
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

/**
 * The pieces of `root`: `measured` (absolute path → disk bytes the scan measured, with what it is
 * in `known`) as they are, and everything else under the root measured here. Paths outside the
 * root (containerd's own root elsewhere) are not the data root's and are left out.
 */
export async function ledgerPieces(
  helper: HelperSession,
  root: string,
  measured: ReadonlyMap<string, number>,
  known: ReadonlyMap<string, KnownPiece>,
  containers: readonly LedgerContainer[],
  /** The engine's default log driver (info.LoggingDriver), for containers that name none. */
  defaultLogDriver?: string,
): Promise<LedgerPiece[]> {
  const rel = (p: string) => p.slice(root.length + 1);
  const inside = [...measured.keys()].filter((p) => p.startsWith(`${root}/`));
  // Every directory above a measured path is listed instead of measured whole; so is each
  // container's directory (its logs), and a measured path with measured paths below it.
  const partial = new Set<string>(['']);
  for (const p of inside) {
    const parts = rel(p).split('/');
    for (let i = 1; i < parts.length; i++) partial.add(parts.slice(0, i).join('/'));
  }
  // The engine's own containerd keeps the containerd store's content and snapshots beside its
  // state: listed, so that they are pieces of their own (the images', or the other store's).
  partial.add('containerd');
  partial.add('containerd/daemon');
  const byContainerDir = new Map<string, LedgerContainer>();
  for (const c of containers) {
    const d = `containers/${c.id}`;
    byContainerDir.set(d, c);
    partial.add(d);
    partial.add('containers');
  }
  const pieces: LedgerPiece[] = [];
  const measuredRel = new Map(inside.map((p) => [rel(p), measured.get(p) as number]));
  // Every directory to list is known up front (the ancestors of what was measured): ONE request
  // lists them all; one that does not exist lists nothing.
  const listedDirs = [...partial].sort();
  const abs = (d: string) => (d ? `${root}/${d}` : root);
  // In requests that each fit one run of the op (one directory per container: thousands at scale).
  const replies = await Promise.all(
    chunkArgs(listedDirs.map(abs), BULK_ARGS_MAX - 4096).map((dirs) =>
      helper.run('liststat', ['/', ...dirs]),
    ),
  );
  // Each reply's first line is the stamp of "/" (not needed here); the lists follow it.
  const lists = replies.flatMap((out) => parseList(out.subarray(out.indexOf(0x0a) + 1)));
  if (lists.length < listedDirs.length)
    throw new HelperError(
      `helper listed ${lists.length} of ${listedDirs.length} directories of the data root`,
    );
  const unmeasured: string[] = [];
  listedDirs.forEach((dir, i) => {
    for (const raw of lists[i] ?? []) {
      const name = raw.toString('latin1').replace(/^\.\//, '');
      const path = dir ? `${dir}/${name}` : name;
      if (partial.has(path)) continue; // listed itself
      if (measuredRel.has(path)) pieces.push({ path, bytes: measuredRel.get(path) as number });
      else unmeasured.push(path);
    }
  });
  // Then, side by side: each listed directory's own blocks; every other entry walked whole, as the
  // scan walks (not busybox du, which counts a mount point inside, such as a running container's
  // merged view, where du -x on the host does not); the log configs of containers with logs.
  // The containers with a log file among the unmeasured entries (one pass: thousands at scale).
  const withLogs = new Set<string>();
  for (const u of unmeasured) {
    const m = /^containers\/([0-9a-f]{64})\/([^/]+)$/.exec(u);
    if (m && isLog(m[1] as string, m[2] as string)) withLogs.add(m[1] as string);
  }
  const logged = containers.filter((c) => withLogs.has(c.id));
  const [stats, walked, configs] = await Promise.all([
    helper.statFiles(listedDirs.map(abs)),
    unmeasured.length
      ? measureDirs(
          helper,
          unmeasured.map((u) => ({ dir: `${root}/${u}` })),
          { engineId: root },
        )
      : Promise.resolve(new Map<string, DirMeasure>()),
    logged.length
      ? helper.readFiles(logged.map((c) => `${root}/containers/${c.id}/hostconfig.json`))
      : Promise.resolve([]),
  ]);
  stats.forEach((st, i) => {
    // Gone meanwhile (or never there): nothing of it is on disk now.
    const dir = listedDirs[i] as string;
    if (st) pieces.push({ path: dir ? `${dir}/.` : '.', bytes: st.blocks * 512 });
  });
  for (const u of unmeasured) {
    const m = walked.get(`${root}/${u}`);
    if (m && !m.missing) pieces.push({ path: u, bytes: m.diskBytes });
  }
  // What each piece is: the scan's own knowledge, a container's files by their container.
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
  // Each log's driver and its limits, from the container's own hostconfig.json (the engine's file).
  const config = new Map<string, { driver: string; options: Record<string, string> }>();
  logged.forEach((c, i) => {
    try {
      const hc = JSON.parse(configs[i]?.toString('utf8') ?? '{}') as {
        LogConfig?: { Type?: string; Config?: Record<string, string> };
      };
      const driver = hc.LogConfig?.Type || defaultLogDriver || 'json-file';
      config.set(c.id, { driver, options: hc.LogConfig?.Config ?? {} });
    } catch {
      // Unreadable: the driver stays unknown rather than guessed.
    }
  });
  for (const p of pieces) {
    const c = p.key === 'logs' && p.id ? config.get(p.id) : undefined;
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
  const tagOf = new Map<string, string>();
  for (const img of inputs.images)
    for (const c of chainIds(img.diffIds)) if (!tagOf.has(c)) tagOf.set(c, img.tags[0] ?? shortId(img.id));
  for (const [chainId, l] of layout.layers) {
    const name = tagOf.get(chainId);
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
  for (const t of layout.extraTargets) known.set(t.dir, { key: 'buildCache' });
  known.set(`${root}/buildkit`, { key: 'buildCache' });
  for (const d of layout.leftoverDirs ?? []) known.set(d, { key: 'leftovers' });
  return known;
}
