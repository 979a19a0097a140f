// Reading an image's layer list from the containerd store's content blobs (containerd-meta.ts):
// which manifest of an index, which config, which list; anything unsure is left to the API.
import { describe, expect, it } from 'vitest';
import type { HelperSession } from '../../source/engine/helper/helper-session.js';
import { layersFromContent } from '../../source/engine/storage/containerd-backend.js';
import {
  configDiffIds,
  imageTop,
  manifestConfig,
  ociArchitecture,
} from '../../source/engine/storage/containerd-meta.js';
import { chainIds } from '../../source/model/chain-id.js';

const d = (c: string) => `sha256:${c.repeat(64)}`;
const blob = (v: unknown) => Buffer.from(JSON.stringify(v));
const amd64 = { os: 'linux', architecture: 'amd64' };

describe('imageTop', () => {
  it("takes a manifest's config", () => {
    const m = { schemaVersion: 2, config: { digest: d('c'), size: 10 }, layers: [{ digest: d('1') }] };
    expect(imageTop(blob(m), amd64)).toEqual({ kind: 'manifest', config: d('c') });
    expect(manifestConfig(blob(m))).toBe(d('c'));
  });

  it("takes an index's one manifest of the engine's platform, never an attestation", () => {
    const index = {
      manifests: [
        { digest: d('a'), platform: { os: 'linux', architecture: 'arm64' } },
        { digest: d('b'), platform: { os: 'linux', architecture: 'amd64' } },
        { digest: d('e'), platform: { os: 'unknown', architecture: 'unknown' } },
      ],
    };
    expect(imageTop(blob(index), amd64)).toEqual({ kind: 'index', manifest: d('b') });
    expect(imageTop(blob(index), { os: 'linux', architecture: 'arm64' })).toEqual({
      kind: 'index',
      manifest: d('a'),
    });
  });

  it('leaves to the engine an index with none or several manifests of the platform, or an unknown machine', () => {
    const none = { manifests: [{ digest: d('a'), platform: { os: 'linux', architecture: 'arm64' } }] };
    const two = {
      manifests: [
        { digest: d('a'), platform: { os: 'linux', architecture: 'amd64' } },
        { digest: d('b'), platform: { os: 'linux', architecture: 'amd64', variant: 'v1' } },
      ],
    };
    expect(imageTop(blob(none), amd64)).toEqual({ kind: 'unknown' });
    expect(imageTop(blob(two), amd64)).toEqual({ kind: 'unknown' });
    // Beside an amd64/v3: which one the engine takes depends on its matcher and the host: asked.
    const withV3 = {
      manifests: [two.manifests[0], { ...two.manifests[1], platform: { ...amd64, variant: 'v3' } }],
    };
    expect(imageTop(blob(withV3), amd64)).toEqual({ kind: 'unknown' });
    // An engine whose machine has no OCI name: no index is followed.
    expect(imageTop(blob({ manifests: [{ digest: d('a'), platform: amd64 }] }), amd64)).toEqual({
      kind: 'index',
      manifest: d('a'),
    });
    expect(
      imageTop(blob({ manifests: [{ digest: d('a'), platform: amd64 }] }), {
        os: 'linux',
        architecture: undefined,
      }),
    ).toEqual({ kind: 'unknown' });
    // An index's manifest is never taken as a config.
    expect(manifestConfig(blob(two))).toBeUndefined();
  });

  it("takes the variant containerd's default matcher prefers, and leaves others to the engine", () => {
    const index = (...ps: object[]) =>
      blob({ manifests: ps.map((p, i) => ({ digest: d(String(i + 1)), platform: p })) });
    // amd64/v3 and 386: which one depends on the engine and the host's CPU: not answered here.
    expect(
      imageTop(
        index({ os: 'linux', architecture: 'amd64', variant: 'v3' }, { os: 'linux', architecture: '386' }),
        amd64,
      ),
    ).toEqual({
      kind: 'unknown',
    });
    expect(imageTop(index({ os: 'linux', architecture: 'amd64', variant: 'v1' }), amd64)).toEqual({
      kind: 'index',
      manifest: d('1'),
    });
    const arm64 = { os: 'linux', architecture: 'arm64' };
    expect(imageTop(index({ ...arm64, variant: 'v8' }), arm64)).toEqual({ kind: 'index', manifest: d('1') });
    expect(imageTop(index({ ...arm64, variant: 'v9' }), arm64)).toEqual({ kind: 'unknown' });
  });

  it('says unknown for what is not JSON, or names no well-formed digest', () => {
    expect(imageTop(Buffer.from('\x00\x01not json'), amd64)).toEqual({ kind: 'unknown' });
    expect(imageTop(blob({ config: { digest: 'sha256:short' } }), amd64)).toEqual({ kind: 'unknown' });
    expect(imageTop(blob({ config: { digest: `${d('c')}/../x` } }), amd64)).toEqual({ kind: 'unknown' });
    expect(imageTop(blob({ manifests: [{ digest: '../../etc/passwd', platform: amd64 }] }), amd64)).toEqual({
      kind: 'unknown',
    });
    expect(imageTop(blob([]), amd64)).toEqual({ kind: 'unknown' });
  });
});

