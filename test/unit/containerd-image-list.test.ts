// The engine's image list made from containerd's records (containerd-meta.ts imageListFromRecords,
// configListFacts; containerd-backend.ts layersFromContent's facts): the engine's answer where
// every image is the plain case, and nothing (the engine is asked) where anything is not.
import { describe, expect, it } from 'vitest';
import type { HelperSession } from '../../source/engine/helper/helper-session.js';
import { layersFromContent } from '../../source/engine/storage/containerd-backend.js';
import {
  imageListFromRecords,
  indexHasOthers,
  manifestBlobs,
} from '../../source/engine/storage/containerd-meta.js';
import {
  configListFacts,
  goUnixSeconds,
  type StoreImageFacts,
} from '../../source/engine/storage/go-image-config.js';
import { chainIds } from '../../source/model/chain-id.js';

const d = (c: string) => `sha256:${c.repeat(64)}`;
const blob = (v: unknown) => Buffer.from(JSON.stringify(v));

describe('goUnixSeconds', () => {
  it('reads RFC 3339 as Go does: whole seconds rounded down, any offset, nanoseconds, year 1', () => {
    expect(goUnixSeconds('2026-12-06T13:15:00Z')).toBe(1796562900);
    expect(goUnixSeconds('2026-12-06T13:15:00.999999999Z')).toBe(1796562900);
    expect(goUnixSeconds('2026-12-06T14:15:00.5+01:00')).toBe(1796562900);
    expect(goUnixSeconds('1969-12-31T23:59:59.5Z')).toBe(-1);
    expect(goUnixSeconds('0001-01-01T00:00:00Z')).toBe(-62135596800);
    // Go's strict RFC 3339: upper-case T and Z, every field in range (Date would roll them over).
    for (const bad of [
      '2026-12-06 13:15:00Z',
      '2026-12-06T13:15:00',
      '2026-12-06t13:15:00Z',
      '2026-12-06T13:15:00z',
      '2026-02-29T00:00:00Z',
      '2026-12-06T24:00:00Z',
      '2026-12-06T13:15:60Z',
      '2026-12-06T13:15:00+24:00',
      '2026-12-06T13:15:00.1234567891Z',
      '1796562900',
      '',
    ])
      expect(goUnixSeconds(bad), bad).toBeUndefined();
    expect(goUnixSeconds('2024-02-29T00:00:00Z')).toBe(1709164800);
  });
});

describe('configListFacts', () => {
  it("takes created and config.Labels, as moby's configLabels reads them", () => {
    expect(
      configListFacts(blob({ created: '2026-12-06T13:15:00Z', config: { Labels: { a: 'b' }, Env: [] } })),
    ).toEqual({ created: 1796562900, labels: { a: 'b' } });
    // None: 0 and null, as the engine answers.
    expect(configListFacts(blob({ rootfs: {} }))).toEqual({ created: 0, labels: null });
    expect(configListFacts(blob({ created: null, config: { Labels: null } }))).toEqual({
      created: 0,
      labels: null,
    });
  });

  it('says nothing where Go might read it otherwise or fail on it', () => {
    // Go matches keys ignoring case: another spelling, or two, is not taken.
    expect(configListFacts(blob({ Created: '2026-12-06T13:15:00Z' }))).toBeUndefined();
    expect(configListFacts(blob({ config: { labels: { a: 'b' } } }))).toBeUndefined();
    expect(configListFacts(blob({ config: { Labels: { a: 'b' } }, Config: {} }))).toBeUndefined();
    // A label that is not a string fails the engine's whole list.
    expect(configListFacts(blob({ config: { Labels: { a: 1 } } }))).toBeUndefined();
    expect(configListFacts(blob({ created: 'yesterday' }))).toBeUndefined();
    // The whole config must decode as Docker's image type: any field of the wrong type fails it
    // there (no facts on 28.5, the whole list fails on 26.1).
    for (const bad of [
      { config: { Env: 'A=1' } },
      { config: { Healthcheck: { Interval: '30s' } } },
      { config: { ExposedPorts: ['80/tcp'] } },
      { history: [{ created: '' }] },
      { rootfs: { diff_ids: 'x' } },
      { architecture: 1 },
    ])
      expect(configListFacts(blob(bad)), JSON.stringify(bad)).toBeUndefined();
    // A time spelled with an escape: JSON.parse reads it, Go's time parser gets the raw bytes.
    expect(configListFacts(Buffer.from('{"created":"2026-12-06T13:15:00\\u005A"}'))).toBeUndefined();
    // A key Go folds to "Labels" (the long s).
    expect(configListFacts(blob({ config: { Labeł: {}, Labelſ: { a: 'b' } } }))).toBeUndefined();
    // Unknown keys are ignored, nulls accepted, and a null label reads "".
    expect(
      configListFacts(
        blob({
          created: '2026-12-06T13:15:00Z',
          extra: [1],
          config: { Env: null, Labels: { a: null }, Healthcheck: { Interval: 30000000000 } },
          history: [{ created: '2026-12-06T13:15:00Z', empty_layer: true }],
        }),
      ),
    ).toEqual({ created: 1796562900, labels: { a: '' } });
    expect(configListFacts(Buffer.from('{'))).toBeUndefined();
    expect(configListFacts(blob([1]))).toBeUndefined();
  });
});

