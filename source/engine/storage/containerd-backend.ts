// The containerd image store behind the StorageBackend seam: snapshots from containerd's bbolt
// metadata, and each image's content-store blobs.
import { chainIds } from '../../model/chain-id.js';
import { digestHex } from '../../model/digest.js';
import { mark } from '../../process/timing.js';
import type { ApiInfo } from '../docker/api-types.js';
import type { PageSource } from '../helper/file-pages.js';
import type { HelperSession } from '../helper/helper-session.js';
import type { ImageContent, StorageBackend } from './backend.js';
import type { BoltDb } from './bbolt.js';
import type { RecordStorage } from './buildkit-records.js';
import {
  configDiffIds,
  imageListFingerprint,
  imageListFromRecords,
  imageListMatches,
  imageTop,
  indexHasOthers,
  manifestBlobs,
  manifestConfig,
  ociArchitecture,
  snapshotMap,
} from './containerd-meta.js';
import { configListFacts, type StoreImageFacts } from './go-image-config.js';
import {
  containerdLayout,
  containerdRoot,
  dockerCountsAttestations,
  type ImageBlobs,
  prefetchMetadata,
  readBolt,
  releaseBolts,
  snapshotTargets,
} from './storage-containerd.js';

/** Each copy of meta.db's image-list fingerprint, computed once (a walk of 1,300 image records),
 *  for every parse of that copy (readBolt parses a remembered copy again after a GC). */
const listStamps = new WeakMap<PageSource, ReturnType<typeof imageListFingerprint>>();
function listStampOf(meta: BoltDb): ReturnType<typeof imageListFingerprint> {
  if (!listStamps.has(meta.copy)) listStamps.set(meta.copy, imageListFingerprint(meta));
  return listStamps.get(meta.copy);
}

const blobDirOf = (root: string) => `${root}/io.containerd.content.v1.content/blobs/sha256`;
const metaDbOf = (root: string) => `${root}/io.containerd.metadata.v1.bolt/meta.db`;

/** A remembered copy, not held: only the scan's prefetch and its layout hold one (releaseBolts). */
const readUnheld = (helper: HelperSession, path: string) =>
  readBolt(helper, path, undefined, undefined, true, false);

/**
 * Each image's layer list from the content store: its top blob (index or manifest), the manifest
 * of the engine's platform for an index, then its config's `rootfs.diff_ids`. Three reads of many
 * files each, through the helper. Only blobs the engine's namespace records count (the blob
 * directory is shared with containerd's other namespaces: another client's manifest is not the
 * engine's), and only an image whose top layer is unpacked here (else the engine may take another
 * platform's manifest that is there). An image whose chain breaks anywhere is left out.
 */
export async function layersFromContent(
  helper: HelperSession,
  blobDir: string,
  ids: readonly string[],
  platform: { os: string; architecture: string | undefined },
  /** What containerd records in the engine's namespace: image layer snapshots, content blobs. */
  known: { layerSnapshots: ReadonlySet<string>; blobs: ReadonlySet<string> },
  /**
   * Handed the image list's facts of each image whose layers are given and whose content is all
   * there (manifest, config, every layer blob: moby's CheckContentAvailable), for
   * imageListFromRecords.
   */
  onFacts?: (imageId: string, facts: StoreImageFacts) => void,
): Promise<Map<string, string[]>> {
  const path = (digest: string) => `${blobDir}/${digestHex(digest)}`;
  const valid = ids.filter((id) => /^sha256:[0-9a-f]{64}$/.test(id) && known.blobs.has(id));
  const tops = await helper.readFiles(valid.map(path));
  const config = new Map<string, { digest: string; platform?: typeof platform }>();
  const viaIndex = new Map<string, string>();
  // The images whose platform manifest names only blobs the namespace records.
  const complete = new Set<string>();
  // Indexes with another manifest recorded besides their platform's (see indexHasOthers).
  const several = new Set<string>();
  const allKnown = (raw: Buffer) => manifestBlobs(raw)?.every((d) => known.blobs.has(d)) === true;
  valid.forEach((id, i) => {
    const raw = tops[i];
    const top = raw ? imageTop(raw, platform) : ({ kind: 'unknown' } as const);
    if (top.kind === 'manifest') {
      config.set(id, { digest: top.config });
      if (raw && allKnown(raw)) complete.add(id);
    } else if (top.kind === 'index' && known.blobs.has(top.manifest)) {
      viaIndex.set(id, top.manifest);
      if (raw && indexHasOthers(raw, top.manifest, known.blobs)) several.add(id);
    }
  });
  const indexed = [...viaIndex];
  const manifests = indexed.length ? await helper.readFiles(indexed.map(([, m]) => path(m))) : [];
  indexed.forEach(([id], i) => {
    const raw = manifests[i];
    const c = raw ? manifestConfig(raw) : undefined;
    if (c) config.set(id, { digest: c, platform });
    if (raw && allKnown(raw) && !several.has(id)) complete.add(id);
  });
  const wanted = [...config].filter(([, c]) => known.blobs.has(c.digest));
  const configs = wanted.length ? await helper.readFiles(wanted.map(([, c]) => path(c.digest))) : [];
  const out = new Map<string, string[]>();
  wanted.forEach(([id, c], i) => {
    const raw = configs[i];
    const layers = raw ? configDiffIds(raw, c.platform) : undefined;
    const top = layers?.length ? chainIds(layers).at(-1) : undefined;
    if (layers && (top === undefined || known.layerSnapshots.has(top))) {
      out.set(id, layers);
      const facts = onFacts && complete.has(id) && raw ? configListFacts(raw) : undefined;
      if (facts) onFacts?.(id, facts);
    }
  });
  return out;
}

