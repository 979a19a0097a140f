// The data root as a partition for the disk ledger (model/ledger.ts), from what the scan already
// measured plus what it did not: the directories the scan walked are pieces as they are; every
// directory above them is listed, and each entry beside them is measured whole (walked like the
// scan's own for a directory, stat for a file), plus each listed directory's own blocks. So every byte under the
// data root lands in exactly one piece without walking a layer twice. A container's directory is
// listed too, so that its log files are pieces of their own.
import { chainIds } from '../model/chain-id.js';
import { shortId } from '../model/digest.js';
import type { LedgerKey, LedgerPiece } from '../model/ledger.js';
import type { ScanInputs } from '../model/report.js';
import { parseList } from './helper/helper-read.js';
import type { HelperSession } from './helper/helper-session.js';
import { measureDirs } from './helper/measure.js';
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
  const unmeasured: { path: string; parent: string }[] = [];
  // Breadth first: one listing request per level.
  let level = [''];
  const listedDirs: string[] = [];
  while (level.length) {
    const abs = level.map((d) => (d ? `${root}/${d}` : root));
    const out = await helper.run('liststat', ['/', ...abs]);
    // The first line is the stamp of "/" (not needed here); the lists follow it.
    const nl = out.indexOf(0x0a);
    const lists = parseList(out.subarray(nl + 1));
    const next: string[] = [];
    level.forEach((dir, i) => {
      listedDirs.push(dir);
      for (const raw of lists[i] ?? []) {
        const name = raw.toString('latin1').replace(/^\.\//, '');
        const path = dir ? `${dir}/${name}` : name;
        if (partial.has(path)) next.push(path);
        else if (measuredRel.has(path)) pieces.push({ path, bytes: measuredRel.get(path) as number });
        else unmeasured.push({ path, parent: dir });
      }
    });
    level = next;
  }
  // Each listed directory's own blocks, and each unmeasured entry: stat says file or directory.
  const statPaths = [
    ...listedDirs.map((d) => (d ? `${root}/${d}` : root)),
    ...unmeasured.map((u) => `${root}/${u.path}`),
  ];
  const stats = await helper.statFiles(statPaths);
  const dirs: string[] = [];
  const seen = new Set<string>();
  stats.forEach((st, i) => {
    if (!st) return; // gone meanwhile: nothing of it is on disk now
    const isListed = i < listedDirs.length;
    const path = isListed ? (listedDirs[i] as string) : (unmeasured[i - listedDirs.length]?.path as string);
    const isDir = (st.mode & 0xf000) === 0x4000;
    if (!isListed && isDir) {
      dirs.push(path);
      return;
    }
    // A file with several names counts once, as du counts it.
    if (st.nlink > 1 && !isDir) {
      const key = `${st.dev}:${st.ino}`;
      if (seen.has(key)) return;
      seen.add(key);
    }
    pieces.push({ path: isListed ? (path ? `${path}/.` : '.') : path, bytes: st.blocks * 512 });
  });
  if (dirs.length) {
    // Walked as the scan walks (not busybox du, which counts a mount point inside, such as a
    // running container's merged view, where du -x on the host does not).
    const walked = await measureDirs(
      helper,
      dirs.map((d) => ({ dir: `${root}/${d}` })),
      { engineId: root },
    );
    for (const d of dirs) {
      const m = walked.get(`${root}/${d}`);
      // Missing: gone meanwhile, nothing of it on disk now.
      if (m && !m.missing) pieces.push({ path: d, bytes: m.diskBytes });
    }
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
  const logged = [...new Set(pieces.filter((p) => p.key === 'logs').map((p) => p.id as string))];
  if (logged.length) {
    const files = await helper.readFiles(logged.map((id) => `${root}/containers/${id}/hostconfig.json`));
    const config = new Map<string, { driver: string; options: Record<string, string> }>();
    logged.forEach((id, i) => {
      try {
        const hc = JSON.parse(files[i]?.toString('utf8') ?? '{}') as {
          LogConfig?: { Type?: string; Config?: Record<string, string> };
        };
        const driver = hc.LogConfig?.Type || defaultLogDriver || 'json-file';
        config.set(id, { driver, options: hc.LogConfig?.Config ?? {} });
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