describe('imageListFromRecords', () => {
  const facts = new Map<string, StoreImageFacts>([
    [d('a'), { created: 100, labels: { x: 'y' } }],
    [d('b'), { created: 200, labels: null }],
  ]);

  it('gives one image per target with its familiar tags, created and labels, and Size -1 until measured', () => {
    const targets = new Map([
      [d('a'), ['docker.io/library/debian:bookworm', 'docker.io/me/app:1', 'registry.example:5000/x/y:z']],
      [d('b'), [`moby-dangling@${d('b')}`]],
    ]);
    expect(imageListFromRecords(targets, facts, false)).toEqual([
      {
        Id: d('a'),
        RepoTags: ['debian:bookworm', 'me/app:1', 'registry.example:5000/x/y:z'],
        Created: 100,
        Size: -1,
        SharedSize: -1,
        Containers: -1,
        Labels: { x: 'y' },
      },
      { Id: d('b'), RepoTags: [], Created: 200, Size: -1, SharedSize: -1, Containers: -1, Labels: null },
    ]);
  });

  it('leaves the list to the engine where any image is not the plain case', () => {
    const one = (names: string[]) => new Map([[d('a'), names]]);
    // A name with a digest, another image's dangling name, a name Docker would not have stored
    // normalized (no domain, Docker Hub's single path, upper case): the engine's rules differ there.
    for (const names of [
      [`docker.io/library/debian@sha256:${'f'.repeat(64)}`],
      [`moby-dangling@${d('b')}`],
      ['debian:bookworm'],
      ['docker.io/debian:bookworm'],
      ['docker.io/library/Debian:bookworm'],
      ['myhost/x:1'],
      ['index.docker.io/library/alpine:latest'],
      [`registry.example/${'a'.repeat(250)}:1`],
    ])
      expect(imageListFromRecords(one(names), facts, false)).toBeUndefined();
    expect(imageListFromRecords(one(['localhost/x:1', 'localhost:5000/x:1']), facts, false)).toHaveLength(1);
    // An image without facts (content missing, or its config unread).
    expect(
      imageListFromRecords(new Map([[d('c'), ['docker.io/library/c:1']]]), facts, false),
    ).toBeUndefined();
    // A record the fingerprint found unsure (a classic builder's parent label, an odd target).
    expect(imageListFromRecords(one(['docker.io/library/debian:1']), facts, true)).toBeUndefined();
  });
});

const LAYER = 'application/vnd.oci.image.layer.v1.tar+gzip';
const manifest = (...layers: string[]) => ({
  mediaType: 'application/vnd.oci.image.manifest.v1+json',
  config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: d('c') },
  layers: layers.map((digest) => ({ mediaType: LAYER, digest })),
});

