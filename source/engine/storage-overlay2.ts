import { BoltFormatError } from './bbolt.js';
import { parseList, parseRead, parseStat } from './helper-read.js';
import type { HelperSession } from './helper-session.js';
import type { StorageLayout } from './storage-layout.js';

const hex = (id: string) => id.replace(/^sha256:/, '');

/**
 * The overlay2 graph driver: the layer store in DockerRootDir/image/overlay2/layerdb maps each
 * chainID to a cache-id, the directory name under DockerRootDir/overlay2; containers' writable and
 * init layers are under layerdb/mounts/<id>. Anything else under overlay2/ (BuildKit's snapshots,
 * leftovers) is held by no image or container.
 */
export async function overlay2Layout(
  helper: HelperSession,
  dataRoot: string,
  chainIds: readonly string[],
  containerIds: readonly string[],
): Promise<StorageLayout> {
  const layerdb = `${dataRoot}/image/overlay2/layerdb`;
  const files: string[] = [];
  for (const c of chainIds)
    files.push(`${layerdb}/sha256/${hex(c)}/cache-id`, `${layerdb}/sha256/${hex(c)}/size`);
  for (const id of containerIds)
    files.push(`${layerdb}/mounts/${id}/mount-id`, `${layerdb}/mounts/${id}/init-id`);
  const [readOut, listOut, buildCacheLayers] = await Promise.all([
    files.length ? helper.run('read', files) : Promise.resolve(Buffer.alloc(0)),
    helper.run('list', [`${dataRoot}/overlay2`]),
    buildKitLayers(helper, dataRoot),
  ]);
  const contents = parseRead(readOut, files.length).map((b) => b?.toString('utf8').trim());
  const layers: StorageLayout['layers'] = new Map();
  const used = new Set<string>(['l']);
  chainIds.forEach((c, i) => {
    const cacheId = contents[2 * i];
    const size = contents[2 * i + 1];
    if (!cacheId) return;
    used.add(cacheId);
    layers.set(c, { path: `${dataRoot}/overlay2/${cacheId}`, size: size ? Number(size) : undefined });
  });
  const containers: StorageLayout['containers'] = new Map();
  const base = 2 * chainIds.length;
  containerIds.forEach((id, i) => {
    const mount = contents[base + 2 * i];
    const init = contents[base + 2 * i + 1];
    if (mount) used.add(mount);
    if (init) used.add(init);
    containers.set(id, {
      path: mount ? `${dataRoot}/overlay2/${mount}` : undefined,
      initPath: init ? `${dataRoot}/overlay2/${init}` : undefined,
    });
  });
  const entries = parseList(listOut)[0] ?? [];
  // Entries come as "./<name>", relative to the listed directory.
  const buildCacheDirs = entries
    .map((e) => e.toString('utf8').replace(/^\.\//, ''))
    .filter((name) => !used.has(name))
    .map((name) => `${dataRoot}/overlay2/${name}`);
  return {
    kind: 'overlay2',
    dataRoot,
    layers,
    containers,
    buildCacheDirs,
    contentSub: 'diff',
    imageConfigPath: (id) => `${dataRoot}/image/overlay2/imagedb/content/sha256/${hex(id)}`,
    meta: {
      layerDir: (chainId) => `${layerdb}/sha256/${hex(chainId)}`,
      imageDir: (id) => `${dataRoot}/image/overlay2/imagedb/metadata/sha256/${hex(id)}`,
      imageFile: (id) => `${dataRoot}/image/overlay2/imagedb/content/sha256/${hex(id)}`,
      containerDir: (id) => `${layerdb}/mounts/${id}`,
    },
    extraTargets: [{ dir: `${dataRoot}/buildkit` }],
    buildCacheLayers,
  };
}

/**
 * The layers BuildKit's cache holds in the layer store: its snapshots.db keeps, per snapshot, the
 * chainID it took a reference on. Measured here: removing an image whose layers the build cache
 * holds frees nothing of them until the build cache goes too. No BuildKit state: an empty set.
 */
async function buildKitLayers(helper: HelperSession, dataRoot: string): Promise<Set<string>> {
  const held = new Set<string>();
  const path = `${dataRoot}/buildkit/snapshots.db`;
  const [st] = parseStat(await helper.run('stat', [path]), 1);
  if (!st) return held;
  const { readBolt } = await import('./storage-containerd.js');
  let db: Awaited<ReturnType<typeof readBolt>>;
  try {
    db = await readBolt(helper, path);
  } catch (err) {
    if (err instanceof BoltFormatError) return held;
    throw err;
  }
  for (const [, v] of db.root.entries()) {
    if (!('bucket' in v)) continue;
    const chain = v.bucket.value('chainid')?.toString('utf8');
    if (chain) held.add(chain);
  }
  return held;
}