describe('configDiffIds', () => {
  it('gives rootfs.diff_ids as RootFS.Layers says them, in order', () => {
    const cfg = {
      os: 'linux',
      architecture: 'amd64',
      rootfs: { type: 'layers', diff_ids: [d('1'), d('2'), d('1')] },
    };
    expect(configDiffIds(blob(cfg))).toEqual([d('1'), d('2'), d('1')]);
    expect(configDiffIds(blob(cfg), amd64)).toEqual([d('1'), d('2'), d('1')]);
    // Asked for a platform (a manifest taken from an index): only a config of that platform.
    expect(configDiffIds(blob(cfg), { os: 'linux', architecture: 'arm64' })).toBeUndefined();
    expect(configDiffIds(blob({ rootfs: { type: 'layers', diff_ids: [] } }))).toEqual([]);
  });

  it('gives nothing for a config that is not a well-formed layer list', () => {
    expect(configDiffIds(blob({ rootfs: { type: 'other', diff_ids: [d('1')] } }))).toBeUndefined();
    expect(
      configDiffIds(blob({ rootfs: { type: 'layers', diff_ids: [d('1'), 'sha256:xyz'] } })),
    ).toBeUndefined();
    expect(configDiffIds(blob({ rootfs: { type: 'layers', diff_ids: d('1') } }))).toBeUndefined();
    expect(configDiffIds(blob({}))).toBeUndefined();
    expect(configDiffIds(Buffer.from('{'))).toBeUndefined();
  });
});

describe('ociArchitecture', () => {
  it("names the engine's machine as OCI platforms do", () => {
    expect(ociArchitecture('x86_64')).toBe('amd64');
    expect(ociArchitecture('aarch64')).toBe('arm64');
    expect(ociArchitecture('armv7l')).toBeUndefined();
    expect(ociArchitecture(undefined)).toBeUndefined();
  });
});

describe('layersFromContent', () => {
  /** A helper whose readFiles answers from a map of blob paths (absent: undefined). */
  const helperOf = (blobs: Record<string, unknown>) =>
    ({
      readFiles: async (paths: readonly string[]) =>
        paths.map((p) => {
          const v = blobs[p.slice(p.lastIndexOf('/') + 1)];
          return v === undefined ? undefined : blob(v);
        }),
    }) as unknown as HelperSession;
  const h = (c: string) => c.repeat(64);
  const layers = [d('1'), d('2')];
  const top = chainIds(layers).at(-1) as string;
  const cfg = { os: 'linux', architecture: 'amd64', rootfs: { type: 'layers', diff_ids: layers } };
  const all = (...cs: string[]) => new Set(cs.map(d));

  it('follows index -> platform manifest -> config, and a manifest -> config', async () => {
    const helper = helperOf({
      [h('a')]: { manifests: [{ digest: d('b'), platform: { os: 'linux', architecture: 'amd64' } }] },
      [h('b')]: { config: { digest: d('c') } },
      [h('c')]: cfg,
      [h('e')]: { config: { digest: d('c') } },
    });
    const known = { layerSnapshots: new Set([top]), blobs: all('a', 'b', 'c', 'e') };
    const out = await layersFromContent(helper, '/blobs', [d('a'), d('e')], amd64, known);
    expect(out).toEqual(
      new Map([
        [d('a'), layers],
        [d('e'), layers],
      ]),
    );
  });

  it('leaves out an image whose chain breaks, whose top layer is not unpacked, or whose blobs the namespace does not record', async () => {
    const helper = helperOf({
      [h('a')]: { manifests: [{ digest: d('b'), platform: { os: 'linux', architecture: 'amd64' } }] },
      // d('b') absent: the platform's manifest was never fetched
      [h('e')]: { config: { digest: d('f') } }, // config absent
      [h('7')]: { config: { digest: d('c') } },
      [h('c')]: cfg,
      // An index whose manifest is another namespace's (on disk, not recorded in moby's).
      [h('8')]: { manifests: [{ digest: d('9'), platform: { os: 'linux', architecture: 'amd64' } }] },
      [h('9')]: { config: { digest: d('c') } },
    });
    const ids = [d('a'), d('e'), d('7'), d('8'), '../../etc/passwd'];
    const blobs = all('a', 'b', 'c', 'e', 'f', '7', '8');
    expect(
      await layersFromContent(helper, '/blobs', ids, amd64, { layerSnapshots: new Set(), blobs }),
    ).toEqual(new Map());
    expect(
      await layersFromContent(helper, '/blobs', ids, amd64, { layerSnapshots: new Set([top]), blobs }),
    ).toEqual(new Map([[d('7'), layers]]));
    // With the manifest recorded, the index is followed.
    blobs.add(d('9'));
    expect([
      ...(
        await layersFromContent(helper, '/blobs', ids, amd64, { layerSnapshots: new Set([top]), blobs })
      ).keys(),
    ]).toEqual([d('7'), d('8')]);
  });

  it("leaves out an index whose manifest's config is of another platform", async () => {
    const helper = helperOf({
      [h('a')]: { manifests: [{ digest: d('b'), platform: { os: 'linux', architecture: 'amd64' } }] },
      [h('b')]: { config: { digest: d('c') } },
      [h('c')]: { ...cfg, architecture: 'arm64' },
    });
    const known = { layerSnapshots: new Set([top]), blobs: all('a', 'b', 'c') };
    expect(await layersFromContent(helper, '/blobs', [d('a')], amd64, known)).toEqual(new Map());
  });
});