describe("layersFromContent's facts", () => {
  const layers = [d('1'), d('2')];
  const top = chainIds(layers).at(-1) as string;
  const cfg = {
    os: 'linux',
    architecture: 'amd64',
    created: '2026-12-06T13:15:00Z',
    config: { Labels: { k: 'v' } },
    rootfs: { type: 'layers', diff_ids: layers },
  };
  const files: Record<string, unknown> = {
    ['a'.repeat(64)]: { manifests: [{ digest: d('b'), platform: { os: 'linux', architecture: 'amd64' } }] },
    ['b'.repeat(64)]: manifest(d('5'), d('6')),
    ['c'.repeat(64)]: cfg,
    ['e'.repeat(64)]: manifest(d('5'), d('7')),
  };
  const helper = {
    readFiles: async (paths: readonly string[]) =>
      paths.map((p) => {
        const v = files[p.slice(p.lastIndexOf('/') + 1)];
        return v === undefined ? undefined : blob(v);
      }),
  } as unknown as HelperSession;

  it('hands the facts only of images whose manifest, config and every layer blob are recorded', async () => {
    const got = new Map<string, StoreImageFacts>();
    const blobs = new Set([d('a'), d('b'), d('c'), d('e'), d('5'), d('6')]);
    const out = await layersFromContent(
      helper,
      '/blobs',
      [d('a'), d('e')],
      { os: 'linux', architecture: 'amd64' },
      { layerSnapshots: new Set([top]), blobs },
      (id, f) => got.set(id, f),
    );
    // Both layer lists are known; d('e')'s layer blob d('7') is not there: the engine would list
    // it without its config's facts, so none are handed.
    expect([...out.keys()].sort()).toEqual([d('a'), d('e')]);
    expect(got).toEqual(new Map([[d('a'), { created: 1796562900, labels: { k: 'v' } }]]));
  });

  it('hands none for an index that records another platform besides its own (the engine sums them all)', async () => {
    const got = new Map<string, StoreImageFacts>();
    const index = {
      manifests: [
        { digest: d('b'), platform: { os: 'linux', architecture: 'amd64' } },
        { digest: d('8'), platform: { os: 'linux', architecture: 'arm64' } },
      ],
    };
    const several = { ...files, ['f'.repeat(64)]: index, ['8'.repeat(64)]: manifest(d('5')) };
    const h = {
      readFiles: async (paths: readonly string[]) => paths.map((p) => blob(several[p.slice(-64)])),
    };
    const blobs = new Set([d('f'), d('b'), d('c'), d('5'), d('6'), d('8')]);
    const out = await layersFromContent(
      h as unknown as HelperSession,
      '/blobs',
      [d('f')],
      { os: 'linux', architecture: 'amd64' },
      { layerSnapshots: new Set([top]), blobs },
      (id, f) => got.set(id, f),
    );
    expect([...out.keys()]).toEqual([d('f')]);
    expect(got.size).toBe(0);
  });

  it('names what a plain manifest requires besides itself, or nothing for anything else', () => {
    expect(manifestBlobs(blob(files['b'.repeat(64)]))).toEqual([d('c'), d('5'), d('6')]);
    expect(manifestBlobs(blob(files['a'.repeat(64)]))).toBeUndefined();
    expect(
      manifestBlobs(blob({ ...manifest(d('5')), layers: [{ mediaType: LAYER, digest: 'x' }] })),
    ).toBeUndefined();
    expect(manifestBlobs(blob({ config: manifest().config }))).toBeUndefined();
    // Another kind (an attestation's in-toto layer, a config of another type): a pseudo image to moby.
    expect(
      manifestBlobs(
        blob({ ...manifest(), layers: [{ mediaType: 'application/vnd.in-toto+json', digest: d('5') }] }),
      ),
    ).toBeUndefined();
    expect(
      manifestBlobs(
        blob({ ...manifest(d('5')), config: { mediaType: 'application/x-other', digest: d('c') } }),
      ),
    ).toBeUndefined();
  });

  it('tells an index with another recorded manifest that is not an attestation', () => {
    const att = { 'vnd.docker.reference.type': 'attestation-manifest' };
    const index = (...ms: object[]) => blob({ manifests: ms });
    const known = new Set([d('1'), d('2'), d('3')]);
    expect(
      indexHasOthers(index({ digest: d('1') }, { digest: d('2'), annotations: att }), d('1'), known),
    ).toBe(false);
    expect(indexHasOthers(index({ digest: d('1') }, { digest: d('9') }), d('1'), known)).toBe(false);
    expect(indexHasOthers(index({ digest: d('1') }, { digest: d('3') }), d('1'), known)).toBe(true);
    expect(indexHasOthers(blob({}), d('1'), known)).toBe(true);
  });
});
