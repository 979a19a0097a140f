// The engine's image list made from containerd's records (containerd-meta.ts imageListFromRecords,
// configListFacts; containerd-backend.ts layersFromContent's facts): the engine's answer where
// every image is the plain case, and nothing (the engine is asked) where anything is not.
import { describe, expect, it } from 'vitest';
import type { HelperSession } from '../../source/engine/helper/helper-session.js';
import { layersFromContent } from '../../source/engine/storage/containerd-backend.js';
import {
  configListFacts,
  goUnixSeconds,
  imageListFromRecords,
  manifestBlobs,
  type StoreImageFacts,
} from '../../source/engine/storage/containerd-meta.js';
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
    for (const bad of ['2026-12-06 13:15:00Z', '2026-12-06T13:15:00', '1796562900', ''])
      expect(goUnixSeconds(bad)).toBeUndefined();
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
    ])
      expect(imageListFromRecords(one(names), facts, false)).toBeUndefined();
    expect(imageListFromRecords(one(['localhost/x:1', 'localhost:5000/x:1']), facts, false)).toHaveLength(1);
    // An image without facts (content missing, or its config unread).
    expect(
      imageListFromRecords(new Map([[d('c'), ['docker.io/library/c:1']]]), facts, false),
    ).toBeUndefined();
    // A classic builder's parent label: the engine hides some dangling images.
    expect(imageListFromRecords(one(['docker.io/library/debian:1']), facts, true)).toBeUndefined();
  });
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
    ['b'.repeat(64)]: { config: { digest: d('c') }, layers: [{ digest: d('5') }, { digest: d('6') }] },
    ['c'.repeat(64)]: cfg,
    ['e'.repeat(64)]: { config: { digest: d('c') }, layers: [{ digest: d('5') }, { digest: d('7') }] },
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

  it('names what a manifest requires besides itself, or nothing for anything else', () => {
    expect(manifestBlobs(blob(files['b'.repeat(64)]))).toEqual([d('c'), d('5'), d('6')]);
    expect(manifestBlobs(blob(files['a'.repeat(64)]))).toBeUndefined();
    expect(manifestBlobs(blob({ config: { digest: d('c') }, layers: [{ digest: 'x' }] }))).toBeUndefined();
    expect(manifestBlobs(blob({ config: { digest: d('c') } }))).toBeUndefined();
  });
});