/**
 * Content-store blobs (compressed layers, configs, manifests) are the image's too, and a removal
 * frees them: each distinct blob is measured once and attributed to every image that lists it.
 * Attestation blobs are always on disk and freed; in Docker's size only where it counts them.
 */
async function measureContent(
  helper: HelperSession,
  blobDir: string,
  images: readonly { id: string }[],
  blobs: Map<string, ImageBlobs>,
  withAttestations: boolean,
): Promise<Map<string, ImageContent>> {
  const digests = [
    ...new Set([...blobs.values()].flatMap((b) => [...b.blobs, ...b.attestations].map((d) => d.digest))),
  ];
  const stats = digests.length
    ? await helper.statFiles(digests.map((d) => `${blobDir}/${digestHex(d)}`))
    : [];
  const byDigest = new Map(digests.map((d, i) => [d, stats[i]]));
  const out = new Map<string, ImageContent>();
  for (const img of images) {
    const seen = new Set<string>();
    const content: ImageContent = { bytes: 0, diskBytes: 0, blobs: [] };
    const count = (list: readonly { digest: string }[], inDockerSize: boolean) => {
      for (const b of list) {
        const st = byDigest.get(b.digest);
        if (!st || seen.has(b.digest)) continue;
        seen.add(b.digest);
        if (inDockerSize) content.bytes += st.size;
        content.diskBytes += st.blocks * 512;
        content.blobs.push({
          digest: b.digest,
          size: st.size,
          diskBytes: st.blocks * 512,
          ...(inDockerSize ? {} : { inDockerSize: false }),
        });
      }
    };
    const entry = blobs.get(img.id);
    count(entry?.blobs ?? [], true);
    count(entry?.attestations ?? [], withAttestations);
    out.set(img.id, content);
  }
  return out;
}

/**
 * The blobs BuildKit's records hold that no image lists (an image built and removed since, or a
 * stage exported as cache): they go with the record (BuildKit's lease ends, containerd's garbage
 * collection deletes them). Measured here; each blob once, for the first record naming it.
 */
async function measureRecordBlobs(
  helper: HelperSession,
  blobDir: string,
  blobs: Map<string, ImageBlobs>,
  records: Map<string, RecordStorage> | undefined,
): Promise<number> {
  if (!records) return 0;
  const imageDigests = new Set(
    [...blobs.values()].flatMap((b) => [...b.blobs, ...b.attestations].map((d) => d.digest)),
  );
  const owner = new Map<string, RecordStorage>();
  for (const r of records.values())
    if (r.blob && !imageDigests.has(r.blob) && !owner.has(r.blob)) owner.set(r.blob, r);
  const digests = [...owner.keys()];
  if (!digests.length) return 0;
  const stats = await helper.statFiles(digests.map((d) => `${blobDir}/${digestHex(d)}`));
  let total = 0;
  digests.forEach((d, i) => {
    const st = stats[i];
    const r = owner.get(d) as RecordStorage;
    // No such file: the blob is gone already (containerd's collection ran): nothing to free.
    r.blobDiskBytes = st ? st.blocks * 512 : 0;
    r.blobPath = `${blobDir}/${digestHex(d)}`;
    total += r.blobDiskBytes;
  });
  return total;
}

export function containerdBackend(info: ApiInfo, engineApiVersion: string): StorageBackend {
  const withAttestations = dockerCountsAttestations(engineApiVersion);
  return {
    kind: 'containerd',
    // Image and container metadata live in containerd's bolt files, which never shrink.
    eachDirs: [],
    apiTargets: () => [],
    listingAlong: undefined,
    imageListStamp: async (helper) => {
      const root = await containerdRoot(helper, info);
      // The same copy as the layout's (readBolt reads the file again only when it changed). Not
      // held (the last argument): the scan's prefetch holds it until the layout is done; asked
      // after the layout (rememberImageList), it must not keep a walked copy until the next scan.
      const meta = await readUnheld(helper, metaDbOf(root));
      const known = listStampOf(meta);
      if (!known) return undefined;
      const { fingerprint, targets, unsure } = known;
      mark('list-stamp');
      return {
        fingerprint,
        matches: (images) => imageListMatches(images, targets),
        fromStore: (facts) => imageListFromRecords(targets, facts, unsure),
      };
    },
    imageLayersEarly: 'always',
    inspectedLayersUnsure: true,
    imageLayers: async (helper, imageIds, _onConfig, onFacts) => {
      const root = await containerdRoot(helper, info);
      const meta = await readUnheld(helper, metaDbOf(root));
      const known = listStampOf(meta);
      if (!known?.targets.size) return new Map();
      const layers = await layersFromContent(
        helper,
        blobDirOf(root),
        // Only images the engine's metadata records now.
        imageIds ? imageIds.filter((id) => known.targets.has(id)) : [...known.targets.keys()],
        { os: info.OSType || 'linux', architecture: ociArchitecture(info.Architecture) },
        known,
        onFacts,
      );
      mark('cd-image-layers');
      return layers;
    },
    foreseenTargets: async (helper, chainIds) => {
      const root = await containerdRoot(helper, info);
      const snapDir = `${root}/io.containerd.snapshotter.v1.overlayfs`;
      // The same copies the layout takes next, unless the files changed meanwhile (readBolt).
      const [meta, snaps] = await Promise.all([
        readUnheld(helper, metaDbOf(root)),
        readUnheld(helper, `${snapDir}/metadata.db`),
      ]);
      return snapshotTargets(snapshotMap(meta, snaps), snapDir, chainIds);
    },
    reader: (helper, { cache, engineId, purpose = 'scan' }) => ({
      // containerd's metadata copies do not need the API's answer: read while it is awaited (the
      // containerd store's image list took 7 s at 1,300 images). layout() reads them again only
      // if they changed since (readBolt's stamp), so nothing is taken from an older copy.
      prepare: () => {
        void prefetchMetadata(helper, info, purpose === 'files').catch(() => undefined);
      },
      layout: async (r) => {
        try {
          const cl = await containerdLayout(helper, info, r.chainIds, r.containerIds, r.images, {
            cache,
            ...(engineId !== undefined ? { engineId } : {}),
            onlyAsked: purpose === 'files',
          });
          mark('cd-layout');
          const imageContent = await measureContent(helper, cl.blobDir, r.images, cl.blobs, withAttestations);
          mark('cd-content');
          const buildCacheBlobBytes = await measureRecordBlobs(
            helper,
            cl.blobDir,
            cl.blobs,
            cl.buildCacheRecords,
          );
          return { ...cl, imageContent, buildCacheBlobBytes };
        } finally {
          // What the scan needs from the metadata is taken: its parsed buckets (50 MB at the
          // containerd scale engine) need not outlive the layout into the ledger and the model.
          releaseBolts(helper);
        }
      },
    }),
    // containerd records a snapshot's blocks (its usage) when it commits it.
    layerSize: (m) => m?.contentDiskBytes,
    // dockerd mounts a running container's root file system under <data root>/rootfs/<snapshotter>.
    mergedDir: (id) =>
      /^[0-9a-f]{64}$/.test(id) && /^[a-z0-9]+$/.test(info.Driver)
        ? `${info.DockerRootDir}/rootfs/${info.Driver}/${id}`
        : undefined,
    extraRoots: async (helper) => {
      const root = await containerdRoot(helper, info);
      return root.startsWith(`${info.DockerRootDir}/`) ? [] : [root];
    },
    storeRoots: async (helper) => [await containerdRoot(helper, info)],
    // The engine reports the content it deleted: the blobs of the removed images that are gone now.
    reportedImageBytes: async (helper, images) => {
      if (!helper) return 0;
      const blobDir = blobDirOf(await containerdRoot(helper, info));
      const blobs = new Map<string, number>();
      for (const img of images)
        for (const b of img.blobs ?? []) if (b.inDockerSize !== false) blobs.set(b.digest, b.size ?? 0);
      const digests = [...blobs.keys()];
      if (!digests.length) return 0;
      const stats = await helper.statFiles(digests.map((d) => `${blobDir}/${digestHex(d)}`));
      return digests.reduce((a, d, i) => a + (stats[i] ? 0 : (blobs.get(d) ?? 0)), 0);
    },
  };
}
